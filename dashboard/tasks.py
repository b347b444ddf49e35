"""Celery tasks: thin wrappers over dashboard.services. Every one is idempotent: a task
redelivered after a worker was killed (acks late) recomputes the same rows."""

from celery import shared_task

from dashboard import services


@shared_task(name="dashboard.tasks.rollup_full")
def rollup_full() -> dict:
    run = services.rollup_full()
    return {"run": run.pk, "projects": run.projects}


@shared_task(name="dashboard.tasks.rollup_pending")
def rollup_pending() -> dict:
    run = services.run_pending()
    return {"run": run.pk if run else None}


@shared_task(name="dashboard.tasks.rollup_organisations")
def rollup_organisations(organisation_ids: list[int]) -> dict:
    run = services.rollup_organisations(organisation_ids)
    return {"run": run.pk}


@shared_task(name="dashboard.tasks.rollup_sweep")
def rollup_sweep() -> dict:
    """Every minute (beat): abandoned runs marked, a queue left by a killed worker drained."""
    return services.sweep()
