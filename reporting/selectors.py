"""Reads of progress reports, scoped and with their joins, and the figures derived from them.

Year-to-date and since-start investment are never typed: they are the sum of the accepted
reports up to a period (plus the project's opening investment, for since-start). A report that
is not yet accepted counts in its own figures, so the form shows what accepting it would make.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
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

from portal import inbox
from portal.access import Action, get_for_user, is_subsidiary_user, org_q
from portal.models import User
from projects.models import AnnualPlan
from reporting import rules
from reporting.choices import CoordinationStatus, ReportAction, ReportStatus
from reporting.models import (
    CoordinationEvent,
    CoordinationItem,
    ProgressReport,
    ReportEvent,
    ReportingPeriod,
)

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


# --- the inbox (portal.inbox): what waits for a user, one queryset per source -------------------
# None means the user's role never acts on these (the inbox then shows no section for them).


def inbox_to_fill(user: User) -> QuerySet[ProgressReport] | None:
    """Draft forms of the user's organisation (subsidiary reporters and managers)."""
    if not rules.fills_reports(user):
        return None
    return ProgressReport.objects.for_user(user, Action.CHANGE).filter(status=ReportStatus.DRAFT)


def inbox_returned(user: User) -> QuerySet[ProgressReport] | None:
    """Forms the centre returned to the user's organisation, to be fixed and submitted again."""
    if not rules.fills_reports(user):
        return None
    return ProgressReport.objects.for_user(user, Action.CHANGE).filter(status=ReportStatus.RETURNED)


def inbox_to_review(user: User) -> QuerySet[ProgressReport] | None:
    """Submitted forms waiting for the centre's review (officers, administrators)."""
    if not rules.can_review(user):
        return None
    return ProgressReport.objects.for_user(user).filter(status=ReportStatus.SUBMITTED)


def inbox_coordination_to_answer(user: User) -> QuerySet[CoordinationItem] | None:
    """Open coordination items given to this officer or to nobody yet (the centre)."""
    if not rules.can_review(user):
        return None
    return CoordinationItem.objects.for_user(user).filter(
        Q(assignee=user) | Q(assignee__isnull=True), status=CoordinationStatus.OPEN
    )


def inbox_coordination_answered(user: User) -> QuerySet[CoordinationItem] | None:
    """Items the centre answered, for the subsidiary to read and close."""
    if rules.can_review(user) or not is_subsidiary_user(user):
        return None
    return CoordinationItem.objects.for_user(user).filter(status=CoordinationStatus.ANSWERED)


def inbox_coordination_open(user: User) -> QuerySet[CoordinationItem] | None:
    """Open items waiting for the centre, followed by those who neither fill nor answer
    (leadership)."""
    if rules.can_review(user) or is_subsidiary_user(user):
        return None
    return CoordinationItem.objects.for_user(user).filter(status=CoordinationStatus.OPEN)


def report_events_since(user: User, since: datetime.datetime) -> QuerySet[ReportEvent]:
    """Workflow steps others took since `since` on reports of projects `user` sees (saving a
    draft is not a step)."""
    return (
        ReportEvent.objects.filter(org_q(user, "report__project__owner"), at__gt=since)
        .exclude(actor=user)
        .exclude(action=ReportAction.SAVE)
    )


def coordination_events_since(user: User, since: datetime.datetime) -> QuerySet:
    """Steps others took since `since` on coordination items (answered, closed) of projects
    `user` sees."""
    return CoordinationEvent.objects.filter(
        org_q(user, "item__project__owner"), at__gt=since
    ).exclude(actor=user)


def periods_recent(*, limit: int = 120) -> QuerySet[ReportingPeriod]:
    return ReportingPeriod.objects.order_by("-start", "kind")[:limit]


def due_state(report: ProgressReport, today: datetime.date) -> str:
    """'overdue', 'due_soon' or '' for a form still to be filled."""
    if not report.is_open_for_filling:
        return ""
    return inbox.due_state(report.period.due_date, today)


PROJECT_PAGE_REPORTS = 12


def project_reports(*, user, project, limit: int = PROJECT_PAGE_REPORTS) -> list[ProgressReport]:
    """A project's latest reports, as its registry page lists them: one query."""
    return list(
        ProgressReport.objects.for_user(user)
        .filter(project=project)
        .select_related("period")
        .order_by("-period__start", "-period__part")[:limit]
    )
