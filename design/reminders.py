"""The reminder of design management: a change waiting for a decision longer than
`DesignRules.remind_after_days`, for whoever decides it at its tier (the owning subsidiary's
manager, or the centre's design officers). Three queries, whatever the number of changes;
`portal.notifications` claims and sends, never twice for the same change, person and day."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from design import selectors, services
from design.models import DesignChange, DesignRules
from portal.access import allows
from portal.choices import Role
from portal.models import User
from portal.notifications import ReminderItem, ReminderKind, ReminderSource


def waiting_items(today: datetime.date) -> list[ReminderItem]:
    if not DesignChange.objects.waiting().exists():
        return []  # one query, and the rules' row is not even read
    days = DesignRules.current().remind_after_days
    changes = list(selectors.waiting_longer_than(days, today))
    if not changes:
        return []
    people = list(
        User.objects.filter(is_active=True, role__in=[Role.OFFICER, Role.MANAGER])
        .select_related("organisation")
        .order_by("pk")
    )
    items = []
    for change in changes:
        step = services.decider_step(change)
        recipients = [user for user in people if allows(user, step, change)]
        if recipients:
            items.append(ReminderItem(
                key=f"design.designchange:{change.pk}",
                recipients=recipients,
                title=_("Design change waiting for approval: %(number)s") % {
                    "number": change.number},
                text=_("%(number)s %(project)s (%(owner)s), %(tier)s, submitted %(day)s") % {
                    "number": change.number, "project": change.project.name,
                    "owner": change.project.owner, "tier": change.get_tier_display(),
                    "day": change.submitted_at.date().isoformat()},
                url=change.get_absolute_url(),
            ))  # fmt: skip
    return items


def _heading() -> str:
    return _("These design changes have waited more than %(days)s days for your approval:") % {
        "days": DesignRules.current().remind_after_days
    }


SOURCES = (
    ReminderSource(
        name="design.waiting",
        kind=ReminderKind.WAITING_REVIEW,
        items=waiting_items,
        heading=_heading,
        link_url_name="inbox",
        order=40,
    ),
)
