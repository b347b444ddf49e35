"""Leadership's morning in the browser: open the cockpit, read the red list, drill down from the
group to a subsidiary to a project, and follow a cause to the record behind it."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dashboard import services
from tests.factories import (
    AnnualPlanFactory,
    MilestoneFactory,
    ProgressReportFactory,
    ProjectFactory,
    ReportingPeriodFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def group(orgs, personas):
    today = timezone.localdate()
    late = ProjectFactory(owner=orgs["infra"], code="JC-2026-009", name="滨河大道快速化改造工程",
                          is_key=True, assigned_leader=personas["leader"],
                          actual_start=datetime.date(2025, 3, 1),
                          latitude=Decimal("24.48"), longitude=Decimal("118.08"))  # fmt: skip
    late_by_20 = today - datetime.timedelta(days=20)
    MilestoneFactory(project=late, name="主线桥梁合龙", deadline=late_by_20)
    fine = ProjectFactory(owner=orgs["housing"], code="BZ-2026-002", name="望江保障性住房项目",
                          actual_start=datetime.date(2025, 3, 1),
                          latitude=Decimal("24.50"), longitude=Decimal("118.10"))  # fmt: skip
    period = ReportingPeriodFactory(year=today.year, month=1)
    for project, plan, done in ((late, "100000000", "1000000"), (fine, "10000000", "9000000")):
        AnnualPlanFactory(project=project, year=today.year, planned_investment=Decimal(plan))
        ProgressReportFactory(project=project, period=period, investment=Decimal(done),
                              status="accepted")  # fmt: skip
    services.rollup_full()
    return late


def test_leader_reads_the_red_list_and_drills_down_to_a_project(page, login, group):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login("leader")
    page.get_by_test_id("nav").locator('[data-nav="cockpit"]').click()
    expect(page.get_by_test_id("cockpit-title")).to_contain_text("集团驾驶舱")
    expect(page.get_by_test_id("data-as-of")).to_contain_text(str(timezone.localdate().year))

    # The red list names the late project, its subsidiary, its leader and why it is red.
    red_list = page.get_by_test_id("red-list")
    expect(red_list).to_contain_text("JC-2026-009")
    expect(red_list).to_contain_text("基础设施公司")
    expect(red_list).to_contain_text("主线桥梁合龙")
    expect(red_list).not_to_contain_text("BZ-2026-002")
    # The charts drew (ECharts renders SVG).
    expect(page.locator("#chart-monthly svg")).to_have_count(1)
    expect(page.locator("#chart-map svg")).to_have_count(1)

    # Group -> subsidiary.
    page.get_by_test_id("subsidiary-table").get_by_test_id("drill-infra").click()
    expect(page.get_by_test_id("cockpit-title")).to_contain_text("基础设施")
    expect(page.get_by_test_id("subsidiary-table")).to_have_count(0)
    # Subsidiary -> project.
    page.get_by_test_id("project-table").get_by_test_id("project-JC-2026-009").click()
    expect(page.get_by_test_id("cockpit-title")).to_contain_text("JC-2026-009")
    expect(page.get_by_test_id("project-rag")).to_have_text("红")
    causes = page.get_by_test_id("causes")
    expect(causes).to_contain_text("主线桥梁合龙")
    # A cause links to the record behind it: the milestone on the project's battle map.
    causes.get_by_role("link", name="主线桥梁合龙").first.click()
    page.wait_for_url(f"**/projects/{group.pk}/#battle-map")
    expect(page.get_by_test_id("milestones")).to_contain_text("主线桥梁合龙")
    assert not errors, errors
