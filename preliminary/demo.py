"""Demo step of preliminary work: each project's checklist, agreeing with its stage.

- in preliminary work: early items approved, the next one being prepared or with its issuer,
  nothing from the works planning permit on (no construction permit);
- in design: land and feasibility approved, the preliminary design in progress or approved;
- in tendering: everything up to the drawing review approved, the tenders or the construction
  permit under way, the construction permit not yet granted;
- in construction: everything through the construction permit approved, its number and date
  before the actual start; completion acceptance planned on the planned finish;
- completed or in operation: everything approved, completion on the actual finish.

Planned dates run along the sequence by the types' typical durations; approvals fall near their
planned dates, never after today or in the wrong order. A few items under way are past their
planned date (under four weeks: amber on the cockpit, never red) and a few proposals expire
within the month while their feasibility study is still open.

Its own random generator, seeded from the date (not drawn from `ctx.rng`), so the other steps
generate exactly what they did before this step existed. Bulk inserts `CHUNK` projects at a
time: the same step makes the benchmark's 10,000 projects.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from portal.demo import CHUNK, DemoContext, insert
from preliminary import catalogue
from preliminary.choices import PermitStatus
from preliminary.models import PermitEvent, PermitItem, PermitRules, PermitType, add_months
from preliminary.services import applicable_types
from projects.choices import Stage
from projects.demo import PERSONS

OVERDUE_EVERY = 12  # one project in this many with an item under way is past its planned date
OVERDUE_MAX_DAYS = 25  # under PORTAL["RAG"]["PERMIT_OVERDUE_RED_DAYS"] (30): amber, not red
EXPIRING_EVERY = 2  # one in this many proposals still serving an open feasibility study
# Where the item under way may be, per stage: (first, last) type codes, both included.
FRONTIER = {
    Stage.PRELIMINARY: ("land_prereview", "land_use_planning"),
    Stage.DESIGN: ("preliminary_design", "drawing_review"),
    Stage.TENDERING: ("tenders", "construction_permit"),
}
NUMBERS = {
    "proposal": "滨发改审批〔{y}〕{n}号", "land_prereview": "滨自然资预审〔{y}〕{n}号",
    "energy_review": "滨发改能审〔{y}〕{n}号", "eia": "滨环审〔{y}〕{n}号",
    "feasibility": "滨发改审批〔{y}〕{n}号", "land_use_planning": "地字第320105{y}{n:05d}号",
    "preliminary_design": "滨发改设计〔{y}〕{n}号", "works_planning": "建字第320105{y}{n:05d}号",
    "drawing_review": "滨施审〔{y}〕{n}号", "tenders": "滨招备〔{y}〕{n}号",
    "construction_permit": "320105{y}{m:02d}{d:02d}{n:04d}", "completion": "滨竣备〔{y}〕{n}号",
}  # fmt: skip


# Issuers answer well within a type's typical (statutory) time once a file is complete: the
# reform's promised times (承诺时限) are about half of it. So an approved item's time with its
# issuer is this share of the typical working days, and most demo projects keep within the
# provincial 100 working days.
ANSWERED_SHARE = 0.5


def _answered_in(permit_type) -> int:
    return max(1, round(permit_type.typical_days * ANSWERED_SHARE))


def _calendar(working: int) -> int:
    return round(working * 7 / 5)


def _number(rng: random.Random, code: str, day: datetime.date) -> str:
    template = NUMBERS.get(code, "〔{y}〕{n}号")
    return template.format(y=day.year, m=day.month, d=day.day, n=rng.randint(12, 480))


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 30)))


def _plan(rng, project, types, today, seen: dict) -> list[dict]:
    """The items of one project as field values, agreeing with its stage."""
    codes = [t.code for t in types]
    index = {code: i for i, code in enumerate(codes)}
    stage = project.stage
    n = len(types)
    if stage in FRONTIER:
        first, last = FRONTIER[stage]
        low = index.get(first, 0)
        high = index.get(last, index.get("tenders", n - 2))
        frontier = rng.randint(low, max(low, high))
    elif stage == Stage.CONSTRUCTION:
        frontier = n - 1  # completion acceptance ahead
    else:
        frontier = n  # everything approved
    gaps = [_calendar(t.typical_days) + rng.randint(3, 12) for t in types]
    planned: list[datetime.date] = [today] * n
    started = project.actual_start
    if started is not None and "construction_permit" in index:
        anchor = index["construction_permit"]
        planned[anchor] = started - datetime.timedelta(days=rng.randint(12, 40))
    elif started is not None:
        anchor = max(0, n - 2)
        planned[anchor] = started - datetime.timedelta(days=rng.randint(12, 40))
    else:
        anchor = min(frontier, n - 1)
        seen["under_way"] = seen.get("under_way", 0) + 1
        late = seen["under_way"] % OVERDUE_EVERY == OVERDUE_EVERY // 2  # a steady few
        offset = -rng.randint(2, OVERDUE_MAX_DAYS) if late else rng.randint(6, 50)
        planned[anchor] = today + datetime.timedelta(days=offset)
    for i in range(anchor - 1, -1, -1):
        planned[i] = planned[i + 1] - datetime.timedelta(days=gaps[i + 1])
    for i in range(anchor + 1, n):
        planned[i] = planned[i - 1] + datetime.timedelta(days=gaps[i])
        if i > frontier and planned[i] <= today:  # not started yet: planned ahead
            planned[i] = today + datetime.timedelta(days=7 * (i - frontier) + gaps[i])
    if types[-1].code == "completion" and project.planned_finish:
        planned[-1] = max(planned[-2], project.planned_finish)

    rows, previous = [], None
    for i, permit_type in enumerate(types):
        row = {"permit_type": permit_type, "planned_date": planned[i],
               "responsible": rng.choice(PERSONS), "status": PermitStatus.NOT_STARTED,
               "status_since": today}  # fmt: skip
        if i < frontier:
            limit = today - datetime.timedelta(days=1)
            if permit_type.code == "construction_permit" and started:
                limit = started - datetime.timedelta(days=rng.randint(3, 10))
            if permit_type.code == "completion" and project.actual_finish:
                approved = min(today, project.actual_finish + datetime.timedelta(rng.randint(0, 8)))
            else:
                approved = min(limit, planned[i] + datetime.timedelta(days=rng.randint(-8, 4)))
            approved = max(approved, previous) if previous else approved
            submitted = approved - datetime.timedelta(
                days=_calendar(_answered_in(permit_type)) + rng.randint(-2, 3)
            )
            row.update(status=PermitStatus.APPROVED, approved_date=approved,
                       submitted_date=min(submitted, approved), status_since=approved,
                       document_number=_number(rng, permit_type.code, approved))  # fmt: skip
            previous = approved
        elif i == frontier and stage in FRONTIER:  # the item under way
            if rng.random() < 0.6:
                submitted = min(
                    today,
                    planned[i]
                    - datetime.timedelta(
                        days=_calendar(permit_type.typical_days) - rng.randint(0, 3)
                    ),
                )
                submitted = max(submitted, previous or submitted)
                row.update(status=PermitStatus.SUBMITTED, submitted_date=submitted,
                           status_since=submitted)  # fmt: skip
            else:
                row.update(
                    status=PermitStatus.PREPARING,
                    status_since=today - datetime.timedelta(days=rng.randint(2, 20)),
                )
        rows.append(row)
    return rows


def _valid_until(row: dict, rules: PermitRules) -> datetime.date | None:
    permit_type, approved = row["permit_type"], row.get("approved_date")
    if not approved:
        return None
    if permit_type.is_construction_permit:
        return add_months(approved, rules.start_window_months)
    return add_months(approved, permit_type.validity_months) if permit_type.validity_months \
        else None  # fmt: skip


def generate(ctx: DemoContext) -> None:
    rng = random.Random(f"preliminary-{ctx.today.isoformat()}")
    today = ctx.today
    catalogue.ensure(PermitType)
    rules = PermitRules.current()
    types = list(PermitType.objects.filter(is_active=True).prefetch_related("depends_on")
                 .order_by("order", "code"))  # fmt: skip
    projects = ctx.data.get("projects") or []
    officer = ctx.users.get("officer")
    reporters = {u.organisation_id: u for u in ctx.users.values() if u.role == "reporter"}
    with_events = len(projects) <= 1000 and officer is not None
    counts = {"items": 0, "approved": 0, "overdue": 0, "expiring": 0}
    seen: dict[str, int] = {}  # running counts that pick the few late and expiring items
    for first in range(0, len(projects), CHUNK):
        items, plans = [], []
        for project in projects[first : first + CHUNK]:
            needed = applicable_types(project, rules=rules, types=types)
            rows = _plan(rng, project, needed, today, seen)
            _maybe_expiring(rng, rows, today, counts, seen)
            for row in rows:
                item = PermitItem(project=project, valid_until=_valid_until(row, rules), **row)
                items.append(item)
                plans.append(row)
                counts["approved"] += item.status == PermitStatus.APPROVED
                counts["overdue"] += item.is_open and item.planned_date < today
        insert(PermitItem, items)
        counts["items"] += len(items)
        if with_events:
            insert(PermitEvent, _events(items, officer, reporters))
    ctx.log(f"  {counts['items']} permit items ({counts['approved']} approved, "
            f"{counts['overdue']} overdue, {counts['expiring']} expiring)")  # fmt: skip


def _maybe_expiring(rng, rows: list[dict], today: datetime.date, counts: dict,
                    seen: dict) -> None:  # fmt: skip
    """A few proposals approved almost two years ago whose feasibility study is still open:
    their validity ends within the month."""
    by_code = {row["permit_type"].code: row for row in rows}
    proposal, feasibility = by_code.get("proposal"), by_code.get("feasibility")
    if not (proposal and feasibility and proposal["status"] == PermitStatus.APPROVED
            and feasibility["status"] != PermitStatus.APPROVED):  # fmt: skip
        return
    seen["proposals"] = seen.get("proposals", 0) + 1
    if seen["proposals"] % EXPIRING_EVERY:
        return
    months = proposal["permit_type"].validity_months or 24
    approved = add_months(today, -months) + datetime.timedelta(days=rng.randint(5, 25))
    submitted = approved - datetime.timedelta(days=9)
    proposal.update(approved_date=approved, submitted_date=submitted, status_since=approved,
                    planned_date=approved + datetime.timedelta(days=2))  # fmt: skip
    counts["expiring"] += 1


def _events(items: list[PermitItem], officer, reporters: dict) -> list[PermitEvent]:
    events = []
    for item in items:
        filler = reporters.get(item.project.owner_id, officer)
        if item.submitted_date:
            events.append(PermitEvent(item=item, action="submit", actor=filler,
                                      at=_at(item.submitted_date, 10), from_state="preparing",
                                      to_state="submitted"))  # fmt: skip
        if item.status == PermitStatus.APPROVED:
            events.append(PermitEvent(item=item, action="approve", actor=officer,
                                      at=_at(item.approved_date, 15), from_state="submitted",
                                      to_state="approved", comment=""))  # fmt: skip
    return events
