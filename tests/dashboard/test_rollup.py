"""The rollups against the records: a full run equals a recomputation in plain Python, twice the
same, all or nothing when a run breaks half way, incremental runs equal a full one, the queue
fed by the records' changes, the run log administrators read, and the command."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from dashboard import rollup, services
from dashboard.models import OrgMonth, OrgYear, PendingRollup, ProjectYear, Rag, RollupRun
from projects.models import AnnualPlan, Project
from reporting import services as reporting_services
from reporting.choices import ReportStatus
from reporting.models import ProgressReport
from tests.dashboard import recompute
from tests.dashboard.conftest import TODAY, build_group, dump_all, plan, report
from tests.factories import ProjectFactory

D = Decimal


def queued() -> set[str]:
    return set(PendingRollup.objects.values_list("project__code", flat=True))


def runs(kind=None) -> list[RollupRun]:
    found = RollupRun.objects.order_by("started_at", "pk")
    return list(found.filter(kind=kind) if kind else found)


def org_year(org, year, category, is_key=False) -> OrgYear:
    return OrgYear.objects.get(organisation=org, year=year, category=category, is_key=is_key)


# --- a full run -------------------------------------------------------------------------------


def test_a_full_rollup_equals_a_recomputation_from_the_records(group, today):
    run = services.rollup_full(today)
    assert (run.status, run.kind, run.projects, run.as_of) == (
        RollupRun.Status.OK, RollupRun.Kind.FULL, 7, today)  # fmt: skip
    recompute.assert_rollups_match_records(today)
    # The colours derived by hand in the data set (tests/dashboard/conftest.py).
    colours = dict(ProjectYear.objects.filter(year=2026).values_list("project__code", "rag"))
    assert colours == group.rag_2026
    this_year = ProjectYear.objects.filter(year=2026)
    causes = {code: [c["rule"] for c in found]
              for code, found in this_year.values_list("project__code", "causes")}  # fmt: skip
    assert causes == {
        "JC-A": [], "JC-B": ["investment_lag", "milestone_late", "report_late"],
        "JC-C": ["report_late"], "BZ-A": ["investment_lag"], "BZ-B": ["start_missed"],
        "BZ-D": ["milestone_late"],
    }  # fmt: skip
    # Years: JC-A planned 2025 to 2027; BZ-C finished in 2025 has no 2026 row.
    assert set(ProjectYear.objects.values_list("project__code", "year")) == {
        ("JC-A", 2025), ("JC-A", 2026), ("JC-A", 2027), ("JC-B", 2026), ("JC-C", 2026),
        ("BZ-A", 2026), ("BZ-B", 2026), ("BZ-C", 2025), ("BZ-D", 2026),
    }  # fmt: skip


def test_a_few_figures_by_hand(group, today, orgs):
    """The sums the data set's comments add up, against the organisation rows."""
    services.rollup_full(today)
    infra = OrgYear.objects.filter(organisation=orgs["infra"], year=2026)
    assert sum(c.planned for c in infra) == D("80000000")  # 30m + 40m + 10m
    assert sum(c.completed_ytd for c in infra) == D("54300000.25")  # 26m + 20,300,000.25 + 8m
    assert sum(c.projects for c in infra) == 3
    housing = OrgYear.objects.filter(organisation=orgs["housing"], year=2026)
    assert sum(c.completed_ytd for c in housing) == D("36000000")  # BZ-A 35m, BZ-D 1m
    assert sum(c.completed_cumulative for c in housing) == D("48345678.90")  # + 12,345,678.90
    a = ProjectYear.objects.get(project=group["JC-A"], year=2026)
    assert a.completed_cumulative == D("36500000.50")  # 5m + 5,500,000.50 + 26m
    assert (a.completion_pct, a.pace) == (D("86.67"), "ahead")
    b = ProjectYear.objects.get(project=group["JC-B"], year=2026)
    assert (b.m10, b.m11) == (D("2000000.25"), D("300000"))  # ten-day forms in their month
    october = OrgMonth.objects.get(organisation=orgs["infra"], year=2026, month=10,
                                   category="bridge", is_key=True)  # fmt: skip
    assert (october.completed, october.completed_ytd) == (D("2000000.25"), D("20000000.25"))
    key_housing = org_year(orgs["housing"], 2026, "park", is_key=True)
    assert key_housing.measures == {"milestones_open": 1, "milestones_overdue": 1}


