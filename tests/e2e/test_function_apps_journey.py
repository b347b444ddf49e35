"""A centre officer's afternoon with two of the pooled functions (issue 9): record a permit's
approval with its document number and watch the cockpit's permit card follow; raise a design
change whose amount needs the centre, and approve it."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dashboard import services
from design.models import DesignChange
from preliminary import catalogue
from preliminary.models import PermitItem, PermitType
from tests.factories import AnnualPlanFactory, ProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def project(orgs, personas):
    catalogue.ensure(PermitType)  # the migration's rows are gone after a transactional test
    today = timezone.localdate()
    project = ProjectFactory(
        owner=orgs["infra"], code="JC-2026-021", name="滨江路综合管廊工程", stage="tendering",
        total_investment=Decimal("80000000"), planned_start=today + datetime.timedelta(days=40),
    )  # fmt: skip
    AnnualPlanFactory(project=project, year=today.year, planned_investment=Decimal("8000000"))
    # The checklist was made when the project was registered; the construction permit has been
    # with the housing bureau since a month ago and was promised five days ago.
    permit = PermitItem.objects.get(project=project, permit_type__name__startswith="施工许可")
    PermitItem.objects.filter(pk=permit.pk).update(
        status="submitted", submitted_date=today - datetime.timedelta(days=30),
        planned_date=today - datetime.timedelta(days=5),
    )  # fmt: skip
    services.rollup_full()
    return project


def permit_card(page):
    return page.get_by_test_id("card-permits_waiting")


def test_officer_approves_a_permit_then_a_change_the_centre_decides(page, login, project):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login("officer")

    # The cockpit counts the permit as waiting with the issuer and overdue.
    page.goto("/dashboard/")
    expect(permit_card(page)).to_have_text("1 / 1")

    # The checklist leads to the item; the approval needs its document number.
    page.goto(f"/preliminary/projects/{project.pk}/")
    page.get_by_role("link", name="施工许可证").first.click()
    form = page.get_by_test_id("approve-form")
    form.locator("#approval_document_number").fill("")
    form.get_by_role("button", name="登记批复").click()
    expect(page.get_by_test_id("approve-form")).to_contain_text("该字段是必填项")
    form = page.get_by_test_id("approve-form")
    form.locator("#approval_document_number").fill("滨建施〔2026〕0211号")
    form.locator("#approval_comment").fill("图审与施工招标同步推进，经中心研究先行办理")
    form.get_by_role("button", name="登记批复").click()
    expect(page.get_by_test_id("document-number")).to_have_text("滨建施〔2026〕0211号")
    permit = PermitItem.objects.get(project=project, permit_type__name__startswith="施工许可")
    assert permit.status == "approved" and permit.valid_until

    # The change reached the cockpit after commit, without anyone starting a rollup.
    page.goto("/dashboard/")
    expect(permit_card(page)).to_have_text("0 / 0")

    # A design change of 23 万元 needs the centre (major tier).
    page.goto(f"/design/changes/new/?project={project.pk}")
    page.fill("#id_project", project.code)
    page.select_option("#id_kind", "design_change")
    page.fill("#id_reason", "地下管线迁改导致基础形式调整")
    page.fill("#id_amount_requested", "23")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_test_id("change-tier")).to_contain_text("较大")
    page.locator('[data-step="submit"]').click()
    page.fill("#id_comment", "经现场核实，同意按较大变更审批")
    page.locator('[data-step="approve_major"]').click()
    change = DesignChange.objects.get(project=project)
    assert change.status == "approved" and change.tier == "major"
    assert change.amount_approved == Decimal("230000")
    expect(page.get_by_test_id("events")).to_contain_text("经现场核实")
    assert not errors
