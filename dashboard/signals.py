"""Hooking the records to the rollup queue.

The dashboard listens; nobody calls it. Each figure provider names the models that change its
figures (portal.figures), progress reporting sends `report_counted_changed`, and the registry's own
projects and annual plans are watched here. Within one transaction the changed projects gather in
a set and are queued once, after commit, so an Excel batch of 2,000 rows queues once.
"""

from __future__ import annotations

import logging
import threading

from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from portal import figures

log = logging.getLogger(__name__)
_local = threading.local()
_receivers: list = []  # strong references: the signals hold weak ones


def _changed(project_ids) -> None:
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = set()
    pending.update(pk for pk in project_ids if pk)
    transaction.on_commit(_flush)


def _flush() -> None:
    from dashboard.services import enqueue

    pending = getattr(_local, "pending", None)
    if not pending:
        return
    ids, _local.pending = sorted(pending), set()
    enqueue(ids)


def _watch(model, lookup: str) -> None:
    path = lookup.split("__")

    def receiver(sender, instance, **kwargs):
        if kwargs.get("raw"):
            return  # loaddata
        value = instance
        for part in path:
            value = getattr(value, part, None)
            if value is None:
                return
        _changed([value])

    _receivers.append(receiver)
    post_save.connect(receiver, sender=model, dispatch_uid=f"dashboard:{model._meta.label}:save")
    post_delete.connect(receiver, sender=model,
                        dispatch_uid=f"dashboard:{model._meta.label}:delete")  # fmt: skip


def _project_deleted(sender, instance, **kwargs) -> None:
    """A deleted project takes its rollup rows with it; its subsidiary's totals are recomputed
    after commit."""
    owner_id = instance.owner_id

    def recompute() -> None:
        from dashboard.tasks import rollup_organisations

        try:
            rollup_organisations.delay([owner_id])
        except Exception:  # broker down: the nightly full run corrects the totals
            log.exception("Could not schedule the rollup of organisation %s", owner_id)

    transaction.on_commit(recompute)


def _report_counted(sender, project_id=None, **kwargs) -> None:
    _changed([project_id])


def _run_changed(sender, **kwargs) -> None:
    from dashboard.services import forget_data_version

    forget_data_version()


def connect() -> None:
    from reporting.signals import report_counted_changed

    run = apps.get_model("dashboard.RollupRun")
    post_save.connect(_run_changed, sender=run, dispatch_uid="dashboard:run-saved")
    post_delete.connect(_run_changed, sender=run, dispatch_uid="dashboard:run-deleted")

    project = apps.get_model("projects.Project")
    _watch(project, "pk")
    post_delete.connect(_project_deleted, sender=project, dispatch_uid="dashboard:project-deleted")
    _watch(apps.get_model("projects.AnnualPlan"), "project_id")
    for provider in figures.providers():
        for label, lookup in provider.watches:
            _watch(apps.get_model(label), lookup)
    report_counted_changed.connect(_report_counted, dispatch_uid="dashboard:report-counted")
