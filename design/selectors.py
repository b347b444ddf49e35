"""Reads of design management, scoped and with their joins, and the cost chain's figures.

The forecast and the flags are computed when read (design.rules.chain_figures), from the
chain, the registry's approved estimate and the approved changes: never stored, so that an
approved change, a new 概算 or a threshold edited in the admin shows at once everywhere
(docs/decisions/0031-design-changes-by-tier.md).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from design import rules
from design.choices import WAITING, ChangeStatus, Tier
from design.models import (
    CHANGE_POLICY,
    CostChain,
    DesignChange,
    DesignChangeEvent,
    DesignRules,
    DesignStage,
)
from portal.access import Action, fetch, is_admin, is_subsidiary_user, org_q
from portal.models import User
from projects.models import Project

MONEY = DecimalField(max_digits=18, decimal_places=2)


def change_list(*, user: User) -> QuerySet[DesignChange]:
    """Design changes `user` may see, with what a register row shows joined in."""
    return DesignChange.objects.for_user(user, Action.VIEW).select_related(
        "project__owner", "submitted_by", "decided_by"
    )


def change_get(*, user: User, pk, action: str = Action.VIEW) -> DesignChange:
    """One change with its events: 404 when missing or unseen, 403 when seen but `action` is
    not the user's."""
    queryset = DesignChange.objects.select_related(
        "project__owner", "submitted_by", "decided_by", "created_by"
    ).prefetch_related(
        Prefetch("events", queryset=DesignChangeEvent.objects.select_related("actor"))
    )
    return fetch(queryset, user, pk, action)


def change_totals(queryset: QuerySet[DesignChange]) -> dict[str, Decimal]:
    """Requested and approved amounts of a (filtered) set of changes, in one query."""
    totals = queryset.order_by().aggregate(
        requested=Coalesce(Sum("amount_requested"), Value(Decimal(0)), output_field=MONEY),
        approved=Coalesce(
            Sum("amount_approved", filter=Q(status=ChangeStatus.APPROVED)),
            Value(Decimal(0)),
            output_field=MONEY,
        ),
        count=Count("pk"),
    )
    return totals


def approved_sum(changes) -> Decimal:
    """The approved amounts of the approved changes among `changes` (already read)."""
    return sum(
        (c.amount_approved or Decimal(0) for c in changes if c.status == ChangeStatus.APPROVED),
        Decimal(0),
    )


def chain_of(project: Project, chain: CostChain | None, approved: Decimal) -> rules.ChainFigures:
    """The cost chain's figures of `project` (its 概算 is the registry's)."""
    return rules.chain_figures(
        feasibility_estimate=chain.feasibility_estimate if chain else None,
        budget_estimate=project.approved_budget_estimate,
        budget=chain.budget if chain else None,
        approved_changes=approved,
        rules=DesignRules.current(),
    )


def cost_chain_row(project: Project) -> CostChain | None:
    """The project's chain if it has one (read with the project when select_related)."""
    try:
        return project.cost_chain
    except CostChain.DoesNotExist:
        return None


@dataclass(frozen=True)
class ProjectDesign:
    project: Project
    stages: list[DesignStage]
    chain: CostChain | None
    figures: rules.ChainFigures
    changes: list[DesignChange]


def project_design(*, user: User, pk) -> ProjectDesign:
    """A project's design tab: its stages, its cost chain with the flags and forecast, and its
    changes. Four queries: the project with its owner and chain, the stages, the changes (the
    approved sum is added up from them), and the rules (cached)."""
    project = fetch(Project.objects.select_related("owner", "cost_chain"), user, pk)
    stages = list(DesignStage.objects.filter(project=project).order_by("sequence"))
    changes = list(
        DesignChange.objects.filter(project=project)
        .select_related("submitted_by", "decided_by")
        .order_by("-created_at", "-pk")
    )
    chain = cost_chain_row(project)
    figures = chain_of(project, chain, approved_sum(changes))
    return ProjectDesign(project, stages, chain, figures, changes)


def stage_get(*, user: User, pk, action: str = Action.VIEW) -> DesignStage:
    return fetch(DesignStage.objects.select_related("project__owner"), user, pk, action)


def stage_list(*, user: User) -> QuerySet[DesignStage]:
    return DesignStage.objects.for_user(user, Action.VIEW).select_related("project__owner")


