"""Reads of preliminary work, scoped (`PermitItem.objects.for_user`) and with their joins."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from portal.access import Action, fetch, is_subsidiary_user, org_q
from portal.models import User
from preliminary.choices import OPEN_STATUSES, PermitStatus, WarningKind
from preliminary.models import PermitEvent, PermitItem, PermitRules, PermitType
from preliminary.warnings import STUCK_STATUSES, minus_working_days
from projects.models import Project

ITEM_JOINS = ("project__owner", "permit_type")


def needed_by_open() -> Exists:
    """Whether an open item of the same project depends on this item's type (its validity
    still matters: preliminary.warnings.expiry_days)."""
    return Exists(PermitItem.objects.filter(
        project_id=OuterRef("project_id"), status__in=OPEN_STATUSES,
        permit_type__depends_on=OuterRef("permit_type_id"),
    ))  # fmt: skip


def item_list(*, user: User) -> QuerySet[PermitItem]:
    """Every item `user` sees, with its project, owner and type (the board, the API, Excel)."""
    return (
        PermitItem.objects.for_user(user, Action.VIEW)
        .select_related(*ITEM_JOINS)
        .annotate(still_needed=needed_by_open())
    )


def item_get(*, user: User, pk) -> PermitItem:
    """One item with what its page shows, or 404 (missing or unseen alike)."""
    queryset = (
        PermitItem.objects.select_related(*ITEM_JOINS, "approved_by")
        .annotate(still_needed=needed_by_open())
        .prefetch_related(
            Prefetch("events", queryset=PermitEvent.objects.select_related("actor")),
            "permit_type__depends_on",
        )
    )
    return fetch(queryset, user, pk)


def project_get(*, user: User, pk) -> Project:
    return fetch(Project.objects.select_related("owner"), user, pk)


def checklist(*, project: Project) -> list[PermitItem]:
    """The project's items in the sequence's order, each with its type's prerequisites (the
    caller has fetched the project in scope). Two queries."""
    return list(
        PermitItem.objects.filter(project=project)
        .select_related("permit_type")
        .prefetch_related("permit_type__depends_on")
        .order_by("permit_type__order", "pk")
    )


# --- warnings in SQL (the board's filter, the cockpit, reminders) --------------------------------


def overdue_q(today: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": OPEN_STATUSES, f"{prefix}planned_date__lt": today})


def expiring_q(today: datetime.date, rules: PermitRules, prefix: str = "") -> Q:
    horizon = today + datetime.timedelta(days=rules.expiry_warning_days)
    permit = Q(**{f"{prefix}permit_type__applicability": "construction_permit"})
    not_started = Q(**{f"{prefix}project__actual_start__isnull": True})
    needed = Exists(PermitItem.objects.filter(
        project_id=OuterRef(f"{prefix}project_id"), status__in=OPEN_STATUSES,
        permit_type__depends_on=OuterRef(f"{prefix}permit_type_id"),
    ))  # fmt: skip
    return Q(**{f"{prefix}status": PermitStatus.APPROVED, f"{prefix}valid_until__lte": horizon}) & (
        (permit & not_started) | (~permit & needed)
    )


def stuck_q(today: datetime.date, types: list[PermitType]) -> Q:
    """Items longer in their status than their type's typical working days: one cut-off date
    per type (the catalogue has a dozen), so the filter stays in SQL."""
    q = Q(pk__in=[])
    for permit_type in types:
        cutoff = minus_working_days(today, permit_type.typical_days + 1)
        q |= Q(permit_type=permit_type, status_since__lte=cutoff)
    return Q(status__in=STUCK_STATUSES) & q


def warning_q(kind: str, today: datetime.date) -> Q:
    if kind == WarningKind.OVERDUE:
        return overdue_q(today)
    if kind == WarningKind.EXPIRING:
        return expiring_q(today, PermitRules.current())
    if kind == WarningKind.STUCK:
        return stuck_q(today, list(PermitType.objects.all()))
    return Q()


# --- the project page's panel --------------------------------------------------------------------


def project_summary(*, user: User, project: Project, today: datetime.date) -> dict | None:
    """Counts of a project's checklist for its registry page: one query."""
    counts = (
        PermitItem.objects.for_user(user)
        .filter(project=project)
        .aggregate(
            total=Count("pk"),
            approved=Count("pk", filter=Q(status=PermitStatus.APPROVED)),
            not_applicable=Count("pk", filter=Q(status=PermitStatus.NOT_APPLICABLE)),
            submitted=Count("pk", filter=Q(status=PermitStatus.SUBMITTED)),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("pk", filter=overdue_q(today)),
        )
    )
    return counts


# --- the inbox (portal.inbox) --------------------------------------------------------------------


def approves(user: User) -> bool:
    return PermitItem.access_policy.may_take_somewhere(user, "approve") and not (
        is_subsidiary_user(user)
    )


def fills(user: User) -> bool:
    return is_subsidiary_user(user) and PermitItem.access_policy.may_take_somewhere(user, "submit")


def inbox_to_approve(user: User) -> QuerySet[PermitItem] | None:
    """Items submitted to their issuer, for the officers who record the decision."""
    if not approves(user):
        return None
    return PermitItem.objects.for_user(user, "approve").filter(status=PermitStatus.SUBMITTED)


def inbox_returned(user: User) -> QuerySet[PermitItem] | None:
    """Items the centre returned to the subsidiary, to be prepared and submitted again."""
    if not fills(user):
        return None
    return (
        PermitItem.objects.for_user(user, "submit")
        .filter(status=PermitStatus.PREPARING)
        .exclude(return_comment="")
    )


def inbox_overdue(user: User) -> QuerySet[PermitItem] | None:
    """The subsidiary's items past their planned date."""
    if not fills(user):
        return None
    from django.utils import timezone

    return PermitItem.objects.for_user(user, "submit").filter(overdue_q(timezone.localdate()))


def approvals_since(user: User, since: datetime.datetime) -> QuerySet[PermitEvent]:
    """Approvals others recorded since `since` on projects `user` sees (the workbench feed)."""
    return PermitEvent.objects.filter(
        org_q(user, "item__project__owner"), at__gt=since, action="approve"
    ).exclude(actor=user)
