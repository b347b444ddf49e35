"""The reporting REST API: the web form's workflow and rules, scoped as everywhere, with a 4xx
and a reason for every refusal. Time is frozen on 20 November 2026, so October's forms are open
and December's period has not started."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from reporting import services
from reporting.choices import CoordinationStatus, ReportStatus
from reporting.models import CoordinationItem, ProgressReport
from reporting.services import ReportInput
from tests.factories import (
    AnnualPlanFactory,
    MilestoneFactory,
    ProgressReportFactory,
    ProjectFactory,
    ReportingPeriodFactory,
)
from tests.personas import ALL, SEES_INFRA, visible_codes

NOW = datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)
LIST = reverse("api-report-list")
PERIODS = reverse("api-period-list")
ITEMS = reverse("api-coordination-item-list")

# Who may take which step on the infrastructure company's reports (reporting.rules).
FILLERS = {"manager", "reporter", "admin"}  # its own subsidiary's staff; administrators
REVIEWERS = {"officer", "officer_design", "admin"}  # the centre, whatever the function


def expected_status(persona: str, allowed: set[str]) -> int:
    """200 for the allowed, 403 for who sees the report but may not act, 404 for an outsider."""
    if persona in allowed:
        return 200
    return 403 if persona in SEES_INFRA else 404


@pytest.fixture(autouse=True)
def _november_2026():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def october(db):
    return ReportingPeriodFactory(year=2026, month=10)


@pytest.fixture
def infra_report(infra_project, october):
    return ProgressReportFactory(project=infra_project, period=october)


@pytest.fixture
def housing_report(housing_project, october):
    return ProgressReportFactory(project=housing_project, period=october)


def url(report, step=None):
    if step is None:
        return reverse("api-report-detail", args=[report.pk])
    return reverse(f"api-report-{step}", args=[report.pk])


def item_url(item, step=None):
    if step is None:
        return reverse("api-coordination-item-detail", args=[item.pk])
    return reverse(f"api-coordination-item-{step}", args=[item.pk])


def in_state(report, status):
    ProgressReport.objects.filter(pk=report.pk).update(status=status)
    report.refresh_from_db()
    return report


def service_refusal(call) -> dict:
    """What the service says to the web form, in the shape the API answers with."""
    with translation.override(settings.LANGUAGE_CODE), pytest.raises(ValidationError) as info:
        call()
    exc = info.value
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    return {
        ("non_field_errors" if key == NON_FIELD_ERRORS else key): messages
        for key, messages in exc.message_dict.items()
    }


def fresh(report):
    return ProgressReport.objects.select_related("project__owner", "period").get(pk=report.pk)


# --- reading -------------------------------------------------------------------------------------


def test_it_refuses_anonymous_callers_with_401(infra_report):
    for path in (LIST, url(infra_report), PERIODS, ITEMS):
        response = APIClient().get(path)
        assert response.status_code == 401
        assert response.json()["detail"]


@pytest.mark.parametrize("persona", ALL)
def test_it_lists_periods_for_everyone(api_for, persona, october):
    ReportingPeriodFactory(kind="ten_day", year=2026, month=11, part=2)
    response = api_for(persona).get(PERIODS)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["code"] for row in rows] == ["2026-11-T2", "2026-10"]
    assert rows[1] == {
        "id": october.pk,
        "code": "2026-10",
        "kind": "month",
        "year": 2026,
        "month": 10,
        "part": 0,
        "start": "2026-10-01",
        "end": "2026-10-31",
        "due_date": "2026-11-05",
    }


def test_the_period_list_costs_two_queries(api_for, october, django_assert_num_queries):
    for month in range(1, 10):
        ReportingPeriodFactory(year=2026, month=month)
    api = api_for("reporter")
    # 1 count, 2 the page.
    with django_assert_num_queries(2):
        assert api.get(PERIODS).json()["count"] == 10


@pytest.mark.parametrize("persona", ALL)
def test_it_lists_only_reports_in_scope(api_for, persona, infra_report, housing_report):
    response = api_for(persona).get(LIST)
    assert response.status_code == 200
    assert {row["project"] for row in response.json()["results"]} == visible_codes(persona)


def test_a_list_row_has_the_report_figures(api_for, infra_report):
    row = api_for("reporter").get(LIST).json()["results"][0]
    assert row == {
        "id": infra_report.pk,
        "url": "http://testserver" + url(infra_report),
        "project": "JC-2026-001",
        "project_name": "滨河大道快速化改造工程",
        "owner": "infra",
        "period": "2026-10",
        "status": "draft",
        "investment": "0.00",
        "progress_pct": None,
        "version": 1,
        "submitted_at": None,
        "reviewed_at": None,
    }


def test_it_filters_like_the_html_list(api_for, orgs, october):
    november = ReportingPeriodFactory(year=2026, month=11)
    key = ProjectFactory(owner=orgs["infra"], code="A-1", name="江北快速路", is_key=True)
    other = ProjectFactory(owner=orgs["infra"], code="A-2")
    housing = ProjectFactory(owner=orgs["housing"], code="B-1")
    ProgressReportFactory(project=key, period=october, investment=Decimal("5"))
    ProgressReportFactory(project=other, period=october, investment=Decimal("9"))
    ProgressReportFactory(project=housing, period=november, status=ReportStatus.SUBMITTED)
    api = api_for("leader")

    def codes(**params):
        response = api.get(LIST, params)
        assert response.status_code == 200, response.content
        return [(row["project"], row["period"]) for row in response.json()["results"]]

    assert codes(period="2026-11") == [("B-1", "2026-11")]
    assert codes(owner="infra") == [("A-1", "2026-10"), ("A-2", "2026-10")]
    assert codes(status="submitted") == [("B-1", "2026-11")]
    assert codes(is_key="true") == [("A-1", "2026-10")]
    assert codes(q="江北") == [("A-1", "2026-10")]
    assert codes(owner="infra", o="-investment") == [("A-2", "2026-10"), ("A-1", "2026-10")]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2031-01"}, "period"),
        ({"status": "lost"}, "status"),
        ({"owner": "nosuch"}, "owner"),
    ],
)
def test_it_answers_400_to_an_unknown_filter_value(api_for, infra_report, params, field):
    response = api_for("officer").get(LIST, params)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("persona", ALL)
def test_it_answers_404_for_a_report_out_of_scope(api_for, persona, infra_report):
    response = api_for(persona).get(url(infra_report))
    assert response.status_code == (200 if persona in SEES_INFRA else 404)


def test_the_detail_shows_figures_problems_coordination_milestones_and_events(
    api_for, personas, infra_project, infra_report
):
    AnnualPlanFactory(project=infra_project, year=2026, planned_investment=Decimal("30000000"))
    infra_project.opening_investment = Decimal("1000000")
    infra_project.save()
    september = ReportingPeriodFactory(year=2026, month=9)
    ProgressReportFactory(
        project=infra_project,
        period=september,
        investment=Decimal("2000000"),
        status=ReportStatus.ACCEPTED,
    )
    milestone = MilestoneFactory(project=infra_project)
    api = api_for("reporter")
    response = api.patch(
        url(infra_report),
        {
            "version": 1,
            "investment": "500000",
            "progress_pct": "42.5",
            "problems": [
                {
                    "description": "征地拆迁滞后",
                    "responsible_unit": "区住建局",
                    "responsible_person": "王工",
                    "deadline": "2026-12-15",
                },
                {"description": "   "},  # an empty row of the form: skipped
            ],
            "coordination": [{"subject": "协调管线迁改", "detail": "燃气管线"}],
            "milestones_reached": [milestone.pk],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == api.get(url(infra_report)).json()
    body = response.json()
    assert body["version"] == 2
    assert body["ytd_investment"] == "2500000.00"
    assert body["cumulative_investment"] == "3500000.00"
    assert body["annual_plan"] == "30000000.00"
    assert [
        (
            p["description"],
            p["responsible_unit"],
            p["responsible_person"],
            p["deadline"],
            p["status"],
        )
        for p in body["problems"]
    ] == [("征地拆迁滞后", "区住建局", "王工", "2026-12-15", "open")]
    assert [(c["subject"], c["detail"], c["status"]) for c in body["coordination_items"]] == [
        ("协调管线迁改", "燃气管线", "open")
    ]
    assert body["milestones_reached"] == [milestone.pk]
    assert [(e["action"], e["actor"]) for e in body["events"]] == [("save", "reporter")]


def test_a_second_patch_replaces_problems_and_open_coordination_items(api_for, infra_report):
    api = api_for("reporter")
    first = {
        "version": 1,
        "problems": [{"description": "甲"}, {"description": "乙"}],
        "coordination": [{"subject": "丙"}],
    }
    assert api.patch(url(infra_report), first, format="json").status_code == 200
    second = {"version": 2, "problems": [{"description": "丁"}], "coordination": []}
    body = api.patch(url(infra_report), second, format="json").json()
    assert [p["description"] for p in body["problems"]] == ["丁"]
    assert body["coordination_items"] == []
    # Left out: kept as they were.
    body = api.patch(url(infra_report), {"version": 3, "next_steps": "下月完成"}, format="json")
    assert [p["description"] for p in body.json()["problems"]] == ["丁"]


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_reports(
    api_for, orgs, october, personas, count, django_assert_num_queries
):
    for index in range(count):
        project = ProjectFactory(owner=orgs["infra"] if index % 2 else orgs["housing"])
        ProgressReportFactory(
            project=project,
            period=october,
            status=ReportStatus.SUBMITTED,
            submitted_by=personas["reporter"],
        )
    api = api_for("officer")
    # 1 period choices of the FilterSet, 2 owner choices, 3 count, 4 the page with its joins.
    with django_assert_num_queries(4):
        response = api.get(LIST)
    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [1, 5])
def test_the_detail_costs_the_same_queries_for_1_or_5_of_each(
    api_for, personas, infra_project, infra_report, count, django_assert_num_queries
):
    milestones = [MilestoneFactory(project=infra_project) for _ in range(count)]
    for version in range(1, count + 1):
        services.report_save(
            actor=personas["reporter"],
            report=infra_report,
            version=version,
            data=ReportInput(
                fields={},
                problems=[{"description": f"问题{n}"} for n in range(count)],
                coordination=[{"subject": f"事项{n}"} for n in range(count)],
                milestones=milestones,
            ),
        )
    api = api_for("officer")
    # 1 the report with its joins and figures, 2 problems, 3 coordination items with their
    # officers, 4 events with their actors, 5 milestones reached.
    with django_assert_num_queries(5):
        body = api.get(url(infra_report)).json()
    assert len(body["problems"]) == len(body["events"]) == count


@pytest.mark.parametrize("count", [3, 30])
def test_the_coordination_list_costs_the_same_queries_for_3_or_30_items(
    api_for, infra_report, personas, count, django_assert_num_queries
):
    for index in range(count):
        CoordinationItem.objects.create(
            report=infra_report,
            project=infra_report.project,
            subject=f"事项{index}",
            assignee=personas["officer"],
            answered_by=personas["officer"],
        )
    api = api_for("officer")
    # 1 count, 2 the page with its joins.
    with django_assert_num_queries(2):
        response = api.get(ITEMS)
    assert response.json()["count"] == count


# --- who may take each step ----------------------------------------------------------------------


FILL_BODY = {"version": 1, "investment": "1200000.00", "progress_text": "桩基施工完成六成"}


@pytest.mark.parametrize("persona", ALL)
def test_it_lets_only_the_owners_fillers_patch(api_for, persona, infra_report):
    response = api_for(persona).patch(url(infra_report), FILL_BODY, format="json")
    expected = expected_status(persona, FILLERS)
    assert response.status_code == expected, response.content
    infra_report.refresh_from_db()
    assert (infra_report.investment == Decimal("1200000.00")) == (expected == 200)
    if expected == 200:
        assert response.json()["progress_text"] == "桩基施工完成六成"
    else:
        assert response.json()["detail"]


@pytest.mark.parametrize("persona", ALL)
def test_it_lets_only_the_owners_fillers_submit(api_for, persona, infra_report):
    response = api_for(persona).post(url(infra_report, "submit"), FILL_BODY, format="json")
    expected = expected_status(persona, FILLERS)
    assert response.status_code == expected, response.content
    infra_report.refresh_from_db()
    if expected == 200:
        assert infra_report.status == ReportStatus.SUBMITTED
        assert infra_report.investment == Decimal("1200000.00")  # saved, then submitted
        assert [e["action"] for e in response.json()["events"]] == ["save", "submit"]
    else:
        assert infra_report.status == ReportStatus.DRAFT
        assert infra_report.investment == 0


REVIEW_STEPS = [
    ("return", ReportStatus.SUBMITTED, {"comment": "投资数据与台账不符"}, ReportStatus.RETURNED),
    ("accept", ReportStatus.SUBMITTED, {"comment": "同意"}, ReportStatus.ACCEPTED),
    ("reopen", ReportStatus.ACCEPTED, {"comment": "审计调整"}, ReportStatus.RETURNED),
]


@pytest.mark.parametrize("persona", ALL)
@pytest.mark.parametrize(("step", "before", "body", "after"), REVIEW_STEPS)
def test_it_lets_only_the_centre_review(
    api_for, personas, persona, infra_report, step, before, body, after
):
    in_state(infra_report, before)
    response = api_for(persona).post(url(infra_report, step), body, format="json")
    expected = expected_status(persona, REVIEWERS)
    assert response.status_code == expected, response.content
    infra_report.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == infra_report.status == after
        assert infra_report.reviewed_by == personas[persona]
        assert infra_report.review_comment == next(iter(body.values()))
    else:
        assert response.json()["detail"]
        assert infra_report.status == before


@pytest.mark.parametrize("step", ["submit", "return", "accept", "reopen", None])
def test_every_step_answers_404_for_another_subsidiarys_report(api_for, infra_report, step):
    api = api_for("reporter2")
    if step is None:
        response = api.patch(url(infra_report), FILL_BODY, format="json")
    else:
        response = api.post(url(infra_report, step), {"version": 1, "comment": "x"}, format="json")
    assert response.status_code == 404
    infra_report.refresh_from_db()
    assert (infra_report.status, infra_report.version) == (ReportStatus.DRAFT, 1)


def test_a_missing_report_answers_404(api_for, db, orgs):
    assert api_for("admin").get(reverse("api-report-detail", args=[999])).status_code == 404
    response = api_for("admin").post(reverse("api-report-accept", args=[999]), {}, format="json")
    assert response.status_code == 404


def test_it_does_not_offer_create_put_or_delete(api_for, infra_report):
    api = api_for("admin")
    assert api.put(url(infra_report), FILL_BODY, format="json").status_code == 405
    assert api.delete(url(infra_report)).status_code == 405
    assert api.post(LIST, FILL_BODY, format="json").status_code == 405
    assert ProgressReport.objects.filter(pk=infra_report.pk).exists()


# --- the state machine: each step from a state it does not start from ---------------------------


def _service_step(step, personas, report):
    officer, reporter = personas["officer"], personas["reporter"]
    return {
        "patch": lambda: services.report_save(
            actor=reporter,
            report=report,
            version=1,
            data=ReportInput(fields={"investment": Decimal(1)}),
        ),
        "submit": lambda: services.report_submit(actor=reporter, report=report, version=1),
        "return": lambda: services.report_return(actor=officer, report=report, comment="改"),
        "accept": lambda: services.report_accept(actor=officer, report=report),
        "reopen": lambda: services.report_reopen(actor=officer, report=report, reason="改"),
    }[step]


WRONG_STATES = [
    ("patch", ReportStatus.SUBMITTED),
    ("patch", ReportStatus.ACCEPTED),
    ("submit", ReportStatus.SUBMITTED),
    ("submit", ReportStatus.ACCEPTED),
    ("return", ReportStatus.DRAFT),
    ("return", ReportStatus.RETURNED),
    ("return", ReportStatus.ACCEPTED),
    ("accept", ReportStatus.DRAFT),
    ("accept", ReportStatus.RETURNED),
    ("accept", ReportStatus.ACCEPTED),
    ("reopen", ReportStatus.DRAFT),
    ("reopen", ReportStatus.SUBMITTED),
    ("reopen", ReportStatus.RETURNED),
]


@pytest.mark.parametrize(("step", "state"), WRONG_STATES)
def test_a_step_from_the_wrong_state_answers_400_with_the_services_message(
    api_for, personas, infra_report, step, state
):
    in_state(infra_report, state)
    expected = service_refusal(_service_step(step, personas, fresh(infra_report)))
    persona = "officer" if step in ("return", "accept", "reopen") else "reporter"
    api = api_for(persona)
    body = {
        "patch": {"version": 1, "investment": "1"},
        "submit": {"version": 1},
        "return": {"comment": "改"},
        "accept": {},
        "reopen": {"comment": "改"},
    }[step]
    if step == "patch":
        response = api.patch(url(infra_report), body, format="json")
    else:
        response = api.post(url(infra_report, step), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == expected
    assert list(expected) == ["non_field_errors"]
    infra_report.refresh_from_db()
    assert (infra_report.status, infra_report.version) == (state, 1)


# --- the reporting rules: the same field and message as the service gives the web form ----------


def _september(project, **values):
    return ProgressReportFactory(
        project=project,
        period=ReportingPeriodFactory(month=9),
        status=ReportStatus.ACCEPTED,
        **values,
    )


def _plan_nearly_spent(project):
    AnnualPlanFactory(project=project, year=2026, planned_investment=Decimal("30000000"))
    _september(project, investment=Decimal("25000000"))


RULES = [
    # (case, seed, what is typed, the field the message sits on)
    ("negative investment", None, {"investment": Decimal("-1")}, "investment"),
    (
        "year to date above the annual plan",
        _plan_nearly_spent,
        {"investment": Decimal("6000000")},
        "investment",
    ),
    ("percentage above 100", None, {"progress_pct": Decimal("100.5")}, "progress_pct"),
    ("percentage below 0", None, {"progress_pct": Decimal("-1")}, "progress_pct"),
    (
        "progress lower than last accepted",
        lambda project: _september(project, progress_pct=Decimal("40")),
        {"progress_pct": Decimal("30")},
        "progress_pct",
    ),
]


@pytest.mark.parametrize(("case", "seed", "typed", "field"), RULES, ids=[r[0] for r in RULES])
def test_a_broken_rule_answers_400_with_the_services_field_and_message(
    api_for, personas, infra_project, infra_report, case, seed, typed, field
):
    if seed:
        seed(infra_project)
    expected = service_refusal(
        lambda: services.report_save(
            actor=personas["reporter"],
            report=fresh(infra_report),
            version=1,
            data=ReportInput(fields=typed),
        )
    )
    assert list(expected) == [field]
    body = {"version": 1, **{key: str(value) for key, value in typed.items()}}
    api = api_for("reporter")
    response = api.patch(url(infra_report), body, format="json")
    assert response.status_code == 400
    assert response.json() == expected
    response = api.post(url(infra_report, "submit"), body, format="json")
    assert (response.status_code, response.json()) == (400, expected)
    infra_report.refresh_from_db()
    assert (infra_report.status, infra_report.version) == (ReportStatus.DRAFT, 1)


@pytest.mark.parametrize(
    ("case", "seed", "typed", "field"), [RULES[1], RULES[4]], ids=[RULES[1][0], RULES[4][0]]
)
def test_an_explanation_lets_the_figures_through(
    api_for, infra_project, infra_report, case, seed, typed, field
):
    seed(infra_project)
    body = {
        "version": 1,
        "explanation": "抢工期，提前完成",
        **{k: str(v) for k, v in typed.items()},
    }
    response = api_for("reporter").patch(url(infra_report), body, format="json")
    assert response.status_code == 200, response.content


def test_a_period_not_started_answers_400_with_the_services_message(
    api_for, personas, infra_project
):
    december = ReportingPeriodFactory(year=2026, month=12)
    report = ProgressReportFactory(project=infra_project, period=december)
    expected = service_refusal(
        lambda: services.report_save(
            actor=personas["reporter"],
            report=fresh(report),
            version=1,
            data=ReportInput(fields={"investment": Decimal(1)}),
        )
    )
    assert list(expected) == ["non_field_errors"]
    api = api_for("reporter")
    response = api.patch(url(report), {"version": 1, "investment": "1"}, format="json")
    assert (response.status_code, response.json()) == (400, expected)
    response = api.post(url(report, "submit"), {"version": 1}, format="json")
    assert (response.status_code, response.json()) == (400, expected)


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        ("return", {"comment": "   "}, "comment"),
        ("reopen", {"comment": ""}, "comment"),
    ],
)
def test_a_review_without_its_reason_answers_400_with_the_services_message(
    api_for, personas, infra_report, step, body, field
):
    in_state(infra_report, ReportStatus.ACCEPTED if step == "reopen" else ReportStatus.SUBMITTED)
    officer = personas["officer"]
    call = {
        "return": lambda: services.report_return(
            actor=officer, report=fresh(infra_report), comment="   "
        ),
        "reopen": lambda: services.report_reopen(
            actor=officer, report=fresh(infra_report), reason=""
        ),
    }[step]
    expected = service_refusal(call)
    response = api_for("officer").post(url(infra_report, step), body, format="json")
    assert response.status_code == 400
    # The same message, at the same field (`comment`) as the web form's, for every step.
    assert response.json() == {field: next(iter(expected.values()))}


# --- bad requests: a 4xx and a reason, never a 500 -----------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"investment": "1"}, "version"),
        ({"version": "one"}, "version"),
        ({"version": 0}, "version"),
        ({"version": 1, "investment": "lots"}, "investment"),
        ({"version": 1, "investment": "NaN"}, "investment"),
        ({"version": 1, "investment": None}, "investment"),
        ({"version": 1, "status": "accepted"}, "non_field_errors"),
        ({"version": 1, "problems": "征地"}, "problems"),
        ({"version": 1, "problems": [{"responsible_unit": "区住建局"}]}, "problems"),
        ({"version": 1, "problems": [{"description": "x", "deadline": "soon"}]}, "problems"),
        ({"version": 1, "problems": [{"description": "x", "status": "lost"}]}, "problems"),
        ({"version": 1, "problems": [{"description": "x", "owner": "y"}]}, "problems"),
        ({"version": 1, "coordination": [{"detail": "无主题"}]}, "coordination"),
        ({"version": 1, "milestones_reached": [999]}, "milestones_reached"),
        ({"version": 1, "investment": "12345678901234567.00"}, "investment"),
        ({"version": 1, "progress_pct": "50.123"}, "progress_pct"),
        # Lengths are checked by the service's full_clean of each row (its field name, no index).
        (
            {"version": 1, "problems": [{"description": "x", "responsible_unit": "长" * 101}]},
            "responsible_unit",
        ),
        ({"version": 1, "coordination": [{"subject": "长" * 201}]}, "subject"),
    ],
)
def test_it_answers_bad_data_with_400_and_the_field(api_for, infra_report, body, field):
    response = api_for("reporter").patch(url(infra_report), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()[field]
    infra_report.refresh_from_db()
    assert infra_report.version == 1


def test_it_refuses_a_milestone_of_another_project(api_for, infra_report, housing_project):
    other = MilestoneFactory(project=housing_project)
    body = {"version": 1, "milestones_reached": [other.pk]}
    response = api_for("reporter").patch(url(infra_report), body, format="json")
    assert response.status_code == 400
    assert "milestones_reached" in response.json()
    assert not infra_report.milestones_reached.exists()


def test_an_unknown_field_is_named(api_for, infra_report):
    body = {"version": 1, "investmnet": "5"}
    response = api_for("reporter").patch(url(infra_report), body, format="json")
    assert response.status_code == 400
    assert "investmnet" in response.json()["non_field_errors"][0]


@pytest.mark.parametrize(
    ("step", "field"), [("submit", "version"), ("return", "comment"), ("reopen", "comment")]
)
def test_a_missing_required_field_is_named(api_for, infra_report, step, field):
    states = {
        "submit": ReportStatus.DRAFT,
        "return": ReportStatus.SUBMITTED,
        "reopen": ReportStatus.ACCEPTED,
    }
    in_state(infra_report, states[step])
    persona = "reporter" if step == "submit" else "officer"
    response = api_for(persona).post(url(infra_report, step), {}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("step", ["submit", "return", "accept", "reopen", None])
def test_a_body_that_is_not_json_answers_400(api_for, infra_report, step):
    persona = "reporter" if step in ("submit", None) else "officer"
    api = api_for(persona)
    if step is None:
        response = api.patch(url(infra_report), "{not json", content_type="application/json")
    else:
        response = api.post(url(infra_report, step), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_body_that_is_a_list_answers_400(api_for, infra_report):
    response = api_for("reporter").patch(url(infra_report), [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"]


# --- optimistic locking --------------------------------------------------------------------------


def test_the_second_of_two_savers_gets_409_and_the_first_saves_stay(api_for, infra_report):
    reporter, manager = api_for("reporter"), api_for("manager")
    assert reporter.get(url(infra_report)).json()["version"] == 1
    assert manager.get(url(infra_report)).json()["version"] == 1
    first = reporter.patch(
        url(infra_report),
        {"version": 1, "investment": "100", "progress_text": "第一人"},
        format="json",
    )
    assert first.status_code == 200
    assert first.json()["version"] == 2
    second = manager.patch(
        url(infra_report),
        {"version": 1, "investment": "999", "progress_text": "第二人"},
        format="json",
    )
    assert second.status_code == 409
    assert second.json()["detail"]
    infra_report.refresh_from_db()
    assert (infra_report.investment, infra_report.progress_text, infra_report.version) == (
        Decimal("100"),
        "第一人",
        2,
    )
    # Submitting or reviewing from the stale version is refused the same way.
    assert (
        manager.post(url(infra_report, "submit"), {"version": 1}, format="json").status_code == 409
    )
    submitted = reporter.post(url(infra_report, "submit"), {"version": 2}, format="json")
    assert submitted.json()["version"] == 3
    stale = api_for("officer").post(url(infra_report, "accept"), {"version": 2}, format="json")
    assert stale.status_code == 409
    infra_report.refresh_from_db()
    assert infra_report.status == ReportStatus.SUBMITTED


# --- the whole workflow, as a subsidiary's system does it ----------------------------------------


def token_client(user):
    return APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def test_the_whole_workflow_through_token_authentication(personas, infra_report):
    reporter, officer = token_client(personas["reporter"]), token_client(personas["officer"])
    drafts = reporter.get(LIST, {"status": "draft", "period": "2026-10"}).json()["results"]
    assert [row["id"] for row in drafts] == [infra_report.pk]

    body = {"version": 1, "investment": "800000", "progress_pct": "35", "progress_text": "桩基"}
    report = reporter.patch(url(infra_report), body, format="json").json()
    report = reporter.post(
        url(infra_report, "submit"), {"version": report["version"]}, format="json"
    ).json()
    assert report["status"] == "submitted"

    report = officer.post(
        url(infra_report, "return"),
        {"comment": "请补充形象进度", "version": report["version"]},
        format="json",
    ).json()
    assert (report["status"], report["review_comment"]) == ("returned", "请补充形象进度")

    body = {"version": report["version"], "progress_text": "桩基完成六成，承台开始施工"}
    report = reporter.post(url(infra_report, "submit"), body, format="json").json()
    assert report["status"] == "submitted"

    response = officer.post(
        url(infra_report, "accept"), {"version": report["version"]}, format="json"
    )
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "accepted"
    assert report["reviewed_by"] == "officer"
    assert report["progress_text"] == "桩基完成六成，承台开始施工"
    assert report["ytd_investment"] == "800000.00"
    steps = [
        (e["action"], e["actor"], e["comment"]) for e in report["events"] if e["action"] != "save"
    ]
    assert steps == [
        ("submit", "reporter", ""),
        ("return", "officer", "请补充形象进度"),
        ("resubmit", "reporter", ""),
        ("accept", "officer", ""),
    ]
    # Accepted: locked for the subsidiary.
    locked = reporter.patch(
        url(infra_report), {"version": report["version"], "investment": "1"}, format="json"
    )
    assert locked.status_code == 400


def test_accepting_records_the_milestones_reported_reached(api_for, infra_project, infra_report):
    milestone = MilestoneFactory(project=infra_project)
    body = {"version": 1, "milestones_reached": [milestone.pk]}
    submitted = api_for("reporter").post(url(infra_report, "submit"), body, format="json")
    assert submitted.status_code == 200
    assert (
        api_for("officer").post(url(infra_report, "accept"), {}, format="json").status_code == 200
    )
    milestone.refresh_from_db()
    assert milestone.actual_date == datetime.date(2026, 10, 31)  # the period's end


def test_it_records_the_api_caller_in_the_history(api_for, personas, infra_report):
    api_for("manager").patch(url(infra_report), {"version": 1, "investment": "5"}, format="json")
    assert infra_report.history.first().history_user == personas["manager"]


# --- parity with the web form's service ----------------------------------------------------------


def test_a_patch_stores_what_the_web_forms_service_stores(api_for, personas, orgs, october):
    through_api = ProgressReportFactory(project=ProjectFactory(owner=orgs["infra"]), period=october)
    through_service = ProgressReportFactory(
        project=ProjectFactory(owner=orgs["infra"]), period=october
    )
    api_milestone = MilestoneFactory(project=through_api.project, name="桩基完成")
    service_milestone = MilestoneFactory(project=through_service.project, name="桩基完成")
    fields = {
        "investment": "1234567.89",
        "progress_text": "主线桥桩基完成",
        "progress_pct": "55.50",
        "next_steps": "承台施工",
        "explanation": "",
    }
    problem = {
        "description": "管线迁改滞后",
        "responsible_unit": "区城管局",
        "responsible_person": "李工",
        "deadline": "2026-12-01",
        "status": "open",
        "resolution": "",
    }
    coordination = {"subject": "协调交通导改", "detail": "需交警支队审批"}

    response = api_for("reporter").patch(
        url(through_api),
        {
            "version": 1,
            **fields,
            "problems": [problem],
            "coordination": [coordination],
            "milestones_reached": [api_milestone.pk],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    services.report_save(
        actor=personas["reporter"],
        report=fresh(through_service),
        version=1,
        data=ReportInput(
            fields={
                **fields,
                "investment": Decimal(fields["investment"]),
                "progress_pct": Decimal(fields["progress_pct"]),
            },
            problems=[{**problem, "deadline": datetime.date(2026, 12, 1)}],
            coordination=[coordination],
            milestones=[service_milestone],
        ),
    )

    def stored(report):
        report = ProgressReport.objects.get(pk=report.pk)
        return {
            "report": {
                name: getattr(report, name)
                for name in [*services.REPORT_FIELDS, "status", "version"]
            },
            "problems": list(report.problems.values(*services.PROBLEM_FIELDS)),
            "coordination": list(report.coordination_items.values("subject", "detail", "status")),
            "milestones": list(report.milestones_reached.values_list("name", flat=True)),
            "events": list(report.events.values_list("action", "actor__username")),
        }

    assert stored(through_api) == stored(through_service)
    assert stored(through_api)["report"]["investment"] == Decimal("1234567.89")


# --- coordination items --------------------------------------------------------------------------


@pytest.fixture
def item(infra_report):
    return CoordinationItem.objects.create(
        report=infra_report, project=infra_report.project, subject="协调管线迁改"
    )


@pytest.mark.parametrize("persona", ALL)
def test_it_lists_only_coordination_items_in_scope(api_for, persona, item, housing_report):
    CoordinationItem.objects.create(
        report=housing_report, project=housing_report.project, subject="协调土地"
    )
    response = api_for(persona).get(ITEMS)
    assert response.status_code == 200
    assert {row["project"] for row in response.json()["results"]} == visible_codes(persona)


@pytest.mark.parametrize("persona", ALL)
def test_it_lets_only_the_centre_answer(api_for, personas, persona, item):
    response = api_for(persona).post(
        item_url(item, "answer"), {"comment": "已协调燃气公司"}, format="json"
    )
    expected = expected_status(persona, REVIEWERS)
    assert response.status_code == expected, response.content
    item.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == item.status == CoordinationStatus.ANSWERED
        assert response.json()["answered_by"] == persona
        assert item.answer == "已协调燃气公司"
    else:
        assert response.json()["detail"]
        assert item.status == CoordinationStatus.OPEN


@pytest.mark.parametrize("persona", ALL)
def test_it_lets_the_centre_and_the_subsidiary_close_an_answered_item(
    api_for, personas, persona, item
):
    services.coordination_answer(actor=personas["officer"], item=item, answer="已协调")
    response = api_for(persona).post(item_url(item, "close"))
    expected = expected_status(persona, REVIEWERS | FILLERS)
    assert response.status_code == expected, response.content
    item.refresh_from_db()
    closed = CoordinationStatus.CLOSED if expected == 200 else CoordinationStatus.ANSWERED
    assert item.status == closed


def test_coordination_steps_from_the_wrong_state_answer_400(api_for, personas, item):
    expected = service_refusal(
        lambda: services.coordination_close(actor=personas["officer"], item=item)
    )
    response = api_for("reporter").post(item_url(item, "close"))
    assert (response.status_code, response.json()) == (400, expected)
    blank = api_for("officer").post(item_url(item, "answer"), {"comment": " "}, format="json")
    assert blank.status_code == 400
    assert blank.json() == service_refusal(
        lambda: services.coordination_answer(actor=personas["officer"], item=item, answer=" ")
    )
    assert api_for("officer").post(item_url(item, "answer"), {}, format="json").json()["comment"]
    services.coordination_answer(actor=personas["officer"], item=item, answer="已协调")
    services.coordination_close(actor=personas["officer"], item=item)
    again = api_for("officer").post(item_url(item, "answer"), {"comment": "再答"}, format="json")
    assert again.status_code == 400
    assert again.json()["non_field_errors"]


def test_an_item_raised_in_a_patch_is_answered_and_closed(api_for, infra_report):
    body = {"version": 1, "coordination": [{"subject": "协调交通导改"}]}
    raised = api_for("reporter").patch(url(infra_report), body, format="json").json()
    item_id = raised["coordination_items"][0]["id"]
    item = CoordinationItem.objects.get(pk=item_id)
    assert api_for("reporter").get(item_url(item)).json()["period"] == "2026-10"
    api_for("officer").post(item_url(item, "answer"), {"comment": "已报交警支队"}, format="json")
    closed = api_for("reporter").post(item_url(item, "close")).json()
    assert (closed["status"], closed["answer"], closed["answered_by"]) == (
        "closed",
        "已报交警支队",
        "officer",
    )
    detail = api_for("reporter").get(url(infra_report)).json()
    assert detail["coordination_items"][0]["status"] == "closed"
