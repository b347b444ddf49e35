"""The rule of design management that gates another function's step (portal.gates): no tender
while the construction budget (预算) is above the approved budget estimate (概算). Registered
as "design.budget_within_estimate" by `DesignConfig.ready()`; the procurement app asks for it
with `gates.require("design.budget_within_estimate", project=...)`, never importing design."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from design import rules
from design.models import CostChain, DesignRules
from portal.money import format_amount

NAME = "design.budget_within_estimate"


def budget_within_estimate(*, project, **kwargs: Any) -> list[str]:
    """The reasons `project` may not go to tender (none when its budget is within its approved
    estimate, or either is not known yet). One query."""
    chain = CostChain.objects.filter(project_id=project.pk).only("budget").first()
    figures = rules.chain_figures(
        feasibility_estimate=None,
        budget_estimate=project.approved_budget_estimate,
        budget=chain.budget if chain else None,
        approved_changes=None,
        rules=DesignRules.current(),
    )
    if not figures.budget_blocked:
        return []
    return [
        _(
            "The construction budget of %(project)s (%(budget)s 10k yuan) is %(pct)s%% above "
            "its approved budget estimate (%(estimate)s 10k yuan): no tender until the scope is "
            "cut or the estimate is approved again."
        )
        % {
            "project": project.code,
            "budget": format_amount(figures.budget),
            "estimate": format_amount(figures.budget_estimate),
            "pct": f"{figures.budget_over_pct:.2f}",
        }
    ]
