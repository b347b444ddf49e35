"""Running the rollups: full recompute, changed projects, and the queue between them.

Every run is recorded as a RollupRun (the cockpit's "data as of", and a failure administrators
see). The write itself is one transaction that first locks the RollupLock rows of the
organisations it will write, in primary-key order, so two workers never write the same
organisation at once and cannot deadlock; a run cut off half way rolls back whole.

Changes reach the queue after commit (dashboard.signals): the project goes into PendingRollup and
one `rollup_pending` task is scheduled a moment later, so a burst of changes (an Excel batch, a
reviewer accepting twenty forms) becomes one run.

A worker killed half way leaves nothing behind but its run's row and the queue: `sweep` (beat,
every minute) marks the run abandoned once no transaction holds it, and schedules `rollup_pending`
again while projects wait and no run is draining them.
"""

from __future__ import annotations

import datetime
import logging
import traceback
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from dashboard import rollup
from dashboard.db import read_alias
from dashboard.models import PendingRollup, RollupLock, RollupRun
from projects.models import Project

log = logging.getLogger(__name__)
SCHEDULED_KEY = "dashboard:rollup-scheduled"
PENDING_BATCH = 500
# A running run's transaction locks its own RollupRun row first thing (milliseconds after the row
# is created); a row older than this that nobody locks belongs to a run whose worker is gone.
ABANDON_GRACE = datetime.timedelta(seconds=30)


def _scheduled_ttl() -> int:
    """How long the "a run is scheduled" flag lives: the coalescing delay and a minute for the
    worker to start the run (which clears it). It expires on its own, so a worker killed before
    the run started cannot keep every later change, or the sweep, from scheduling another."""
    return settings.PORTAL["ROLLUP_COALESCE_SECONDS"] + 60


def _run(kind: str, project_ids: Sequence[int] | None, today: datetime.date | None,
         pending: Sequence[tuple[int, datetime.datetime]] = (),
         organisations: Sequence[int] | None = None) -> RollupRun:  # fmt: skip
    today = today or timezone.localdate()
    run = RollupRun.objects.create(kind=kind, as_of=today)
    try:
        with transaction.atomic():
            # Held until the run commits or rolls back: while it is, the run is alive (sweep).
            list(RollupRun.objects.select_for_update().filter(pk=run.pk).values_list("pk"))
            if organisations is None:
                organisations = rollup.organisations_of(project_ids)
            RollupLock.objects.bulk_create(
                [RollupLock(organisation_id=pk) for pk in organisations], ignore_conflicts=True
            )
            list(RollupLock.objects.select_for_update().filter(organisation_id__in=organisations)
                 .order_by("pk").values_list("pk", flat=True))  # fmt: skip
            if kind == RollupRun.Kind.ORGANISATIONS:
                rollup.write_organisations(organisations, today)
            else:
                run.projects = rollup.write(project_ids, today)
            if kind == RollupRun.Kind.FULL:
                # Everything queued before this run started is in it.
                PendingRollup.objects.filter(queued_at__lte=run.started_at).delete()
            elif pending:
                # Only what we read: a project queued again meanwhile stays queued.
                done = Q(pk__in=[])
                for project_id, queued_at in pending:
                    done |= Q(project_id=project_id, queued_at=queued_at)
                PendingRollup.objects.filter(done).delete()
    except Exception:
        run.status = RollupRun.Status.FAILED
        run.error = traceback.format_exc(limit=20)
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        log.exception("Rollup %s failed", kind)
        raise
    run.status = RollupRun.Status.OK
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at", "projects"])
    return run


def rollup_full(today: datetime.date | None = None) -> RollupRun:
    """Recompute every rollup from the records (nightly, and `manage.py rollup`)."""
    return _run(RollupRun.Kind.FULL, None, today)


def rollup_projects(project_ids: Iterable[int], today: datetime.date | None = None) -> RollupRun:
    """Recompute the rollups of these projects and of the organisations and years they touch."""
    return _run(RollupRun.Kind.PROJECTS, sorted(set(project_ids)), today)


