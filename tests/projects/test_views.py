"""The registry pages, for every role: who reaches what, what they see, and the forms' rules."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from design.models import DesignRules
from projects.models import Project
from tests.factories import (
    MilestoneFactory,
    ProgressReportFactory,
    ProjectFactory,
    ReportingPeriodFactory,
)
from tests.personas import ALL, CHANGERS_OF_INFRA, SEES_INFRA, expected_status, visible_codes


def test_it_sends_anonymous_users_to_log_in(client, infra_project):
    for url in [
        reverse("projects:list"),
        infra_project.get_absolute_url(),
        reverse("projects:create"),
        reverse("projects:update", args=[infra_project.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ALL)
def test_it_lists_exactly_the_projects_in_scope(
    client_for, persona, infra_project, housing_project
):
    response = client_for(persona).get(reverse("projects:list"))
    assert response.status_code == 200
    codes = {p.code for p in response.context["page_obj"]}
    assert codes == visible_codes(persona)


@pytest.mark.parametrize("persona", ALL)
def test_it_shows_the_detail_page_only_in_scope(client_for, persona, infra_project):
    response = client_for(persona).get(infra_project.get_absolute_url())
    assert response.status_code == (200 if persona in SEES_INFRA else 404)
    if response.status_code == 200:
        assert "滨河大道快速化改造工程" in response.content.decode()
        edit_url = reverse("projects:update", args=[infra_project.pk])
        assert (edit_url in response.content.decode()) == (persona in CHANGERS_OF_INFRA)


@pytest.mark.parametrize("persona", ALL)
def test_it_lets_only_changers_open_the_edit_form(client_for, persona, infra_project):
    response = client_for(persona).get(reverse("projects:update", args=[infra_project.pk]))
    expected = expected_status(persona)
    assert response.status_code == expected


@pytest.mark.parametrize("persona", ALL)
def test_it_offers_the_create_form_to_centre_officers_managers_and_admins(
    client_for, persona, orgs
):
    response = client_for(persona).get(reverse("projects:create"))
    assert response.status_code == (200 if persona in CHANGERS_OF_INFRA else 403)
    if persona == "manager":
        owners = list(response.context["form"].fields["owner"].queryset)
        assert owners == [orgs["infra"]]


def _form_data(project_or_none=None, **overrides):
    data = {
        "code": "JC-2026-050",
        "name": "新港路新建工程",
        "owner": "",
        "category": "road",
        "district": "江北区",
        "delivery_mode": "agent_build",
        "stage": "design",
        "total_investment": "8500",  # 万元, as the page says: 85,000,000 yuan
        "planned_start": "2026-03-01",
        "planned_finish": "2027-12-31",
    }
    data.update(overrides)
    return data


def test_it_registers_a_project_and_records_who_did_it(client_for, orgs, personas):
    client = client_for("officer")
    response = client.post(reverse("projects:create"), _form_data(owner=orgs["infra"].pk))
    project = Project.objects.get(code="JC-2026-050")
    assert response.status_code == 302
    assert response["Location"] == project.get_absolute_url()
    assert project.owner == orgs["infra"]
    assert project.total_investment == Decimal("85000000")
    assert project.history.get().history_user == personas["officer"]


def test_it_lets_a_manager_register_only_in_its_own_subsidiary(client_for, orgs):
    response = client_for("manager").post(
        reverse("projects:create"), _form_data(owner=orgs["housing"].pk)
    )
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    assert not Project.objects.filter(code="JC-2026-050").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"code": "JC-2026-001"}, "code", "A project with this code already exists."),
        ({"total_investment": "-5"}, "total_investment", "Amounts cannot be negative."),
        (
            {"planned_finish": "2025-01-01"},
            "planned_finish",
            "The planned finish cannot be before the planned start.",
        ),
        (
            {"actual_finish": "2026-01-01"},
            "actual_start",
            "A project that has finished must have started.",
        ),
        ({"latitude": "30.5"}, "longitude", "Give both latitude and longitude, or neither."),
        ({"code": "JC 2026/1"}, "code", "Use letters, digits, '-' and '_' only."),
    ],
)
def test_it_refuses_bad_input_next_to_the_field_and_keeps_what_was_typed(
    client_for, orgs, infra_project, overrides, field, message, settings
):
    settings.LANGUAGE_CODE = "en"
    data = _form_data(owner=orgs["infra"].pk, **overrides)
    response = client_for("officer").post(
        reverse("projects:create"), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field] == [message]
    html = response.content.decode()
    assert f'data-field-error="{field}"' in html
    assert 'value="新港路新建工程"' in html  # nothing the user typed is lost
    assert Project.objects.count() == 1


def test_it_shows_validation_messages_in_chinese_by_default(client_for, orgs, infra_project):
    response = client_for("officer").post(
        reverse("projects:create"), _form_data(owner=orgs["infra"].pk, total_investment="-1")
    )
    assert "金额不能为负数" in response.content.decode()


def test_it_saves_an_edit_and_shows_the_change_in_the_history(client_for, infra_project):
    client = client_for("manager")
    data = _form_data(
        code=infra_project.code,
        owner=infra_project.owner.pk,
        name=infra_project.name,
        stage="tendering",
        total_investment="13000",  # 万元
    )
    response = client.post(reverse("projects:update", args=[infra_project.pk]), data)
    assert response.status_code == 302
    infra_project.refresh_from_db()
    assert infra_project.total_investment == Decimal("130000000")
    detail = client.get(infra_project.get_absolute_url())
    changes = {c["name"]: (c["old"], c["new"]) for c in detail.context["history"][0]["changes"]}
    assert changes["total_investment"] == ("12,000.00", "13,000.00")  # 万元, as the page
    assert changes["stage"] == ("施工", "招标采购")  # choices shown by their labels
    assert "name" not in changes  # unchanged fields are not listed
    assert "总投资" in detail.content.decode()
    assert detail.context["history"][0]["record"].history_user.username == "manager"


def test_it_refuses_a_post_to_another_subsidiarys_project(client_for, housing_project):
    response = client_for("manager").post(
        reverse("projects:update", args=[housing_project.pk]),
        _form_data(owner=housing_project.owner.pk),
    )
    assert response.status_code == 404
    housing_project.refresh_from_db()
    assert housing_project.code == "BZ-2026-001"


def test_it_filters_searches_and_sorts_the_list(client_for, orgs):
    ProjectFactory(
        owner=orgs["infra"],
        code="A-1",
        name="清水河综合整治工程",
        category="river",
        is_key=True,
        total_investment=Decimal("5000000"),
    )
    ProjectFactory(
        owner=orgs["infra"],
        code="A-2",
        name="滨河大道新建工程",
        district="高新区",
        total_investment=Decimal("9000000"),
    )
    ProjectFactory(
        owner=orgs["housing"],
        code="B-1",
        name="望江人才公寓项目",
        category="talent_apartment",
        total_investment=Decimal("7000000"),
    )
    client = client_for("leader")

    def codes(**params):
        response = client.get(reverse("projects:list"), params)
        assert response.status_code == 200
        return [p.code for p in response.context["page_obj"]]

    assert codes(q="清水河") == ["A-1"]
    assert codes(owner="housing") == ["B-1"]
    assert codes(category="river") == ["A-1"]
    assert codes(is_key="true") == ["A-1"]
    assert codes(district="高新区") == ["A-2"]
    assert codes(o="-total_investment") == ["A-2", "B-1", "A-1"]
    assert codes(o="total_investment") == ["A-1", "B-1", "A-2"]


def test_it_answers_an_htmx_filter_with_the_table_only(client_for, infra_project):
    response = client_for("officer").get(
        reverse("projects:list"), {"q": "滨河"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'data-testid="project-table"' in html
    assert "<html" not in html


def test_it_paginates_the_list(client_for, orgs, settings):
    settings.PORTAL = {**settings.PORTAL, "LIST_PAGE_SIZE": 10}
    ProjectFactory.create_batch(23, owner=orgs["infra"])
    client = client_for("officer")
    page3 = client.get(reverse("projects:list"), {"page": 3})
    assert len(page3.context["page_obj"]) == 3
    assert page3.context["paginator"].count == 23


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_projects(
    client_for, orgs, personas, count, django_assert_num_queries
):
    for index in range(count):
        owner = orgs["infra"] if index % 2 else orgs["housing"]
        ProjectFactory(
            owner=owner, assigned_leader=personas["leader"], project_manager=personas["manager"]
        )
    client = client_for("officer")
    # (the session comes from the cache) 1 user with organisation, 2 count for the paginator,
    # 3 the page with owner/leader/manager joined, 4 owner and 5 district choices of the
    # filter, 6 the inbox badge and the bell's unread notifications in one query (both cached
    # afterwards).
    with django_assert_num_queries(6):
        response = client.get(reverse("projects:list"))
    assert response.status_code == 200


def test_the_detail_page_costs_a_fixed_number_of_queries(
    client_for, infra_project, personas, django_assert_num_queries
):
    for index in range(5):
        MilestoneFactory(
            project=infra_project, name=f"节点{index}", deadline=datetime.date(2026, 1 + index, 1)
        )
    for month in range(1, 4):
        ProgressReportFactory(
            project=infra_project, period=ReportingPeriodFactory(year=2026, month=month)
        )
    client = client_for("officer")
    DesignRules.current()  # the thresholds row, read once per cache lifetime, not per page
    # (the session comes from the cache) 1 user with organisation, 2 project with
    # owner/leader/manager, 3 annual plans, 4 milestones with their organisations, 5 history
    # records with their users, 6 the inbox badge and the bell (one query); the panels other
    # apps add through portal.panels, one query each (the cockpit link costs none): 7 project
    # documents, 8 progress reports, 9 the permit checklist's counts, 10 design stages, cost
    # chain and changes.
    with django_assert_num_queries(10):
        response = client.get(infra_project.get_absolute_url())
    assert len(response.context["project"].milestones.all()) == 5
    html = response.content.decode()
    assert html.count('data-status="draft"') == 3  # the project's three reports, newest first
    assert f'href="/dashboard/projects/{infra_project.pk}/"' in html


def test_an_htmx_filter_does_not_pay_for_the_navigation(
    client_for, orgs, personas, django_assert_num_queries
):
    ProjectFactory.create_batch(3, owner=orgs["infra"])
    client = client_for("officer")
    # user, count, page (the session comes from the cache): the fragment shows neither the
    # navigation (no inbox badge, no bell) nor the filter form (no choice lists).
    with django_assert_num_queries(3):
        client.get(reverse("projects:list"), HTTP_HX_REQUEST="true")


@pytest.mark.parametrize("persona", ["reporter", "manager", "leader"])
def test_the_project_page_lists_its_reports_to_whoever_sees_the_project(
    client_for, infra_project, persona
):
    report = ProgressReportFactory(
        project=infra_project, period=ReportingPeriodFactory(year=2026, month=9)
    )
    html = client_for(persona).get(infra_project.get_absolute_url()).content.decode()
    assert 'data-testid="project-reports"' in html and report.get_absolute_url() in html
    assert 'data-testid="link-dashboard.project"' in html
