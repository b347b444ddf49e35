"""The registry's forms take amounts in 万元, as every list shows them, and store yuan to the
fen; saving a form unchanged records no change. The API keeps yuan."""

from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

from projects.models import AnnualPlan, Project

AMOUNTS = ["total_investment", "approved_budget_estimate", "opening_investment"]


@pytest.fixture
def priced_project(infra_project):
    infra_project.total_investment = Decimal("12345678.00")
    infra_project.approved_budget_estimate = Decimal("12345678.91")
    infra_project.opening_investment = Decimal("0.01")
    infra_project.latitude, infra_project.longitude = Decimal("30.5"), Decimal("114.25")
    infra_project.save()
    return infra_project


def as_posted(form) -> dict:
    """What a browser sends back for a form it was shown, untouched."""
    data = {}
    for bound in form:
        if bound.field.disabled:
            continue  # browsers do not send disabled fields
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
            continue
        if value is None:
            data[bound.html_name] = ""
        elif isinstance(widget, forms.Select):
            data[bound.html_name] = str(value)
        else:
            data[bound.html_name] = widget.format_value(value) or ""
    return data


@pytest.mark.parametrize("persona", ["officer", "manager"])
def test_the_project_form_shows_amounts_in_10k_yuan(client_for, persona, priced_project):
    response = client_for(persona).get(reverse("projects:update", args=[priced_project.pk]))
    form = response.context["form"]
    html = response.content.decode()
    # 12,345,678.00 yuan is typed as 1234.5678 万元; nothing is rounded away.
    assert form["total_investment"].value() == "1234.5678"
    assert form["approved_budget_estimate"].value() == "1234.567891"
    assert form["opening_investment"].value() == "0.000001"
    assert 'value="1234.5678"' in html
    with translation.override("en"):
        for name in AMOUNTS:
            assert str(form.fields[name].label).endswith("(10k yuan)"), name
    assert "（元）" not in html  # no amount field asks for yuan any more


def test_a_project_registered_in_10k_yuan_is_stored_in_yuan(client_for, orgs):
    response = client_for("officer").post(reverse("projects:create"), {
        "code": "JC-2026-060", "name": "新港路新建工程", "owner": orgs["infra"].pk,
        "category": "road", "delivery_mode": "agent_build", "stage": "design",
        "total_investment": "1,234.5678", "approved_budget_estimate": "１２３４．５６７８９１",
        "opening_investment": "",
    })  # fmt: skip
    assert response.status_code == 302
    project = Project.objects.get(code="JC-2026-060")
    assert project.total_investment == Decimal("12345678.00")
    assert project.approved_budget_estimate == Decimal("12345678.91")
    assert project.opening_investment == Decimal("0")


def test_saving_the_form_unchanged_changes_nothing_and_records_nothing(client_for, priced_project):
    client = client_for("officer")
    url = reverse("projects:update", args=[priced_project.pk])
    before = {name: getattr(priced_project, name) for name in AMOUNTS}
    records = priced_project.history.count()
    data = as_posted(client.get(url).context["form"])
    response = client.post(url, data)
    assert response.status_code == 302
    priced_project.refresh_from_db()
    assert {name: getattr(priced_project, name) for name in AMOUNTS} == before
    assert priced_project.history.count() == records  # no empty entry in the history


def test_a_change_of_one_fen_is_saved_and_shown_in_the_history(client_for, priced_project):
    client = client_for("manager")
    url = reverse("projects:update", args=[priced_project.pk])
    data = {**as_posted(client.get(url).context["form"]), "total_investment": "1234.567801"}
    assert client.post(url, data).status_code == 302
    priced_project.refresh_from_db()
    assert priced_project.total_investment == Decimal("12345678.01")
    history = client.get(priced_project.get_absolute_url()).context["history"]
    changes = {c["name"]: (c["old"], c["new"]) for c in history[0]["changes"]}
    # 万元 as the page shows them; a change finer than two decimals is shown exactly.
    assert changes == {"total_investment": ("1,234.5678", "1,234.567801")}


def test_the_annual_plan_form_takes_10k_yuan(client_for, infra_project):
    client = client_for("officer")
    url = reverse("projects:plan-set", args=[infra_project.pk])
    page = client.get(url)
    with translation.override("en"):
        assert str(page.context["form"]["planned_investment"].label).endswith("(10k yuan)")
    response = client.post(url, {"year": 2026, "planned_investment": "3000.000001",
                                 "year_end_target": "封顶"})  # fmt: skip
    assert response.status_code == 302
    plan = AnnualPlan.objects.get(project=infra_project, year=2026)
    assert plan.planned_investment == Decimal("30000000.01")


@pytest.mark.parametrize("typed", ["-1", "abc", "NaN"])
def test_the_annual_plan_form_refuses_what_is_not_an_amount(client_for, infra_project, typed):
    response = client_for("officer").post(
        reverse("projects:plan-set", args=[infra_project.pk]),
        {"year": 2026, "planned_investment": typed, "year_end_target": "封顶"},
    )
    assert response.status_code == 200
    assert "planned_investment" in response.context["form"].errors
    assert not AnnualPlan.objects.exists()


def test_the_api_keeps_yuan(api_for, priced_project):
    """Nothing changed for API clients: they read and write yuan, with two decimals."""
    url = reverse("api-project-detail", args=[priced_project.pk])
    body = api_for("officer").get(url).json()
    assert body["total_investment"] == "12345678.00"
    response = api_for("officer").patch(url, {"total_investment": "85000000.00"}, format="json")
    assert response.status_code == 200, response.content
    priced_project.refresh_from_db()
    assert priced_project.total_investment == Decimal("85000000.00")
