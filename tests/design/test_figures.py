"""What design management gives the cockpit (design.figures): the provider's numbers against a
recomputation from the records, the fact the amber rule reads, and the queue the dashboard
refreshes from when a change or a chain is saved."""

import datetime
from decimal import Decimal

from dashboard.models import ProjectYear
from dashboard.rules import Facts, estimate_overrun
from design import services
from design.choices import WAITING
from design.figures import PROVIDER, figures
from design.models import CostChain, DesignChange, DesignRules
from design.rules import chain_figures
from portal import figures as registry
from portal.figures import Fact, Measures
from tests.factories import ProjectFactory


def recompute(today) -> dict:
    """The same figures, the slow way: every record read and judged one by one."""
    rules = DesignRules.current()
    expected: dict = {}
    for change in DesignChange.objects.all():
        if change.status in WAITING:
            row = expected.setdefault(change.project_id, {})
            row["design_changes_waiting"] = row.get("design_changes_waiting", 0) + 1
    for chain in CostChain.objects.select_related("project"):
        figures_ = chain_figures(
            feasibility_estimate=chain.feasibility_estimate,
            budget_estimate=chain.project.approved_budget_estimate, budget=chain.budget,
            approved_changes=None, rules=rules,
        )  # fmt: skip
        if figures_.overruns:
            row = expected.setdefault(chain.project_id, {})
            row["estimate_overruns"] = 1
            link = "budget" if figures_.budget_blocked else "estimate"
            row["estimate_overrun"] = link
    return expected


def test_the_provider_agrees_with_a_recomputation_from_the_records(
    orgs, personas, make_change, infra_project, housing_project, django_capture_on_commit_callbacks
):
    officer = personas["officer_design"]
    waiting = [make_change("minor"), make_change("major"), make_change("critical")]
    for change in waiting[:2]:
        services.change_step(actor=personas["reporter"], change=change, name="submit")
    services.change_step(actor=personas["reporter"], change=waiting[2], name="submit")
    services.change_step(actor=officer, change=waiting[2], name="recommend", comment="建议上会")
    services.cost_chain_save(actor=officer, project=infra_project,
                             feasibility_estimate=Decimal("100000000"),
                             budget_estimate=Decimal("111000000"))  # fmt: skip
    services.cost_chain_save(actor=officer, project=housing_project,
                             feasibility_estimate=Decimal("100000000"),
                             budget_estimate=Decimal("110000000"),
                             budget=Decimal("112000000"))  # fmt: skip
    calm = ProjectFactory(owner=orgs["infra"])
    services.cost_chain_save(actor=officer, project=calm, feasibility_estimate=Decimal("100"),
                             budget_estimate=Decimal("110"), budget=Decimal("100"))  # fmt: skip
    today = datetime.date(2026, 11, 20)
    got = figures(None, today)
    expected = recompute(today)
    assert {pid: {k: (v["link"] if k == Fact.ESTIMATE_OVERRUN else v) for k, v in row.items()}
            for pid, row in got.items()} == expected  # fmt: skip
    assert got[infra_project.pk][Measures.DESIGN_CHANGES_WAITING.key] == 3
    url = f"/design/projects/{infra_project.pk}/"
    expected_fact = {"link": "estimate", "over_pct": 11.0, "url": url}
    assert got[infra_project.pk][Fact.ESTIMATE_OVERRUN] == expected_fact
    assert got[housing_project.pk][Fact.ESTIMATE_OVERRUN]["link"] == "budget"
    assert calm.pk not in got
    assert figures([calm.pk], today) == {}


def test_the_fact_lights_the_amber_rule_with_its_cause(personas, infra_project):
    services.cost_chain_save(actor=personas["officer"], project=infra_project,
                             feasibility_estimate=Decimal("100"),
                             budget_estimate=Decimal("115"))  # fmt: skip
    today = datetime.date(2026, 11, 20)
    fact = figures([infra_project.pk], today)[infra_project.pk][Fact.ESTIMATE_OVERRUN]
    facts = Facts(today=today, planned=Decimal(0), completed_ytd=Decimal(0),
                  elapsed_pct=Decimal(0), extra={Fact.ESTIMATE_OVERRUN: fact})  # fmt: skip
    cause = estimate_overrun(facts)
    assert cause.level == "amber"
    assert cause.url == f"/design/projects/{infra_project.pk}/"


def test_the_provider_is_registered_and_watches_its_records():
    assert PROVIDER in registry.providers()
    assert {m.key for m in PROVIDER.measures} == {"design_changes_waiting", "estimate_overruns"}
    assert dict(PROVIDER.watches) == {"design.DesignChange": "project_id",
                                      "design.CostChain": "project_id"}  # fmt: skip


def test_a_step_reaches_the_cockpits_rollup_after_commit(
    personas, make_change, django_capture_on_commit_callbacks
):
    change = make_change()
    with django_capture_on_commit_callbacks(execute=True):
        services.change_step(actor=personas["reporter"], change=change, name="submit")
    row = ProjectYear.objects.get(project=change.project, year=2026)
    assert row.measures.get("design_changes_waiting") == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.change_step(actor=personas["officer_design"], change=change,
                             name="approve_major")  # fmt: skip
    row.refresh_from_db()
    assert "design_changes_waiting" not in row.measures
