"""A rule of one app gating another app's step, through the base (portal.gates)."""

import pytest
from django.core.exceptions import ValidationError

from portal import gates


@pytest.fixture
def budget_gate():
    def within_estimate(*, budget, estimate):
        return [] if budget <= estimate else [f"预算 {budget} 超过批复概算 {estimate}"]

    gates.register("design.budget_within_estimate", within_estimate)
    yield
    gates.unregister("design.budget_within_estimate")


def test_it_refuses_with_the_owning_apps_reason(budget_gate):
    with pytest.raises(ValidationError) as info:
        gates.require("design.budget_within_estimate", budget=120, estimate=100)
    assert info.value.messages == ["预算 120 超过批复概算 100"]
    assert [e.code for e in info.value.error_list] == ["gate"]


def test_it_passes_within_the_rule(budget_gate):
    gates.require("design.budget_within_estimate", budget=100, estimate=100)
    assert gates.reasons("design.budget_within_estimate", budget=90, estimate=100) == []


def test_a_gate_nobody_registered_passes():
    assert gates.reasons("design.budget_within_estimate", budget=999, estimate=1) == []
    gates.require("design.budget_within_estimate", budget=999, estimate=1)
