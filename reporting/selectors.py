"""Reads of progress reports, scoped and with their joins, and the figures derived from them.

Year-to-date and since-start investment are never typed: they are the sum of the accepted
reports up to a period (plus the project's opening investment, for since-start). A report that
is not yet accepted counts in its own figures, so the form shows what accepting it would make.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from portal.access import Action, get_for_user, is_subsidiary_user
from portal.models import User
from projects.models import AnnualPlan
from reporting import rules
from reporting.choices import CoordinationStatus, ReportStatus
from reporting.models import CoordinationItem, ProgressReport, ReportEvent, ReportingPeriod

MONEY = DecimalField(max_digits=18, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=MONEY)


def _counted_sum(*, same_year: bool) -> Subquery:
    """Sum of the investment of this project's reports up to this report's period: accepted
    ones, and this report itself."""
    reports = ProgressReport.objects.filter(
        project=OuterRef("project"), period__start__lte=OuterRef("period__start")
    ).filter(Q(status=ReportStatus.ACCEPTED) | Q(pk=OuterRef("pk")))
    if same_year:
        reports = reports.filter(period__year=OuterRef("period__year"))
    total = reports.order_by().values("project").annotate(total=Sum("investment")).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), ZERO)


def with_figures(queryset: QuerySet[ProgressReport]) -> QuerySet[ProgressReport]:
    """Annotate ytd_investment, cumulative_investment and annual_plan on each report, in the
    same SQL statement (no query per row)."""
    plan = AnnualPlan.objects.filter(
        project=OuterRef("project"), year=OuterRef("period__year")
    ).values("planned_investment")[:1]
    return queryset.annotate(
        ytd_investment=_counted_sum(same_year=True),
        cumulative_investment=_counted_sum(same_year=False) + F("project__opening_investment"),
        annual_plan=Subquery(plan, output_field=MONEY),
    )


def report_list(*, user: User) -> QuerySet[ProgressReport]:
    return ProgressReport.objects.for_user(user, Action.VIEW).select_related(
        "project__owner", "period", "submitted_by", "reviewed_by"
    )


def report_get(*, user: User, pk) -> ProgressReport:
    """One report with its figures, problems, coordination items and workflow, or 404."""
    queryset = with_figures(
        ProgressReport.objects.select_related(
            "project__owner", "project__assigned_leader", "period", "submitted_by",
            "reviewed_by",
        ).prefetch_related(
            "problems",
            Prefetch("coordination_items",
                     queryset=CoordinationItem.objects.select_related("assignee", "answered_by")),
            Prefetch("events", queryset=ReportEvent.objects.select_related("actor")),
            "milestones_reached",
        )
    )  # fmt: skip
    return get_for_user(queryset, user, pk, Action.VIEW)


def last_accepted(report: ProgressReport) -> ProgressReport | None:
    """The project's most recent accepted report before this report's period."""
    return (
        ProgressReport.objects.filter(
            project_id=report.project_id, status=ReportStatus.ACCEPTED,
            period__start__lt=report.period.start,
        ).order_by("-period__start").first()
    )  # fmt: skip


@dataclass(frozen=True)
class Figures:
    ytd: Decimal
    annual_plan: Decimal | None


def figures_if(report: ProgressReport, investment: Decimal) -> Figures:
    """Year to date as it would be with `investment` typed for this period."""
    earlier = ProgressReport.objects.filter(
        project_id=report.project_id,
        status=ReportStatus.ACCEPTED,
        period__year=report.period.year,
        period__start__lt=report.period.start,
    ).exclude(pk=report.pk).aggregate(total=Sum("investment"))["total"] or Decimal("0")
    plan = AnnualPlan.objects.filter(project_id=report.project_id, year=report.period.year) \
        .values_list("planned_investment", flat=True).first()  # fmt: skip
    return Figures(ytd=earlier + investment, annual_plan=plan)


@dataclass(frozen=True)
class Inbox:
    to_fill: QuerySet
    returned: QuerySet
    to_review: QuerySet
    coordination: QuerySet


def inbox(*, user: User) -> Inbox:
    """What waits for this user, by role: forms to fill and forms returned (subsidiaries),
    forms to review and coordination items (centre)."""
    reports = report_list(user=user)
    none = ProgressReport.objects.none()
    fills = rules.fills_reports(user)
    reviews = rules.can_review(user)
    items = CoordinationItem.objects.for_user(user).select_related(
        "project__owner", "report__period", "assignee"
    )
    if reviews:
        items = items.filter(
            Q(assignee=user) | Q(assignee__isnull=True), status=CoordinationStatus.OPEN
        )
    elif is_subsidiary_user(user):
        items = items.filter(status=CoordinationStatus.ANSWERED)
    else:
        items = items.filter(status=CoordinationStatus.OPEN)
    return Inbox(
        to_fill=reports.filter(status=ReportStatus.DRAFT).order_by("period__due_date",
                                                                    "project__code")
        if fills else none,
        returned=reports.filter(status=ReportStatus.RETURNED).order_by("period__due_date")
        if fills else none,
        to_review=reports.filter(status=ReportStatus.SUBMITTED).order_by("submitted_at")
        if reviews else none,
        coordination=items.order_by("created_at"),
    )  # fmt: skip


def inbox_counts(*, user: User) -> dict[str, int]:
    """The navigation's badge numbers: one query over reports, one over coordination items."""
    wanted = {}
    if rules.fills_reports(user):
        wanted["to_fill"] = Count("pk", filter=Q(status=ReportStatus.DRAFT))
        wanted["returned"] = Count("pk", filter=Q(status=ReportStatus.RETURNED))
    if rules.can_review(user):
        wanted["to_review"] = Count("pk", filter=Q(status=ReportStatus.SUBMITTED))
    if not wanted:
        return {}  # leadership reads; nothing waits for it
    counts = ProgressReport.objects.for_user(user).aggregate(**wanted)
    counts["coordination"] = inbox(user=user).coordination.count()
    return {key: int(value or 0) for key, value in counts.items()}


def inbox_badge(user: User) -> int:
    """The number beside "My inbox": everything waiting for this user."""
    return sum(inbox_counts(user=user).values())


def periods_recent(*, limit: int = 120) -> QuerySet[ReportingPeriod]:
    return ReportingPeriod.objects.order_by("-start", "kind")[:limit]


def due_state(report: ProgressReport, today: datetime.date) -> str:
    """'overdue', 'due_soon' or '' for a form still to be filled."""
    if not report.is_open_for_filling:
        return ""
    if report.period.due_date < today:
        return "overdue"
    if (report.period.due_date - today).days <= settings.PORTAL["REMIND_DAYS_BEFORE_DUE"]:
        return "due_soon"
    return ""
