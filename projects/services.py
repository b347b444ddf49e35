"""Writes to the registry. Each one validates, runs in one transaction and leaves history.

Callers must have checked that `actor` may change the project (and, on create, its owner):
see portal.access. The services validate the data itself, so the web form, the API and the
demo generator all get the same rules and the same messages.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from portal.models import Organisation, User
from projects.models import PROJECT_EDITABLE_FIELDS, AnnualPlan, Milestone, Project

PROJECT_FIELDS = frozenset(PROJECT_EDITABLE_FIELDS)
MILESTONE_FIELDS = frozenset({
    "name", "deadline", "days_before_target", "responsible_organisation", "responsible_person",
    "arrangement", "actual_date",
})  # fmt: skip


def _apply_and_save(instance: models.Model, *, actor: User, data: dict[str, Any],
                    allowed: frozenset[str]) -> Any:  # fmt: skip
    """Set `data` on `instance`, validate the whole row, save it and name `actor` in history."""
    unknown = set(data) - allowed
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ValidationError(_("Unknown fields: %(names)s") % {"names": names})
    for name, value in data.items():
        setattr(instance, name, value)
    instance._history_user = actor
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def project_create(*, actor: User, **data: Any) -> Project:
    """Register a new project. Caller: `actor` may change projects of `data['owner']`."""
    return _apply_and_save(Project(), actor=actor, data=data, allowed=PROJECT_FIELDS)


@transaction.atomic
def project_update(*, actor: User, project: Project, **data: Any) -> Project:
    """Change a project's registry entry. Caller: `actor` may change this project, and the new
    owner if the owner changes."""
    return _apply_and_save(project, actor=actor, data=data, allowed=PROJECT_FIELDS)


@transaction.atomic
def annual_plan_set(
    *, actor: User, project: Project, year: int, planned_investment, year_end_target: str = ""
) -> AnnualPlan:
    """Create or replace the plan of one project and year. Caller: `actor` may change it."""
    plan = AnnualPlan.objects.filter(project=project, year=year).first() or AnnualPlan(
        project=project, year=year
    )
    data = {"planned_investment": planned_investment, "year_end_target": year_end_target}
    return _apply_and_save(plan, actor=actor, data=data, allowed=frozenset(data))


@transaction.atomic
def milestone_save(
    *, actor: User, project: Project, milestone: Milestone | None = None, **data: Any
) -> Milestone:
    """Add a battle-map node to `project`, or change one of its nodes (e.g. record that it was
    reached). Caller: `actor` may change this project; `milestone` belongs to it."""
    milestone = milestone or Milestone(project=project)
    return _apply_and_save(milestone, actor=actor, data=data, allowed=MILESTONE_FIELDS)


# A battle map spans a project's life, not centuries; also keeps `target - days` a real date.
MAX_DAYS_BEFORE_TARGET = 36500


def milestone_deadline_before(*, target: datetime.date, days: int) -> datetime.date:
    """The deadline `days` before `target`, or a ValidationError at the field at fault: `nodes`
    for a count out of 0..MAX_DAYS_BEFORE_TARGET, `target` for a date too early to count back
    from (no date before 0001-01-01 exists)."""
    if not 0 <= days <= MAX_DAYS_BEFORE_TARGET:
        message = _("Days before the target must be between 0 and %(max)s.")
        raise ValidationError({"nodes": message % {"max": MAX_DAYS_BEFORE_TARGET}})
    try:
        return target - datetime.timedelta(days=days)
    except OverflowError:
        message = _("The target date is too early: %(days)s days before it is not a date.")
        raise ValidationError({"target": message % {"days": days}}) from None


@transaction.atomic
def milestones_plan_backwards(
    *,
    actor: User,
    project: Project,
    target: datetime.date,
    nodes: Iterable[tuple[str, int]],
    responsible_organisation: Organisation,
    responsible_person: str = "",
) -> list[Milestone]:
    """Work a battle map backwards from the target date (倒排工期).

    `nodes` are (name, days before target); each becomes a milestone whose deadline is the
    target less those days. Caller: `actor` may change this project.
    """
    created = []
    for name, days in nodes:
        deadline = milestone_deadline_before(target=target, days=days)
        created.append(milestone_save(
            actor=actor, project=project, name=name,
            deadline=deadline, days_before_target=days,
            responsible_organisation=responsible_organisation,
            responsible_person=responsible_person,
        ))  # fmt: skip
    return created
