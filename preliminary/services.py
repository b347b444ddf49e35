"""Every write of preliminary work, and the rules its steps check.

- The size rule: `applicable_types(project)` picks the catalogue's types a project needs.
- Checklists: `checklist_ensure(project=)` creates the missing items, never a duplicate.
- Edits: `permit_update(actor=, item=, version=, fields=)` checks the dates and saves with the
  optimistic lock; the workflow steps go through `portal.workflow.transition_perform`, with
  the checks and effects declared on `PermitItem`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import access, workflow
from portal.models import User
from preliminary.choices import DONE_STATUSES, Applicability, PermitStatus
from preliminary.models import PermitItem, PermitRules, PermitType, add_months
from projects.models import Project

# What people edit on an item's page and through the API (the workflow sets the rest).
OWNER_FIELDS = ("planned_date", "submitted_date", "responsible", "note")
OFFICER_FIELDS = (*OWNER_FIELDS, "document_number", "approved_date", "valid_until")


# --- the size rule -------------------------------------------------------------------------------


def is_applicable(permit_type: PermitType, project: Project, rules: PermitRules) -> bool:
    """Whether `project` needs `permit_type` by its size (DOMAIN.md §1). Boundaries: exactly
    the proposal threshold needs the proposal; exactly the feasibility threshold needs the
    feasibility study; exactly the exemption limits need the construction permit."""
    amount = project.total_investment
    rule = permit_type.applicability
    if rule == Applicability.PROPOSAL:
        return amount >= rules.proposal_from
    if rule == Applicability.FEASIBILITY:
        return amount >= rules.feasibility_from
    if rule == Applicability.CONSTRUCTION_PERMIT:
        return not is_small_works(project, rules)
    return True


def is_small_works(project: Project, rules: PermitRules) -> bool:
    """Exempt from the construction permit: under the amount, or under the floor area (a
    project without a floor area, such as a road, is judged by its amount alone)."""
    if project.total_investment < rules.exempt_below_yuan:
        return True
    return project.floor_area is not None and project.floor_area < rules.exempt_below_m2


def applicable_types(
    project: Project, *, rules: PermitRules | None = None,
    types: Iterable[PermitType] | None = None,
) -> list[PermitType]:  # fmt: skip
    """The active catalogue types `project` needs, in the sequence's order."""
    rules = rules or PermitRules.current()
    if types is None:
        types = PermitType.objects.filter(is_active=True).order_by("order", "code")
    return [t for t in types if t.is_active and is_applicable(t, project, rules)]


# --- checklists ----------------------------------------------------------------------------------


def checklist_ensure(*, project: Project, types: list[PermitType] | None = None,
                     rules: PermitRules | None = None) -> int:  # fmt: skip
    """Create the project's missing items, one per applicable type; returns how many were
    made. Idempotent: an item that exists (whatever its status) is left alone, and the unique
    constraint stops a concurrent run from adding it twice."""
    wanted = applicable_types(project, rules=rules, types=types)
    have = set(PermitItem.objects.filter(project=project).values_list("permit_type_id", flat=True))
    today = timezone.localdate()
    new = [PermitItem(project=project, permit_type=t, status_since=today)
           for t in wanted if t.pk not in have]  # fmt: skip
    PermitItem.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        from portal import inbox

        inbox.changed()  # bulk_create sends no post_save
    return len(new)


def checklists_ensure_all(*, projects: Iterable[Project] | None = None) -> int:
    """`checklist_ensure` for every project (the management command)."""
    types = list(PermitType.objects.filter(is_active=True).order_by("order", "code"))
    rules = PermitRules.current()
    made = 0
    queryset = Project.objects.all() if projects is None else projects
    for project in queryset.iterator() if hasattr(queryset, "iterator") else queryset:
        made += checklist_ensure(project=project, types=types, rules=rules)
    return made


def project_registered(sender, instance: Project, created: bool, raw: bool = False,
                       **kwargs) -> None:  # fmt: skip
    """post_save of a project (connected in PreliminaryConfig.ready): a new project gets its
    checklist in the same transaction."""
    if created and not raw:
        checklist_ensure(project=instance)


