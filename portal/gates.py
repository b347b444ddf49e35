"""Rules of one function that gate another function's step, registered in the base.

Function apps do not import one another (ARCHITECTURE.md, "Layout"). Where one app's rule gates
another's step (design's "the budget is over the approved estimate" blocks procurement's award),
the owning app registers the rule here under a name, and the gated app asks for it by name,
typically from a `checks=` entry of its workflow step:

    gates.register("design.budget_within_estimate", budget_within_estimate)   # design/apps.py
    gates.require("design.budget_within_estimate", project=contract.project)  # procurement

A gate returns the reasons it refuses (an empty list when it passes). A gate nobody registered
passes: the gated app works without the other app installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

Gate = Callable[..., list[str]]
_gates: dict[str, Gate] = {}


def register(name: str, gate: Gate) -> None:
    _gates[name] = gate


def unregister(name: str) -> None:
    _gates.pop(name, None)


def reasons(name: str, **kwargs: Any) -> list[str]:
    """Why the gate `name` refuses for these arguments ([] when it passes or is not there)."""
    gate = _gates.get(name)
    return [str(reason) for reason in gate(**kwargs)] if gate else []


def require(name: str, **kwargs: Any) -> None:
    """ValidationError with the gate's reasons, unless it passes."""
    refused = reasons(name, **kwargs)
    if refused:
        raise ValidationError([ValidationError(reason, code="gate") for reason in refused])
