"""The sweep that brings a killed rollup back (dashboard.services.sweep, Celery beat every minute):
nothing queued costs two small queries and sends nothing, queued projects get one run, a run still
"running" whose worker is gone is marked abandoned, and administrators see it as such. The Celery
settings it relies on are checked here too; tests/dashboard/test_worker.py kills a real worker."""

import datetime
import threading

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.utils import timezone

from dashboard import services, tasks
from dashboard.models import PendingRollup, ProjectYear, RollupRun
from portal.celery import app
from tests.dashboard.conftest import TODAY
from tests.factories import AnnualPlanFactory

MINUTE = datetime.timedelta(minutes=1)
ROW_LOCKS = connection.features.has_select_for_update_skip_locked  # PostgreSQL, not SQLite


@pytest.fixture
def sent(monkeypatch):
    """The rollup_pending tasks the sweep sends (not run)."""
    calls = []

    class Recorder:
        @staticmethod
        def apply_async(*args, **kwargs):
            calls.append(kwargs)

    monkeypatch.setattr(tasks, "rollup_pending", Recorder)
    return calls


def started(ago: datetime.timedelta, kind=RollupRun.Kind.PROJECTS) -> RollupRun:
    return RollupRun.objects.create(kind=kind, as_of=TODAY, started_at=timezone.now() - ago)


def test_nothing_queued_sends_nothing_in_two_queries(db, clock, sent, django_assert_num_queries):
    with django_assert_num_queries(2):  # running runs to mark? projects queued? (both indexed)
        assert services.sweep() == {"abandoned": 0, "scheduled": False}
    assert sent == []


def test_queued_projects_get_one_run_until_the_flag_expires(clock, sent, infra_project):
    PendingRollup.objects.create(project=infra_project)
    assert services.sweep()["scheduled"]
    assert len(sent) == 1
    clock.shift(MINUTE)
    services.sweep()  # scheduled already: the flag is set
    assert len(sent) == 1
    # The run never started (its worker was killed before): the flag expires, the sweep sends
    # another. A message that does arrive finds the queue empty, or recomputes the same rows.
    clock.shift(datetime.timedelta(seconds=5))
    assert services.sweep()["scheduled"]
    assert len(sent) == 2


def test_no_run_is_sent_while_an_incremental_run_drains_the_queue(clock, sent, infra_project):
    PendingRollup.objects.create(project=infra_project)
    draining = started(datetime.timedelta(seconds=5))
    assert services.sweep() == {"abandoned": 0, "scheduled": False}
    assert sent == []
    draining.status = RollupRun.Status.OK
    draining.save()
    services.sweep()
    assert len(sent) == 1


def test_a_stale_run_is_marked_abandoned(db, clock, sent):
    stale = started(datetime.timedelta(minutes=31), kind=RollupRun.Kind.FULL)
    young = started(datetime.timedelta(seconds=10))
    done = started(datetime.timedelta(minutes=40))
    done.status, done.finished_at = RollupRun.Status.OK, timezone.now() - 39 * MINUTE
    done.save()
    assert services.sweep() == {"abandoned": 1, "scheduled": False}
    stale.refresh_from_db(), young.refresh_from_db(), done.refresh_from_db()
    assert (stale.status, stale.finished_at) == (RollupRun.Status.ABANDONED, timezone.now())
    assert young.status == RollupRun.Status.RUNNING  # may not hold its row yet
    assert done.status == RollupRun.Status.OK
    assert services.sweep()["abandoned"] == 0  # idempotent
    assert sent == []


def test_a_run_nobody_holds_is_abandoned_after_the_grace_where_rows_can_be_locked(db, clock):
    """PostgreSQL: a run's transaction holds its row, so a row nobody holds after the grace has
    no live run behind it. SQLite (one process, no worker) waits for the stale limit."""
    run = started(services.ABANDON_GRACE + datetime.timedelta(minutes=5))
    services.mark_abandoned()
    run.refresh_from_db()
    expected = RollupRun.Status.ABANDONED if ROW_LOCKS else RollupRun.Status.RUNNING
    assert run.status == expected


@pytest.mark.skipif(not ROW_LOCKS, reason="needs SELECT ... FOR UPDATE SKIP LOCKED")
@pytest.mark.django_db(transaction=True)
def test_a_live_run_is_never_abandoned_however_long_it_takes():
    run = started(datetime.timedelta(hours=2), kind=RollupRun.Kind.FULL)
    holding, release = threading.Event(), threading.Event()

    def the_run():  # another session holds the row, as a live run's transaction does
        try:
            with transaction.atomic():
                list(RollupRun.objects.select_for_update().filter(pk=run.pk).values_list("pk"))
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=the_run)
    thread.start()
    try:
        assert holding.wait(30)
        assert services.mark_abandoned() == 0
        assert services.failed_runs() == [run]  # still shown: running for two hours
    finally:
        release.set()
        thread.join(30)
    assert services.mark_abandoned() == 1  # its session ended without finishing it
    run.refresh_from_db()
    assert run.status == RollupRun.Status.ABANDONED


def test_the_queue_of_a_killed_run_is_rolled_up_by_the_sweep(clock, infra_project):
    """In process (tasks run eagerly): a worker was killed in `rollup_pending`; its project is
    still queued, the flag gone, its run "running". The sweep brings all of it back."""
    AnnualPlanFactory(project=infra_project, year=TODAY.year)
    PendingRollup.objects.create(project=infra_project, queued_at=timezone.now() - 32 * MINUTE)
    killed = started(datetime.timedelta(minutes=31))
    cache.delete(services.SCHEDULED_KEY)
    assert services.sweep() == {"abandoned": 1, "scheduled": True}
    killed.refresh_from_db()
    assert killed.status == RollupRun.Status.ABANDONED
    later = RollupRun.objects.exclude(pk=killed.pk).get()
    assert (later.kind, later.status, later.projects) == (
        RollupRun.Kind.PROJECTS, RollupRun.Status.OK, 1)  # fmt: skip
    assert not PendingRollup.objects.exists()
    assert ProjectYear.objects.filter(project=infra_project, year=TODAY.year).exists()
    assert services.failed_runs() == [killed]


def test_administrators_see_an_abandoned_run_as_such(client, client_for, settings, clock,
                                                     infra_project):  # fmt: skip
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    services.rollup_full(TODAY)
    clock.shift(MINUTE)
    abandoned = started(datetime.timedelta(seconds=1))
    abandoned.status, abandoned.finished_at = RollupRun.Status.ABANDONED, timezone.now()
    abandoned.save()
    html = client_for("admin").get("/dashboard/").content.decode()
    assert 'data-testid="rollup-failed" data-status="abandoned"' in html
    assert "was abandoned: its worker stopped before it finished" in html
    leader = client_for("leader").get("/dashboard/").content.decode()
    assert 'data-testid="rollup-failed"' not in leader
    listing = client_for("admin").get("/admin/dashboard/rolluprun/?status=abandoned")
    assert listing.status_code == 200
    assert "Abandoned" in listing.content.decode()


def test_celery_recovers_what_a_killed_worker_held():
    conf = app.conf
    # Acknowledged when the task ends; a task whose worker process died is requeued.
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    # Redis gives an unacknowledged message to another worker after minutes, not kombu's hour,
    # and not before the longest run or retry countdown (reporting's: 8 minutes) is over.
    assert 8 * 60 < conf.broker_transport_options["visibility_timeout"] <= 15 * 60
    sweep = conf.beat_schedule["dashboard-rollup-sweep"]
    assert sweep["task"] == tasks.rollup_sweep.name and sweep["schedule"] <= 60