def test_running_twice_gives_the_same_rows(group, today):
    services.rollup_full(today)
    once = dump_all()
    services.rollup_full(today)
    assert dump_all() == once
    services.rollup_projects(Project.objects.values_list("pk", flat=True), today)
    assert dump_all() == once
    assert len(runs()) == 3 and all(r.status == RollupRun.Status.OK for r in runs())


def test_the_aggregate_over_the_reports_counts_what_the_rollup_stores(group, today):
    services.rollup_full(today)
    accepted = ProgressReport.objects.filter(status=ReportStatus.ACCEPTED)
    total = sum(r.investment for r in accepted)
    # Per project, year and month: the grain of ProjectYear's month columns.
    project_months = {(r.project_id, r.period.year, r.period.month) for r in accepted}
    assert rollup.equivalent_aggregate() == (len(project_months), total)
    rows = ProjectYear.objects.all()
    assert sum(getattr(r, f"m{m:02d}") for r in rows for m in range(1, 13)) == total
    # Per subsidiary, year, month, category and key flag: the month rows of the cockpit.
    months = OrgMonth.objects.exclude(completed=0)
    assert rollup.equivalent_aggregate("organisation") == (months.count(), total)
    assert sum(c.completed for c in months) == total


def test_a_plan_in_the_wrong_unit_does_not_break_the_run(orgs, clock, today):
    # 100 yuan planned against 26 million done: a rate of 26 million per cent.
    p = ProjectFactory(owner=orgs["infra"], actual_start=datetime.date(2025, 1, 1))
    plan(p, 2026, "100")
    report(p, 2026, 3, "26000000")
    other = ProjectFactory(owner=orgs["infra"], actual_start=datetime.date(2025, 1, 1))
    plan(other, 2026, "1000")
    services.rollup_full(today)
    assert ProjectYear.objects.get(project=p).completion_pct == D("999999.99")
    assert ProjectYear.objects.get(project=other).rag == Rag.RED  # the others still rolled up


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite keeps decimals as floats of 15 digits: no amount past 2**53 fen survives it",
)
def test_amounts_past_what_a_float_adds_exactly_stay_exact(orgs, today):
    """PostgreSQL sums fen as floats, exact below 2**53 fen (90 trillion yuan); a year above it
    is summed again in integers. The largest amount a report holds, to the fen."""
    huge = ProjectFactory(owner=orgs["infra"], actual_start=datetime.date(2025, 1, 1),
                          opening_investment=0)  # fmt: skip
    report(huge, 2026, 3, "99999999999999.99")
    report(huge, 2026, 4, "0.01")
    usual = ProjectFactory(owner=orgs["infra"], actual_start=datetime.date(2025, 1, 1))
    report(usual, 2026, 3, "1234567.89")
    services.rollup_full(today)
    row = ProjectYear.objects.get(project=huge, year=2026)
    assert (row.m03, row.m04, row.completed_ytd) == (
        D("99999999999999.99"), D("0.01"), D("100000000000000.00"))  # fmt: skip
    assert ProjectYear.objects.get(project=usual, year=2026).m03 == D("1234567.89")
    recompute.assert_rollups_match_records(today)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite keeps decimals as floats of 15 digits: no amount near 2**53 fen survives it",
)
def test_sums_just_under_what_a_float_adds_exactly_stay_floats_and_exact(orgs, today, monkeypatch):
    """2**53 - 1 fen in one month, from two reports (a month's and a ten-day part's): the
    floats add it exactly, and the rollup keeps them (one computation, no second in integers)."""
    project = ProjectFactory(owner=orgs["infra"], actual_start=datetime.date(2025, 1, 1),
                             opening_investment=0)  # fmt: skip
    report(project, 2026, 3, "45035996273704.95")
    report(project, 2026, 3, "45035996273704.96", part=1)
    passes = []
    real = rollup._new_figures
    monkeypatch.setattr(rollup, "_new_figures",
                        lambda *a, **k: passes.append(k["floats"]) or real(*a, **k))  # fmt: skip
    services.rollup_full(today)
    assert passes == [True]
    row = ProjectYear.objects.get(project=project, year=2026)
    assert (row.m03, row.completed_ytd) == (D("90071992547409.91"), D("90071992547409.91"))
    report(project, 2026, 4, "0.01")  # 2**53 fen: summed again, in integers
    passes.clear()
    services.rollup_full(today)
    assert passes == [True, False]
    row = ProjectYear.objects.get(project=project, year=2026)
    assert (row.m04, row.completed_ytd) == (D("0.01"), D("90071992547409.92"))


