"""Progress reporting's figures for the cockpit (see portal.figures): late forms, open
problems and coordination items. Investment itself is rolled up by the dashboard in SQL straight
from the accepted reports (dashboard/rollup.py)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, Q
from django.urls import reverse

from portal.figures import Fact, FigureProvider, Measures, ProjectFigures
from reporting.choices import CoordinationStatus, ItemStatus, ReportStatus
from reporting.models import CoordinationItem, ProgressReport, ReportProblem

REPORTS_LATE = Measures.REPORTS_LATE.key


def _scoped(queryset, project_ids):
    return queryset if project_ids is None else queryset.filter(project_id__in=list(project_ids))


def figures(project_ids: Iterable[int] | None, today: datetime.date) -> ProjectFigures:
    ids = None if project_ids is None else list(project_ids)
    result: ProjectFigures = {}

    def row(project_id: int) -> dict:
        return result.setdefault(project_id, {})

    report_url = reverse("reporting:detail", args=[0]).replace("/0/", "/%d/")
    late = (
        _scoped(ProgressReport.objects, ids)
        .filter(status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED], period__due_date__lt=today)
        .order_by("project_id", "period__due_date", "pk")
    )
    for pk, project_id, due, year, month, part in late.values_list(
        "pk", "project_id", "period__due_date", "period__year", "period__month", "period__part",
    ):  # fmt: skip
        figures_of = row(project_id)
        figures_of[REPORTS_LATE] = figures_of.get(REPORTS_LATE, 0) + 1
        if Fact.REPORT_LATE not in figures_of:  # the oldest late form
            period = f"{year}-{month:02d}" + (f"-T{part}" if part else "")
            figures_of[Fact.REPORT_LATE] = {"days": (today - due).days, "period": period,
                                         "url": report_url % pk}  # fmt: skip

    problems = ReportProblem.objects.all()
    if ids is not None:
        problems = problems.filter(report__project_id__in=ids)
    counts = problems.filter(status=ItemStatus.OPEN).order_by().values("report__project_id") \
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=today)))  # fmt: skip
    for item in counts:
        figures_of = row(item["report__project_id"])
        figures_of[Measures.PROBLEMS_OPEN.key] = item["open"]
        figures_of[Measures.PROBLEMS_OVERDUE.key] = item["overdue"]

    items = _scoped(CoordinationItem.objects, ids).filter(status=CoordinationStatus.OPEN)
    for project_id, count in items.order_by().values_list("project_id").annotate(n=Count("pk")):
        row(project_id)[Measures.COORDINATION_OPEN.key] = count
    return result


PROVIDER = FigureProvider(
    name="reporting",
    measures=(
        Measures.REPORTS_LATE,
        Measures.PROBLEMS_OPEN,
        Measures.PROBLEMS_OVERDUE,
        Measures.COORDINATION_OPEN,
    ),
    figures=figures,
    watches=(
        ("reporting.ProgressReport", "project_id"),
        ("reporting.ReportProblem", "report__project_id"),
        ("reporting.CoordinationItem", "project_id"),
    ),
)
