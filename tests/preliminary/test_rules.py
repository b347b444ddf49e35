"""The size rule, the dependency rule and the checklists, at their boundaries."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from portal import workflow
from preliminary import services
from preliminary.choices import PermitStatus
from preliminary.models import PermitItem, PermitRules, PermitType
from projects.models import Project
from tests import kit
from tests.factories import ProjectFactory
from tests.preliminary.conftest import item_of

CODES = ["proposal", "land_prereview", "energy_review", "eia", "feasibility",
         "land_use_planning", "preliminary_design", "works_planning", "drawing_review",
         "tenders", "construction_permit", "completion"]  # fmt: skip


def needed(rules, **fields) -> list[str]:
    project = Project(total_investment=Decimal(fields.pop("amount")), **fields)
    return [t.code for t in services.applicable_types(project, rules=rules)]


# --- the catalogue -------------------------------------------------------------------------------


def test_the_catalogue_holds_the_national_sequence_with_its_prerequisites(types):
    assert list(PermitType.objects.values_list("code", flat=True)) == CODES
    assert types["proposal"].name == "项目建议书批复" and types["proposal"].validity_months == 24
    assert types["land_prereview"].validity_months == 36
    needs = {code: {d.code for d in t.depends_on.all()} for code, t in types.items()}
    assert needs["feasibility"] == {"proposal", "land_prereview", "energy_review", "eia"}
    assert needs["preliminary_design"] == {"feasibility"}
    assert needs["works_planning"] == {"land_use_planning", "preliminary_design"}
    assert needs["construction_permit"] == {"works_planning", "drawing_review", "tenders"}
    assert needs["completion"] == {"construction_permit"}
    assert "feasibility" not in {d.code for d in types["land_prereview"].depends_on.all()}


# --- the size rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "proposal", "feasibility"),
    [
        ("50000000.00", True, True),  # exactly 50 m: "50 m and above"
        ("49999999.99", False, True),
        ("15000000.00", False, True),  # exactly 15 m: "15–50 m"
        ("14999999.99", False, False),  # "under 15 m": preliminary design only
    ],
)
def test_the_size_rule_at_its_boundaries(types, rules, amount, proposal, feasibility):
    codes = needed(rules, amount=amount)
    assert ("proposal" in codes) is proposal
    assert ("feasibility" in codes) is feasibility
    assert "preliminary_design" in codes


@pytest.mark.parametrize(
    ("amount", "area", "permit"),
    [
        ("300000.00", None, True),  # exactly 300,000 yuan is not exempt
        ("299999.99", None, False),
        ("5000000", "300.00", True),  # exactly 300 m² is not exempt
        ("5000000", "299.99", False),
        ("299999.99", "5000", False),  # either limit exempts
        ("5000000", None, True),  # no floor area (a road): the amount alone decides
    ],
)
def test_the_construction_permit_exemption_at_its_boundaries(types, rules, amount, area, permit):
    codes = needed(rules, amount=amount, floor_area=Decimal(area) if area else None)
    assert ("construction_permit" in codes) is permit


def test_the_limits_are_read_from_the_one_admin_row(types, rules):
    rules.proposal_from = Decimal("80000000")
    rules.save()
    assert "proposal" not in needed(PermitRules.current(), amount="60000000")
    assert PermitRules.current().proposal_from == Decimal("80000000")


def test_an_inactive_type_is_not_added(types, rules):
    PermitType.objects.filter(code="energy_review").update(is_active=False)
    assert "energy_review" not in needed(rules, amount="60000000")


# --- checklists ----------------------------------------------------------------------------------


def test_registering_a_project_creates_its_checklist(orgs, types, nov_20):
    small = ProjectFactory(owner=orgs["infra"], total_investment=Decimal("8000000"))
    codes = set(PermitItem.objects.filter(project=small)
                .values_list("permit_type__code", flat=True))  # fmt: skip
    assert codes == set(CODES) - {"proposal", "feasibility"}
    assert set(PermitItem.objects.filter(project=small).values_list("status", flat=True)) == {
        PermitStatus.NOT_STARTED}  # fmt: skip


def test_re_creating_a_checklist_adds_only_what_is_missing(infra_project, types):
    item = item_of(infra_project, "eia")
    kit.put_in_state(item, PermitStatus.APPROVED)
    item_of(infra_project, "tenders").delete()
    assert services.checklist_ensure(project=infra_project) == 1
    assert services.checklist_ensure(project=infra_project) == 0
    assert PermitItem.objects.filter(project=infra_project).count() == len(CODES)
    assert item_of(infra_project, "eia").status == PermitStatus.APPROVED  # left alone


def test_the_command_gives_existing_projects_their_checklists(orgs, types, nov_20):
    project = ProjectFactory(owner=orgs["infra"])
    PermitItem.objects.filter(project=project).delete()
    out = io.StringIO()
    call_command("make_checklists", stdout=out)
    assert out.getvalue().startswith(f"{len(CODES)} permit items")
    call_command("make_checklists", stdout=out)
    assert PermitItem.objects.filter(project=project).count() == len(CODES)


# --- the dependency rule -------------------------------------------------------------------------


def submitted(project, code):
    item = item_of(project, code)
    PermitItem.objects.filter(pk=item.pk).update(
        status=PermitStatus.SUBMITTED, submitted_date=datetime.date(2026, 11, 2)
    )
    item.refresh_from_db()
    return item


def approve(item, actor, comment=""):
    return workflow.transition_perform(
        actor=actor,
        obj=item,
        name="approve",
        comment=comment,
        document_number="滨发改审批〔2026〕1号",
        approved_date=datetime.date(2026, 11, 10),
    )


def test_an_item_is_not_approved_before_its_prerequisites_and_the_message_names_them(
    personas, infra_project
):
    item = submitted(infra_project, "feasibility")
    kit.put_in_state(item_of(infra_project, "energy_review"), PermitStatus.APPROVED)
    with pytest.raises(ValidationError) as info, translation.override("en"):
        approve(item, personas["officer"])
    message = info.value.message_dict["comment"][0]
    assert "用地预审与选址意见书" in message and "环评批复 / 备案" in message
    assert "节能审查意见" not in message
    item.refresh_from_db()
    assert (item.status, item.version, item.events.count()) == (PermitStatus.SUBMITTED, 1, 0)


def test_the_officer_may_approve_out_of_order_by_saying_why(personas, infra_project):
    item = submitted(infra_project, "feasibility")
    approve(item, personas["officer"], comment="市政府专题会议纪要〔2026〕12号同意容缺受理")
    item.refresh_from_db()
    assert item.status == PermitStatus.APPROVED
    assert item.override_reason == "市政府专题会议纪要〔2026〕12号同意容缺受理"


@pytest.mark.parametrize("done", [PermitStatus.APPROVED, PermitStatus.NOT_APPLICABLE])
def test_prerequisites_approved_or_not_applicable_let_it_through(personas, infra_project, done):
    item = submitted(infra_project, "feasibility")
    for code in ("proposal", "land_prereview", "energy_review", "eia"):
        kit.put_in_state(item_of(infra_project, code), done)
    approve(item, personas["officer"])
    item.refresh_from_db()
    assert (item.status, item.override_reason) == (PermitStatus.APPROVED, "")


def test_a_prerequisite_the_project_does_not_need_blocks_nothing(personas, orgs, types, nov_20):
    small = ProjectFactory(owner=orgs["infra"], total_investment=Decimal("8000000"))
    item = submitted(small, "preliminary_design")  # needs feasibility, which a small one skips
    approve(item, personas["officer"])
    item.refresh_from_db()
    assert item.status == PermitStatus.APPROVED


def test_approval_sets_valid_until_from_the_type(personas, infra_project):
    item = submitted(infra_project, "proposal")
    approve(item, personas["officer"])
    item.refresh_from_db()
    assert item.valid_until == datetime.date(2028, 11, 10)  # 24 months
    assert item.approved_by == personas["officer"]


def test_the_construction_permit_window_and_its_two_extensions(personas, permit):
    PermitItem.objects.filter(pk=permit.pk).update(
        status=PermitStatus.SUBMITTED, submitted_date=datetime.date(2026, 11, 2)
    )
    permit.refresh_from_db()
    approve(permit, personas["officer"], comment="容缺")
    permit.refresh_from_db()
    assert permit.valid_until == datetime.date(2027, 2, 10)
    officer = personas["officer"]
    workflow.transition_perform(actor=officer, obj=permit, name="extend")
    workflow.transition_perform(actor=officer, obj=permit, name="extend")
    permit.refresh_from_db()
    assert (permit.extensions, permit.valid_until) == (2, datetime.date(2027, 8, 10))
    with pytest.raises(ValidationError, match="2"):
        workflow.transition_perform(actor=officer, obj=permit, name="extend")
    permit.refresh_from_db()
    assert permit.extensions == 2


def test_only_the_construction_permit_is_extended(personas, infra_project):
    item = kit.put_in_state(item_of(infra_project, "proposal"), PermitStatus.APPROVED)
    with pytest.raises(ValidationError):
        workflow.transition_perform(actor=personas["officer"], obj=item, name="extend")


def test_a_started_projects_permit_is_not_extended(personas, permit):
    """The start window closes when the works start: no extension is offered or taken."""
    permit = kit.put_in_state(permit, PermitStatus.APPROVED)
    officer = personas["officer"]
    assert "extend" in [t.name for t in workflow.available_transitions(officer, permit)]
    permit.project.actual_start = datetime.date(2026, 11, 16)
    permit.project.save()
    permit = PermitItem.objects.select_related("project", "permit_type").get(pk=permit.pk)
    assert "extend" not in [t.name for t in workflow.available_transitions(officer, permit)]
    with pytest.raises(ValidationError):
        workflow.transition_perform(actor=officer, obj=permit, name="extend")
    permit.refresh_from_db()
    assert permit.extensions == 0