def test_a_finished_project_that_spent_less_than_planned_is_not_lagging(orgs, today):
    # Completed in October with 40% of the year's plan spent: a saving, not a lag; its colour
    # and its pace agree. A running project with the same figures is lagging.
    done = ProjectFactory(owner=orgs["infra"], stage="completed",
                          actual_start=datetime.date(2025, 1, 1),
                          actual_finish=datetime.date(2026, 10, 15))  # fmt: skip
    running = ProjectFactory(owner=orgs["infra"], stage="construction",
                             actual_start=datetime.date(2025, 1, 1))  # fmt: skip
    for project in (done, running):
        plan(project, 2026, "10000000")
        report(project, 2026, 3, "4000000")
    services.rollup_full(today)
    rows = {row.project_id: row for row in ProjectYear.objects.filter(year=2026)}
    assert rows[done.pk].pace == "on_track"
    assert rows[running.pk].pace == "lagging"
    recompute.assert_rollups_match_records(today)  # the independent recomputation agrees


# --- a run broken half way --------------------------------------------------------------------


def change_records(group):
    """Changes a rerun must pick up: a new accepted report, a changed plan, a new project."""
    accepted = ProgressReport.objects.get(project=group["JC-C"], period__month=9)
    accepted.status = ReportStatus.ACCEPTED
    accepted.save()
    changed = AnnualPlan.objects.get(project=group["BZ-A"], year=2026)
    changed.planned_investment = D("40000000")
    changed.save()
    ProjectFactory(code="JC-NEW", owner=group["JC-A"].owner, actual_start=TODAY)


def crash_after(monkeypatch, statements: int):
    """Make the rollup raise right after its n-th SQL statement ran."""
    real, count = rollup._execute, [0]

    def execute(sql, params=()):
        result = real(sql, params)
        count[0] += 1
        if count[0] == statements:
            raise RuntimeError(f"worker killed after statement {statements}")
        return result

    monkeypatch.setattr(rollup, "_execute", execute)
    return count


def statements_of_a_full_run(monkeypatch, today) -> int:
    count = crash_after(monkeypatch, 10**6)
    services.rollup_full(today)
    monkeypatch.undo()
    return count[0]


@pytest.mark.parametrize("after", [1, 2, 3, "last"])
def test_a_run_broken_half_way_leaves_the_tables_as_they_were(
    group, today, clock, monkeypatch, after
):
    services.rollup_full(today)
    total = statements_of_a_full_run(monkeypatch, today)
    clock.shift(datetime.timedelta(minutes=1))
    assert total >= 4  # temporary table dropped, new figures, delete, update (+ insert, colours)
    change_records(group)
    PendingRollup.objects.create(project=group["JC-C"])
    before = dump_all()
    crash_after(monkeypatch, total if after == "last" else after)
    with pytest.raises(RuntimeError):
        services.rollup_full(today)
    assert dump_all() == before  # nothing half written, the queue kept
    failed = runs()[-1]
    assert failed.status == RollupRun.Status.FAILED
    assert "RuntimeError: worker killed after statement" in failed.error
    assert failed.finished_at is not None
    assert services.failed_runs() == [failed]
    monkeypatch.undo()
    services.rollup_full(today)  # the rerun
    recompute.assert_rollups_match_records(today)
    assert queued() == set()
    assert services.failed_runs() == []


def test_a_colour_step_that_breaks_rolls_back_the_sums_already_written(group, today, monkeypatch):
    services.rollup_full(today)
    change_records(group)
    before = dump_all()

    def broken(ids, today):
        raise ValueError("a provider failed")

    monkeypatch.setattr(rollup, "_assess_current_year", broken)
    with pytest.raises(ValueError):
        services.rollup_full(today)
    assert dump_all() == before
    assert "ValueError: a provider failed" in runs()[-1].error


