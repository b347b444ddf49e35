"""What a person does in the browser: log in as each role, see the right navigation and the
right projects; register a project through a form that first refuses bad input."""

import pytest
from playwright.sync_api import expect

from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def registry(orgs, personas):
    ProjectFactory(
        owner=orgs["infra"], code="JC-2026-001", name="滨河大道快速化改造工程", is_key=True
    )
    ProjectFactory(
        owner=orgs["housing"],
        code="BZ-2026-001",
        name="望江保障性住房项目",
        category="affordable_housing",
    )
    return personas


@pytest.mark.parametrize(
    ("username", "codes", "admin_link"),
    [
        ("leader", ["BZ-2026-001", "JC-2026-001"], False),
        ("officer", ["BZ-2026-001", "JC-2026-001"], False),
        ("admin", ["BZ-2026-001", "JC-2026-001"], True),
        ("manager", ["JC-2026-001"], False),
        ("reporter", ["JC-2026-001"], False),
        ("reporter2", ["BZ-2026-001"], False),
    ],
)
def test_each_role_logs_in_and_sees_its_navigation_and_projects(
    registry, login, username, codes, admin_link
):
    page = login(username)
    nav = page.get_by_test_id("nav")
    expect(nav.locator('[data-nav="projects"]')).to_have_text("项目")
    expect(nav.locator('[data-nav="admin"]')).to_have_count(1 if admin_link else 0)
    nav.locator('[data-nav="projects"]').click()
    expect(page.get_by_role("heading", name="项目库")).to_be_visible()
    rows = page.get_by_test_id("project-table").locator("tbody tr td:first-child a")
    expect(rows).to_have_text(codes)
    new_button = page.get_by_role("link", name="新建项目")
    expect(new_button).to_have_count(1 if username in ("officer", "admin", "manager") else 0)


def test_an_officer_registers_a_project_after_fixing_the_form(registry, login):
    page = login("officer")
    page.goto("/projects/new/")
    page.fill("#id_code", "JC-2026-001")  # taken
    page.fill("#id_name", "新港路新建工程")
    page.select_option("#id_owner", label="基础设施公司")
    page.select_option("#id_category", "road")
    page.fill("#id_total_investment", "-3")
    page.fill("#id_planned_start", "2026-03-01")
    page.fill("#id_planned_finish", "2026-01-01")
    page.get_by_role("button", name="保存").click()

    expect(page.locator('[data-field-error="code"]')).to_contain_text("已存在")
    expect(page.locator('[data-field-error="total_investment"]')).to_contain_text("不能为负")
    expect(page.locator('[data-field-error="planned_finish"]')).to_be_visible()
    expect(page.locator("#id_name")).to_have_value("新港路新建工程")  # nothing typed is lost

    page.fill("#id_code", "JC-2026-002")
    page.fill("#id_total_investment", "8500")  # 万元
    page.fill("#id_planned_finish", "2027-12-31")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="新港路新建工程 JC-2026-002")).to_be_visible()
    expect(page.get_by_test_id("history")).to_contain_text(registry["officer"].name)


def test_the_list_filters_without_reloading_the_page(registry, login):
    page = login("leader")
    page.goto("/projects/")
    page.fill("#id_q", "望江")
    rows = page.get_by_test_id("project-table").locator("tbody tr td:first-child a")
    expect(rows).to_have_text(["BZ-2026-001"])
    assert "q=" in page.url  # the filter is in the address, so it can be shared


def test_a_subsidiary_user_gets_not_found_for_another_subsidiarys_project(registry, login):
    from projects.models import Project

    page = login("reporter2")
    pk = Project.objects.get(code="JC-2026-001").pk
    response = page.goto(f"/projects/{pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
