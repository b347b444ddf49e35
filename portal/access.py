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

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.http import Http404

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
class AccessPolicy:
    """How one model is scoped.

    org_field: the lookup from the model to the Organisation that owns a row ("owner",
        "project__owner").
    group_change: roles that change rows of every organisation.
    own_change: roles that change rows of their own organisation and those under it.
    function: when set, officers change rows only while holding this function.
    """

    org_field: str
    group_change: frozenset[Role] = field(default_factory=frozenset)
    own_change: frozenset[Role] = field(default_factory=frozenset)
    function: Function | None = None

    def changes_all(self, user: User) -> bool:
        if not (user.is_authenticated and user.is_active):
            return False
        if is_admin(user):
            return True
        if user.role not in self.group_change:
            return False
        return (
            self.function is None
            or user.role != Role.OFFICER
            or holds_function(user, self.function)
        )

    def q(self, user: User, action: Action) -> Q:
        """The filter that keeps exactly the rows `user` may `action`."""
        nothing = Q(pk__in=[])
        if not (user.is_authenticated and user.is_active):
            return nothing
        if action == Action.VIEW:
            if sees_whole_group(user):
                return Q()
            if is_subsidiary_user(user):
                return Q(**{f"{self.org_field}__path__startswith": user.organisation.path})
            return nothing
        if self.changes_all(user):
            return Q()
        if user.role in self.own_change and is_subsidiary_user(user):
            return Q(**{f"{self.org_field}__path__startswith": user.organisation.path})
        return nothing

    def allows_org(self, user: User, action: Action, organisation: Organisation | None) -> bool:
        """Whether `user` may `action` a row owned by `organisation` (used before it exists)."""
        if not (user.is_authenticated and user.is_active) or organisation is None:
            return False
        if action == Action.VIEW and sees_whole_group(user):
            return True
        if action == Action.CHANGE and self.changes_all(user):
            return True
        if not is_subsidiary_user(user):
            return False
        if action == Action.CHANGE and user.role not in self.own_change:
            return False
        return organisation.path.startswith(user.organisation.path)

    def may_change_any(self, user: User) -> bool:
        """Whether `user` may change some row of this model (to show or hide buttons)."""
        return self.changes_all(user) or (is_subsidiary_user(user) and user.role in self.own_change)

    def owner_of(self, obj: models.Model) -> Organisation | None:
        value: Any = obj
        for part in self.org_field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def allows(self, user: User, action: Action, obj: models.Model) -> bool:
        return self.allows_org(user, action, self.owner_of(obj))


class ScopedQuerySet(models.QuerySet):
    """Base queryset of every model scoped by organisation (NetBox's `restrict`)."""

    def for_user(self, user: User, action: Action | str = Action.VIEW) -> ScopedQuerySet:
        policy: AccessPolicy = self.model.access_policy
        return self.filter(policy.q(user, Action(action)))


def get_for_user(
    queryset: models.QuerySet, user: User, pk: Any, action: Action | str = Action.VIEW
) -> Any:
    """One row `user` may `action`, or Http404 whether it is missing or forbidden (Zulip's
    `access_*`): a subsidiary user learns nothing about another subsidiary's records."""
    try:
        return queryset.for_user(user, action).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def organisations_for(user: User, action: Action, policy: AccessPolicy) -> models.QuerySet:
    """Filter on Organisation for the owners `user` may pick when creating a row."""
    from portal.models import Organisation  # the base may import its own models

    if action == Action.CHANGE and policy.changes_all(user):
        return Organisation.objects.filter(is_active=True)
    if action == Action.VIEW and sees_whole_group(user):
        return Organisation.objects.filter(is_active=True)
    if is_subsidiary_user(user) and (action == Action.VIEW or user.role in policy.own_change):
        return Organisation.objects.filter(is_active=True, path__startswith=user.organisation.path)
    return Organisation.objects.none()