# --- dates ---------------------------------------------------------------------------------------


def start_deadline(item: PermitItem, rules: PermitRules | None = None) -> datetime.date | None:
    """The construction permit's start deadline: the approval plus the start window and its
    extensions."""
    if item.approved_date is None:
        return None
    rules = rules or PermitRules.current()
    months = rules.start_window_months + item.extensions * rules.extension_months
    return add_months(item.approved_date, months)


def valid_until_for(item: PermitItem, approved: datetime.date | None) -> datetime.date | None:
    """Valid-until for an item approved on `approved`: the type's validity, or the construction
    permit's start window."""
    if approved is None:
        return None
    if item.permit_type.is_construction_permit:
        rules = PermitRules.current()
        return add_months(approved, rules.start_window_months + item.extensions
                          * rules.extension_months)  # fmt: skip
    months = item.permit_type.validity_months
    return add_months(approved, months) if months else None


def permit_validate(
    item: PermitItem,
    values: dict[str, Any],
    *,
    today: datetime.date | None = None,
    approving: bool = False,
) -> None:
    """The dates and the document number of `item` with `values` applied, each refusal at its
    field: nothing submitted or approved in the future, no approval before the submission,
    no validity ending before the approval, and an approved item keeps its number and date."""
    today = today or timezone.localdate()
    merged = {name: values.get(name, getattr(item, name)) for name in OFFICER_FIELDS}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():  # each value within its field first (length, limit)
        try:
            PermitItem._meta.get_field(name).clean(value, item)
        except ValidationError as exc:
            errors[name] = exc.messages
    submitted, approved = merged["submitted_date"], merged["approved_date"]
    if submitted and submitted > today:
        errors.setdefault("submitted_date", []).append(
            _("A submission date cannot be in the future.")
        )
    if approved and approved > today:
        errors.setdefault("approved_date", []).append(
            _("An approval date cannot be in the future.")
        )
    elif approved and submitted and approved < submitted:
        errors.setdefault("approved_date", []).append(
            _("The approval cannot be before the submission (%(date)s).")
            % {"date": submitted.isoformat()}
        )
    if merged["valid_until"] and approved and merged["valid_until"] < approved:
        errors.setdefault("valid_until", []).append(
            _("Valid-until cannot be before the approval date.")
        )
    if item.status == PermitStatus.APPROVED or approving:
        if not (merged["document_number"] or "").strip():
            errors.setdefault("document_number", []).append(
                _("The document number (批复文号) is required to approve.")
            )
        if not approved:
            errors.setdefault("approved_date", []).append(
                _("The approval date is required to approve.")
            )
    elif item.status != PermitStatus.APPROVED:
        for name in ("approved_date", "document_number", "valid_until"):
            if values.get(name):
                errors.setdefault(name, []).append(
                    _("Recorded when the item is approved (the Approve step).")
                )
    if errors:
        raise ValidationError(errors)


def editable_fields(user: User, item: PermitItem) -> tuple[str, ...]:
    """The fields `user` may edit on `item` now: none without the change right; the owner's
    people edit open items' dates, responsible person and note; officers also correct an
    approved item's number and dates."""
    if not access.allows(user, "change", item):
        return ()
    officer = PermitItem.access_policy.changes_all(user)
    if item.status == PermitStatus.APPROVED:
        return OFFICER_FIELDS if officer else ("note",)
    if item.status == PermitStatus.NOT_APPLICABLE:
        return ("note",)
    return OWNER_FIELDS


@transaction.atomic
def permit_update(*, actor: User, item: PermitItem, version: int, fields: dict[str, Any],
                  today: datetime.date | None = None) -> PermitItem:  # fmt: skip
    """Save edited fields of `item`. Caller: `actor` may change `item`. Refuses fields the
    actor may not edit now, bad dates (at their fields) and a stale `version` (409)."""
    allowed = editable_fields(actor, item)
    refused = sorted(set(fields) - set(allowed))
    if refused:
        raise ValidationError({name: [_("You may not change this field now.")] for name in refused})
    fields = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    permit_validate(item, fields, today=today)
    changed = {k: v for k, v in fields.items() if getattr(item, k) != v}
    workflow.claim(item, version=version, statuses=PermitStatus.values, **changed)
    item._history_user = actor
    item.save()
    return item


