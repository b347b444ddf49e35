"""The warnings of a permit item and of a project's checklist: pure functions of the records,
today and the thresholds (no query beyond what the caller loaded), so pages, the board's
filter, the cockpit and the tests agree.

- overdue: still to obtain (not started, preparing, submitted) and its planned date has passed;
- expiring: approved and valid until within `expiry_warning_days` (or already past); for the
  construction permit, its start window (approval + 3 months + 3 per extension) while the
  project has not started;
- stuck: preparing or submitted for more working days than the type typically takes;
- over target: a project's working days from its first submission to its last approval (or
  today while items are open) above the provincial target.

Working days are Monday to Friday; public holidays are not known to the portal and count as
working days (a stretch over the Spring Festival looks a week longer than it was).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from preliminary.choices import OPEN_STATUSES, PermitStatus, WarningKind
from preliminary.models import PermitItem, PermitRules

STUCK_STATUSES = (PermitStatus.PREPARING, PermitStatus.SUBMITTED)


def working_days(start: datetime.date, end: datetime.date) -> int:
    """Weekdays from `start` (counted) to `end` (not counted): Monday to Tuesday is 1; 0 when
    `end` is not after `start`. Public holidays are not subtracted."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    weekday = start.weekday()
    for offset in range(rest):
        if (weekday + offset) % 7 < 5:
            count += 1
    return count


def minus_working_days(day: datetime.date, count: int) -> datetime.date:
    """The latest date D with working_days(D, day) >= count (for SQL cut-offs), or the first
    day of the calendar when there is none (a planned date typed as 0001-01-01 must not
    overflow the Gantt chart)."""
    current = day
    while working_days(current, day) < count:
        if current == datetime.date.min:
            return current
        current -= datetime.timedelta(days=1)
    return current


@dataclass(frozen=True)
class ItemWarning:
    kind: str  # WarningKind
    days: int  # days overdue, days left (negative: expired), working days stuck
    text: str = ""

    @property
    def label(self) -> str:
        return str(WarningKind(self.kind).label)


def overdue_days(item: PermitItem, today: datetime.date) -> int | None:
    """Calendar days past the planned date of an item still to obtain, else None."""
    if item.status not in OPEN_STATUSES or item.planned_date is None:
        return None
    days = (today - item.planned_date).days
    return days if days > 0 else None


def expiry_days(item: PermitItem, today: datetime.date, rules: PermitRules,
                needed: bool | None = None) -> int | None:  # fmt: skip
    """Days left before an approved item's validity (or start window) ends, when within the
    warning period or already past; None otherwise.

    A validity matters only while it is still needed: an approval while an open item of the
    project depends on it (`needed`; default: the `still_needed` the selectors annotate), the
    construction permit while the project has not started. A proposal approved three years
    ago whose feasibility study was approved since is not "expired" in any useful sense."""
    if item.status != PermitStatus.APPROVED or item.valid_until is None:
        return None
    if item.permit_type.is_construction_permit:
        if item.project.actual_start is not None:
            return None
    elif not (getattr(item, "still_needed", True) if needed is None else needed):
        return None
    left = (item.valid_until - today).days
    return left if left <= rules.expiry_warning_days else None


def stuck_days(item: PermitItem, today: datetime.date) -> int | None:
    """Working days in its status, when longer than the type's typical working days."""
    if item.status not in STUCK_STATUSES:
        return None
    days = working_days(item.status_since, today)
    return days if days > item.permit_type.typical_days else None


def item_warnings(item: PermitItem, today: datetime.date, rules: PermitRules,
                  needed: bool | None = None) -> list[ItemWarning]:  # fmt: skip
    found = []
    days = overdue_days(item, today)
    if days is not None:
        found.append(ItemWarning(WarningKind.OVERDUE, days))
    days = expiry_days(item, today, rules, needed)
    if days is not None:
        found.append(ItemWarning(WarningKind.EXPIRING, days))
    days = stuck_days(item, today)
    if days is not None:
        found.append(ItemWarning(WarningKind.STUCK, days))
    return found


@dataclass(frozen=True)
class Elapsed:
    """A project's approvals against the target: the working days its approvals spent with
    their issuers (see `project_elapsed`)."""

    days: int | None  # None: nothing submitted yet
    running: bool  # some applicable item is still open
    target: int
    national: int

    @property
    def over(self) -> bool:
        return self.days is not None and self.days > self.target


def still_needed(items: Iterable[PermitItem]) -> dict[int, bool]:
    """For a project's items (with their types' prerequisites loaded): item id -> whether an
    open item of the project depends on it."""
    items = list(items)
    wanted = set()
    for item in items:
        if item.status in OPEN_STATUSES:
            wanted.update(d.pk for d in item.permit_type.depends_on.all())
    return {item.pk: item.permit_type_id in wanted for item in items}


def project_elapsed(items: Iterable[PermitItem], today: datetime.date,
                    rules: PermitRules) -> Elapsed:  # fmt: skip
    """The working days the project's approvals spent with their issuers: the union of every
    item's time from submission to approval (to today while it is still with the issuer), so
    approvals running in parallel (并联审批) count once and the time the company spends
    preparing a file is not the authorities' (the reform's targets count the issuers' time)."""
    items = [i for i in items if i.status != PermitStatus.NOT_APPLICABLE]
    running = any(i.status in OPEN_STATUSES for i in items)
    spans = sorted(
        (i.submitted_date, i.approved_date or today)
        for i in items
        if i.submitted_date and (i.approved_date or i.status == PermitStatus.SUBMITTED)
    )
    if not spans:
        return Elapsed(None, running, rules.provincial_target_days, rules.national_target_days)
    days, (start, end) = 0, spans[0]
    for span_start, span_end in spans[1:]:
        if span_start <= end:  # overlaps the span being built: extend it
            end = max(end, span_end)
        else:
            days += working_days(start, end)
            start, end = span_start, span_end
    days += working_days(start, end)
    return Elapsed(days, running, rules.provincial_target_days,
                   rules.national_target_days)  # fmt: skip
