"""Who may see and change what: the one place that decides.

Every scoped model names its `AccessPolicy`; its queryset's `.for_user(user, action)` turns the
policy into a filter, and `get_for_user()` fetches one row or answers 404 for both "missing" and
"forbidden", so that a record hidden in one place (page, API, export, search) is hidden in all.
Nothing outside this module filters by organisation by hand.

The rules (ARCHITECTURE.md, "Access rules"):
- group leadership reads everything and changes nothing;
- centre officers read everything; they change the registry, and the records of the functions
  they hold;
- subsidiary managers and reporters read their own organisation's (sub)tree only; what they may
  change is each policy's `own_change`;
- administrators (role admin, or superusers) read and change everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from portal.choices import Function, Role

if TYPE_CHECKING:
    from portal.models import Organisation, User


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"


# --- role predicates: plain functions, one per question the portal asks --------------------------


def is_admin(user: User) -> bool:
    return bool(
        user.is_authenticated and user.is_active and (user.is_superuser or user.role == Role.ADMIN)
    )


def sees_whole_group(user: User) -> bool:
    """Leadership, centre officers and administrators read every organisation's records."""
    return is_admin(user) or (
        user.is_authenticated and user.is_active and user.role in (Role.LEADER, Role.OFFICER)
    )


def is_subsidiary_user(user: User) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.organisation_id
        and user.role in (Role.MANAGER, Role.REPORTER)
    )


def holds_function(user: User, function: Function | str) -> bool:
    if is_admin(user):
        return True
    return bool(
        user.is_authenticated
        and user.role == Role.OFFICER
        and str(function) in (user.functions or [])
    )


def user_functions(user: User) -> list[str]:
    if is_admin(user):
        return list(Function.values)
    if user.is_authenticated and user.role == Role.OFFICER:
        return [f for f in Function.values if f in (user.functions or [])]
    return []


# --- policies ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """Who may take one action (change, or a workflow step such as "accept") on a model's rows.

    group: roles that take it on rows of every organisation.
    own: roles that take it on rows of their own organisation and those under it.
    function: when set, an officer in `group` takes it only while holding this function, so an
        officer who holds only design gets exactly the design steps.
    Administrators take every step.
    """

    group: frozenset[Role] = field(default_factory=frozenset)
    own: frozenset[Role] = field(default_factory=frozenset)
    function: Function | None = None

    def on_every_organisation(self, user: User) -> bool:
        if not (user.is_authenticated and user.is_active):
            return False
        if is_admin(user):
            return True
        if user.role not in self.group:
            return False
        return (
            self.function is None
            or user.role != Role.OFFICER
            or holds_function(user, self.function)
        )

    def on_own_organisation(self, user: User) -> bool:
        return is_subsidiary_user(user) and user.role in self.own

    def may_take_somewhere(self, user: User) -> bool:
        return self.on_every_organisation(user) or self.on_own_organisation(user)


def step(*, group=(), own=(), function: Function | None = None) -> Step:
    """A `Step` from plain role lists: `step(group=[Role.OFFICER], function=Function.DESIGN)`."""
    return Step(group=frozenset(group), own=frozenset(own), function=function)


@dataclass(frozen=True)
class AccessPolicy:
    """How one model is scoped.

    org_field: the lookup from the model to the Organisation that owns a row ("owner",
        "project__owner").
    group_change, own_change, function: who changes rows (the `change` step), as in `Step`.
    steps: the model's other actions (workflow steps), each with its own `Step`; an action
        neither `view`, `change` nor named here is allowed to administrators only.
    Seeing a row (`view`) is the same for every model: leadership, officers and administrators
    see every organisation's rows, subsidiary users their own (sub)tree's.
    """

    org_field: str
    group_change: frozenset[Role] = field(default_factory=frozenset)
    own_change: frozenset[Role] = field(default_factory=frozenset)
    function: Function | None = None
    steps: Mapping[str, Step] = field(default_factory=dict)

    def rule(self, action: str) -> Step:
        if action == Action.CHANGE:
            return Step(group=self.group_change, own=self.own_change, function=self.function)
        return self.steps.get(str(action), Step())

    def changes_all(self, user: User) -> bool:
        return self.rule(Action.CHANGE).on_every_organisation(user)

    def q(self, user: User, action: Action | str) -> Q:
        """The filter that keeps exactly the rows `user` may `action` (whatever their state)."""
        if not (user.is_authenticated and user.is_active):
            return NOTHING
        if action == Action.VIEW:
            if sees_whole_group(user):
                return Q()
            return org_q(user, self.org_field)
        rule = self.rule(action)
        if rule.on_every_organisation(user):
            return Q()
        if rule.on_own_organisation(user):
            return org_q(user, self.org_field)
        return NOTHING

    def allows_org(
        self, user: User, action: Action | str, organisation: Organisation | None
    ) -> bool:
        """Whether `user` may `action` a row owned by `organisation` (used before it exists)."""
        if not (user.is_authenticated and user.is_active) or organisation is None:
            return False
        if action == Action.VIEW:
            return sees_whole_group(user) or in_own_tree(user, organisation)
        rule = self.rule(action)
        if rule.on_every_organisation(user):
            return True
        return rule.on_own_organisation(user) and in_own_tree(user, organisation)

    def may_change_any(self, user: User) -> bool:
        """Whether `user` may change some row of this model (to show or hide buttons)."""
        return self.may_take_somewhere(user, Action.CHANGE)

    def may_take_somewhere(self, user: User, action: Action | str) -> bool:
        if action == Action.VIEW:
            return sees_whole_group(user) or is_subsidiary_user(user)
        return self.rule(action).may_take_somewhere(user)

    def owner_of(self, obj: models.Model) -> Organisation | None:
        value: Any = obj
        for part in self.org_field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def allows(self, user: User, action: Action | str, obj: models.Model) -> bool:
        return self.allows_org(user, action, self.owner_of(obj))


NOTHING = Q(pk__in=[])


def in_own_tree(user: User, organisation: Organisation) -> bool:
    return is_subsidiary_user(user) and organisation.path.startswith(user.organisation.path)


def org_q(user: User, org_field: str = "") -> Q:
    """The filter on `org_field` (a lookup to an Organisation; "" for Organisation itself) that
    keeps the organisations `user` reads: every one for leadership, officers and
    administrators, its own (sub)tree for a subsidiary user, none for anyone else (a user
    without a role, an inactive one)."""
    if not (user.is_authenticated and user.is_active):
        return NOTHING
    if sees_whole_group(user):
        return Q()
    if is_subsidiary_user(user):
        prefix = f"{org_field}__" if org_field else ""
        return Q(**{f"{prefix}path__startswith": user.organisation.path})
    return NOTHING


def allows(user: User, action: Action | str, obj: models.Model) -> bool:
    """Whether `user` may take `action` ("view", "change", or a workflow step) on `obj`."""
    return type(obj).access_policy.allows(user, action, obj)


def users_allowed(action: Action | str, obj: models.Model) -> list[User]:
    """The active users (administrators aside) who may take `action` on `obj`: whom a step's
    notice or a reminder goes to. One query narrowed in SQL to the step's group roles and to the
    own roles of the owner's organisation and its parents; the functions are checked here."""
    from portal.models import User  # the base may import its own models

    policy: AccessPolicy = type(obj).access_policy
    rule = policy.rule(action)
    owner = policy.owner_of(obj)
    if owner is None:
        return []
    parts = owner.path.strip("/").split("/")
    tree = ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]
    wanted = Q(role__in=list(rule.group)) | Q(role__in=list(rule.own), organisation__path__in=tree)
    candidates = User.objects.filter(wanted, is_active=True).select_related("organisation")
    return [user for user in candidates if allows(user, action, obj)]


