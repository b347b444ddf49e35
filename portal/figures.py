"""The registry of figures the apps offer the group cockpit.

The dashboard rolls up what the apps register here, so adding an app (preliminary work, design,
procurement, supervision, campaigns) adds one provider in that app and edits nothing in the
dashboard. Like the navigation and demo registries, the base imports no app: apps register in
`AppConfig.ready()`.

A provider gives, for a set of projects, a mapping project id -> {key: value}:
- keys named in `measures` are additive counts or amounts (open items, overdue items, contract
  amounts...). The rollup stores them per project and sums them per organisation;
- any other key is a *fact* the red/amber/green rules read (e.g. "milestone_late": the worst late
  milestone with its days and link). Facts are JSON-serialisable dicts.
`watches` names the models whose saves and deletes change the provider's figures, with the lookup
from that model to its project, so the dashboard refreshes the right project after commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

ProjectFigures = dict[int, dict[str, Any]]


@dataclass(frozen=True)
class Measure:
    key: str  # e.g. "coordination_open"; unique across providers
    label: str  # a lazy translation
    function: str = ""  # the pooled function it belongs to (portal.choices.Function), if any


@dataclass(frozen=True)
class FigureProvider:
    name: str
    measures: tuple[Measure, ...]
    # (project ids, or None for every project; today) -> {project id: {key: value}}
    figures: Callable[[Iterable[int] | None, datetime.date], ProjectFigures]
    # (model label "app.Model", lookup from that model to the project id, e.g. "project_id")
    watches: tuple[tuple[str, str], ...] = ()


_providers: list[FigureProvider] = []


def register(provider: FigureProvider) -> None:
    if any(p.name == provider.name for p in _providers):
        return  # ready() may run twice in tests
    _providers.append(provider)


def providers() -> list[FigureProvider]:
    return list(_providers)


def measures() -> dict[str, Measure]:
    return {m.key: m for p in _providers for m in p.measures}
