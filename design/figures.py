"""Design management's figures for the cockpit (see portal.figures): per project, the changes
waiting for a decision, whether its cost chain overruns (概算 over 估算 past the tolerance, or
预算 over 概算), and the worse overrun as the fact the amber rule reads, linked to the project's
design page."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count
from django.urls import reverse

from design import rules
from design.models import CostChain, DesignChange, DesignRules
from portal.figures import Fact, FigureProvider, Measures, ProjectFigures

WAITING = Measures.DESIGN_CHANGES_WAITING.key
OVERRUNS = Measures.ESTIMATE_OVERRUNS.key


def figures(project_ids: Iterable[int] | None, today: datetime.date) -> ProjectFigures:
    """Two queries, whatever the number of projects: the waiting changes counted per project,
    and the chains with their project's approved estimate."""
    ids = None if project_ids is None else list(project_ids)
    result: ProjectFigures = {}
    changes = DesignChange.objects.waiting()
    chains = CostChain.objects.all()
    if ids is not None:
        changes = changes.filter(project_id__in=ids)
        chains = chains.filter(project_id__in=ids)
    for project_id, count in changes.order_by().values_list("project_id").annotate(n=Count("pk")):
        result.setdefault(project_id, {})[WAITING] = count
    design_rules = DesignRules.current()
    url = reverse("design:project", args=[0]).replace("/0/", "/%d/")
    for project_id, estimate, budget, approved in chains.values_list(
        "project_id", "feasibility_estimate", "budget", "project__approved_budget_estimate"
    ):
        chain = rules.chain_figures(
            feasibility_estimate=estimate, budget_estimate=approved, budget=budget,
            approved_changes=None, rules=design_rules,
        )  # fmt: skip
        fact = chain.overrun_fact(url % project_id)
        if fact is not None:
            row = result.setdefault(project_id, {})
            row[OVERRUNS] = 1  # a project with an overrun: summed, projects per organisation
            row[Fact.ESTIMATE_OVERRUN] = fact
    return result


PROVIDER = FigureProvider(
    name="design",
    measures=(Measures.DESIGN_CHANGES_WAITING, Measures.ESTIMATE_OVERRUNS),
    figures=figures,
    watches=(
        ("design.DesignChange", "project_id"),
        ("design.CostChain", "project_id"),
    ),
)
