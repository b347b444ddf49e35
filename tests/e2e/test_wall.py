"""The wall display (大屏模式) in the browser: dark, no navigation, drawn from the API's figures,
and brought up to date by itself after a rollup run, without reloading the page."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dashboard import services
from projects.models import AnnualPlan
from reporting.models import ProgressReport
from tests.factories import (
    AnnualPlanFactory,
    ProgressReportFactory,
    ProjectFactory,
    ReportingPeriodFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rolled_up(orgs, personas):
    today = timezone.localdate()
    project = ProjectFactory(owner=orgs["infra"], code="JC-2026-009", name="滨河大道快速化改造工程",
                             actual_start=datetime.date(2025, 3, 1))  # fmt: skip
    AnnualPlanFactory(project=project, year=today.year, planned_investment=Decimal("300000000"))
    ProgressReportFactory(project=project, period=ReportingPeriodFactory(year=today.year, month=1),
                          investment=Decimal("100000000"), status="accepted")  # fmt: skip
    services.rollup_full()
    return project


def test_the_wall_refreshes_its_figures_after_a_rollup_without_a_reload(page, login, rolled_up):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1600, "height": 900})
    login("leader")
    page.goto("/dashboard/wall/?poll=1")
    expect(page.get_by_test_id("wall-completed")).to_have_text("1.00")
    expect(page.get_by_test_id("wall-planned")).to_have_text("3.00")
    expect(page.locator("#wall-monthly svg")).to_have_count(1)
    assert page.locator('[data-testid="nav"]').count() == 0  # no navigation
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(5, 11, 22)"
    # The page remembers it was not reloaded.
    page.evaluate("window.__sameDocument = true")
    api_calls = []
    page.on("request", lambda r: api_calls.append(r.url) if "/api/v1/cockpit/" in r.url else None)

    # An accepted report and a new plan, then the rollup run.
    ProgressReport.objects.filter(project=rolled_up).update(investment=Decimal("150000000"))
    AnnualPlan.objects.filter(project=rolled_up).update(planned_investment=Decimal("400000000"))
    services.rollup_full()
    expect(page.get_by_test_id("wall-completed")).to_have_text("1.50", timeout=15_000)
    expect(page.get_by_test_id("wall-planned")).to_have_text("4.00")
    assert page.evaluate("window.__sameDocument") is True
    # Between runs only the version was asked; the figures once, after the run.
    summaries = [url for url in api_calls if "/version/" not in url]
    assert len(summaries) == 1, api_calls
    assert not errors, errors


def test_the_cockpit_links_to_the_wall_with_its_filters(page, login, rolled_up):
    login("leader")
    page.goto("/dashboard/?organisation=infra")
    page.get_by_test_id("wall-link").click()
    page.wait_for_url("**/dashboard/wall/**")
    assert "organisation=infra" in page.url
    expect(page.get_by_test_id("wall-title")).to_contain_text("基础设施")
    expect(page.get_by_test_id("wall-completed")).to_have_text("1.00")
