"""The pages and the API of preliminary work for every persona: scope, editing per person,
bad input at the field, the Excel register, query counts."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from preliminary.choices import PermitStatus
from preliminary.models import PermitItem
from tests import kit
from tests.factories import ProjectFactory
from tests.personas import ALL, SEES_INFRA, visible_codes
from tests.preliminary.conftest import item_of

BOARD = reverse("preliminary:board")
API_ITEMS = reverse("api-permit-item-list")
EDITORS = {"officer", "admin", "manager", "reporter"}  # of the infrastructure company's items


@pytest.fixture
def both(infra_project, housing_project):
    return infra_project, housing_project


@pytest.mark.parametrize("persona", ALL)
def test_the_board_and_the_api_list_show_exactly_the_items_in_scope(
    client_for, api_for, persona, both
):
    page = client_for(persona).get(BOARD, {"state": ""})
    assert page.status_code == 200
    kit.assert_scope(page.context["page_obj"], visible_codes(persona), lambda i: i.project.code)
    api = api_for(persona).get(API_ITEMS, {"page_size": 100})
    assert api.status_code == 200
    kit.assert_scope(api.json()["results"], visible_codes(persona), lambda r: r["project"])


@pytest.mark.parametrize("persona", ALL)
def test_the_checklist_and_the_item_are_found_only_in_scope(client_for, api_for, persona, permit):
    status = 200 if persona in SEES_INFRA else 404
    client = client_for(persona)
    assert client.get(reverse("preliminary:checklist", args=[permit.project_id])).status_code \
        == status  # fmt: skip
    assert client.get(permit.get_absolute_url()).status_code == status
    assert api_for(persona).get(reverse("api-permit-item-detail", args=[permit.pk])) \
        .status_code == status  # fmt: skip


@pytest.mark.parametrize("persona", ALL)
def test_who_edits_an_items_fields_on_the_page_and_in_the_api(client_for, api_for, persona, permit):
    client = client_for(persona)
    response = client.post(permit.get_absolute_url(), {
        "version": 1, "planned_date": "2026-12-15", "submitted_date": "", "responsible": "王磊",
        "note": "已预约窗口",
    })  # fmt: skip
    ok = persona in EDITORS
    assert response.status_code == (302 if ok else (403 if persona in SEES_INFRA else 404))
    api = api_for(persona).patch(
        reverse("api-permit-item-detail", args=[permit.pk]),
        {"version": 2 if ok else 1, "note": "API"},
        format="json",
    )
    assert api.status_code == (200 if ok else (403 if persona in SEES_INFRA else 404))
    permit.refresh_from_db()
    if ok:
        assert (permit.planned_date, permit.responsible, permit.note, permit.version) == (
            datetime.date(2026, 12, 15), "王磊", "API", 3)  # fmt: skip
        assert permit.history.first().history_user.username == persona
    else:
        assert (permit.note, permit.version) == ("", 1)


def test_a_subsidiary_may_not_record_the_number_or_the_approval(client_for, api_for, permit):
    api = api_for("reporter").patch(
        reverse("api-permit-item-detail", args=[permit.pk]),
        {"version": 1, "document_number": "自填", "approved_date": "2026-11-01"}, format="json",
    )  # fmt: skip
    assert api.status_code == 400
    assert set(api.json()) == {"document_number", "approved_date"}
    html = client_for("reporter").get(permit.get_absolute_url()).content.decode()
    assert 'name="planned_date"' in html and 'name="document_number"' not in html


def test_an_officer_corrects_an_approved_items_number_and_dates(api_for, permit):
    PermitItem.objects.filter(pk=permit.pk).update(
        status=PermitStatus.APPROVED, submitted_date=datetime.date(2026, 10, 8),
        approved_date=datetime.date(2026, 10, 15), document_number="错号",
    )  # fmt: skip
    response = api_for("officer").patch(
        reverse("api-permit-item-detail", args=[permit.pk]),
        {"version": 1, "document_number": "320105202610150101", "valid_until": "2027-03-15"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["document_number"] == "320105202610150101"
    blank = api_for("officer").patch(
        reverse("api-permit-item-detail", args=[permit.pk]),
        {"version": 2, "document_number": ""},
        format="json",
    )
    assert blank.status_code == 400 and list(blank.json()) == ["document_number"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"submitted_date": "2026-11-21"}, "submitted_date", "cannot be in the future"),
        ({"planned_date": "2026-02-30"}, "planned_date", "valid date"),
        ({"responsible": "王" * 51}, "responsible", "at most 50 characters"),
    ],
)
def test_bad_dates_are_refused_at_the_field_and_nothing_is_saved(
    client_for, permit, fields, field, message, settings
):
    client = client_for("reporter")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = {"version": 1, "planned_date": "2026-12-20", "submitted_date": "", "responsible": "",
            "note": "保留的备注", **fields}  # fmt: skip
    html = client.post(permit.get_absolute_url(), data).content.decode()
    error = html.split(f'data-field-error="{field}"', 1)[1].split("</div>", 1)[0]
    assert message in error
    assert "保留的备注" in html
    assert f'value="{data["planned_date"]}"' in html
    permit.refresh_from_db()
    assert (permit.note, permit.version) == ("", 1)


def test_the_api_answers_bad_input_with_a_400_not_a_500(api_for, permit):
    url = reverse("api-permit-item-detail", args=[permit.pk])
    api = api_for("reporter")
    for body in [{"version": 1, "planned_date": "soon"}, {"version": 1, "status": "approved"},
                 {"planned_date": "2026-12-01"}, {"version": 0}]:  # fmt: skip
        assert api.patch(url, body, format="json").status_code == 400, body
    assert api.get(API_ITEMS, {"warning": "nonsense"}).status_code == 400
    assert api.get(API_ITEMS, {"page": "x"}).status_code == 400


def test_the_board_filters_by_subsidiary_type_and_warning(client_for, both, nov_20):
    _infra, housing = both
    late = item_of(housing, "eia")
    PermitItem.objects.filter(pk=late.pk).update(planned_date=datetime.date(2026, 11, 1))
    client = client_for("officer")
    rows = client.get(BOARD, {"owner": "infra"}).context["page_obj"]
    assert {i.project.code for i in rows} == {"JC-2026-001"}
    rows = client.get(BOARD, {"type": "eia"}).context["page_obj"]
    assert {i.permit_type.code for i in rows} == {"eia"} and len(rows) == 2
    rows = client.get(BOARD, {"warning": "overdue"}).context["page_obj"]
    assert [i.pk for i in rows] == [late.pk]
    html = client.get(BOARD, {"warning": "overdue"}).content.decode()
    assert 'data-warning="overdue"' in html and "19" in html


def test_the_board_opens_on_what_is_still_to_obtain(client_for, permit):
    kit.put_in_state(permit, PermitStatus.APPROVED)
    client = client_for("officer")
    assert permit.pk not in [i.pk for i in client.get(BOARD).context["page_obj"]]
    assert permit.pk in [i.pk for i in client.get(BOARD, {"state": ""}).context["page_obj"]]
    assert [i.pk for i in client.get(BOARD, {"state": "done"}).context["page_obj"]] == [permit.pk]


def test_the_register_exports_to_excel_with_its_filters(client_for, both):
    response = client_for("reporter").get(BOARD, {"format": "xlsx", "type": "eia"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("项目编号", "项目名称", "所属子公司") and len(rows[0]) == 14
    assert [r[0] for r in rows[1:]] == ["JC-2026-001"]  # the reporter's own company only
    assert rows[1][3] == "环评批复 / 备案"


def test_the_checklist_page_shows_items_gantt_and_working_days(client_for, permit, nov_20):
    PermitItem.objects.filter(pk=permit.pk).update(submitted_date=datetime.date(2026, 11, 2),
                                                   status=PermitStatus.SUBMITTED)  # fmt: skip
    html = client_for("reporter").get(
        reverse("preliminary:checklist", args=[permit.project_id])).content.decode()  # fmt: skip
    assert html.count("data-item=") == 12
    assert 'id="permit-gantt-data"' in html and "vendor/echarts-5.6.0/echarts.min.js" in html
    assert "2026-11-02" in html and "preliminary/gantt.js" in html
    assert 'data-testid="working-days"' in html and "14" in html  # 2 Nov to 20 Nov


def test_the_missing_items_are_added_from_the_checklist_page(client_for, permit):
    url = reverse("preliminary:checklist-make", args=[permit.project_id])
    item_of(permit.project, "tenders").delete()
    html = client_for("reporter").get(
        reverse("preliminary:checklist", args=[permit.project_id])).content.decode()  # fmt: skip
    assert 'data-testid="make-checklist"' in html
    assert client_for("leader").post(url).status_code == 403
    assert client_for("officer_design").post(url).status_code == 403
    assert client_for("reporter2").post(url).status_code == 404
    assert client_for("reporter").post(url).status_code == 302
    assert PermitItem.objects.filter(project=permit.project).count() == 12
    client_for("reporter").post(url)
    assert PermitItem.objects.filter(project=permit.project).count() == 12


def test_the_project_page_has_the_checklist_panel_and_the_nav_entry(client_for, permit, nov_20):
    PermitItem.objects.filter(pk=permit.pk).update(planned_date=datetime.date(2026, 11, 1))
    html = client_for("reporter").get(permit.project.get_absolute_url()).content.decode()
    assert 'data-testid="project-permits"' in html and 'data-testid="checklist-link"' in html
    assert 'data-warning="overdue"' in html
    assert f'href="{BOARD}"' in html


# --- query counts -----------------------------------------------------------------------------


@pytest.fixture
def many(orgs, types, nov_20):
    def make(count):
        for index in range(count):
            ProjectFactory(owner=orgs["infra"], total_investment=Decimal("60000000"),
                           code=f"JC-Q-{index:03d}")  # fmt: skip

    return make


@pytest.mark.parametrize("count", [2, 5])
def test_the_board_and_the_api_list_cost_the_same_for_more_rows(
    client_for, api_for, many, count, django_assert_num_queries
):
    many(count)
    client = client_for("officer")
    client.get(BOARD)  # warm the thresholds' cache, the inbox badge and the bell
    # count, page (items with project, owner and type, and the "still needed" flag), the
    # owner and type choices of the filter.
    with django_assert_num_queries(kit.queries(count=1, page=1, owners=1, types=1, warm=True)):
        response = client.get(BOARD)
    assert response.context["paginator"].count == 12 * count
    api = api_for("officer")
    api.get(API_ITEMS)
    # count, page, and the owner and type choices the filter validates against
    # (force_authenticate: no user query).
    with django_assert_num_queries(4):
        api.get(API_ITEMS)


@pytest.mark.parametrize("count", [2, 5])
def test_the_checklist_and_the_item_cost_a_fixed_number_of_queries(
    client_for, many, count, django_assert_num_queries
):
    many(count)
    item = PermitItem.objects.filter(project__code="JC-Q-000").order_by("pk").last()
    client = client_for("officer")
    url = reverse("preliminary:checklist", args=[item.project_id])
    client.get(url)
    # project with its owner, items with their types, the types' prerequisites, the catalogue
    # for the size rule.
    with django_assert_num_queries(
        kit.queries(project=1, items=1, prerequisites=1, catalogue=1, warm=True)
    ):
        client.get(url)
    client.get(item.get_absolute_url())
    # item (with project, owner, type, recorder, "still needed"), events, prerequisites (the
    # open ones are read only for a submitted item), history, the scans.
    with django_assert_num_queries(
        kit.queries(item=1, events=1, prerequisites=1, history=1, scans=1, warm=True)
    ):
        client.get(item.get_absolute_url())
