"""Every write of design management. Each service is one transaction; the pages, the API, the
signal on project registration and the demo call these, and none repeats their checks.

Callers must have checked who may act (`portal.access.allows` on the record, or
`may_decide` for the approver's amount); the services check the data and the state: dates in
order, an approved amount above the requested one with a note, a change still open for editing,
nobody saved in between (version).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from design.choices import EDITABLE, WAITING, ChangeStatus, StageKind, Tier
from design.models import (
    DECIDING_STEP,
    CostChain,
    DesignChange,
    DesignStage,
)
from portal import access, workflow
from portal.models import User
from projects.models import Project

STAGE_FIELDS = frozenset({"planned_start", "planned_finish", "actual_start", "actual_finish",
                          "designer", "reviewer", "outcome", "note"})  # fmt: skip
CHAIN_FIELDS = frozenset({"feasibility_estimate", "feasibility_doc_no", "feasibility_date",
                          "budget", "budget_doc_no", "note"})  # fmt: skip
CHANGE_FIELDS = frozenset({"number", "kind", "contract_name", "contract_sum", "reason",
                           "amount_requested"})  # fmt: skip
DECISION_FIELDS = frozenset({"amount_approved", "approval_note"})


def _unknown(data: dict, allowed: frozenset[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )


# --- stages --------------------------------------------------------------------------------------


@transaction.atomic
def stages_ensure(*, project: Project, actor: User | None = None) -> int:
    """Give `project` the design stages it lacks, in order; returns how many were made. Safe to
    run any number of times. Caller: `actor` may change the project's stages (or it is the
    registration of the project, `actor` then being its registrant or nobody)."""
    have = set(DesignStage.objects.filter(project=project).values_list("kind", flat=True))
    missing = [DesignStage(project=project, kind=kind) for kind in StageKind.values
               if kind not in have]  # fmt: skip
    for stage in missing:  # bulk_create skips save(): set the order here
        stage.sequence = StageKind.values.index(stage.kind)
    if missing:
        bulk_create_with_history(missing, DesignStage, default_user=actor)
    return len(missing)


@transaction.atomic
def stage_update(*, actor: User, stage: DesignStage, version: int, **data: Any) -> DesignStage:
    """Record a stage's dates, designer, reviewer, outcome or note. Caller: `actor` may change
    this stage. Refuses bad dates (at their fields) and a stale `version`: someone saved the
    stage since it was read (ConflictError, 409)."""
    _unknown(data, STAGE_FIELDS)
    for name, value in data.items():
        setattr(stage, name, value)
    stage.full_clean(exclude=["version"])
    # A stage has no status: its kind, which never changes, stands for it.
    workflow.claim(stage, version=version, statuses=[stage.kind], field="kind")
    stage._history_user = actor
    stage.save()
    return stage


# --- the cost chain ------------------------------------------------------------------------------


@transaction.atomic
def cost_chain_save(*, actor: User, project: Project, budget_estimate=None, **data: Any
                    ) -> CostChain:  # fmt: skip
    """Record a project's feasibility estimate (估算), construction budget (预算) and, through
    to the registry, its approved budget estimate (概算, `Project.approved_budget_estimate`:
    the one number, kept there with the project's history). Caller: `actor` may change the
    project's cost chain (COST_POLICY), which implies the registry entry."""
    _unknown(data, CHAIN_FIELDS)
    chain = CostChain.objects.filter(project=project).first() or CostChain(project=project)
    for name, value in data.items():
        setattr(chain, name, value)
    errors: dict[str, list[str]] = {}
    try:
        chain.full_clean(exclude=["project"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    field = Project._meta.get_field("approved_budget_estimate")
    try:
        field.clean(budget_estimate, project)
    except ValidationError as exc:
        errors["budget_estimate"] = exc.messages
    if errors:
        raise ValidationError(errors)
    chain._history_user = actor
    chain.save()
    if project.approved_budget_estimate != budget_estimate:
        project.approved_budget_estimate = budget_estimate
        project._history_user = actor
        project.save(update_fields=["approved_budget_estimate", "updated_at"])
    return chain


# --- changes -------------------------------------------------------------------------------------

NUMBER_PREFIX = "BG-{code}-"


def next_number(project: Project) -> str:
    """BG-<project code>-001, -002, …: one more than the highest of this project's numbers."""
    prefix = NUMBER_PREFIX.format(code=project.code)
    numbers = DesignChange.objects.filter(project=project, number__startswith=prefix) \
        .values_list("number", flat=True)  # fmt: skip
    highest = max((int(m.group(1)) for n in numbers
                   if (m := re.fullmatch(re.escape(prefix) + r"(\d+)", n))), default=0)  # fmt: skip
    return f"{prefix}{highest + 1:03d}"


def _validate_change(change: DesignChange) -> None:
    """The row's own rules, each value within its field first (the tier computes with them);
    a number the project already has is refused at the number."""
    errors: dict[str, list[str]] = {}
    try:
        change.full_clean(exclude=["project"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    taken = DesignChange.objects.filter(project_id=change.project_id, number=change.number)
    if change.number and "number" not in errors and taken.exclude(pk=change.pk).exists():
        errors["number"] = [_("This project already has a change with this number.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def change_create(*, actor: User, project: Project, **data: Any) -> DesignChange:
    """Raise a design change (a draft) on `project`, numbered if no number is given, with its
    tier. Caller: `actor` may change design changes of the project's owner."""
    _unknown(data, CHANGE_FIELDS)
    change = DesignChange(project=project, created_by=actor)
    for name, value in data.items():
        setattr(change, name, value.strip() if isinstance(value, str) else value)
    if not change.number:
        change.number = next_number(project)
    _validate_change(change)
    change.refresh_tier()
    change._history_user = actor
    change.save()
    return change


@transaction.atomic
def change_update(*, actor: User, change: DesignChange, version: int, **data: Any
                  ) -> DesignChange:  # fmt: skip
    """Change a draft or returned change; its tier follows the amount. Caller: `actor` may
    change this change. Refuses a change no longer editable and a stale `version`."""
    _unknown(data, CHANGE_FIELDS)
    workflow.require_state(change, EDITABLE)
    for name, value in data.items():
        setattr(change, name, value.strip() if isinstance(value, str) else value)
    if not change.number:
        change.number = next_number(change.project)
    _validate_change(change)
    workflow.claim(change, version=version, statuses=EDITABLE)
    change.refresh_tier()
    change._history_user = actor
    change.save()
    return change


def decider_step(change: DesignChange, tier: str | None = None) -> str:
    """The access step of whoever decides `change` at `tier` (default: its stored tier) now."""
    if change.status == ChangeStatus.RECOMMENDED:
        return "approve_critical"
    return DECIDING_STEP[tier or change.tier]


def may_decide(user: User, change: DesignChange) -> bool:
    """Whether `user` approves (or returns, or sets the approved amount of) `change` at its
    tier, in its present state."""
    return change.status in WAITING and access.allows(user, decider_step(change), change)


@transaction.atomic
def change_set_decision(*, actor: User, change: DesignChange, version: int, **data: Any
                        ) -> DesignChange:  # fmt: skip
    """The approver sets the amount approved (and the note it needs when above the requested
    amount) before approving; the tier follows the larger of the two amounts. Caller:
    `may_decide(actor, change)`."""
    _unknown(data, DECISION_FIELDS)
    workflow.require_state(change, WAITING)
    for name, value in data.items():
        setattr(change, name, value.strip() if isinstance(value, str) else value)
    _validate_change(change)
    workflow.claim(change, version=version, statuses=[change.status])
    change.refresh_tier()
    change._history_user = actor
    change.save()  # the history names the approver and the amounts
    return change


def change_step(*, actor: User, change: DesignChange, name: str, comment: str = "",
                version: int | None = None) -> DesignChange:  # fmt: skip
    """Take one step of the change's approval route (portal.workflow)."""
    workflow.transition_perform(actor=actor, obj=change, name=name, comment=comment,
                                version=version)  # fmt: skip
    return change


# --- checks, effects and recipients of the steps (named in the declarations) ---------------------

TIER_ROUTES = {
    Tier.MINOR: gettext_lazy("approved by the owning subsidiary's manager"),
    Tier.MAJOR: gettext_lazy("approved by a centre officer holding design management"),
    Tier.CRITICAL: gettext_lazy("reviewed by the centre and decided by the group meeting"),
}


def tier_refusal(change: DesignChange, tier: str, step: str) -> PermissionDenied:
    label = workflow.get_transition(DesignChange, step).label
    return PermissionDenied(
        _("Change %(number)s is %(tier)s: it is %(route)s, so “%(step)s” is not on its route.")
        % {"number": change, "tier": Tier(tier).label, "route": TIER_ROUTES[tier], "step": label}
    )


def _check_tier(change: DesignChange, wanted: str, step: str) -> None:
    # The cumulative share reads the project's other approved changes: hold the project's row
    # until the step commits, so two approvals at the same moment on the same project are
    # judged one after the other and their sum cannot slip past the 5 % together.
    list(Project.objects.select_for_update().filter(pk=change.project_id).values_list("pk"))
    verdict = change.tier_verdict()
    if verdict.tier != wanted:
        raise tier_refusal(change, verdict.tier, step)


def change_check_minor(change: DesignChange, *, actor: User, **kwargs) -> None:
    _check_tier(change, Tier.MINOR, "approve_minor")


def change_check_major(change: DesignChange, *, actor: User, **kwargs) -> None:
    _check_tier(change, Tier.MAJOR, "approve_major")


def change_check_critical(change: DesignChange, *, actor: User, **kwargs) -> None:
    step = "approve_critical" if change.status == ChangeStatus.RECOMMENDED else "recommend"
    _check_tier(change, Tier.CRITICAL, step)


def change_check_decider(change: DesignChange, *, actor: User, **kwargs) -> None:
    """Return: only whoever decides at the change's tier."""
    tier = change.tier_verdict().tier if change.status == ChangeStatus.SUBMITTED else change.tier
    if not access.allows(actor, decider_step(change, tier), change):
        raise tier_refusal(change, tier, "return")


def change_check_submit(change: DesignChange, *, actor: User, **kwargs) -> None:
    """A change is submitted complete: its reason and amount, by the row's own rules."""
    _validate_change(change)


def change_check_withdraw(change: DesignChange, *, actor: User, **kwargs) -> None:
    """Only the person who submitted it withdraws a change (administrators aside)."""
    if change.submitted_by_id and change.submitted_by_id != actor.pk and not access.is_admin(actor):
        raise PermissionDenied(
            _("Only %(person)s, who submitted change %(number)s, may withdraw it.")
            % {"person": change.submitted_by, "number": change}
        )


def change_deciders(change: DesignChange, event) -> list[User]:
    """Who hears that a change waits: those who decide it at its tier now."""
    return access.users_allowed(decider_step(change), change)


def change_fillers(change: DesignChange, event) -> list[User]:
    """Who hears of a decision: the owning subsidiary's people and whoever submitted it."""
    people = [u for u in access.users_allowed("submit", change) if access.is_subsidiary_user(u)]
    if change.submitted_by_id and all(u.pk != change.submitted_by_id for u in people):
        people.append(change.submitted_by)
    return people