class ScopedQuerySet(models.QuerySet):
    """Base queryset of every model scoped by organisation (NetBox's `restrict`)."""

    def for_user(self, user: User, action: Action | str = Action.VIEW) -> ScopedQuerySet:
        policy: AccessPolicy = self.model.access_policy
        return self.filter(policy.q(user, action))


def get_for_user(
    queryset: models.QuerySet, user: User, pk: Any, action: Action | str = Action.VIEW
) -> Any:
    """One row `user` may `action`, or Http404 whether it is missing or forbidden (Zulip's
    `access_*`): a subsidiary user learns nothing about another subsidiary's records."""
    try:
        return queryset.for_user(user, action).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def fetch(
    queryset: models.QuerySet | type[models.Model],
    user: User,
    pk: Any,
    action: Action | str = Action.VIEW,
    *,
    refusal: str = "",
) -> Any:
    """The helper every view, API action and import uses to reach one row: the row if `user`
    sees it (404 when missing or unseen, alike), then PermissionDenied (403) unless `user` may
    take `action` on it. `refusal` is the 403's message."""
    if isinstance(queryset, type):
        queryset = queryset.objects.all()
    obj = get_for_user(queryset, user, pk, Action.VIEW)
    if action != Action.VIEW and not allows(user, action, obj):
        raise PermissionDenied(refusal or _("Your role may not do this."))
    return obj


def require(allowed: bool, refusal: str = "") -> None:
    """403 unless `allowed`: for actions that are not on one row (create, upload, export)."""
    if not allowed:
        raise PermissionDenied(refusal or _("Your role may not do this."))


def organisations_for(user: User, action: Action | str, policy: AccessPolicy) -> models.QuerySet:
    """Organisations `user` may pick as the owner of a row of `policy` it creates (`change`), or
    whose rows it reads (`view`)."""
    from portal.models import Organisation  # the base may import its own models

    active = Organisation.objects.filter(is_active=True)
    if action == Action.VIEW:
        return active.filter(org_q(user))
    rule = policy.rule(action)
    if rule.on_every_organisation(user):
        return active
    if rule.on_own_organisation(user):
        return active.filter(org_q(user))
    return Organisation.objects.none()
