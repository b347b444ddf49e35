"""The rollup through a real Celery worker on Redis (tests/celery_worker.py): a reviewer accepts a
report, the change is queued after commit, the worker rolls it up, and leadership's cockpit shows
the new figure; a worker killed half way through the queue, and the rollup coming back on its own
with the next worker. Skipped without REDIS_URL and PostgreSQL; CI requires it there."""

import datetime
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from dashboard import services
from dashboard.models import PendingRollup, ProjectYear, RollupLock, RollupRun
from dashboard.tasks import rollup_pending
from projects.models import Project
from reporting import services as reporting
from reporting.choices import ReportStatus
from tests.celery_worker import (
    live_celery_worker,  # noqa: F401 (a fixture)
    start_celery_worker,  # noqa: F401 (a fixture)
)
from tests.factories import (
    AnnualPlanFactory,
    OrganisationFactory,
    ProgressReportFactory,
    ProjectFactory,
    ReportingPeriodFactory,
)

WAIT = 60  # seconds for the worker to pick up the burst and roll it up
# Seconds for the next worker to bring a killed rollup back: its beat sends the first sweep a
# minute after it starts (the schedule's interval), the sweep schedules the run, the run drains.
RECOVERY = 120


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_celery_worker")
def test_accepting_a_report_changes_the_cockpit_through_a_real_worker(
    infra_project, personas, client_for
):
    today = timezone.localdate()
    month = today.month - 1 or 1  # a period that has started
    period = ReportingPeriodFactory(year=today.year, month=month)
    AnnualPlanFactory(project=infra_project, year=today.year,
                      planned_investment=Decimal("100000000"))  # fmt: skip
    report = ProgressReportFactory(project=infra_project, period=period,
                                   investment=Decimal("25000000"),
                                   status=ReportStatus.SUBMITTED)  # fmt: skip
    services.rollup_full()  # in this process: the starting point

    def completed():  # rows are rewritten by each run, so read them anew
        return ProjectYear.objects.get(project=infra_project, year=today.year).completed_ytd

    assert completed() == 0
    page = client_for("leader").get("/dashboard/").content.decode()
    assert 'data-testid="kpi-completed">0.00' in page

    reporting.report_accept(actor=personas["officer"], report=report, version=report.version)

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and not completed():
        time.sleep(0.5)
    assert completed() == Decimal("25000000"), "the worker did not roll the change up"
    assert not PendingRollup.objects.exists()
    assert RollupRun.objects.filter(kind=RollupRun.Kind.PROJECTS,
                                    status=RollupRun.Status.OK).exists()  # fmt: skip
    page = client_for("leader").get("/dashboard/").content.decode()
    assert 'data-testid="kpi-completed">0.25' in page  # 2,500万 = 0.25亿
    assert 'data-testid="kpi-completion">25.0%' in page


def _wait_for(condition, seconds: float, what: str, worker) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} within {seconds}s. Worker log:\n{worker.log_tail()}", pytrace=False)


def _waiting_on_a_lock() -> bool:
    """A session of the test database waits for a lock (the run, for the test's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _at_the_second_batch(batch: int) -> bool:
    """The first batch is rolled up and the run of the second waits for its lock."""
    done = RollupRun.objects.filter(status=RollupRun.Status.OK, projects=batch).exists()
    running = RollupRun.objects.filter(status=RollupRun.Status.RUNNING).exists()
    return done and running and _waiting_on_a_lock()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_rollup_killed_half_way_comes_back_on_its_own(start_celery_worker):  # noqa: F811
    # Two batches queued: the first subsidiary's projects fill the first, the second's come after.
    first, second = OrganisationFactory(), OrganisationFactory()
    batch = services.PENDING_BATCH
    Project.objects.bulk_create(ProjectFactory.build_batch(batch, owner=first)
                                + ProjectFactory.build_batch(100, owner=second))  # fmt: skip
    queued = timezone.now() - datetime.timedelta(seconds=10)
    PendingRollup.objects.bulk_create(
        PendingRollup(project=project, queued_at=queued + datetime.timedelta(
            seconds=1 if project.owner_id == second.pk else 0))
        for project in Project.objects.filter(owner__in=[first, second])
    )  # fmt: skip
    RollupLock.objects.create(organisation=second)
    worker = start_celery_worker()

    # Hold the second subsidiary's rollup lock, so that the run of the second batch waits inside
    # its transaction: the worker is killed there, half way through the queue.
    with transaction.atomic():
        RollupLock.objects.select_for_update().get(organisation=second)
        rollup_pending.delay()
        reached = lambda: _at_the_second_batch(batch)  # noqa: E731
        _wait_for(reached, WAIT, "The worker did not reach the second batch", worker)
        worker.kill()
    # Released: the killed run's database session finds its client gone and rolls back.
    killed = RollupRun.objects.get(status=RollupRun.Status.RUNNING)
    assert PendingRollup.objects.count() == 100
    assert killed.finished_at is None

    # Nothing was sent again: the sweep of the next worker's beat finds the queue and the run.
    started = time.monotonic()
    worker = start_celery_worker(beat=True)

    def recovered() -> bool:
        killed.refresh_from_db()
        later = RollupRun.objects.filter(kind=RollupRun.Kind.PROJECTS, status=RollupRun.Status.OK,
                                         started_at__gt=killed.started_at)  # fmt: skip
        abandoned = killed.status == RollupRun.Status.ABANDONED
        return abandoned and not PendingRollup.objects.exists() and later.exists()

    _wait_for(recovered, RECOVERY, "The killed rollup did not come back", worker)
    assert killed.finished_at is not None
    assert ProjectYear.objects.filter(organisation=second).count() == 100
    assert "dashboard.tasks.rollup_sweep" in worker.log_path.read_text("utf-8", "replace")
    print(f"recovered {time.monotonic() - started:.0f}s after the next worker started")