def test_a_broken_incremental_run_keeps_the_queue(group, today, monkeypatch):
    services.rollup_full(today)
    change_records(group)
    for code in ("JC-C", "BZ-A"):
        PendingRollup.objects.create(project=group[code])
    before = dump_all()
    crash_after(monkeypatch, 4)
    with pytest.raises(RuntimeError):
        services.run_pending(today)
    assert dump_all() == before
    assert queued() == {"JC-C", "BZ-A"}
    assert runs()[-1].kind == RollupRun.Kind.PROJECTS
    monkeypatch.undo()
    services.run_pending(today)
    assert queued() == set()
    # Only the queued projects were redone; JC-NEW waits for its own change or the full run.
    new = ProjectYear.objects.filter(project__code="JC-NEW")
    assert not new.exists()
    services.rollup_projects([Project.objects.get(code="JC-NEW").pk], today)
    recompute.assert_rollups_match_records(today)


@pytest.mark.django_db(transaction=True)
def test_a_broken_run_rolls_back_in_a_real_transaction(orgs, clock, today, monkeypatch):
    """The same without the test's surrounding transaction: the run's own transaction is all
    there is, as in a worker. The failure itself is recorded outside it and stays."""
    cache.set(services.SCHEDULED_KEY, 1)  # every save commits here: let the changes queue
    group = build_group(orgs)
    services.rollup_full(today)
    change_records(group)
    assert "JC-NEW" in queued()
    before = dump_all()
    crash_after(monkeypatch, 4)  # after the new figures were written, before the colours
    with pytest.raises(RuntimeError):
        services.rollup_full(today)
    assert dump_all() == before
    assert RollupRun.objects.get(status=RollupRun.Status.FAILED).error
    monkeypatch.undo()
    services.run_pending(today)
    assert queued() == set()
    recompute.assert_rollups_match_records(today)


# --- incremental runs -------------------------------------------------------------------------


def test_changed_projects_rolled_up_alone_equal_a_full_recompute(group, today, personas):
    services.rollup_full(today)
    officer = personas["officer"]
    submitted = ProgressReport.objects.get(project=group["JC-C"], period__month=9)
    reporting_services.report_accept(actor=officer, report=submitted, today=today)
    october = ProgressReport.objects.get(project=group["JC-A"], period__year=2026,
                                         period__month=10)  # fmt: skip
    reporting_services.report_reopen(actor=officer, report=october, reason="数据有误")
    AnnualPlan.objects.filter(project=group["BZ-A"], year=2026).update(
        planned_investment=D("36000000"))  # 35m of 36m: no longer behind  # fmt: skip
    AnnualPlan.objects.filter(project=group["JC-A"], year=2027).delete()
    Project.objects.filter(pk=group["BZ-D"].pk).update(is_key=False, category="river")
    changed = [group[code].pk for code in ("JC-C", "JC-A", "BZ-A", "BZ-D")]

    services.rollup_projects(changed, today)
    incremental = dump_all()
    recompute.assert_rollups_match_records(today)
    assert not ProjectYear.objects.filter(project=group["JC-A"], year=2027).exists()
    assert not OrgYear.objects.filter(year=2027).exists()
    assert ProjectYear.objects.get(project=group["BZ-A"], year=2026).rag == Rag.GREEN
    assert ProjectYear.objects.get(project=group["JC-C"], year=2026).completed_ytd == D("9000000")
    services.rollup_full(today)
    assert dump_all() == incremental


def test_a_project_handed_to_another_subsidiary_moves_in_both(group, today, orgs):
    services.rollup_full(today)
    a = group["JC-A"]  # infra's only road project, with rows for 2025, 2026 and 2027
    a.owner = orgs["housing"]
    a.save()
    services.rollup_projects([a.pk], today)
    recompute.assert_rollups_match_records(today)
    assert not OrgYear.objects.filter(organisation=orgs["infra"], year__in=[2025, 2027]).exists()
    assert not OrgMonth.objects.filter(organisation=orgs["infra"], category="road").exists()
    moved = org_year(orgs["housing"], 2026, "road", is_key=True)
    assert (moved.projects, moved.completed_ytd, moved.rag_green) == (1, D("26000000"), 1)
    assert set(OrgYear.objects.filter(organisation=orgs["housing"], year=2025)
               .values_list("category", flat=True)) == {"school", "road"}  # fmt: skip
    incremental = dump_all()
    services.rollup_full(today)
    assert dump_all() == incremental


