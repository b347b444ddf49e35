"""Red/amber/green that explains itself (DOMAIN.md section 5).

Each rule is a pure function of one project's facts: it returns a Cause (its level, the numbers
that decided it, the link to the record behind it) or None. A project's colour is the worst of
its causes; green when rules could judge it and none fired. Every limit comes from
settings.PORTAL["RAG"], the one place to tune them.

Rules that read facts from apps not installed yet (permits, findings, payments) simply find no
fact and stay silent; the app's figure provider (portal.figures) brings the fact when it lands.
The facts' keys are `portal.figures.Fact`; a rule's own name is the key of its stored cause.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from dashboard.models import RAG_ORDER, Rag
from portal.figures import Fact


@dataclass(frozen=True)
class Facts:
    """What the rules know of one project in one year, as of `today`."""

    today: datetime.date
    planned: Decimal  # annual plan
    completed_ytd: Decimal
    elapsed_pct: Decimal  # the time-elapsed plan, 0-100
    planned_start: datetime.date | None = None
    actual_start: datetime.date | None = None
    finished: bool = False  # completed or in operation: no longer judged on pace or start
    reports_url: str = ""
    project_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # facts from the figure providers


@dataclass(frozen=True)
class Cause:
    rule: str
    level: str  # a Rag value
    params: dict[str, Any]
    url: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "level": self.level, "params": self.params, "url": self.url}


def limits() -> dict[str, float]:
    return settings.PORTAL["RAG"]


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def time_elapsed_pct(year: int, today: datetime.date) -> Decimal:
    """The time-elapsed plan (序时进度) of `year` seen from `today`: the share of the year's
    months whose reports are due. November's report is due in December, so on 23 November
    ten months of twelve have elapsed. Past years 100, future years 0."""
    if year < today.year:
        return Decimal(100)
    if year > today.year:
        return Decimal(0)
    return (Decimal(today.month - 1) * 100 / 12).quantize(Decimal("0.01"))


def completion_pct(planned: Decimal, completed: Decimal) -> Decimal | None:
    if not planned or planned <= 0:
        return None
    return (completed * 100 / planned).quantize(Decimal("0.01"))


# --- the rules ----------------------------------------------------------------------------------


def investment_lag(facts: Facts) -> Cause | None:
    """Completion rate against the time-elapsed plan: lag under 10 points green, 10 to 30
    amber, over 30 red. A finished project (completed, in operation) is not judged: what it
    did not spend of its plan is a saving, not a lag."""
    if facts.finished:
        return None
    rate = completion_pct(facts.planned, facts.completed_ytd)
    if rate is None:
        return None
    lag = facts.elapsed_pct - rate
    if lag > Decimal(str(limits()["INVESTMENT_LAG_RED"])):
        level = Rag.RED
    elif lag >= Decimal(str(limits()["INVESTMENT_LAG_AMBER"])):
        level = Rag.AMBER
    else:
        return None
    params = {"completion": float(rate), "elapsed": float(facts.elapsed_pct),
              "lag": float(lag)}  # fmt: skip
    return Cause("investment_lag", level, params, facts.reports_url)


def start_missed(facts: Facts) -> Cause | None:
    """The planned start has passed without a start: amber, red once three months late."""
    planned = facts.planned_start
    if facts.finished or planned is None or facts.actual_start is not None:
        return None
    if planned >= facts.today:
        return None
    red_from = add_months(planned, limits()["START_MISSED_RED_MONTHS"])
    level = Rag.RED if facts.today >= red_from else Rag.AMBER
    params = {"planned_start": planned.isoformat(), "days": (facts.today - planned).days}
    return Cause("start_missed", level, params, facts.project_url)


def _days_rule(rule: str, fact: str, amber: int | None, orange: int | None, red: int):
    """A rule on a fact {"days": n, ...}: amber from `amber` days (None: never amber), orange
    from `orange`, red from `red`."""

    def evaluate(facts: Facts) -> Cause | None:
        found = facts.extra.get(fact)
        if not found or found.get("days", 0) < 1:
            return None
        days = found["days"]
        if days >= limits()[red]:
            level = Rag.RED
        elif orange and days >= limits()[orange]:
            level = Rag.ORANGE
        elif amber is None:
            return None
        else:
            level = Rag.AMBER
        params = {k: v for k, v in found.items() if k != "url"}
        return Cause(rule, level, params, found.get("url", ""))

    evaluate.__name__ = rule
    return evaluate


milestone_late = _days_rule("milestone_late", Fact.MILESTONE_LATE, 1, "MILESTONE_ORANGE_DAYS",
                            "MILESTONE_RED_DAYS")  # fmt: skip
_report_days = _days_rule("report_late", Fact.REPORT_LATE, 1, None, "REPORT_LATE_RED_DAYS")


def report_late(facts: Facts) -> Cause | None:
    """A form still with the company past its due date: late only once the grace of
    REPORT_GRACE_DAYS has passed too; its days (and red) are still counted from the due date."""
    found = facts.extra.get(Fact.REPORT_LATE)
    if found and found.get("days", 0) <= limits().get("REPORT_GRACE_DAYS", 0):
        return None
    return _report_days(facts)


permit_overdue = _days_rule("permit_overdue", Fact.PERMIT_OVERDUE, 1, None,
                            "PERMIT_OVERDUE_RED_DAYS")  # fmt: skip
finding_overdue = _days_rule("finding_overdue", Fact.CRITICAL_FINDING_OVERDUE, 1, None,
                             "FINDING_OVERDUE_RED_DAYS")  # fmt: skip


def payment_ahead(facts: Facts) -> Cause | None:
    """Contract payments ahead of physical progress: fact {"paid_pct", "progress_pct"}."""
    found = facts.extra.get(Fact.PAYMENTS)
    if not found or found.get("paid_pct") is None or found.get("progress_pct") is None:
        return None
    # In decimals, as investment_lag: in floats 40.7 - 30.7 is 10.000000000000004, over a
    # 10-point limit it does not pass.
    gap = Decimal(str(found["paid_pct"])) - Decimal(str(found["progress_pct"]))
    if gap > Decimal(str(limits()["PAYMENT_AHEAD_RED"])):
        level = Rag.RED
    elif gap > Decimal(str(limits()["PAYMENT_AHEAD_AMBER"])):
        level = Rag.AMBER
    else:
        return None
    params = {"paid_pct": found["paid_pct"], "progress_pct": found["progress_pct"],
              "gap": float(gap)}  # fmt: skip
    return Cause("payment_ahead", level, params, found.get("url", ""))


def estimate_overrun(facts: Facts) -> Cause | None:
    """A link of the cost chain above the one before it past its tolerance, fact
    {"link": "estimate" | "budget", "over_pct", "url"}: the budget estimate (概算) above the
    feasibility estimate (估算) by more than the design app's tolerance, or the budget (预算)
    above the approved estimate. Amber: to be reported; the design app's own gate is what stops
    the tender. The design app's thresholds decide, and it brings the fact only then."""
    found = facts.extra.get(Fact.ESTIMATE_OVERRUN)
    if not found:
        return None
    rule = "budget_over_estimate" if found.get("link") == "budget" else "estimate_over_feasibility"
    params = {k: v for k, v in found.items() if k != "url"}
    return Cause(rule, Rag.AMBER, params, found.get("url", ""))


