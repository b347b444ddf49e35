"""The registry's figures for the cockpit (see portal.figures): late battle-map milestones."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count
from django.urls import reverse

from portal.figures import Fact, FigureProvider, Measures, ProjectFigures
from projects.models import Milestone

OPEN, OVERDUE = Measures.MILESTONES_OPEN.key, Measures.MILESTONES_OVERDUE.key


def figures(project_ids: Iterable[int] | None, today: datetime.date) -> ProjectFigures:
    """Per project: milestones still open, those past their deadline, and the latest of them
    as the fact the milestone rule reads."""
    open_nodes = Milestone.objects.filter(actual_date__isnull=True)
    if project_ids is not None:
        open_nodes = open_nodes.filter(project_id__in=list(project_ids))
    result: ProjectFigures = {}
    for project_id, count in open_nodes.order_by().values_list("project_id") \
            .annotate(n=Count("pk")):  # fmt: skip
        result[project_id] = {OPEN: count, OVERDUE: 0}
    battle_map = reverse("projects:detail", args=[0]).replace("/0/", "/%d/") + "#battle-map"
    late = open_nodes.filter(deadline__lt=today).order_by("project_id", "deadline", "pk")
    for project_id, name, deadline in late.values_list("project_id", "name", "deadline"):
        row = result[project_id]
        row[OVERDUE] += 1
        if Fact.MILESTONE_LATE not in row:  # the earliest deadline is the latest milestone
            url = battle_map % project_id
            row[Fact.MILESTONE_LATE] = {"days": (today - deadline).days, "name": name,
                                     "deadline": deadline.isoformat(), "url": url}  # fmt: skip
    return result


PROVIDER = FigureProvider(
    name="projects",
    measures=(Measures.MILESTONES_OPEN, Measures.MILESTONES_OVERDUE),
    figures=figures,
    watches=(("projects.Milestone", "project_id"),),
)
