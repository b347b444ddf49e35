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
from django.db import transaction
from django.utils.translation import gettext as _

from portal.models import Organisation, User
from projects.models import AnnualPlan, Milestone, Project

PROJECT_FIELDS = {
    "code",
    "name",
    "owner",
    "investor",
    "end_user",
    "delivery_mode",
    "category",
    "district",
    "latitude",
    "longitude",
    "total_investment",
    "approved_budget_estimate",
    "stage",
    "is_key",
    "assigned_leader",
    "project_manager",
    "planned_start",
    "planned_finish",
    "actual_start",
    "actual_finish",
    "description",
}


def _check_fields(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )


@transaction.atomic
def project_create(*, actor: User, **data: Any) -> Project:
    """Register a new project. Caller: `actor` may change projects of `data['owner']`."""
    _check_fields(data, PROJECT_FIELDS)
    project = Project(**data)
    project._history_user = actor
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def project_update(*, actor: User, project: Project, **data: Any) -> Project:
    """Change a project's registry entry. Caller: `actor` may change this project, and the new
    owner if the owner changes."""
    _check_fields(data, PROJECT_FIELDS)
    for name, value in data.items():
        setattr(project, name, value)
    project._history_user = actor
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def annual_plan_set(
    *, actor: User, project: Project, year: int, planned_investment, year_end_target: str = ""
) -> AnnualPlan:
    """Create or replace the plan of one project and year. Caller: `actor` may change it."""
    plan = AnnualPlan.objects.filter(project=project, year=year).first() or AnnualPlan(
        project=project, year=year
    )
    plan.planned_investment = planned_investment
    plan.year_end_target = year_end_target
    plan._history_user = actor
    plan.full_clean()
    plan.save()
    return plan


MILESTONE_FIELDS = {
    "name",
    "deadline",
    "days_before_target",
    "responsible_organisation",
    "responsible_person",
    "arrangement",
    "actual_date",
}


@transaction.atomic
def milestone_save(
    *, actor: User, project: Project, milestone: Milestone | None = None, **data: Any
) -> Milestone:
    """Add a battle-map node to `project`, or change one of its nodes (e.g. record that it was
    reached). Caller: `actor` may change this project; `milestone` belongs to it."""
    _check_fields(data, MILESTONE_FIELDS)
    milestone = milestone or Milestone(project=project)
    for name, value in data.items():
        setattr(milestone, name, value)
    milestone._history_user = actor
    milestone.full_clean()
    milestone.save()
    return milestone


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
        if days < 0:
            raise ValidationError(_("Days before the target cannot be negative."))
        milestone = Milestone(
            project=project,
            name=name,
            deadline=target - datetime.timedelta(days=days),
            days_before_target=days,
            responsible_organisation=responsible_organisation,
            responsible_person=responsible_person,
        )
        milestone._history_user = actor
        milestone.full_clean()
        milestone.save()
        created.append(milestone)
    return created
