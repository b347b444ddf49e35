"""The pages and the API of design management per persona: what each sees (scope), what each
list costs in queries, bad input refused at the field with what was typed kept, the register's
totals and its Excel export."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from design import services
from design.choices import ChangeStatus
from design.models import DesignChange, DesignRules
from tests import kit
from tests.personas import ALL, SEES_INFRA, visible_codes

RAISERS_OF_INFRA = {"officer", "officer_design", "admin", "manager", "reporter"}


@pytest.fixture
def two_changes(make_change, housing_project, personas):
    infra = make_change("major")
    housing = services.change_create(
        actor=personas["reporter2"], project=housing_project, reason="增设无障碍设施",
        kind="site_instruction", amount_requested=Decimal("30000"),
    )  # fmt: skip
    return infra, housing


def project_code(change: DesignChange) -> str:
    return change.project.code


@pytest.mark.parametrize("persona", ALL)
def test_the_register_page_and_api_list_exactly_the_changes_in_scope(
    client_for, api_for, two_changes, persona
):
    response = client_for(persona).get(reverse("design:changes"))
    assert response.status_code == 200
    kit.assert_scope(response.context["page_obj"], visible_codes(persona), project_code)
    api = api_for(persona).get(reverse("api-design-change-list"))
    kit.assert_scope(api.json()["results"], visible_codes(persona), lambda row: row["project"])


@pytest.mark.parametrize("persona", ALL)
def test_the_change_page_and_api_detail_answer_404_out_of_scope(
    client_for, api_for, two_changes, persona
):
    infra = two_changes[0]
    status = 200 if persona in SEES_INFRA else 404
    assert client_for(persona).get(infra.get_absolute_url()).status_code == status
    api = api_for(persona).get(reverse("api-design-change-detail", args=[infra.pk]))
    assert api.status_code == status


@pytest.mark.parametrize("persona", ALL)
def test_the_project_design_page_and_cost_chain_api_follow_the_project_scope(
    client_for, api_for, infra_project, persona
):
    status = 200 if persona in SEES_INFRA else 404
    page = client_for(persona).get(reverse("design:project", args=[infra_project.pk]))
    assert page.status_code == status
    api = api_for(persona).get(reverse("api-cost-chain-detail", args=[infra_project.pk]))
    assert api.status_code == status
    listed = api_for(persona).get(reverse("api-cost-chain-list")).json()["results"]
    assert ("JC-2026-001" in {row["project"] for row in listed}) == (persona in SEES_INFRA)
    stages = api_for(persona).get(reverse("api-design-stage-list")).json()["results"]
    assert ({row["project"] for row in stages} == {"JC-2026-001"}) == (persona in SEES_INFRA)


COST_CHANGERS = {"officer", "officer_design", "admin", "manager"}
STAGE_CHANGERS = {"officer", "officer_design", "admin", "manager", "reporter"}


def refused(persona: str, allowed: set[str]) -> int:
    if persona in allowed:
        return 200
    return 403 if persona in SEES_INFRA else 404


@pytest.mark.parametrize("persona", ALL)
def test_who_records_the_cost_chain_page_and_api(client_for, api_for, infra_project, persona):
    url = reverse("design:cost-chain", args=[infra_project.pk])
    assert client_for(persona).get(url).status_code == refused(persona, COST_CHANGERS)
    api = api_for(persona).put(reverse("api-cost-chain-detail", args=[infra_project.pk]),
                               {"budget_estimate": "90000000"}, format="json")  # fmt: skip
    assert api.status_code == refused(persona, COST_CHANGERS)
    infra_project.refresh_from_db()
    expected = Decimal("90000000") if persona in COST_CHANGERS else None
    assert infra_project.approved_budget_estimate == expected


@pytest.mark.parametrize("persona", ALL)
def test_who_records_a_stage_page_and_api(client_for, api_for, infra_project, persona):
    stage = infra_project.design_stages.get(kind="scheme")
    url = reverse("design:stage-edit", args=[stage.pk])
    assert client_for(persona).get(url).status_code == refused(persona, STAGE_CHANGERS)
    body = {"designer": "滨江市政院", "version": 1}
    api = api_for(persona).patch(reverse("api-design-stage-detail", args=[stage.pk]), body,
                                 format="json")  # fmt: skip
    assert api.status_code == refused(persona, STAGE_CHANGERS)
    stage.refresh_from_db()
    assert (stage.designer == "滨江市政院") == (persona in STAGE_CHANGERS)


@pytest.mark.parametrize("persona", ALL)
def test_who_raises_a_change_on_the_infrastructure_project(client_for, api_for, infra_project,
                                                          persona):  # fmt: skip
    body = {"project": "JC-2026-001", "kind": "design_change", "reason": "桩长加深",
            "amount_requested": "8"}  # fmt: skip
    page = client_for(persona).post(reverse("design:change-create"), body)
    api = api_for(persona).post(reverse("api-design-change-list"),
                                {**body, "amount_requested": "80000"}, format="json")  # fmt: skip
    if persona in RAISERS_OF_INFRA:
        assert page.status_code == 302 and api.status_code == 201, api.content
        assert DesignChange.objects.filter(project=infra_project).count() == 2
        assert {c.amount_requested for c in DesignChange.objects.all()} == {Decimal("80000")}
    else:
        assert page.status_code in (200, 403) and api.status_code in (400, 403)
        assert not DesignChange.objects.exists()


def test_the_project_page_shows_the_design_panel_with_a_link(client_for, infra_project,
                                                            make_change):  # fmt: skip
    make_change()
    html = client_for("reporter").get(infra_project.get_absolute_url()).content.decode()
    assert 'data-testid="project-design"' in html
    assert reverse("design:project", args=[infra_project.pk]) in html


# --- query counts -------------------------------------------------------------------------------


def seed(make_change, personas, count=6):
    for index in range(count):
        change = make_change(["minor", "major", "critical"][index % 3])
        if index % 2:
            services.change_step(actor=personas["reporter"], change=change, name="submit")


@pytest.mark.parametrize("count", [3, 9])
def test_the_register_costs_a_fixed_number_of_queries(
    client_for, personas, make_change, count, django_assert_num_queries
):
    seed(make_change, personas, count)
    client = client_for("officer")
    client.get(reverse("design:changes"))  # warm the badge and the bell
    # count for the paginator, the page with project/owner/submitter/decider joined, the
    # totals, the subsidiaries of the filter.
    with django_assert_num_queries(kit.queries(count=1, page=1, totals=1, owners=1, warm=True)):
        response = client.get(reverse("design:changes"))
    assert len(response.context["page_obj"]) == count


@pytest.mark.parametrize("count", [3, 9])
def test_the_project_design_page_costs_a_fixed_number_of_queries(
    client_for, personas, infra_project, make_change, count, django_assert_num_queries
):
    seed(make_change, personas, count)
    DesignRules.current()
    client = client_for("officer")
    client.get(reverse("design:project", args=[infra_project.pk]))
    # the project with owner and chain, its stages, its changes with submitter and decider.
    with django_assert_num_queries(kit.queries(project=1, stages=1, changes=1, warm=True)):
        response = client.get(reverse("design:project", args=[infra_project.pk]))
    assert len(response.context["design"].changes) == count


@pytest.mark.parametrize("count", [3, 9])
def test_the_api_list_costs_a_fixed_number_of_queries(
    api_for, personas, make_change, count, django_assert_num_queries
):
    seed(make_change, personas, count)
    api = api_for("officer")
    # the subsidiaries the owner filter accepts, count, the page with its joins
    with django_assert_num_queries(3):
        response = api.get(reverse("api-design-change-list"))
    assert response.json()["count"] == count


# --- the register's totals and export ---------------------------------------------------------


def test_the_totals_are_those_of_the_filtered_set_in_10k_yuan(client_for, personas, two_changes):
    housing = two_changes[1]
    services.change_step(actor=personas["reporter2"], change=housing, name="submit")
    services.change_step(actor=personas["admin"], change=housing, name="approve_minor")
    html = client_for("officer").get(reverse("design:changes")).content.decode()
    assert 'data-testid="total-requested">23.00<' in html  # 20 + 3 万元
    assert 'data-testid="total-approved">3.00<' in html
    html = client_for("officer").get(reverse("design:changes") + "?tier=major").content.decode()
    assert 'data-testid="total-requested">20.00<' in html
    assert 'data-testid="total-approved">0.00<' in html


def test_the_register_exports_the_filtered_list_to_excel(client_for, two_changes):
    response = client_for("leader").get(reverse("design:changes") + "?owner=housing&format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    header, row = rows
    assert header[0] and header[9]  # the change number, the amount requested (10k yuan)
    assert row[0] == two_changes[1].number and row[1] == "BZ-2026-001"
    assert Decimal(str(row[9])) == Decimal("3")  # requested, in 万元


# --- bad input: at the field, nothing saved, nothing typed lost -------------------------------


def test_a_bad_change_form_keeps_what_was_typed_and_saves_nothing(client_for):
    body = {"project": "JC-2026-001", "kind": "claim", "reason": "钢材价格上涨超出风险包干范围",
            "amount_requested": "-3", "contract_sum": "abc"}  # fmt: skip
    response = client_for("reporter").post(reverse("design:change-create"), body)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="amount_requested"' in html
    assert 'data-field-error="contract_sum"' in html
    assert "钢材价格上涨超出风险包干范围" in html and 'value="abc"' in html
    assert not DesignChange.objects.exists()


def test_a_project_out_of_scope_is_refused_at_the_project_field(client_for, housing_project):
    body = {"project": "BZ-2026-001", "kind": "claim", "reason": "停工损失",
            "amount_requested": "3"}  # fmt: skip
    html = client_for("reporter").post(reverse("design:change-create"), body).content.decode()
    assert 'data-field-error="project"' in html
    assert not DesignChange.objects.exists()


def test_an_approved_amount_above_the_request_without_a_note_is_refused_at_the_note(
    client_for, api_for, personas, make_change
):
    change = make_change("minor")
    services.change_step(actor=personas["reporter"], change=change, name="submit")
    response = client_for("manager").post(
        reverse("design:change-decision", args=[change.pk]),
        {"version": change.version + 1, "amount_approved": "6.5", "approval_note": ""},
    )
    html = response.content.decode()
    assert 'data-field-error="approval_note"' in html and 'value="6.5"' in html
    change.refresh_from_db()
    assert change.amount_approved is None
    body = {"version": change.version, "amount_approved": "65000"}
    response = api_for("manager").post(
        reverse("api-design-change-decision", args=[change.pk]), body, format="json"
    )
    assert response.status_code == 400 and list(response.json()) == ["approval_note"]


def test_stage_dates_in_the_wrong_order_are_refused_at_the_field_on_the_page_and_api(
    client_for, api_for, infra_project
):
    stage = infra_project.design_stages.get(kind="drawings")
    body = {"planned_start": "2026-06-01", "planned_finish": "2026-05-01", "outcome": "pending",
            "designer": "滨江市政工程设计研究总院", "version": 1}  # fmt: skip
    html = client_for("manager").post(reverse("design:stage-edit", args=[stage.pk]),
                                      body).content.decode()  # fmt: skip
    assert 'data-field-error="planned_finish"' in html and "滨江市政工程设计研究总院" in html
    api = api_for("manager").patch(reverse("api-design-stage-detail", args=[stage.pk]),
                                   body, format="json")  # fmt: skip
    assert api.status_code == 400 and list(api.json()) == ["planned_finish"]
    stage.refresh_from_db()
    assert (stage.planned_start, stage.designer) == (None, "")


def test_a_stage_saved_by_someone_else_meanwhile_is_not_overwritten(client_for, api_for,
                                                                   infra_project):  # fmt: skip
    """Two people open the same stage; the second to save is told, keeps what they typed, and
    the first one's save stands. The API answers 409 to a stale version, 400 without one."""
    stage = infra_project.design_stages.get(kind="drawings")
    url = reverse("design:stage-edit", args=[stage.pk])
    page = client_for("manager").get(url).content.decode()
    assert 'name="version" value="1"' in page
    first = {"outcome": "pending", "designer": "滨江市政工程设计研究总院", "version": 1}
    assert client_for("officer_design").post(url, first).status_code == 302
    second = {"outcome": "pending", "designer": "城建设计集团", "note": "第二稿", "version": 1}
    response = client_for("manager").post(url, second)
    html = response.content.decode()
    assert response.status_code == 200 and "在您打开后保存了该设计阶段" in html
    assert "城建设计集团" in html and "第二稿" in html  # what was typed is still there
    stage.refresh_from_db()
    assert (stage.designer, stage.version) == ("滨江市政工程设计研究总院", 2)
    api = api_for("manager")
    detail = reverse("api-design-stage-detail", args=[stage.pk])
    assert api.get(detail).json()["version"] == 2
    stale = api.patch(detail, {"designer": "城建设计集团", "version": 1}, format="json")
    assert stale.status_code == 409
    missing = api.patch(detail, {"designer": "城建设计集团"}, format="json")
    assert missing.status_code == 400 and list(missing.json()) == ["version"]
    fresh = api.patch(detail, {"designer": "城建设计集团", "version": 2}, format="json")
    assert fresh.status_code == 200 and fresh.json()["version"] == 3
    stage.refresh_from_db()
    assert (stage.designer, stage.history.count()) == ("城建设计集团", 3)