def rollup_organisations(organisation_ids: Iterable[int],
                         today: datetime.date | None = None) -> RollupRun:  # fmt: skip
    """Recompute the organisation tables of these organisations from their ProjectYear rows:
    after a project was deleted (its own rows went with it)."""
    return _run(
        RollupRun.Kind.ORGANISATIONS, None, today, organisations=sorted(set(organisation_ids))
    )


def run_pending(today: datetime.date | None = None) -> RollupRun | None:
    """Roll up the queued projects, a batch at a time, until the queue is empty."""
    cache.delete(SCHEDULED_KEY)  # changes from now on schedule another run
    run = None
    while True:
        batch = list(PendingRollup.objects.order_by("queued_at")
                     .values_list("project_id", "queued_at")[:PENDING_BATCH])  # fmt: skip
        if not batch:
            return run
        run = _run(RollupRun.Kind.PROJECTS, [p for p, _ in batch], today, pending=batch)


def enqueue(project_ids: Iterable[int]) -> None:
    """Queue projects for the incremental rollup and schedule one run for the burst. Call after
    commit (the run must see the change)."""
    # Only projects that still exist: a project created in a transaction that rolled back, or
    # deleted since, has nothing to roll up.
    ids = sorted(Project.objects.filter(pk__in=set(project_ids)).values_list("pk", flat=True))
    if not ids:
        return
    now = timezone.now()
    PendingRollup.objects.bulk_create(
        [PendingRollup(project_id=pk, queued_at=now) for pk in ids],
        update_conflicts=True, update_fields=["queued_at"], unique_fields=["project"],
    )  # fmt: skip
    if not cache.add(SCHEDULED_KEY, 1, timeout=_scheduled_ttl()):
        return  # a run is already scheduled and will pick these up
    from dashboard.tasks import rollup_pending

    try:
        rollup_pending.apply_async(countdown=settings.PORTAL["ROLLUP_COALESCE_SECONDS"])
    except Exception:  # broker down: the queue keeps the projects for the nightly run
        cache.delete(SCHEDULED_KEY)
        log.exception("Could not schedule the rollup; %d projects stay queued", len(ids))


# --- recovering from a killed worker -------------------------------------------------------------


def mark_abandoned() -> int:
    """Mark as abandoned the runs still "running" whose worker is gone; returns how many.

    On PostgreSQL a run is alive while its transaction holds its row (see `_run`): a row older
    than ABANDON_GRACE that `FOR UPDATE SKIP LOCKED` can take has no live run behind it (a
    killed worker's connection closes and its transaction rolls back). A run that is alive
    stays "running" however long it takes (the cockpit's alert shows it once it is older than
    PORTAL_ROLLUP_STALE_MINUTES). Without row locks (SQLite: one process, no worker) a run
    counts as abandoned once it is older than PORTAL_ROLLUP_STALE_MINUTES."""
    if connection.features.has_select_for_update_skip_locked:
        cutoff = timezone.now() - ABANDON_GRACE
    else:
        cutoff = rollup.stale_run_cutoff()
    candidates = RollupRun.objects.filter(status=RollupRun.Status.RUNNING, started_at__lt=cutoff)
    if not candidates.exists():  # the usual case: one indexed query
        return 0
    with transaction.atomic():
        ids = list(candidates.select_for_update(skip_locked=True).values_list("pk", flat=True))
        if ids:
            RollupRun.objects.filter(pk__in=ids, status=RollupRun.Status.RUNNING).update(
                status=RollupRun.Status.ABANDONED, finished_at=timezone.now())  # fmt: skip
    for pk in ids:
        log.warning("Rollup run %s was abandoned by its worker", pk)
    return len(ids)


