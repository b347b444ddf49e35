"""The writes of design management: stages on registration, the cost chain's one 概算 number,
change numbering, and bad input refused at the field with nothing saved."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from design import services
from design.choices import ChangeStatus, StageKind
from design.models import CostChain, DesignChange
from portal import gates, workflow
from projects import services as project_services
from tests.factories import ProjectFactory


def test_a_registered_project_gets_its_five_stages_in_order(orgs, personas):
    project = project_services.project_create(
        actor=personas["officer"], code="JC-2026-099", name="望江大道新建工程",
        owner=orgs["infra"], category="road", total_investment=Decimal("80000000"),
    )  # fmt: skip
    stages = list(project.design_stages.order_by("sequence"))
    assert [s.kind for s in stages] == StageKind.values
    assert stages[0].history.get().history_user == personas["officer"]


def test_creating_the_stages_again_makes_only_the_missing_ones(infra_project, personas):
    infra_project.design_stages.filter(kind=StageKind.REVIEW).delete()
    assert services.stages_ensure(project=infra_project, actor=personas["officer"]) == 1
    assert services.stages_ensure(project=infra_project, actor=personas["officer"]) == 0
    assert infra_project.design_stages.count() == 5


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"planned_start": datetime.date(2026, 5, 1),
          "planned_finish": datetime.date(2026, 4, 1)}, "planned_finish"),
        ({"actual_start": datetime.date(2026, 5, 1),
          "actual_finish": datetime.date(2026, 4, 30)}, "actual_finish"),
        ({"actual_finish": datetime.date(2026, 4, 30)}, "actual_start"),
        ({"actual_start": datetime.date(2026, 12, 1)}, "actual_start"),
        ({"outcome": "passed"}, "outcome"),
    ],
)  # fmt: skip
def test_stage_dates_out_of_order_are_refused_at_their_field(infra_project, personas, data,
                                                            field):  # fmt: skip
    stage = infra_project.design_stages.get(kind=StageKind.SCHEME)
    with pytest.raises(ValidationError) as info:
        services.stage_update(actor=personas["officer_design"], stage=stage, version=1, **data)
    assert field in info.value.message_dict
    stage.refresh_from_db()
    assert (stage.actual_start, stage.planned_finish, stage.outcome) == (None, None, "pending")


def test_the_approved_estimate_is_the_registrys_one_number(infra_project, personas):
    chain = services.cost_chain_save(
        actor=personas["officer_design"], project=infra_project,
        feasibility_estimate=Decimal("100000000"), feasibility_doc_no="滨发改审批〔2025〕56号",
        feasibility_date=datetime.date(2025, 6, 1), budget_estimate=Decimal("108000000"),
        budget=Decimal("105000000"),
    )  # fmt: skip
    infra_project.refresh_from_db()
    assert infra_project.approved_budget_estimate == Decimal("108000000")
    assert infra_project.history.first().history_user == personas["officer_design"]
    assert not hasattr(chain, "budget_estimate")  # the chain keeps no copy
    project_services.project_update(actor=personas["officer"], project=infra_project,
                                    approved_budget_estimate=Decimal("110000000"))  # fmt: skip
    from design.selectors import project_design

    design = project_design(user=personas["officer"], pk=infra_project.pk)
    assert design.figures.budget_estimate == Decimal("110000000")  # read, not copied


def test_a_bad_cost_chain_is_refused_whole(infra_project, personas):
    with pytest.raises(ValidationError) as info:
        services.cost_chain_save(
            actor=personas["officer_design"], project=infra_project,
            feasibility_estimate=Decimal("-1"), feasibility_date=datetime.date(2027, 1, 1),
            budget_estimate=Decimal("-5"),
        )  # fmt: skip
    assert set(info.value.message_dict) == {"feasibility_estimate", "feasibility_date",
                                            "budget_estimate"}  # fmt: skip
    infra_project.refresh_from_db()
    assert infra_project.approved_budget_estimate is None
    assert not CostChain.objects.exists()


def test_changes_are_numbered_per_project_unless_a_number_is_given(make_change, infra_project):
    first, second = make_change(), make_change()
    assert (first.number, second.number) == ("BG-JC-2026-001-001", "BG-JC-2026-001-002")
    own = make_change(number="设变-2026-07")
    assert own.number == "设变-2026-07"
    with pytest.raises(ValidationError) as info:
        make_change(number="设变-2026-07")
    assert list(info.value.message_dict) == ["number"]
    assert DesignChange.objects.count() == 3


def test_an_approved_amount_above_the_request_needs_a_note(personas, make_change):
    change = make_change("minor")
    services.change_step(actor=personas["reporter"], change=change, name="submit")
    with pytest.raises(ValidationError) as info, translation.override("en"):
        services.change_set_decision(
            actor=personas["manager"], change=change, version=2,
            amount_approved=Decimal("60000"), approval_note=" ",
        )  # fmt: skip
    message = "The approved amount is above the requested one: say why in the approval note."
    assert info.value.message_dict == {"approval_note": [message]}
    change.refresh_from_db()
    assert (change.amount_approved, change.version) == (None, 2)


def test_a_submitted_change_is_no_longer_edited_and_a_stale_one_conflicts(personas, make_change):
    change = make_change()
    stale = DesignChange.objects.get(pk=change.pk)
    services.change_update(actor=personas["reporter"], change=change, version=1,
                           amount_requested=Decimal("300000"))  # fmt: skip
    with pytest.raises(workflow.ConflictError):
        services.change_update(actor=personas["manager"], change=stale, version=1,
                               amount_requested=Decimal("1"))  # fmt: skip
    services.change_step(actor=personas["reporter"], change=change, name="submit")
    with pytest.raises(ValidationError) as info:
        services.change_update(actor=personas["reporter"], change=change, version=change.version,
                               amount_requested=Decimal("1"))  # fmt: skip
    assert info.value.code == "state"
    change.refresh_from_db()
    assert (change.amount_requested, change.status) == (Decimal("300000"), ChangeStatus.SUBMITTED)


def test_the_tier_follows_the_amount_while_the_change_is_editable(personas, make_change):
    change = make_change("minor")
    services.change_update(actor=personas["reporter"], change=change, version=1,
                           amount_requested=Decimal("500000"))  # fmt: skip
    change.refresh_from_db()
    assert change.tier == "critical"
    assert change.history.first().history_user == personas["reporter"]


# --- the gate the procurement app will call ----------------------------------------------------


def _chain(project, personas, budget):
    services.cost_chain_save(actor=personas["officer_design"], project=project,
                             budget_estimate=Decimal("50000000"), budget=budget)  # fmt: skip


def test_the_gate_refuses_a_tender_while_the_budget_is_above_the_approved_estimate(
    infra_project, personas
):
    _chain(infra_project, personas, Decimal("50000000.01"))
    infra_project.refresh_from_db()
    with translation.override("en"):
        reasons = gates.reasons("design.budget_within_estimate", project=infra_project)
        with pytest.raises(ValidationError) as info:
            gates.require("design.budget_within_estimate", project=infra_project)
    assert len(reasons) == 1 and "JC-2026-001" in reasons[0]
    assert "above its approved budget estimate" in reasons[0]
    assert info.value.messages == reasons


@pytest.mark.parametrize("budget", [Decimal("50000000"), Decimal("1"), None])
def test_the_gate_passes_a_budget_within_the_estimate_or_not_yet_known(
    infra_project, personas, budget
):
    _chain(infra_project, personas, budget)
    infra_project.refresh_from_db()
    gates.require("design.budget_within_estimate", project=infra_project)


def test_the_gate_passes_a_project_without_a_chain(orgs):
    project = ProjectFactory(owner=orgs["infra"])
    assert gates.reasons("design.budget_within_estimate", project=project) == []


def test_a_change_waiting_too_long_reminds_those_who_decide_it(personas, make_change, nov_20):
    from design.reminders import waiting_items

    major, minor = make_change("major"), make_change("minor")
    for change in (major, minor):
        services.change_step(actor=personas["reporter"], change=change, name="submit")
    assert waiting_items(nov_20 + datetime.timedelta(days=5)) == []  # 5 days: not yet
    items = waiting_items(nov_20 + datetime.timedelta(days=6))
    whom = {item.key: {u.username for u in item.recipients} for item in items}
    assert whom == {f"design.designchange:{major.pk}": {"officer", "officer_design"},
                    f"design.designchange:{minor.pk}": {"manager"}}  # fmt: skip