def chain_list(*, user: User) -> QuerySet[Project]:
    """Projects `user` sees, each with its chain and its approved changes' sum: the API's cost
    chains (one per project, whether or not its chain was recorded yet)."""
    approved = (
        DesignChange.objects.filter(project=OuterRef("pk"), status=ChangeStatus.APPROVED)
        .order_by()
        .values("project")
        .annotate(total=Sum("amount_approved"))
        .values("total")
    )
    return (
        Project.objects.for_user(user, Action.VIEW)
        .select_related("owner", "cost_chain")
        .annotate(
            approved_changes=Coalesce(Subquery(approved, output_field=MONEY), Value(Decimal(0)))
        )
    )


def project_panel(*, project: Project) -> dict:
    """The short summary of the project page's design panel: one query."""
    stages = DesignStage.objects.filter(project=OuterRef("pk")).order_by().values("project")
    changes = DesignChange.objects.filter(project=OuterRef("pk")).order_by().values("project")

    def count(queryset, **filters):
        return Coalesce(
            Subquery(queryset.filter(**filters).annotate(n=Count("pk")).values("n")), Value(0)
        )

    row = (
        Project.objects.filter(pk=project.pk)
        .annotate(
            stages_total=count(stages),
            stages_done=count(stages, actual_finish__isnull=False),
            changes_total=count(changes),
            changes_waiting=count(changes, status__in=WAITING),
            approved_changes=Coalesce(
                Subquery(
                    changes.filter(status=ChangeStatus.APPROVED)
                    .annotate(total=Sum("amount_approved"))
                    .values("total"),
                    output_field=MONEY,
                ),
                Value(Decimal(0)),
            ),
            feasibility_estimate=Subquery(
                CostChain.objects.filter(project=OuterRef("pk")).values("feasibility_estimate")
            ),
            budget=Subquery(CostChain.objects.filter(project=OuterRef("pk")).values("budget")),
        )
        .values(
            "stages_total", "stages_done", "changes_total", "changes_waiting",
            "approved_changes", "feasibility_estimate", "budget", "approved_budget_estimate",
        )
        .get()
    )  # fmt: skip
    figures = rules.chain_figures(
        feasibility_estimate=row["feasibility_estimate"],
        budget_estimate=row["approved_budget_estimate"],
        budget=row["budget"],
        approved_changes=row["approved_changes"],
        rules=DesignRules.current(),
    )
    return {**row, "figures": figures}


# --- the inbox (portal.inbox) -------------------------------------------------------------------


def _decides_q(user: User) -> Q | None:
    """The waiting changes `user` decides at their tier, as a filter (None: none ever)."""
    parts = []
    for step, q in (
        ("approve_minor", Q(status=ChangeStatus.SUBMITTED, tier=Tier.MINOR)),
        ("approve_major", Q(status=ChangeStatus.SUBMITTED, tier=Tier.MAJOR)),
        ("recommend", Q(status=ChangeStatus.SUBMITTED, tier=Tier.CRITICAL)),
        ("approve_critical", Q(status=ChangeStatus.RECOMMENDED)),
    ):
        if CHANGE_POLICY.may_take_somewhere(user, step):
            parts.append(q & CHANGE_POLICY.q(user, step))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


def inbox_to_decide(user: User) -> QuerySet[DesignChange] | None:
    """Changes waiting for `user`'s decision at their tier: minor ones for the owning
    subsidiary's manager, major and critical ones for the centre's design officers."""
    wanted = _decides_q(user)
    if wanted is None:
        return None
    return DesignChange.objects.filter(wanted)


def inbox_returned(user: User) -> QuerySet[DesignChange] | None:
    """Changes returned to the user's subsidiary, to be corrected and resubmitted."""
    if not is_subsidiary_user(user) or is_admin(user):
        return None
    return DesignChange.objects.for_user(user, "submit").filter(status=ChangeStatus.RETURNED)


def change_events_since(user: User, since: datetime.datetime) -> QuerySet[DesignChangeEvent]:
    """Steps others took since `since` on changes of projects `user` sees."""
    return DesignChangeEvent.objects.filter(
        org_q(user, "change__project__owner"), at__gt=since
    ).exclude(actor=user)


def waiting_longer_than(days: int, today: datetime.date) -> QuerySet[DesignChange]:
    """Changes waiting for a decision since before `today - days` (reminders)."""
    cutoff = today - datetime.timedelta(days=days)
    return (
        DesignChange.objects.waiting()
        .filter(submitted_at__date__lt=cutoff)
        .select_related("project__owner")
        .order_by("submitted_at", "pk")
    )