RULES: list[Callable[[Facts], Cause | None]] = [
    investment_lag, start_missed, milestone_late, permit_overdue, finding_overdue,
    payment_ahead, report_late, estimate_overrun,
]  # fmt: skip


@dataclass(frozen=True)
class Assessment:
    rag: str
    severity: int  # orders the red list: level first, then how many causes
    causes: list[Cause]


def assess(facts: Facts) -> Assessment:
    causes = [cause for rule in RULES if (cause := rule(facts))]
    causes.sort(key=lambda c: -RAG_ORDER.index(c.level))
    if causes:
        rag = causes[0].level
    elif facts.planned > 0 or facts.actual_start or facts.planned_start:
        rag = Rag.GREEN
    else:
        rag = Rag.NONE
    severity = RAG_ORDER.index(rag) * 100 + min(len(causes), 99)
    return Assessment(rag, severity, causes)


# --- how a cause reads --------------------------------------------------------------------------


def _texts() -> dict[str, tuple[str, str]]:
    """Per rule: the sentence with its numbers, and the plain title when the numbers are
    missing (a cause stored by an older version of the rule, or by hand)."""
    return {
        "investment_lag": (
            _("Investment %(completion).1f%% of plan against %(elapsed).1f%% of the year "
              "elapsed: %(lag).1f points behind"),
            _("Investment behind the time-elapsed plan"),
        ),
        "start_missed": (
            _("Planned to start on %(planned_start)s, not started (%(days)d days)"),
            _("Planned start missed"),
        ),
        "milestone_late": (_("Milestone “%(name)s” %(days)d days late"), _("Milestone late")),
        "report_late": (
            _("Progress report %(period)s %(days)d days overdue"),
            _("Progress report overdue"),
        ),
        "permit_overdue": (_("Permit “%(name)s” %(days)d days overdue"), _("Permit overdue")),
        "finding_overdue": (
            _("Critical finding “%(name)s” %(days)d days past its deadline"),
            _("Critical finding past its deadline"),
        ),
        "estimate_over_feasibility": (
            _("Budget estimate %(over_pct).1f%% above the feasibility estimate"),
            _("Budget estimate above the feasibility estimate"),
        ),
        "budget_over_estimate": (
            _("Construction budget %(over_pct).1f%% above the approved estimate"),
            _("Construction budget above the approved estimate"),
        ),
        "payment_ahead": (
            _("Paid %(paid_pct).0f%% of contracts against %(progress_pct).0f%% progress"),
            _("Contract payments ahead of progress"),
        ),
    }  # fmt: skip


def describe(cause: dict[str, Any]) -> str:
    """A cause stored by the rollup, in the reader's language. Missing or malformed numbers
    give the rule's title instead of an error page."""
    rule = cause.get("rule")
    texts = _texts()
    if rule not in texts:
        return str(rule)
    sentence, title = texts[rule]
    try:
        return sentence % (cause.get("params") or {})
    except (KeyError, TypeError, ValueError):
        return title
