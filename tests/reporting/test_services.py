"""The reporting workflow and rules, at the service layer every entry point shares."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects.choices import Stage
from reporting import selectors, services
from reporting.choices import PeriodKind, ReportAction, ReportStatus
from reporting.models import ProgressReport, ReportingPeriod
from reporting.services import ConflictError, ReportInput
from tests.factories import (
    MilestoneFactory,
    ProgressReportFactory,
    ProjectFactory,
    ReportingPeriodFactory,
)

TODAY = datetime.date(2026, 11, 20)


def save(report, actor, version=None, today=TODAY, **fields):
    return services.report_save(actor=actor, report=report,
                                version=report.version if version is None else version,
                                data=ReportInput(fields=fields), today=today)  # fmt: skip


def test_the_full_workflow_records_who_did_what(infra_report, personas, nov_20):
    reporter, officer = personas["reporter"], personas["officer"]
    save(infra_report, reporter, investment=Decimal("2000000"), progress_pct=Decimal("40"))
    services.report_submit(actor=reporter, report=infra_report, version=infra_report.version)
    services.report_return(actor=officer, report=infra_report, comment="请补充形象进度说明")
    assert infra_report.status == ReportStatus.RETURNED
    save(infra_report, reporter, progress_text="主体结构施工至5层")
    services.report_submit(actor=reporter, report=infra_report, version=infra_report.version)
    services.report_accept(actor=officer, report=infra_report)
    infra_report.refresh_from_db()
    assert infra_report.status == ReportStatus.ACCEPTED
    assert [(e.action, e.actor.username, e.comment) for e in infra_report.events.all()] == [
        (ReportAction.SAVE, "reporter", ""), (ReportAction.SUBMIT, "reporter", ""),
        (ReportAction.RETURN, "officer", "请补充形象进度说明"), (ReportAction.SAVE, "reporter", ""),
        (ReportAction.RESUBMIT, "reporter", ""), (ReportAction.ACCEPT, "officer", ""),
    ]  # fmt: skip
    assert infra_report.history.first().history_user == officer


def test_a_manager_may_submit_on_the_reporters_behalf(infra_report, personas, nov_20):
    services.report_submit(actor=personas["manager"], report=infra_report, version=1)
    assert infra_report.submitted_by == personas["manager"]


@pytest.mark.parametrize(("status", "step"), [
    (ReportStatus.SUBMITTED, "save"), (ReportStatus.ACCEPTED, "save"),
    (ReportStatus.ACCEPTED, "submit"), (ReportStatus.DRAFT, "return"),
    (ReportStatus.DRAFT, "accept"), (ReportStatus.RETURNED, "accept"),
    (ReportStatus.SUBMITTED, "reopen"),
])  # fmt: skip
def test_each_step_is_refused_from_the_wrong_state(infra_report, personas, status, step, nov_20):
    ProgressReport.objects.filter(pk=infra_report.pk).update(status=status)
    infra_report.refresh_from_db()
    officer = personas["officer"]
    calls = {
        "save": lambda: save(infra_report, personas["reporter"], investment=Decimal(1)),
        "submit": lambda: services.report_submit(actor=personas["reporter"], report=infra_report,
                                                 version=infra_report.version),
        "return": lambda: services.report_return(actor=officer, report=infra_report, comment="x"),
        "accept": lambda: services.report_accept(actor=officer, report=infra_report),
        "reopen": lambda: services.report_reopen(actor=officer, report=infra_report, reason="x"),
    }  # fmt: skip
    with pytest.raises(ValidationError) as info:
        calls[step]()
    assert "can no longer be changed" in str(info.value) or "不能" in str(info.value)
    infra_report.refresh_from_db()
    assert infra_report.status == status


def test_the_second_of_two_savers_gets_a_conflict_and_nothing_is_overwritten(
    infra_report, personas, nov_20
):
    first = ProgressReport.objects.get(pk=infra_report.pk)
    second = ProgressReport.objects.get(pk=infra_report.pk)
    save(first, personas["reporter"], investment=Decimal("1000000"))
    with pytest.raises(ConflictError) as info:
        save(second, personas["manager"], version=1, investment=Decimal("9000000"))
    assert personas["reporter"].name in info.value.messages[0]
    infra_report.refresh_from_db()
    assert infra_report.investment == Decimal("1000000")
    assert infra_report.version == 2


def test_two_reviewers_cannot_both_decide(infra_report, personas, nov_20):
    services.report_submit(actor=personas["reporter"], report=infra_report, version=1)
    seen_by_a = ProgressReport.objects.get(pk=infra_report.pk)
    seen_by_b = ProgressReport.objects.get(pk=infra_report.pk)
    services.report_accept(actor=personas["officer"], report=seen_by_a, version=seen_by_a.version)
    with pytest.raises(ValidationError):
        services.report_return(
            actor=personas["admin"], report=seen_by_b, comment="退回", version=seen_by_b.version
        )
    assert ProgressReport.objects.get(pk=infra_report.pk).status == ReportStatus.ACCEPTED


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"investment": Decimal("-1")}, "investment", "negative"),
    ({"progress_pct": Decimal("101")}, "progress_pct", "between 0 and 100"),
    ({"progress_pct": Decimal("-3")}, "progress_pct", "between 0 and 100"),
    ({"investment": Decimal("31000000")}, "investment", "passes the annual plan"),
])  # fmt: skip
def test_the_reporting_rules(infra_report, personas, fields, field, words, settings, nov_20):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ValidationError) as info:
        save(infra_report, personas["reporter"], **fields)
    assert words in " ".join(info.value.message_dict[field])
    assert ProgressReport.objects.get(pk=infra_report.pk).version == 1  # nothing saved


def test_the_database_refuses_a_negative_investment_whatever_the_path(infra_report):
    """The forms refuse it first; the constraint holds for every other path (a script, a
    queryset update), and the rollup's exact float sums rely on it (dashboard.rollup)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressReport.objects.filter(pk=infra_report.pk).update(investment=Decimal("-0.01"))
    infra_report.investment = Decimal("-5")
    with pytest.raises(ValidationError) as info:
        infra_report.full_clean()
    assert list(info.value.message_dict) == ["investment"]  # once, next to its field


