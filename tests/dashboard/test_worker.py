"""The rollup through a real Celery worker on Redis (tests/celery_worker.py): a reviewer accepts a
report, the change is queued after commit, the worker rolls it up, and leadership's cockpit shows
the new figure. Skipped without REDIS_URL and PostgreSQL; CI requires it there."""

import time
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboard import services
from dashboard.models import PendingRollup, ProjectYear, RollupRun
from reporting import services as reporting
from reporting.choices import ReportStatus
from tests.celery_worker import live_celery_worker  # noqa: F401 (a fixture)
from tests.factories import AnnualPlanFactory, ProgressReportFactory, ReportingPeriodFactory

WAIT = 60  # seconds for the worker to pick up the burst and roll it up


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