def test_a_deleted_project_leaves_its_subsidiary_after_commit(
    group, today, orgs, django_capture_on_commit_callbacks
):
    services.rollup_full(today)
    with django_capture_on_commit_callbacks(execute=True):
        group["BZ-B"].delete()
    recompute.assert_rollups_match_records(today)
    assert org_year(orgs["housing"], 2026, "affordable_housing").projects == 1
    assert runs()[-1].kind == RollupRun.Kind.ORGANISATIONS
    with django_capture_on_commit_callbacks(execute=True):
        ProgressReport.objects.filter(project=group["BZ-C"]).delete()
        group["BZ-C"].delete()  # housing's only 2025 project: its 2025 rows go
    recompute.assert_rollups_match_records(today)
    assert not OrgYear.objects.filter(year=2025, organisation=orgs["housing"]).exists()
    assert not OrgMonth.objects.filter(year=2025, organisation=orgs["housing"]).exists()


# --- the queue --------------------------------------------------------------------------------


def test_saving_a_plan_queues_the_project_and_the_task_rolls_it_up(
    group, today, orgs, django_capture_on_commit_callbacks
):
    services.rollup_full(today)
    assert org_year(orgs["housing"], 2026, "affordable_housing").planned == D("50000000")
    with django_capture_on_commit_callbacks(execute=True):
        plan(group["BZ-B"], 2026, "5000000")
    # Celery runs in-process in tests: the task ran after commit and emptied the queue.
    assert queued() == set()
    last = runs(RollupRun.Kind.PROJECTS)
    assert [(r.status, r.projects) for r in last] == [(RollupRun.Status.OK, 1)]
    assert ProjectYear.objects.get(project=group["BZ-B"], year=2026).planned == D("5000000")
    assert org_year(orgs["housing"], 2026, "affordable_housing").planned == D("55000000")
    recompute.assert_rollups_match_records(today)


def test_accepting_a_report_updates_the_figures(
    group, today, personas, django_capture_on_commit_callbacks
):
    services.rollup_full(today)
    report = ProgressReport.objects.get(project=group["JC-C"], period__month=9)
    with django_capture_on_commit_callbacks(execute=True):
        reporting_services.report_accept(actor=personas["officer"], report=report, today=today)
    row = ProjectYear.objects.get(project=group["JC-C"], year=2026)
    assert (row.completed_ytd, row.m09, row.pace) == (D("9000000"), D("1000000"), "ahead")
    recompute.assert_rollups_match_records(today)
    with django_capture_on_commit_callbacks(execute=True):
        reporting_services.report_reopen(actor=personas["officer"], report=report, reason="有误")
    row = ProjectYear.objects.get(project=group["JC-C"], year=2026)  # rows are rewritten
    assert row.completed_ytd == D("8000000")