def test_over_the_annual_plan_is_allowed_with_an_explanation(infra_report, personas, nov_20):
    earlier = ReportingPeriodFactory(year=2026, month=9)
    ProgressReportFactory(
        project=infra_report.project,
        period=earlier,
        status=ReportStatus.ACCEPTED,
        investment=Decimal("25000000"),
    )
    with pytest.raises(ValidationError) as info:  # 25 m + 6 m passes the 30 m plan
        save(infra_report, personas["reporter"], investment=Decimal("6000000"))
    assert "3,100.00" in info.value.message_dict["investment"][0]
    save(
        infra_report,
        personas["reporter"],
        investment=Decimal("6000000"),
        explanation="抢抓施工黄金期，提前完成部分明年计划",
    )
    figures = selectors.with_figures(ProgressReport.objects.filter(pk=infra_report.pk)).get()
    assert figures.ytd_investment == Decimal("31000000")


def test_progress_going_back_needs_an_explanation(infra_report, personas, nov_20):
    september = ReportingPeriodFactory(year=2026, month=9)
    ProgressReportFactory(
        project=infra_report.project,
        period=september,
        status=ReportStatus.ACCEPTED,
        progress_pct=Decimal("45"),
    )
    with pytest.raises(ValidationError) as info:
        save(infra_report, personas["reporter"], progress_pct=Decimal("40"))
    assert "45" in info.value.message_dict["progress_pct"][0]
    save(
        infra_report,
        personas["reporter"],
        progress_pct=Decimal("40"),
        explanation="上期统计口径有误，已核实更正",
    )
    assert ProgressReport.objects.get(pk=infra_report.pk).progress_pct == Decimal("40")


def test_a_period_that_has_not_started_is_refused(infra_project, personas, nov_20):
    december = ReportingPeriodFactory(year=2026, month=12)
    report = ProgressReportFactory(project=infra_project, period=december)
    with pytest.raises(ValidationError) as info:
        save(report, personas["reporter"], investment=Decimal(1))
    assert "has not started" in str(info.value) or "尚未开始" in str(info.value)


def test_figures_add_up_only_accepted_reports_and_this_one(infra_project, personas, nov_20):
    infra_project.opening_investment = Decimal("50000000")
    infra_project.save()
    for month, status, amount in [(8, ReportStatus.ACCEPTED, 1_000_000),
                                  (9, ReportStatus.SUBMITTED, 2_000_000)]:  # fmt: skip
        ProgressReportFactory(
            project=infra_project,
            status=status,
            investment=Decimal(amount),
            period=ReportingPeriodFactory(year=2026, month=month),
        )
    ProgressReportFactory(
        project=infra_project,
        status=ReportStatus.ACCEPTED,
        investment=Decimal(4_000_000),
        period=ReportingPeriodFactory(year=2025, month=12),
    )
    report = ProgressReportFactory(
        project=infra_project,
        investment=Decimal(500_000),
        period=ReportingPeriodFactory(year=2026, month=10),
    )
    row = selectors.with_figures(ProgressReport.objects.filter(pk=report.pk)).get()
    assert row.ytd_investment == Decimal("1500000.00")  # Aug accepted + Oct itself
    assert row.cumulative_investment == Decimal("55500000.00")  # + Dec 2025 + opening


