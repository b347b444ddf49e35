"""The rules of design management as pure functions of figures and the `DesignRules` row: the
tier of a change and the flags of the cost chain. Services, selectors, figures, the gate and
the demo all call these, so a boundary is decided in one place (and tested there).

Tiers (docs/decisions/0031-design-changes-by-tier.md), with the default limits:
- critical: the amount is 500,000 yuan or more, or the contract sum is known and the approved
  changes of the same contract plus this one come to more than 5 % of it;
- major: otherwise, 100,000 yuan or more;
- minor: otherwise (below 100,000 yuan).
So 99,999.99 is minor, 100,000.00 major, 499,999.99 major, 500,000.00 critical; a cumulative
share of exactly 5 % is not over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from design.choices import Tier

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class TierVerdict:
    tier: Tier
    share_pct: Decimal | None  # the contract's approved changes with this one, % of its sum
    by_share: bool  # critical because of the cumulative share (not the amount alone)

    @property
    def share_display(self) -> Decimal | None:
        if self.share_pct is None:
            return None
        return self.share_pct.quantize(CENT, rounding=ROUND_HALF_UP)


def tier_for(
    *, amount: Decimal, contract_sum: Decimal | None, approved_before: Decimal, rules: Any
) -> TierVerdict:
    """The tier of a change of `amount` on a contract of `contract_sum` (None or 0: not known)
    whose other approved changes come to `approved_before`."""
    share = None
    if contract_sum:
        share = (approved_before + amount) * HUNDRED / contract_sum
    if amount >= rules.critical_limit:
        return TierVerdict(Tier.CRITICAL, share, False)
    if share is not None and share > rules.cumulative_share_pct:
        return TierVerdict(Tier.CRITICAL, share, True)
    if amount >= rules.minor_limit:
        return TierVerdict(Tier.MAJOR, share, False)
    return TierVerdict(Tier.MINOR, share, False)


def over_pct(figure: Decimal | None, reference: Decimal | None) -> Decimal | None:
    """How far `figure` is above `reference`, in % of it (negative below); None unless both
    are given and the reference is not zero."""
    if figure is None or not reference:
        return None
    return (figure - reference) * HUNDRED / reference


@dataclass(frozen=True)
class ChainFigures:
    """A project's cost chain as the pages, the API, the cockpit and the gate read it."""

    feasibility_estimate: Decimal | None  # 估算
    budget_estimate: Decimal | None  # 概算: the registry's approved_budget_estimate
    budget: Decimal | None  # 预算
    approved_changes: Decimal  # sum of the approved changes' approved amounts
    tolerance_pct: Decimal

    @property
    def base(self) -> Decimal | None:
        """The latest link of the chain: 预算, else 概算, else 估算."""
        for value in (self.budget, self.budget_estimate, self.feasibility_estimate):
            if value is not None:
                return value
        return None

    @property
    def forecast(self) -> Decimal | None:
        """The latest link plus the approved changes (None when no link is known)."""
        base = self.base
        return None if base is None else base + self.approved_changes

    @property
    def estimate_over_pct(self) -> Decimal | None:
        return over_pct(self.budget_estimate, self.feasibility_estimate)

    @property
    def estimate_flagged(self) -> bool:
        """概算 above 估算 by more than the tolerance (exactly the tolerance is not flagged)."""
        pct = self.estimate_over_pct
        return pct is not None and pct > self.tolerance_pct

    @property
    def budget_over_pct(self) -> Decimal | None:
        return over_pct(self.budget, self.budget_estimate)

    @property
    def budget_blocked(self) -> bool:
        """预算 above 概算 (by any amount): no tender until the scope is cut or the estimate
        re-approved."""
        return (
            self.budget is not None
            and self.budget_estimate is not None
            and self.budget > self.budget_estimate
        )

    @property
    def overruns(self) -> int:
        return int(self.estimate_flagged) + int(self.budget_blocked)

    def overrun_fact(self, url: str) -> dict | None:
        """The cockpit's `Fact.ESTIMATE_OVERRUN`: the worse link, the budget first (it stops the
        tender), else the estimate; None when neither is over."""
        if self.budget_blocked:
            link, pct = "budget", self.budget_over_pct
        elif self.estimate_flagged:
            link, pct = "estimate", self.estimate_over_pct
        else:
            return None
        return {"link": link, "over_pct": float(pct.quantize(CENT, ROUND_HALF_UP)), "url": url}


def chain_figures(
    *,
    feasibility_estimate: Decimal | None,
    budget_estimate: Decimal | None,
    budget: Decimal | None,
    approved_changes: Decimal | None,
    rules: Any,
) -> ChainFigures:
    return ChainFigures(
        feasibility_estimate=feasibility_estimate,
        budget_estimate=budget_estimate,
        budget=budget,
        approved_changes=approved_changes or Decimal(0),
        tolerance_pct=rules.estimate_tolerance_pct,
    )
