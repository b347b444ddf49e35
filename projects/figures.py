"""The registry's figures for the cockpit (see portal.figures): late battle-map milestones."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.figures import FigureProvider, Measure, ProjectFigures
from projects.models import Milestone


def figures(project_ids: Iterable[int] | None, today: datetime.date) -> ProjectFigures:
    """Per project: milestones still open, those past their deadline, and the latest of them
    as the fact the milestone rule reads."""
    open_nodes = Milestone.objects.filter(actual_date__isnull=True)
    if project_ids is not None:
        open_nodes = open_nodes.filter(project_id__in=list(project_ids))
    result: ProjectFigures = {}
    for project_id, count in open_nodes.order_by().values_list("project_id") \
            .annotate(n=Count("pk")):  # fmt: skip
        result[project_id] = {"milestones_open": count, "milestones_overdue": 0}
    battle_map = reverse("projects:detail", args=[0]).replace("/0/", "/%d/") + "#battle-map"
    late = open_nodes.filter(deadline__lt=today).order_by("project_id", "deadline", "pk")
    for project_id, name, deadline in late.values_list("project_id", "name", "deadline"):
        row = result[project_id]
        row["milestones_overdue"] += 1
        if "milestone_late" not in row:  # the earliest deadline is the latest milestone
            url = battle_map % project_id
            row["milestone_late"] = {"days": (today - deadline).days, "name": name,
                                     "deadline": deadline.isoformat(), "url": url}  # fmt: skip
    return result


PROVIDER = FigureProvider(
    name="projects",
    measures=(
        Measure("milestones_open", _("Milestones open")),
        Measure("milestones_overdue", _("Milestones overdue")),
    ),
    figures=figures,
    watches=(("projects.Milestone", "project_id"),),
)
