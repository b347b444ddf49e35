"""The registry of figures the apps offer the group cockpit, and the words they share with it.

The dashboard rolls up what the apps register here, so adding an app (preliminary work, design,
procurement, supervision, campaigns) adds one provider in that app and edits nothing in the
dashboard. Like the navigation and demo registries, the base imports no app: apps register in
`AppConfig.ready()`.

The vocabulary (`Fact`, `Measures`) is defined here, once: the apps emit these keys, the colour
rules (dashboard/rules.py) and the cockpit's cards read them, and neither side spells a key as a
string of its own.

A `FigureProvider` gives, for a set of projects, a mapping project id -> {key: value}:
- keys of its `measures` are additive counts or amounts (open items, overdue items, contract
  amounts...). The rollup stores them per project and sums them per organisation; amounts are
  whole fen (`portal.money.to_fen`), so that sums stay exact and JSON can hold them;
- a `Fact` key is a fact the red/amber/green rules read (e.g. `Fact.MILESTONE_LATE`: the worst
  late milestone with its days and link). Facts are JSON-serialisable dicts.
`watches` names the models whose saves and deletes change the provider's figures, with the lookup
from that model to its project, so the dashboard refreshes the right project after commit.

An `OrgFigureProvider` gives figures that belong to an organisation, not to a project (the
campaign's indicators per subsidiary): organisation id -> {key: value}. The cockpit shows them
for the reader's scope in a section of its own, which appears once a provider is registered.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from portal.choices import Function
from portal.money import Unit, format_amount, from_fen

ProjectFigures = dict[int, dict[str, Any]]
OrgFigures = dict[int, dict[str, Any]]


class Fact(StrEnum):
    """The facts the colour rules read, each a dict with the numbers and the link behind it."""

    MILESTONE_LATE = "milestone_late"  # {"days", "name", "deadline", "url"}: the latest one
    REPORT_LATE = "report_late"  # {"days", "period", "url"}: the oldest late form
    PERMIT_OVERDUE = "permit_overdue"  # {"days", "name", "url"}: the most overdue permit
    CRITICAL_FINDING_OVERDUE = "critical_finding_overdue"  # {"days", "name", "url"}
    PAYMENTS = "payments"  # {"paid_pct", "progress_pct", "url"}: contracts paid vs progress
    # {"link": "estimate" | "budget", "over_pct", "url"}: the worst link of the cost chain above
    # the one before it past its tolerance (概算 over 估算 by more than 10 %, 预算 over 概算)
    ESTIMATE_OVERRUN = "estimate_overrun"


@dataclass(frozen=True)
class Measure:
    key: str  # e.g. "coordination_open"; unique across providers
    label: str  # a lazy translation
    function: str = ""  # the pooled function it belongs to (portal.choices.Function), if any
    amount: bool = False  # an amount in whole fen, shown in 万元 (label it so), not a count
    summed: bool = True  # whether a total over organisations means something (not for rates)

    def display(self, value: Any) -> str:
        """`value` as a page shows it: counts as they are, amounts in 万元, none as "—"."""
        if value is None or value == "":
            return "—"
        if self.amount:
            return format_amount(from_fen(value), Unit.WAN)
        if isinstance(value, float | Decimal):
            return f"{value:,.2f}".rstrip("0").rstrip(".")
        return str(value)


class Measures:
    """Every measure a provider may bring, with its label and function. A provider lists those
    it brings (`FigureProvider.measures`); the cockpit shows a measure once some provider
    brings it, and a function card once all of its measures are brought."""

    # The registry (projects/figures.py).
    MILESTONES_OPEN = Measure("milestones_open", _("Milestones open"))
    MILESTONES_OVERDUE = Measure("milestones_overdue", _("Milestones overdue"))
    # Progress reporting (reporting/figures.py).
    REPORTS_LATE = Measure("reports_late", _("Progress reports overdue"))
    PROBLEMS_OPEN = Measure("problems_open", _("Problems open"))
    PROBLEMS_OVERDUE = Measure("problems_overdue", _("Problems past their deadline"))
    COORDINATION_OPEN = Measure("coordination_open", _("Coordination items waiting"))
    # Preliminary work: permits and approvals.
    PERMITS_WAITING = Measure("permits_waiting", _("Permits waiting"), Function.PRELIMINARY)
    PERMITS_OVERDUE = Measure("permits_overdue", _("Permits overdue"), Function.PRELIMINARY)
    # Design management: changes waiting for a decision, cost-chain overruns.
    DESIGN_CHANGES_WAITING = Measure(
        "design_changes_waiting", _("Design changes waiting"), Function.DESIGN
    )
    ESTIMATE_OVERRUNS = Measure("estimate_overruns", _("Estimate overruns"), Function.DESIGN)
    # Tendering and contracts. Paid % is a ratio of two sums, never a sum of percentages.
    TENDERS_THIS_MONTH = Measure(
        "tenders_this_month", _("Tenders this month"), Function.PROCUREMENT
    )
    CONTRACTS_AMOUNT = Measure(
        "contracts_amount", _("Contract amount (10k yuan)"), Function.PROCUREMENT, amount=True
    )
    CONTRACTS_PAID = Measure(
        "contracts_paid", _("Paid on contracts (10k yuan)"), Function.PROCUREMENT, amount=True
    )
    # Site supervision.
    FINDINGS_OPEN = Measure("findings_open", _("Findings open"), Function.SUPERVISION)
    FINDINGS_OVERDUE = Measure(
        "findings_overdue", _("Findings past their deadline"), Function.SUPERVISION
    )

    @classmethod
    def all(cls) -> list[Measure]:
        return [value for value in vars(cls).values() if isinstance(value, Measure)]


@dataclass(frozen=True)
class FigureProvider:
    name: str
    measures: tuple[Measure, ...]
    # (project ids, or None for every project; today) -> {project id: {key: value}}
    figures: Callable[[Iterable[int] | None, datetime.date], ProjectFigures]
    # (model label "app.Model", lookup from that model to the project id, e.g. "project_id")
    watches: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OrgFigureProvider:
    """Figures kept per organisation (the campaign's indicators per subsidiary).

    figures(organisation ids, or None for every organisation; year; today) -> {organisation id:
    {key: value}}, one key per measure (its column on the cockpit, in this order). The cockpit
    calls it once per render of its body, which is cached until the next rollup run: the figures
    are as fresh as the cockpit's "data as of" (at the latest the nightly run, or the next day).
    """

    name: str
    title: str  # the section's heading, a lazy translation
    measures: tuple[Measure, ...]
    figures: Callable[[Iterable[int] | None, int, datetime.date], OrgFigures]


_providers: list[FigureProvider] = []


def register(provider: FigureProvider) -> None:
    if any(p.name == provider.name for p in _providers):
        return  # ready() may run twice in tests
    _providers.append(provider)


def unregister(name: str) -> None:
    """Remove a provider (tests register one of their own and take it away again)."""
    _providers[:] = [p for p in _providers if p.name != name]


def providers() -> list[FigureProvider]:
    return list(_providers)


def measures() -> dict[str, Measure]:
    return {m.key: m for p in _providers for m in p.measures}


_org_providers: list[OrgFigureProvider] = []


def register_org(provider: OrgFigureProvider) -> None:
    if any(p.name == provider.name for p in _org_providers):
        return  # ready() may run twice in tests
    _org_providers.append(provider)


def unregister_org(name: str) -> None:
    """Remove a provider (tests register one of their own and take it away again)."""
    _org_providers[:] = [p for p in _org_providers if p.name != name]


def org_providers() -> list[OrgFigureProvider]:
    return list(_org_providers)
