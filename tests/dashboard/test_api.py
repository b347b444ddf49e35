"""The cockpit's API, its wall display and its version check: the same figures as the page and
the Excel export (one selector behind all three), the page's scope for every persona on every
endpoint, bad input refused with a reason, and a cached answer that costs one query at most."""

import datetime
import gzip
import io
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dashboard import services
from dashboard.views import _wan
from reporting.choices import ReportStatus
from reporting.models import ProgressReport
from tests.dashboard.conftest import TODAY, more_subsidiaries, report
from tests.personas import ALL, SEES_INFRA

COCKPIT = reverse("dashboard:cockpit")
WALL = reverse("dashboard:wall")
API = reverse("api-cockpit")
VERSION = reverse("api-cockpit-version")
GROUP_WIDE = ["leader", "officer", "officer_design", "admin"]
OWN = {"manager": "infra", "reporter": "infra", "reporter2": "housing"}
OTHER = {"infra": "housing", "housing": "infra"}
PREFIX = {"infra": "JC-", "housing": "BZ-"}
NAME = {"infra": "基础设施公司", "housing": "保障房公司"}


@pytest.fixture
def rolled_up(group, today):
    services.rollup_full(today)
    return group


@pytest.fixture
def client_for(client, personas, settings):
    """A logged-in test client for a persona, reading the portal in English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def login(name):
        client.force_login(personas[name])
        return client

    return login


@pytest.fixture
def api_for(personas, settings):
    def login(name):
        api = APIClient()
        api.force_authenticate(personas[name])
        api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return api

    return login


def project_api(pk):
    return reverse("api-cockpit-project", args=[pk])


def page_context(client, params=None):
    response = client.get(COCKPIT, params or {})
    assert response.status_code == 200
    return response.context


def export_sheets(client, params=None):
    response = client.get(COCKPIT, {**(params or {}), "format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def money(value) -> str:
    return f"{Decimal(value):.2f}"


def assert_same_figures(client, api, params=None):
    """The API's figures are the page's (the selector's objects) and the export's (万元)."""
    context = page_context(client, params)
    cockpit = context["cockpit"]
    data = api.get(API, params or {}).json()
    t = cockpit.totals
    assert data["totals"]["planned"] == money(t.planned)
    assert data["totals"]["completed_ytd"] == money(t.completed_ytd)
    assert data["totals"]["completed_cumulative"] == money(t.completed_cumulative)
    assert data["totals"]["projects"] == t.projects
    assert data["totals"]["rag"] == {k: n for k, _label, n in context["rag_counts"]}
    assert data["totals"]["pace"] == {k: n for k, _label, n in context["pace_counts"]}
    assert data["key_projects"]["rag"] == {k: n for k, _label, n in context["key_rag_counts"]}
    assert Decimal(data["elapsed_pct"]) == cockpit.elapsed_pct.quantize(Decimal("0.01"))
    assert [r["code"] for r in data["red_list"]] == [r.project.code for r in cockpit.red_list]
    assert data["red_total"] == cockpit.red_total
    assert [(s["code"], s["planned"], s["completed_ytd"]) for s in data["subsidiaries"]] == [
        (org.code, money(row.planned), money(row.completed_ytd))
        for org, row in cockpit.by_organisation
    ]
    assert [c["text"] for c in data["function_cards"]] == [
        c["text"] for c in context["function_cards"]
    ]
    assert [(m["month"], m["completed_ytd"]) for m in data["monthly"]] == [
        (m["month"], None if m["completed_ytd"] is None else money(m["completed_ytd"]))
        for m in cockpit.months
    ]
    # The export's summary sheet: the same numbers, in 万元.
    sheets = export_sheets(client, params)
    header, *rows = sheets["Summary"]
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    for sub in data["subsidiaries"]:
        row = by_name[sub["short_name"]]
        assert row["Annual plan (10k yuan)"] == _wan(Decimal(sub["planned"]))
        assert row["Completed this year (10k yuan)"] == _wan(Decimal(sub["completed_ytd"]))
        assert row["Red"] == sub["rag"]["red"] and row["Green"] == sub["rag"]["green"]
    assert by_name["All"]["Completed this year (10k yuan)"] == _wan(
        Decimal(data["totals"]["completed_ytd"])
    )
    assert [row[0] for row in sheets["Red list"][1:]] == [r["code"] for r in data["red_list"]]
    return data


# --- the same figures everywhere -----------------------------------------------------------------


def test_group_subsidiary_and_project_figures_match_the_page_and_the_export(
    client_for, api_for, rolled_up
):
    client, api = client_for("leader"), api_for("leader")
    group = assert_same_figures(client, api)
    assert group["totals"]["planned"] == "130000000.00"
    assert group["totals"]["completed_ytd"] == "90300000.25"
    infra = assert_same_figures(client, api, {"organisation": "infra"})
    assert [s["code"] for s in infra["subsidiaries"]] == ["infra"]
    # A subsidiary's reporter reads their own company, as on their page.
    mine = assert_same_figures(client_for("reporter"), api_for("reporter"))
    assert mine["totals"] == infra["totals"]
    # One project: the drill-down page's figures.
    b = rolled_up["JC-B"]
    page = client.get(reverse("dashboard:project", args=[b.pk])).context["data"]
    data = api.get(project_api(b.pk)).json()
    assert data["completed_ytd"] == money(page.row.completed_ytd) == "20300000.25"
    assert data["rag"] == page.row.rag == "red"
    assert [c["rule"] for c in data["causes"]] == [c["rule"] for c in page.row.causes]
    assert "Milestone “主桥合龙” 10 days late" in {c["text"] for c in data["causes"]}
    assert all(c["url"] for c in data["causes"])


def test_the_figures_still_match_after_an_accepted_report(client_for, api_for, rolled_up, clock):
    client, api = client_for("leader"), api_for("leader")
    before = assert_same_figures(client, api)
    late = ProgressReport.objects.get(project=rolled_up["JC-B"], period__part=2,
                                      period__month=11)  # fmt: skip
    late.status = ReportStatus.ACCEPTED
    late.save()
    clock.shift(datetime.timedelta(minutes=1))
    services.rollup_projects([rolled_up["JC-B"].pk], TODAY)
    after = assert_same_figures(client, api)
    assert Decimal(after["totals"]["completed_ytd"]) - Decimal(
        before["totals"]["completed_ytd"]
    ) == Decimal("250000")
    assert after["version"] > before["version"]
    project = api.get(project_api(rolled_up["JC-B"].pk)).json()
    assert project["completed_ytd"] == "20550000.25"


def test_the_red_list_carries_every_cause_with_its_numbers_and_link(api_for, rolled_up):
    data = api_for("leader").get(API).json()
    b = next(r for r in data["red_list"] if r["code"] == "JC-B")
    assert b["rag"] == "red" and b["owner"] == "infra"
    rules = {c["rule"]: c for c in b["causes"]}
    assert len(rules) == 3
    for cause in b["causes"]:
        assert cause["level"] in {"red", "orange", "amber"}
        assert cause["numbers"] and cause["url"] and cause["text"]


def test_token_authentication_and_language(rolled_up, personas, settings):
    token = Token.objects.create(user=personas["leader"])
    api = APIClient()
    assert api.get(API).status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    chinese = api.get(API).json()
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = api.get(API).json()
    # The same figures; the texts in the caller's language (Chinese first), cached apart.
    assert english["totals"] == chinese["totals"]
    causes = [c["text"] for c in english["red_list"][0]["causes"]]
    assert "Milestone “主桥合龙” 10 days late" in causes
    assert causes != [c["text"] for c in chinese["red_list"][0]["causes"]]


# --- scope on every endpoint ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALL)
def test_every_endpoint_keeps_each_persona_in_their_scope(client_for, api_for, persona,
                                                          rolled_up):  # fmt: skip
    client, api = client_for(persona), api_for(persona)
    own = OWN.get(persona)
    for response in (client.get(COCKPIT), client.get(WALL), api.get(API), api.get(VERSION)):
        assert response.status_code == 200
    summary = api.get(API).json()
    wall = client.get(WALL).content.decode()
    if own:
        assert [s["code"] for s in summary["subsidiaries"]] == [own]
        for text in (json.dumps(summary, ensure_ascii=False), wall):
            assert PREFIX[OTHER[own]] not in text and NAME[OTHER[own]] not in text
        # Asking for the other company: refused with the reason, never its figures.
        for response in (api.get(API, {"organisation": OTHER[own]}),
                         client.get(WALL, {"organisation": OTHER[own]}),
                         client.get(COCKPIT, {"organisation": OTHER[own]})):  # fmt: skip
            assert response.status_code == 400
            assert PREFIX[OTHER[own]] not in response.content.decode()
        assert "organisation" in api.get(API, {"organisation": OTHER[own]}).json()
    else:
        assert {s["code"] for s in summary["subsidiaries"]} == {"infra", "housing"}
    infra_project = api.get(project_api(rolled_up["JC-B"].pk))
    assert infra_project.status_code == (200 if persona in SEES_INFRA else 404)
    housing_project = api.get(project_api(rolled_up["BZ-A"].pk))
    assert housing_project.status_code == (404 if persona in {"manager", "reporter"} else 200)
    if housing_project.status_code == 404:
        assert "BZ-A" not in housing_project.content.decode()


def test_a_user_without_a_role_is_refused_on_every_endpoint(client, rolled_up, personas):
    from tests.factories import UserFactory

    nobody = UserFactory(username="nobody", role="", organisation=None)
    client.force_login(nobody)
    for url in (COCKPIT, WALL):
        assert client.get(url).status_code == 403
    api = APIClient()
    api.force_authenticate(nobody)
    for url in (API, VERSION):
        assert api.get(url).status_code == 403
    assert api.get(project_api(rolled_up["JC-A"].pk)).status_code in (403, 404)


def test_anonymous_callers_are_refused(client, rolled_up):
    for url in (COCKPIT, WALL):
        assert client.get(url).status_code == 302
    for url in (API, VERSION, project_api(rolled_up["JC-A"].pk)):
        assert APIClient().get(url).status_code == 401


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {"year": "abc"}, {"year": "1999"}, {"year": "2999"}, {"organisation": "nope"},
    {"is_key": "maybe"}, {"category": "castle"}, {"colour": "red"}, {"page": "1"},
])  # fmt: skip
def test_bad_input_is_a_400_with_its_reason(client_for, api_for, rolled_up, params):
    name = next(iter(params))
    api = api_for("leader").get(API, params)
    assert api.status_code == 400
    assert name in api.json()
    wall = client_for("leader").get(WALL, params)
    assert wall.status_code == 400
    assert f"<code>{name}</code>" in wall.content.decode()
    assert api_for("leader").get(VERSION, params).status_code == 400
    if name in ("year", "organisation", "is_key", "category"):
        page = client_for("leader").get(COCKPIT, params)
        assert page.status_code == 400  # the page shows the reason at the field
        assert name in page.context["form"].errors


@pytest.mark.parametrize("year", ["abc", "99999", "-1", "1999"])
def test_a_bad_year_for_a_project_is_a_400(api_for, rolled_up, year):
    response = api_for("leader").get(project_api(rolled_up["JC-A"].pk), {"year": year})
    assert response.status_code == 400
    assert "year" in response.json()


def test_an_unknown_project_is_not_found(api_for, rolled_up):
    assert api_for("leader").get(project_api(999999)).status_code == 404


def test_the_wall_poll_interval_is_checked(client_for, rolled_up):
    client = client_for("leader")
    assert client.get(WALL, {"poll": "5"}).status_code == 200
    assert 'data-poll-ms="5000"' in client.get(WALL, {"poll": "5"}).content.decode()
    for bad in ("0", "abc", "301"):
        assert client.get(WALL, {"poll": bad}).status_code == 400


# --- the version check and cached answers --------------------------------------------------------


def test_the_version_follows_the_rollup_runs(api_for, rolled_up, clock, today):
    api = api_for("leader")
    first = api.get(VERSION).json()
    assert first["version"] > 0 and first["data_as_of"].startswith("2026-11-23T02:00")
    clock.shift(datetime.timedelta(minutes=1))
    run = services.rollup_full(today)
    second = api.get(VERSION).json()
    assert second["version"] == run.pk > first["version"]


def test_the_version_check_costs_no_query(rolled_up, personas, django_assert_num_queries):
    token = Token.objects.create(user=personas["leader"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    api.get(VERSION)
    with django_assert_num_queries(0):  # the token's user, the version: from the cache
        response = api.get(VERSION)
    assert response.status_code == 200


def cached_page_queries(client, django_assert_num_queries, params=None) -> int:
    client.get(COCKPIT, params or {})  # renders and caches
    # No query: the session, the user's row and the version come from the cache.
    with django_assert_num_queries(0) as captured:
        response = client.get(COCKPIT, params or {})
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_a_cached_render_costs_no_query_for_a_small_and_a_large_group(
    client_for, rolled_up, orgs, today, django_assert_num_queries, clock
):
    client = client_for("leader")
    small = cached_page_queries(client, django_assert_num_queries)
    more_subsidiaries(3, 10, orgs["group"])
    for project in list(rolled_up.projects.values())[:3]:
        for month in range(1, 11):
            report(project, 2025, month, "100000")
    clock.shift(datetime.timedelta(minutes=1))
    services.rollup_full(today)
    large = cached_page_queries(client, django_assert_num_queries)
    assert small == large == 0
    # A subsidiary's staff's page (with its project table): none either once cached.
    cached_page_queries(client_for("reporter"), django_assert_num_queries)


def test_a_cached_api_answer_costs_no_query(rolled_up, personas, django_assert_num_queries):
    token = Token.objects.create(user=personas["leader"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    first = api.get(API)
    with django_assert_num_queries(0):  # the token's user and the answer: from the cache
        again = api.get(API)
    assert again.content == first.content


def test_the_cached_page_is_personal_where_it_must_be(client_for, client, rolled_up, personas):
    leader = client_for("leader").get(COCKPIT).content.decode()
    assert "cockpit-csrf-slot" not in leader and "<!--cockpit:" not in leader
    # Another user of the same scope gets the cached body with their own name and token.
    client.force_login(personas["officer"])
    officer = client.get(COCKPIT).content.decode()
    assert personas["officer"].get_full_name() in officer
    assert personas["leader"].get_full_name() not in officer.split("<main", 1)[0]
    # The CSRF token is masked afresh for each response, in the form and the htmx header.
    token = 'name="csrfmiddlewaretoken" value="'
    assert officer.split(token)[1][:64] != leader.split(token)[1][:64]
    header = officer.split('"X-CSRFToken": "')[1].split('"')[0]
    assert len(header) == 64
    # The figures are the same page.
    assert leader.split("<main", 1)[1] == officer.split("<main", 1)[1]


def test_the_page_is_compressed_for_a_browser(client_for, rolled_up):
    client = client_for("leader")
    plain = client.get(COCKPIT).content.decode()
    for _ in range(2):  # rendered, then from the cache
        response = client.get(COCKPIT, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        assert int(response["Content-Length"]) == len(response.content) < 25 * 1024
        # One valid gzip stream: the personal head and the cached tail, compressed apart.
        html = gzip.decompress(response.content).decode()
        assert html.split("<main", 1)[1] == plain.split("<main", 1)[1]
        assert html.rstrip().endswith("</html>") and 'data-testid="red-list"' in html
    api = client_for("leader").get(API, HTTP_ACCEPT_ENCODING="gzip")
    assert api["Content-Encoding"] == "gzip"


def test_rollups_drop_the_cached_version(rolled_up, clock, today):
    version = services.data_version()
    assert cache.get(services.VERSION_KEY) == version
    clock.shift(datetime.timedelta(minutes=1))
    run = services.rollup_full(today)
    assert services.data_version()[0] == run.pk


def test_the_map_points_come_apart_in_the_readers_scope(client_for, rolled_up):
    client = client_for("leader")
    page = client.get(COCKPIT).content.decode()
    assert "JC-A" not in page.split('id="cockpit-charts"')[1]  # not in the page's data
    url = reverse("dashboard:map")
    points = client.get(url).json()["points"]
    assert {p[3] for p in points} == {"JC-A"}  # the one project with a position
    reporter2 = client_for("reporter2")
    assert reporter2.get(url).json()["points"] == []
    refused = reporter2.get(url, {"organisation": "infra"})
    assert refused.status_code == 400 and "JC-A" not in refused.content.decode()
    assert client.get(url, {"year": "1999"}).status_code == 400
    assert client.get(url, {"colour": "red"}).status_code == 400


def test_the_api_is_throttled_per_user(rolled_up, api_for, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/minute"}}  # fmt: skip
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        api = api_for("leader")
        assert [api.get(API).status_code for _ in range(3)] == [200, 200, 200]
        refused = api.get(API)
        assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
        assert api.get(VERSION).status_code == 429  # the same counter
        assert api_for("officer").get(API).status_code == 200  # another user's own
        # Refused calls count too: two bad requests and a method not allowed, then 429.
        manager = api_for("manager")
        statuses = [manager.get(API, {"colour": "red"}).status_code,
                    manager.get(VERSION, {"x": "1"}).status_code,
                    manager.post(API, {}).status_code, manager.get(API).status_code]  # fmt: skip
        assert statuses == [400, 400, 405, 429]
    finally:
        api_settings.reload()
