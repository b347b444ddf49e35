"""The reminders of preliminary work (portal.notifications): items past their planned date,
for the owning subsidiary's people who submit them; approvals whose validity (or the
construction permit's start window) ends within the warning period, for them and for the
officers who record extensions. Reminders go to those who can act (decision 0019)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils.translation import gettext as _

from portal.access import Action
from portal.choices import Role
from portal.models import User
from portal.notifications import ReminderItem, ReminderKind, ReminderSource
from preliminary.choices import PermitStatus
from preliminary.models import PermitItem, PermitRules
from preliminary.selectors import expiring_q, overdue_q


def _key(item: PermitItem) -> str:
    return f"preliminary.permititem:{item.pk}"


def _people(item: PermitItem, users: list[User], action: str) -> list[User]:
    policy = PermitItem.access_policy
    owner = item.project.owner
    return [u for u in users if policy.allows_org(u, action, owner)]


def _items(today: datetime.date, q, *, action: str, officers: bool,
           title: Callable, text: Callable) -> list[ReminderItem]:  # fmt: skip
    items = list(
        PermitItem.objects.filter(q)
        .select_related("project__owner", "permit_type")
        .order_by("planned_date", "pk")
    )
    if not items:
        return []
    roles = [Role.REPORTER, Role.MANAGER] + ([Role.OFFICER] if officers else [])
    users = list(User.objects.filter(is_active=True, role__in=roles)
                 .select_related("organisation").order_by("pk"))  # fmt: skip
    result = []
    for item in items:
        people = [u for u in _people(item, users, action)
                  if officers or u.role != Role.OFFICER]  # fmt: skip
        if people:
            result.append(
                ReminderItem(
                    key=_key(item),
                    recipients=people,
                    title=title(item),
                    text=text(item, today),
                    url=item.get_absolute_url(),
                )
            )
    return result


def overdue_items(today: datetime.date) -> list[ReminderItem]:
    """Items still to obtain past their planned date: for those who submit them."""
    return _items(
        today, overdue_q(today), action="submit", officers=False,
        title=lambda i: _("Permit overdue: %(code)s %(name)s")
        % {"code": i.project.code, "name": i.permit_type.name},
        text=lambda i, day: _("%(code)s %(project)s: %(name)s, planned %(planned)s, "
                              "%(days)s days overdue")
        % {"code": i.project.code, "project": i.project.name, "name": i.permit_type.name,
           "planned": i.planned_date.isoformat(), "days": (day - i.planned_date).days},
    )  # fmt: skip


def expiring_items(today: datetime.date) -> list[ReminderItem]:
    """Approvals ending within the warning period: for the subsidiary and the officers. The
    thresholds are read only when some approval has a validity at all (one small query on a
    portal that records none)."""
    if not PermitItem.objects.filter(status=PermitStatus.APPROVED,
                                     valid_until__isnull=False).exists():  # fmt: skip
        return []
    return _items(
        today, expiring_q(today, PermitRules.current()), action=Action.CHANGE, officers=True,
        title=lambda i: _("Permit expiring: %(code)s %(name)s")
        % {"code": i.project.code, "name": i.permit_type.name},
        text=lambda i, day: _("%(code)s %(project)s: %(name)s %(number)s valid until %(until)s")
        % {"code": i.project.code, "project": i.project.name, "name": i.permit_type.name,
           "number": i.document_number, "until": i.valid_until.isoformat()},
    )  # fmt: skip


def _overdue_heading() -> str:
    return _("These permits are past their planned approval date:")


def _expiring_heading() -> str:
    return _("These permits expire within %(days)s days (a construction permit: its start "
             "window closes):") % {"days": PermitRules.current().expiry_warning_days}  # fmt: skip


SOURCES = (
    ReminderSource(name="preliminary.overdue", kind=ReminderKind.OVERDUE, items=overdue_items,
                   heading=_overdue_heading, link_url_name="preliminary:board", order=40),
    ReminderSource(name="preliminary.expiring", kind=ReminderKind.DUE_SOON,
                   items=expiring_items, heading=_expiring_heading,
                   link_url_name="preliminary:board", order=41),
)  # fmt: skip