# --- the steps' rules ---------------------------------------------------------------------------


def permit_check_submit(
    item: PermitItem, *, actor: User, today: datetime.date | None = None, **kwargs
) -> None:
    """A submission date typed before submitting may not be in the future."""
    permit_validate(item, {}, today=today)


def permit_check_approve(item: PermitItem, *, actor: User, today: datetime.date | None = None,
                         document_number: str | None = None,
                         approved_date: datetime.date | None = None,
                         valid_until: datetime.date | None = None, **kwargs) -> None:  # fmt: skip
    """The approval needs its document number and date (given with the step, or recorded on
    the item before), in the right order."""
    values: dict[str, Any] = {}
    if document_number is not None:
        values["document_number"] = document_number.strip()
    if approved_date is not None:
        values["approved_date"] = approved_date
    elif item.approved_date is None:
        values["approved_date"] = today or timezone.localdate()
    if valid_until is not None:
        values["valid_until"] = valid_until
    permit_validate(item, values, today=today, approving=True)


def blockers(item: PermitItem) -> list[PermitItem]:
    """The project's items of the types `item` depends on that are neither approved nor set
    aside (a type the project does not need has no item, and blocks nothing)."""
    needed = item.permit_type.depends_on.values_list("pk", flat=True)
    return list(
        PermitItem.objects.filter(project_id=item.project_id, permit_type_id__in=list(needed))
        .exclude(status__in=DONE_STATUSES)
        .select_related("permit_type")
        .order_by("permit_type__order")
    )


def permit_order_override(item: PermitItem, comment: str) -> str:
    """The sequence rule of the approve step: refused, naming the missing items, while an item
    it depends on is open, unless the officer says why (the comment, kept as the reason)."""
    missing = blockers(item)
    if not missing:
        return ""
    if not comment:
        names = "、".join(m.permit_type.name for m in missing)
        raise ValidationError({"comment": [
            _("Not yet approved: %(names)s. Approve those first, or say here why this one is "
              "approved before them.") % {"names": names}
        ]})  # fmt: skip
    return comment


def permit_check_extend(item: PermitItem, *, actor: User, **kwargs) -> None:
    """Only the construction permit's start window is extended, at most `max_extensions`."""
    rules = PermitRules.current()
    if not item.permit_type.is_construction_permit:
        raise ValidationError(_("Only the construction permit's start window can be extended."))
    if item.extensions >= rules.max_extensions:
        raise ValidationError(
            _("The start window was already extended %(count)s times, the most allowed.")
            % {"count": item.extensions}
        )
    if item.approved_date is None:
        raise ValidationError({"approved_date": [_("The approval date is required to approve.")]})


def permit_approve(*, actor: User, item: PermitItem, document_number: str,
                   approved_date: datetime.date | None, valid_until: datetime.date | None = None,
                   comment: str = "", version: int | None = None,
                   today: datetime.date | None = None) -> PermitItem:  # fmt: skip
    """Record the issuer's approval with its number and date (the page's and the API's
    approve)."""
    workflow.transition_perform(
        actor=actor, obj=item, name="approve", comment=comment, version=version,
        document_number=document_number or "", approved_date=approved_date,
        valid_until=valid_until, today=today,
    )  # fmt: skip
    return item


def permit_owners(item: PermitItem, event) -> list[User]:
    """Who hears of the centre's decision: the owning subsidiary's people who keep its items."""
    return [u for u in access.users_allowed("change", item) if access.is_subsidiary_user(u)]


def permit_officers(item: PermitItem, event) -> list[User]:
    """Who hears of a submission: the officers who record approvals."""
    return [u for u in access.users_allowed("approve", item) if not access.is_admin(u)]
