"""The two pages of "what waits for me": the inbox (every source, every row) and the workbench
(工作台, the home page): the first rows of each source, what falls due this week, and what
changed on the user's projects since they last looked. Both read only through the registries
(portal.inbox, portal.activity), so adding an app adds no query to either."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from portal import activity, inbox, navigation
from portal.models import User

PER_SOURCE = 5  # rows of each source on the workbench; "see all" opens the inbox
DUE_WITHIN_DAYS = 7  # "falls due this week": from today to a week on
DUE_LIMIT = 8  # the rest are in the inbox, one click away
EVENTS_LIMIT = 20
FIRST_LOOK_DAYS = 7  # the feed of a user who never opened the workbench starts this long ago


def by_kind(sections: Iterable[inbox.Section]) -> list[tuple[str, list[inbox.Section]]]:
    """Sections grouped by their kind (overdue, to fill, to review, ...), in the kinds' order."""
    order = {kind.value: index for index, kind in enumerate(inbox.Kind)}
    groups: dict[str, list[inbox.Section]] = {}
    for section in sorted(sections, key=lambda s: order.get(s.source.kind, len(order))):
        groups.setdefault(section.source.kind, []).append(section)
    return [(group[0].source.kind_label, group) for group in groups.values()]


VISIT = datetime.timedelta(minutes=30)


class InboxView(LoginRequiredMixin, View):
    """Everything that waits for me, grouped by kind: one query for every source's rows (the
    navigation's badge is then read from the cache this refreshes)."""

    def get(self, request):
        sections = inbox.sections(request.user)
        return render(request, "portal/inbox.html", {
            "groups": by_kind(sections),
            "sections": {s.source.key: s for s in sections},
            "total": sum(s.count for s in sections),
        })  # fmt: skip


def workbench(user: User, *, now: datetime.datetime | None = None) -> dict:
    """The workbench's context; marks it seen (the next visit's feed starts now)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sections, due_soon = inbox.first_rows(
        user, per_source=PER_SOURCE, due_within=DUE_WITHIN_DAYS, due_limit=DUE_LIMIT, today=today
    )
    since = user.workbench_seen_at or now - datetime.timedelta(days=FIRST_LOOK_DAYS)
    events = activity.recent(user, since=since, limit=EVENTS_LIMIT)
    # A visit lasts VISIT: reloading the page (or a browser's prefetch) within it keeps the same
    # "since you last looked" instead of emptying it. One UPDATE when a new visit starts, no
    # history row and no signal: a timestamp of the user's own reading.
    if user.workbench_seen_at is None or now - user.workbench_seen_at >= VISIT:
        User.objects.filter(pk=user.pk).update(workbench_seen_at=now)
    waiting = [s for s in sections if s.count]
    return {
        "groups": by_kind(waiting),
        "waiting_total": sum(s.count for s in waiting),
        "due_soon": due_soon,
        "due_until": today + datetime.timedelta(days=DUE_WITHIN_DAYS),
        "events": events,
        "seen_at": user.workbench_seen_at,
        "entries": [e for e in navigation.entries_for(user) if e.key not in ("home", "inbox")],
    }
