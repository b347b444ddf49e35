"""Exporting the project list to Excel: the whole filtered, sorted list, scoped to the user, with
numbers kept as numbers, in a constant number of queries."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from tests.factories import ProjectFactory
from tests.personas import ALL, visible_codes

HEADERS = [
    "项目编号",
    "项目名称",
    "所属子公司",
    "项目类别",
    "区域",
    "项目阶段",
    "重点项目",
    "总投资（万元）",
    "挂点领导",
    "项目经理",
    "计划开工日期",
    "计划完工日期",
]


def _export(client, **params):
    response = client.get(reverse("projects:list"), {**params, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = sheet.iter_rows(values_only=True)
    return response, list(header), rows


def test_it_exports_the_filtered_sorted_list_with_a_chinese_header_row(
    client_for, orgs, infra_project, housing_project, personas
):
    ProjectFactory(
        owner=orgs["infra"],
        code="JC-2026-002",
        name="江北污水处理厂扩建",
        is_key=True,
        total_investment=Decimal("35000000.50"),
        assigned_leader=personas["leader"],
    )
    ProjectFactory(owner=orgs["infra"], code="JC-2026-003", stage="completed")
    _response, header, rows = _export(
        client_for("officer"), owner="infra", stage=["construction"], o="-code"
    )
    assert header == HEADERS
    assert [row[0] for row in rows] == ["JC-2026-002", "JC-2026-001"]  # filtered and sorted
    first = dict(zip(header, rows[0], strict=True))
    assert first["项目名称"] == "江北污水处理厂扩建"
    assert first["所属子公司"] == "基础设施公司"
    assert first["项目阶段"] == "施工"
    assert first["重点项目"] == "是"
    assert first["总投资（万元）"] == pytest.approx(3500.00005)  # a number, in 万元
    assert first["挂点领导"] == personas["leader"].get_full_name()
    assert first["计划开工日期"].date().isoformat() == "2025-03-01"  # a date cell


def test_it_exports_every_page_not_just_the_first(client_for, orgs, settings):
    settings.PORTAL = {**settings.PORTAL, "LIST_PAGE_SIZE": 5}
    ProjectFactory.create_batch(12, owner=orgs["infra"])
    _response, _header, rows = _export(client_for("officer"), page=2)
    assert len(rows) == 12


@pytest.mark.parametrize("persona", ALL)
def test_it_exports_only_the_projects_the_user_may_see(
    client_for, persona, infra_project, housing_project
):
    _response, _header, rows = _export(client_for(persona))
    assert {row[0] for row in rows} == visible_codes(persona)


def test_it_names_the_file_in_utf8_with_an_ascii_fallback(client_for, infra_project):
    response, _header, _rows = _export(client_for("leader"))
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="project_list_')
    # 项目_YYYYMMDD.xlsx, percent-encoded (RFC 5987)
    assert "filename*=UTF-8''%E9%A1%B9%E7%9B%AE_" in disposition


def test_it_sends_anonymous_users_to_log_in(client, infra_project):
    response = client.get(reverse("projects:list"), {"format": "xlsx"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_lets_an_htmx_click_fetch_the_file_as_a_plain_download(client_for, infra_project):
    response = client_for("officer").get(
        reverse("projects:list"), {"format": "xlsx", "owner": "infra"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("projects:list") + "?format=xlsx&owner=infra"


def test_it_links_to_the_export_keeping_the_filters(client_for, infra_project):
    response = client_for("officer").get(reverse("projects:list"), {"owner": "infra", "page": 1})
    html = response.content.decode()
    assert 'href="/projects/?owner=infra&amp;format=xlsx"' in html


@pytest.mark.parametrize("count", [3, 30])
def test_it_exports_in_a_constant_number_of_queries(
    client_for, orgs, personas, count, django_assert_num_queries
):
    for _ in range(count):
        ProjectFactory(
            owner=orgs["infra"],
            assigned_leader=personas["leader"],
            project_manager=personas["manager"],
        )
    client = client_for("officer")
    # (the session comes from the cache) 1 user, 2-3 the filter's choices (subsidiaries seen,
    # districts), 4 the projects with owner, leader and manager joined.
    with django_assert_num_queries(4):
        _response, _header, rows = _export(client)
    assert len(rows) == count