def sweep() -> dict:
    """Every minute (beat): mark abandoned runs, and schedule `rollup_pending` when projects are
    queued, no incremental run is alive to drain them and none is scheduled. Idempotent; when
    nothing is queued or running it costs two indexed EXISTS queries. A second run scheduled by
    a race (a run between two batches) only recomputes the same rows."""
    abandoned = mark_abandoned()
    if not PendingRollup.objects.exists():
        return {"abandoned": abandoned, "scheduled": False}
    draining = RollupRun.objects.filter(status=RollupRun.Status.RUNNING,
                                        kind=RollupRun.Kind.PROJECTS).exists()  # fmt: skip
    if draining or not cache.add(SCHEDULED_KEY, 1, timeout=_scheduled_ttl()):
        return {"abandoned": abandoned, "scheduled": False}
    from dashboard.tasks import rollup_pending

    try:
        rollup_pending.apply_async()
    except Exception:  # broker down: the next sweep tries again
        cache.delete(SCHEDULED_KEY)
        log.exception("Could not schedule the rollup of the queued projects")
        return {"abandoned": abandoned, "scheduled": False}
    return {"abandoned": abandoned, "scheduled": True}


# --- reading the runs ---------------------------------------------------------------------------


VERSION_KEY = "dashboard:data-version"
# How long a reader's copy of the version lives in the cache. Every change of a run's row drops
# it at once and again after commit (dashboard.signals); this bounds the one race left (a reader
# that read the old version just before the commit and stores it just after), so a new run
# reaches every page, the API and the wall display within this many seconds at worst.
VERSION_CACHE_SECONDS = 30


def data_version() -> tuple[int, datetime.datetime | None]:
    """(the last successful run's number, when the rollups were last brought up to date): the
    cockpit's cached pages and API answers are keyed by it, and the wall display polls it.

    From the shared cache (Redis in production: every web process and worker sees the same
    value), else one query on the cockpit's read database (dashboard.db.read_alias)."""
    found = cache.get(VERSION_KEY)
    if found is None:
        found = _data_version_from_db()
        cache.set(VERSION_KEY, found, VERSION_CACHE_SECONDS)
    return found


def data_version_and(keys: list[str], found: dict | None = None,
                     ) -> tuple[tuple[int, datetime.datetime | None], dict]:  # fmt: skip
    """`data_version()` and these cache entries, in one round trip to the cache (`found`: the
    entries already read with the version, by a caller that read more in the same trip)."""
    found = cache.get_many([VERSION_KEY, *keys]) if found is None else found
    version = found.pop(VERSION_KEY, None)
    if version is None:
        version = _data_version_from_db()
        cache.set(VERSION_KEY, version, VERSION_CACHE_SECONDS)
    return version, found


def _data_version_from_db() -> tuple[int, datetime.datetime | None]:
    found = RollupRun.objects.using(read_alias()).filter(status=RollupRun.Status.OK).aggregate(
        run=Max("pk"), at=Max("finished_at"))  # fmt: skip
    return found["run"] or 0, found["at"]


def forget_data_version() -> None:
    """A run's row changed: drop the cached version now and once more after commit."""
    cache.delete(VERSION_KEY)
    transaction.on_commit(lambda: cache.delete(VERSION_KEY))


def data_as_of() -> datetime.datetime | None:
    """When the rollups were last brought up to date."""
    return data_version()[1]


def failed_runs(limit: int = 5) -> list[RollupRun]:
    """Runs since the last successful full recompute that failed, were abandoned by their worker,
    or are still 'running' long after they started: what administrators need to see."""
    read = RollupRun.objects.using(read_alias())
    last_full = read.filter(kind=RollupRun.Kind.FULL, status=RollupRun.Status.OK) \
        .aggregate(at=Max("started_at"))["at"]  # fmt: skip
    runs = read.filter(
        Q(status__in=[RollupRun.Status.FAILED, RollupRun.Status.ABANDONED])
        | Q(status=RollupRun.Status.RUNNING, started_at__lt=rollup.stale_run_cutoff())
    )
    if last_full:
        runs = runs.filter(started_at__gt=last_full)
    return list(runs.order_by("-started_at")[:limit])