def test_a_change_not_committed_is_not_queued(group, today, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                plan(group["BZ-B"], 2026, "5000000")
                raise RuntimeError("form invalid")
        except RuntimeError:
            pass
    assert callbacks == []
    assert queued() == set() and runs() == []


def test_a_change_waits_in_the_queue_while_a_run_is_scheduled(
    group, today, django_capture_on_commit_callbacks
):
    services.rollup_full(today)
    cache.set(services.SCHEDULED_KEY, 1)  # a run is on its way (in a worker, in 2 seconds)
    with django_capture_on_commit_callbacks(execute=True):
        plan(group["BZ-B"], 2026, "5000000")
    assert queued() == {"BZ-B"}
    assert ProjectYear.objects.get(project=group["BZ-B"], year=2026).planned == 0
    run = services.run_pending(today)
    assert (run.status, run.projects) == (RollupRun.Status.OK, 1)
    assert queued() == set()
    assert ProjectYear.objects.get(project=group["BZ-B"], year=2026).planned == D("5000000")


def test_many_changes_in_one_transaction_are_queued_once(
    group, today, monkeypatch, django_capture_on_commit_callbacks
):
    services.rollup_full(today)
    calls = []
    real = services.enqueue
    monkeypatch.setattr(services, "enqueue", lambda ids: (calls.append(list(ids)), real(ids)))
    codes = ["JC-A", "JC-B", "JC-C", "BZ-A", "BZ-B"]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for code in codes:
            AnnualPlan.objects.update_or_create(
                project=group[code], year=2026, defaults={"planned_investment": D("1000000")}
            )
        for r in ProgressReport.objects.filter(project__in=[group[c] for c in codes]):
            r.save()  # an Excel batch touching every form
    assert calls == [sorted(group[c].pk for c in codes)]
    assert [r.projects for r in runs(RollupRun.Kind.PROJECTS)] == [5]
    recompute.assert_rollups_match_records(today)


def test_run_pending_drains_the_queue_and_keeps_a_project_queued_meanwhile(
    group, today, clock, monkeypatch
):
    services.rollup_full(today)
    for code in ("JC-A", "BZ-A"):
        PendingRollup.objects.create(project=group[code])
    real, calls = rollup.write, []

    def write(ids, day):
        calls.append(sorted(ids))
        if len(calls) == 1:  # JC-A changes again while the first batch runs
            clock.shift(datetime.timedelta(seconds=1))
            PendingRollup.objects.filter(project=group["JC-A"]).update(queued_at=timezone.now())
        return real(ids, day)

    monkeypatch.setattr(rollup, "write", write)
    services.run_pending(today)
    assert calls == [sorted([group["JC-A"].pk, group["BZ-A"].pk]), [group["JC-A"].pk]]
    assert queued() == set()


def test_run_pending_works_in_batches(group, today, monkeypatch):
    monkeypatch.setattr(services, "PENDING_BATCH", 2)
    for project in group.projects.values():
        PendingRollup.objects.create(project=project)
    services.run_pending(today)
    assert [r.projects for r in runs(RollupRun.Kind.PROJECTS)] == [2, 2, 2, 1]
    assert queued() == set()
    recompute.assert_rollups_match_records(today)


def test_a_full_run_empties_what_was_queued_before_it(group, today, clock):
    PendingRollup.objects.create(project=group["JC-A"])
    services.rollup_full(today)
    assert queued() == set()


# --- what administrators see --------------------------------------------------------------------


def test_failed_and_stale_runs_show_until_a_later_full_run(group, today, clock, monkeypatch):
    services.rollup_full(today)
    clock.shift(datetime.timedelta(minutes=40))
    crash_after(monkeypatch, 3)
    with pytest.raises(RuntimeError):
        services.rollup_projects([group["JC-A"].pk], today)
    monkeypatch.undo()
    failed = runs()[-1]
    now = timezone.now()
    stale = RollupRun.objects.create(kind=RollupRun.Kind.FULL, as_of=today,
                                     started_at=now - datetime.timedelta(minutes=31))  # fmt: skip
    running = RollupRun.objects.create(kind=RollupRun.Kind.PROJECTS, as_of=today,
                                       started_at=now - datetime.timedelta(minutes=29))  # fmt: skip
    assert services.failed_runs() == [failed, stale]
    clock.shift(datetime.timedelta(minutes=2))  # the other has now run for 31 minutes
    services.rollup_projects([group["JC-A"].pk], today)  # an incremental run is not enough
    assert services.failed_runs() == [failed, running, stale]
    clock.shift(datetime.timedelta(minutes=5))
    services.rollup_full(today)
    assert services.failed_runs() == []
    assert services.data_as_of() == timezone.now()


def test_data_as_of_is_the_last_successful_run(group, today, clock, monkeypatch):
    assert services.data_as_of() is None
    services.rollup_full(today)
    finished = timezone.now()
    clock.shift(datetime.timedelta(hours=1))
    crash_after(monkeypatch, 2)
    with pytest.raises(RuntimeError):
        services.rollup_full(today)
    assert services.data_as_of() == finished


# --- the command ----------------------------------------------------------------------------------


def test_the_rollup_command_recomputes_everything(group, today):
    out = io.StringIO()
    call_command("rollup", "--today", "2026-11-23", stdout=out)
    assert "Rollup done: 7 projects" in out.getvalue()
    recompute.assert_rollups_match_records(today)
    assert runs()[-1].kind == RollupRun.Kind.FULL


def test_the_rollup_command_runs_the_queue(group, today):
    services.rollup_full(today)
    plan(group["BZ-B"], 2026, "5000000")
    PendingRollup.objects.create(project=group["BZ-B"])
    out = io.StringIO()
    call_command("rollup", "--pending", stdout=out)  # today from the frozen clock
    assert "Rollup done: 1 projects" in out.getvalue()
    assert queued() == set()
    recompute.assert_rollups_match_records(today)
    out = io.StringIO()
    call_command("rollup", "--pending", stdout=out)
    assert "Rollup done: 0 projects" in out.getvalue()