def test_accepting_records_the_milestones_reached(infra_report, personas, nov_20):
    milestone = MilestoneFactory(project=infra_report.project, deadline=datetime.date(2026, 10, 15))
    services.report_save(
        actor=personas["reporter"],
        report=infra_report,
        version=1,
        data=ReportInput(fields={}, milestones=[milestone]),
        today=TODAY,
    )
    services.report_submit(actor=personas["reporter"], report=infra_report, version=2)
    services.report_accept(actor=personas["officer"], report=infra_report, today=TODAY)
    milestone.refresh_from_db()
    assert milestone.actual_date == datetime.date(2026, 10, 31)  # the end of the period


def test_reopening_needs_a_reason_and_stops_the_report_counting(infra_report, personas, nov_20):
    services.report_submit(actor=personas["reporter"], report=infra_report, version=1)
    services.report_accept(actor=personas["officer"], report=infra_report)
    with pytest.raises(ValidationError):
        services.report_reopen(actor=personas["officer"], report=infra_report, reason=" ")
    services.report_reopen(actor=personas["officer"], report=infra_report, reason="数据有误")
    assert infra_report.status == ReportStatus.RETURNED
    assert infra_report.events.last().action == ReportAction.REOPEN


def test_accepting_announces_after_commit(
    infra_report, personas, nov_20, django_capture_on_commit_callbacks
):
    received = []

    def listener(**kwargs):
        received.append(kwargs["report_id"])

    from reporting.signals import report_counted_changed

    report_counted_changed.connect(listener)
    try:
        services.report_submit(actor=personas["reporter"], report=infra_report, version=1)
        with django_capture_on_commit_callbacks(execute=True):
            services.report_accept(actor=personas["officer"], report=infra_report)
    finally:
        report_counted_changed.disconnect(listener)
    assert received == [infra_report.pk]


def test_forms_are_made_once_per_active_project_of_the_periods_kind(orgs, nov_20):
    monthly = ProjectFactory(owner=orgs["infra"])
    ten_daily = ProjectFactory(owner=orgs["infra"], reports_ten_daily=True, is_key=True)
    ProjectFactory(owner=orgs["infra"], stage=Stage.COMPLETED)
    first = services.periods_ensure(today=TODAY)
    again = services.periods_ensure(today=TODAY)
    assert first == {"2026-11": 1, "2026-11-T2": 1}
    assert again == {"2026-11": 0, "2026-11-T2": 0}
    assert set(ProgressReport.objects.values_list("project_id", "period__kind")) == {
        (monthly.pk, PeriodKind.MONTH),
        (ten_daily.pk, PeriodKind.TEN_DAY),
    }
    period = ReportingPeriod.objects.get(kind=PeriodKind.TEN_DAY)
    assert (period.start, period.end, period.due_date) == (
        datetime.date(2026, 11, 11),
        datetime.date(2026, 11, 20),
        datetime.date(2026, 11, 22),
    )


def test_a_project_switched_to_ten_days_mid_month_keeps_its_monthly_form(orgs, nov_20):
    project = ProjectFactory(owner=orgs["infra"])
    services.periods_ensure(today=TODAY)
    project.reports_ten_daily = True
    project.save()
    services.periods_ensure(today=TODAY)
    assert ProgressReport.objects.filter(project=project).count() == 1


@pytest.mark.parametrize(("day", "part", "end"), [
    (datetime.date(2026, 2, 1), 1, datetime.date(2026, 2, 10)),
    (datetime.date(2026, 2, 20), 2, datetime.date(2026, 2, 20)),
    (datetime.date(2026, 2, 21), 3, datetime.date(2026, 2, 28)),
    (datetime.date(2026, 1, 31), 3, datetime.date(2026, 1, 31)),
])  # fmt: skip
def test_ten_day_periods_split_every_month_in_three(day, part, end):
    assert services.period_bounds(PeriodKind.TEN_DAY, day)[0] == part
    assert services.period_bounds(PeriodKind.TEN_DAY, day)[2] == end