def test_a_cost_chain_with_a_future_approval_date_keeps_what_was_typed(client_for, infra_project):
    body = {"feasibility_estimate": "10000", "feasibility_doc_no": "滨发改审批〔2026〕9号",
            "feasibility_date": "2027-01-01", "budget_estimate": "10500", "budget": ""}  # fmt: skip
    response = client_for("officer_design").post(
        reverse("design:cost-chain", args=[infra_project.pk]), body)  # fmt: skip
    html = response.content.decode()
    assert 'data-field-error="feasibility_date"' in html and "滨发改审批〔2026〕9号" in html
    infra_project.refresh_from_db()
    assert infra_project.approved_budget_estimate is None


def test_the_api_refuses_unknown_fields_and_bad_amounts_with_a_reason(api_for, make_change):
    change = make_change()
    url = reverse("api-design-change-detail", args=[change.pk])
    api = api_for("reporter")
    assert api.patch(url, {"version": 1, "status": "approved"}, format="json").status_code == 400
    for amount in ["1e30", "abc", "-1"]:
        response = api.patch(url, {"version": 1, "amount_requested": amount}, format="json")
        assert response.status_code == 400 and list(response.json()) == ["amount_requested"]
    response = api.patch(url, {"amount_requested": "1"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["version"]
    stale = api.patch(url, {"version": 7, "amount_requested": "1"}, format="json")
    assert stale.status_code == 409
    change.refresh_from_db()
    assert (change.amount_requested, change.status) == (Decimal("200000"), ChangeStatus.DRAFT)
