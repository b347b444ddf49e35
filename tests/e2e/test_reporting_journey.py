"""A progress report's round trip in the browser: submit, return with a comment, fix,
resubmit, accept."""

import pytest
from playwright.sync_api import expect

from reporting.models import ProgressReport
from tests.factories import ProgressReportFactory, ProjectFactory, ReportingPeriodFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def report(orgs, personas):
    project = ProjectFactory(owner=orgs["infra"], code="JC-2026-001", name="滨河大道快速化改造工程")
    period = ReportingPeriodFactory(year=2026, month=10)  # started: today is later
    return ProgressReportFactory(project=project, period=period)


def login(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "portal-demo")
    page.click("#main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_submit_return_fix_resubmit_accept(page, report):
    # The reporter finds the form in the inbox, fills it and submits it.
    login(page, "reporter")
    expect(page.get_by_test_id("badge-inbox")).to_have_text("1")
    page.get_by_test_id("nav").locator('[data-nav="inbox"]').click()
    page.get_by_test_id("inbox-to-fill").get_by_role("link", name="JC-2026-001").click()
    page.fill("#id_investment", "-5")
    page.fill("#id_progress_text", "主体结构施工至3层")
    page.get_by_role("button", name="提交至中心").click()
    expect(page.locator('[data-field-error="investment"]')).to_contain_text("不能为负")
    expect(page.locator("#id_progress_text")).to_have_value("主体结构施工至3层")
    page.fill("#id_investment", "320")
    page.fill("#id_progress_pct", "35")
    page.get_by_role("button", name="提交至中心").click()
    expect(page.locator("[data-status]").first).to_have_text("已提交")

    # The officer returns it with a comment.
    login(page, "officer")
    page.goto("/reports/inbox/")
    page.get_by_test_id("inbox-to-review").get_by_role("link", name="JC-2026-001").click()
    page.fill("#id_comment", "请补充存在问题及责任人")
    page.get_by_role("button", name="退回").click()
    expect(page.locator("[data-status]").first).to_have_text("已退回")

    # The reporter sees why, fixes it and resubmits.
    login(page, "reporter")
    page.goto("/reports/inbox/")
    returned = page.get_by_test_id("inbox-returned")
    expect(returned).to_contain_text("请补充存在问题及责任人")
    returned.get_by_role("link", name="JC-2026-001").click()
    page.fill("#id_problems-0-description", "电力迁改未完成")
    page.fill("#id_problems-0-responsible_unit", "供电公司")
    page.get_by_role("button", name="重新提交至中心").click()
    expect(page.locator("[data-status]").first).to_have_text("已提交")

    # The officer accepts it; the workflow shows every step.
    login(page, "officer")
    page.goto(f"/reports/{report.pk}/")
    page.get_by_role("button", name="通过").click()
    expect(page.locator("[data-status]").first).to_have_text("已通过")
    expect(page.get_by_test_id("events").locator("li")).to_have_count(6)
    assert ProgressReport.objects.get(pk=report.pk).investment == 3_200_000


def test_a_reporter_adds_and_removes_problem_rows_beside_the_figures(page, report):
    login(page, "reporter")
    page.goto(f"/reports/{report.pk}/edit/")
    # What the reporter needs beside the fields: the year's figures and the last accepted %.
    expect(page.get_by_test_id("figures")).to_be_visible()
    expect(page.get_by_test_id("last-accepted")).to_be_visible()
    page.fill("#id_investment", "10")
    page.fill("#id_problems-0-description", "电力迁改未完成")
    page.get_by_test_id("add-problem").click()
    page.fill("#id_problems-1-description", "用地手续待办")
    page.get_by_test_id("add-problem").click()
    page.fill("#id_problems-2-description", "临时占道未批")
    page.get_by_test_id("problem-row").nth(1).get_by_role("button").click()  # remove the second
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".alert-success")).to_be_visible()
    saved = list(report.problems.order_by("pk").values_list("description", flat=True))
    assert saved == ["电力迁改未完成", "临时占道未批"]
