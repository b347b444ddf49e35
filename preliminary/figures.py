"""Preliminary work's figures for the cockpit (portal.figures).

- `permits_waiting` (待办证照, the card's first number): applicable items submitted to their
  issuer and not yet decided (status "submitted": 审批中);
- `permits_overdue` (the second): applicable items not yet approved (not started, preparing,
  submitted) whose planned approval date has passed;
- `Fact.PERMIT_OVERDUE`: the project's most overdue item, {"days", "name", "url"}, which the
  cockpit's `permit_overdue` rule colours amber from 1 day and red from
  PORTAL["RAG"]["PERMIT_OVERDUE_RED_DAYS"].
Two queries, whatever the number of projects.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count
from django.urls import reverse

from portal.figures import Fact, FigureProvider, Measures, ProjectFigures
from preliminary.choices import PermitStatus
from preliminary.models import PermitItem
from preliminary.selectors import overdue_q

WAITING = Measures.PERMITS_WAITING.key
OVERDUE = Measures.PERMITS_OVERDUE.key


def figures(project_ids: Iterable[int] | None, today: datetime.date) -> ProjectFigures:
    items = PermitItem.objects.all()
    if project_ids is not None:
        items = items.filter(project_id__in=list(project_ids))
    result: ProjectFigures = {}
    waiting = (items.filter(status=PermitStatus.SUBMITTED).order_by()
               .values_list("project_id").annotate(n=Count("pk")))  # fmt: skip
    for project_id, count in waiting:
        result.setdefault(project_id, {})[WAITING] = count
    url = reverse("preliminary:item", args=[0]).replace("/0/", "/%d/")
    overdue = items.filter(overdue_q(today)).order_by("project_id", "planned_date", "pk")
    for pk, project_id, planned, name in overdue.values_list(
        "pk", "project_id", "planned_date", "permit_type__name"
    ):
        row = result.setdefault(project_id, {})
        row[OVERDUE] = row.get(OVERDUE, 0) + 1
        if Fact.PERMIT_OVERDUE not in row:  # the earliest planned date: the most overdue
            row[Fact.PERMIT_OVERDUE] = {"days": (today - planned).days, "name": name,
                                        "url": url % pk}  # fmt: skip
    return result


PROVIDER = FigureProvider(
    name="preliminary",
    measures=(Measures.PERMITS_WAITING, Measures.PERMITS_OVERDUE),
    figures=figures,
    watches=(("preliminary.PermitItem", "project_id"),),
)
