"""The tier of a change and the flags of the cost chain, at their boundaries (design.rules),
read from the one admin-edited row (DesignRules)."""

from decimal import Decimal

import pytest

from design.choices import Tier
from design.models import DesignRules
from design.rules import chain_figures, tier_for

D = Decimal


@pytest.mark.parametrize(
    ("amount", "tier"),
    [
        ("0", Tier.MINOR),
        ("99999.99", Tier.MINOR),
        ("100000.00", Tier.MAJOR),  # 100k exactly is major
        ("499999.99", Tier.MAJOR),
        ("500000.00", Tier.CRITICAL),  # 500k exactly is critical
        ("12000000", Tier.CRITICAL),
    ],
)
def test_the_amount_decides_the_tier_at_the_boundaries(rules, amount, tier):
    verdict = tier_for(amount=D(amount), contract_sum=None, approved_before=D(0), rules=rules)
    assert verdict.tier == tier
    assert verdict.share_pct is None and not verdict.by_share


@pytest.mark.parametrize(
    ("approved_before", "amount", "tier", "by_share"),
    [
        ("400000", "100000", Tier.MAJOR, False),  # 500k of 10m: exactly 5 %, not over it
        ("400000", "100000.01", Tier.CRITICAL, True),  # just over 5 %
        ("490000", "9999.99", Tier.MINOR, False),  # 4.99999 %
        ("490000", "10000.01", Tier.CRITICAL, True),  # a minor amount over the share
        ("0", "499999.99", Tier.MAJOR, False),
    ],
)
def test_the_cumulative_share_of_the_contract_sum_makes_a_change_critical(
    rules, approved_before, amount, tier, by_share
):
    verdict = tier_for(amount=D(amount), contract_sum=D("10000000"),
                       approved_before=D(approved_before), rules=rules)  # fmt: skip
    assert (verdict.tier, verdict.by_share) == (tier, by_share)


@pytest.mark.parametrize("contract_sum", [None, D("0")])
def test_without_a_known_contract_sum_only_the_amount_counts(rules, contract_sum):
    verdict = tier_for(amount=D("99999.99"), contract_sum=contract_sum,
                       approved_before=D("9000000"), rules=rules)  # fmt: skip
    assert verdict.tier == Tier.MINOR and verdict.share_pct is None


def test_the_limits_are_the_ones_the_administrator_sets(rules):
    rules.minor_limit = D("50000")
    rules.critical_limit = D("200000")
    rules.cumulative_share_pct = D("3")
    rules.save()
    current = DesignRules.current()
    assert tier_for(amount=D("60000"), contract_sum=None, approved_before=D(0),
                    rules=current).tier == Tier.MAJOR  # fmt: skip
    assert tier_for(amount=D("200000"), contract_sum=None, approved_before=D(0),
                    rules=current).tier == Tier.CRITICAL  # fmt: skip
    assert tier_for(amount=D("31000"), contract_sum=D("1000000"), approved_before=D(0),
                    rules=current).tier == Tier.CRITICAL  # fmt: skip


def test_the_defaults_are_domains(rules):
    assert (rules.estimate_tolerance_pct, rules.minor_limit, rules.critical_limit,
            rules.cumulative_share_pct) == (D("10"), D("100000"), D("500000"), D("5"))  # fmt: skip


def chain(rules, estimate=None, budget_estimate=None, budget=None, changes=None):
    return chain_figures(feasibility_estimate=estimate, budget_estimate=budget_estimate,
                         budget=budget, approved_changes=changes, rules=rules)  # fmt: skip


@pytest.mark.parametrize(
    ("budget_estimate", "flagged"),
    [("109999999.99", False), ("110000000", False), ("110000000.01", True), ("90000000", False)],
)
def test_a_budget_estimate_more_than_ten_percent_over_the_feasibility_estimate_is_flagged(
    rules, budget_estimate, flagged
):
    figures = chain(rules, estimate=D("100000000"), budget_estimate=D(budget_estimate))
    assert figures.estimate_flagged is flagged
    fact = figures.overrun_fact("/design/projects/1/")
    assert (fact is not None) is flagged
    if flagged:
        assert fact == {"link": "estimate", "over_pct": 10.0, "url": "/design/projects/1/"}


@pytest.mark.parametrize(("budget", "blocked"), [("80000000", False), ("80000000.01", True)])
def test_a_budget_above_the_approved_estimate_blocks_by_any_amount(rules, budget, blocked):
    figures = chain(rules, estimate=D("80000000"), budget_estimate=D("80000000"), budget=D(budget))
    assert figures.budget_blocked is blocked
    if blocked:
        assert figures.overrun_fact("u")["link"] == "budget"


def test_the_budget_link_is_the_fact_when_both_links_overrun(rules):
    figures = chain(rules, estimate=D("100"), budget_estimate=D("120"), budget=D("121"))
    assert figures.overruns == 2
    assert figures.overrun_fact("u") == {"link": "budget", "over_pct": 0.83, "url": "u"}


@pytest.mark.parametrize(
    ("estimate", "budget_estimate", "budget", "forecast"),
    [
        (None, None, None, None),
        ("100", None, None, "112.5"),
        ("100", "105", None, "117.5"),
        ("100", "105", "101", "113.5"),
    ],
)
def test_the_forecast_is_the_latest_link_plus_the_approved_changes(
    rules, estimate, budget_estimate, budget, forecast
):
    figures = chain(rules, estimate=estimate and D(estimate),
                    budget_estimate=budget_estimate and D(budget_estimate),
                    budget=budget and D(budget), changes=D("12.5"))  # fmt: skip
    assert figures.forecast == (forecast and D(forecast))


def test_a_zero_reference_flags_nothing(rules):
    figures = chain(rules, estimate=D(0), budget_estimate=D("100"), budget=D("10"))
    assert figures.estimate_over_pct is None and not figures.estimate_flagged
