"""The cockpit and its drill-down for every role: what each sees, the red list and its causes,
bad filter input, the Excel export, the data's age, the failed-run alert, and the number of
queries, which must not grow with the group."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dashboard import services
from dashboard.models import RollupRun
from projects.models import AnnualPlan
from reporting.choices import ReportStatus
from reporting.models import ProgressReport
from tests.dashboard.conftest import TODAY, empty_caches, more_subsidiaries, report
from tests.personas import ALL, SEES_INFRA

COCKPIT = reverse("dashboard:cockpit")
GROUP_WIDE = ["leader", "officer", "officer_design", "admin"]
# The subsidiary each subsidiary persona belongs to.
OWN = {"manager": "infra", "reporter": "infra", "reporter2": "housing"}
PREFIX = {"infra": "JC-", "housing": "BZ-"}


@pytest.fixture
def rolled_up(group, today):
    services.rollup_full(today)
    return group


@pytest.fixture
def browse(client, client_for, settings):
    """A logged-in client for a persona, reading the portal in English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client_for


def section(html: str, testid: str, end: str = "</table>") -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index(end, start)]


def links(fragment: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]*)"', fragment)]


def expected_totals(orgs: list, year: int = 2026) -> dict[str, Decimal]:
    """Straight from the records: the annual plans and accepted reports of the year of the
    projects these subsidiaries own."""
    plans = AnnualPlan.objects.filter(year=year, project__owner__in=orgs)
    accepted = ProgressReport.objects.filter(status=ReportStatus.ACCEPTED, period__year=year,
                                             project__owner__in=orgs)  # fmt: skip
    return {
        "planned": sum((p.planned_investment for p in plans), Decimal(0)),
        "completed_ytd": sum((r.investment for r in accepted), Decimal(0)),
    }


def totals_of(response) -> dict[str, Decimal]:
    totals = response.context["cockpit"].totals
    return {"planned": totals.planned, "completed_ytd": totals.completed_ytd}


# --- who sees what ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, rolled_up):
    for url in (COCKPIT, reverse("dashboard:project", args=[rolled_up["JC-A"].pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", GROUP_WIDE)
def test_leadership_and_the_centre_see_every_subsidiary(browse, persona, rolled_up, orgs):
    response = browse(persona).get(COCKPIT)
    assert response.status_code == 200
    html = response.content.decode()
    table = section(html, "subsidiary-table")
    assert 'data-testid="drill-infra"' in table and 'data-testid="drill-housing"' in table
    assert totals_of(response) == expected_totals([orgs["infra"], orgs["housing"]])
    assert totals_of(response) == {"planned": Decimal("130000000"),
                                   "completed_ytd": Decimal("90300000.25")}  # fmt: skip
    assert 'data-testid="kpi-completed">0.90' in html  # 亿元
    assert 'data-testid="kpi-completion">69.5%' in html  # 90,300,000.25 of 130m
    red = section(html, "red-list")
    assert "JC-B" in red and "BZ-D" in red


@pytest.mark.parametrize("persona", ["manager", "reporter", "reporter2"])
def test_a_subsidiarys_staff_see_only_their_own_company(browse, persona, rolled_up, orgs):
    own = OWN[persona]
    other = "housing" if own == "infra" else "infra"
    response = browse(persona).get(COCKPIT)
    assert response.status_code == 200
    html = response.content.decode()
    assert totals_of(response) == expected_totals([orgs[own]])
    assert [org.code for org, _t in response.context["cockpit"].by_organisation] == [own]
    assert PREFIX[other] not in html
    assert orgs[other].name not in html and f'value="{other}"' not in html
    project_table = section(html, "project-table")
    assert {p.code for p in rolled_up.projects.values() if p.owner == orgs[own]
            and p.code != "BZ-C"} == set(re.findall(r'data-testid="project-([A-Z-]+)"',
                                                    project_table))  # fmt: skip


def test_a_subsidiary_user_asking_for_another_company_gets_a_field_error(browse, rolled_up, orgs):
    response = browse("reporter").get(COCKPIT, {"organisation": "housing"})
    assert response.status_code == 400  # with the reason at the field (0032)
    assert "organisation" in response.context["form"].errors
    html = response.content.decode()
    assert 'id="id_organisation_error"' in html or "is-invalid" in section(
        html, "cockpit-filters", "</form>")  # fmt: skip
    assert totals_of(response) == expected_totals([orgs["infra"]])
    assert "BZ-" not in html and orgs["housing"].name not in html


@pytest.mark.parametrize("persona", ALL)
def test_the_project_page_is_found_only_in_scope(browse, persona, rolled_up):
    infra = browse(persona).get(reverse("dashboard:project", args=[rolled_up["JC-B"].pk]))
    assert infra.status_code == (200 if persona in SEES_INFRA else 404)
    housing = browse(persona).get(reverse("dashboard:project", args=[rolled_up["BZ-A"].pk]))
    assert housing.status_code == (404 if persona in {"manager", "reporter"} else 200)


# --- the red list and the drill-down ------------------------------------------------------------


def test_the_red_list_explains_each_colour_with_a_link_to_the_record(browse, rolled_up):
    html = browse("leader").get(COCKPIT).content.decode()
    red = section(html, "red-list")
    # Worst first: JC-B (red, three causes), JC-C (red, one), BZ-D (orange). Not the others.
    codes = re.findall(r">((?:JC|BZ)-[A-Z])</a>", red)
    assert codes == ["JC-B", "JC-C", "BZ-D"]
    b = rolled_up["JC-B"]
    late_form = ProgressReport.objects.get(project=b, period__part=2, period__month=11)
    assert "Investment 50.8% of plan against 83.3% of the year elapsed: 32.6 points behind" in red
    assert "Milestone “主桥合龙” 10 days late" in red
    assert "Progress report 2026-11-T2 1 days overdue" in red
    hrefs = links(red)
    assert f"/reports/?q={b.code}" in hrefs
    assert reverse("projects:detail", args=[b.pk]) + "#battle-map" in hrefs
    assert late_form.get_absolute_url() in hrefs
    assert f"{reverse('dashboard:project', args=[b.pk])}?year=2026" in hrefs
    c_form = ProgressReport.objects.get(project=rolled_up["JC-C"], period__month=10)
    assert "Progress report 2026-10 18 days overdue" in red
    assert c_form.get_absolute_url() in hrefs


def test_the_cause_links_lead_to_pages_the_reader_may_open(browse, rolled_up):
    client = browse("leader")
    red = section(client.get(COCKPIT).content.decode(), "red-list")
    for href in links(red):
        assert client.get(href.split("#")[0]).status_code == 200, href


def test_drilling_down_from_the_group_to_a_project_and_back(browse, rolled_up, orgs):
    client = browse("leader")
    group_page = client.get(COCKPIT).content.decode()
    drill = re.search(r'href="([^"]+)" data-testid="drill-infra"', group_page).group(1)
    subsidiary = client.get(COCKPIT + drill.replace("&amp;", "&"))
    assert subsidiary.context["cockpit"].filters.organisation == orgs["infra"]
    assert totals_of(subsidiary) == expected_totals([orgs["infra"]])
    html = subsidiary.content.decode()
    assert "BZ-" not in section(html, "project-table")
    target = re.search(r'href="([^"]+)" data-testid="project-JC-B"', html).group(1)
    project = client.get(target)
    assert project.status_code == 200
    page = project.content.decode()
    assert 'data-testid="project-rag"' in page and "JC-B" in page
    causes = section(page, "causes", "</ul>")
    assert "Milestone “主桥合龙” 10 days late" in causes
    up = links(section(page, "breadcrumb", "</ol>"))
    assert f"{COCKPIT}?year=2026&organisation=infra" in up


def test_the_project_page_shows_its_figures(browse, rolled_up):
    response = browse("reporter").get(reverse("dashboard:project", args=[rolled_up["JC-A"].pk]))
    data = response.context["data"]
    assert data.row.completed_ytd == Decimal("26000000")
    # January to October counted, November's not yet due: the cumulative line stops there.
    assert [m["completed_ytd"] for m in data.months][9:] == [Decimal("26000000"), None, None]
    assert 'data-testid="kpi-completed">2,600.00' in response.content.decode()  # 万元


def test_a_past_year_shows_its_own_figures(browse, rolled_up, orgs):
    response = browse("leader").get(COCKPIT, {"year": "2025"})
    assert response.context["form"].errors == {}
    assert totals_of(response) == expected_totals([orgs["infra"], orgs["housing"]], 2025)
    assert totals_of(response)["planned"] == Decimal("28000000")  # JC-A 20m + BZ-C 8m
    assert response.context["cockpit"].red_list == []  # colours are today's, this year's


def test_the_key_project_and_category_filters(browse, rolled_up, orgs):
    key = browse("leader").get(COCKPIT, {"is_key": "true"})
    assert totals_of(key)["planned"] == Decimal("70000000")  # JC-A 30m, JC-B 40m, BZ-D 0
    housing = browse("leader").get(COCKPIT, {"category": "affordable_housing"})
    assert totals_of(housing) == {"planned": Decimal("50000000"),
                                  "completed_ytd": Decimal("35000000")}  # fmt: skip


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {"year": "abc"}, {"year": "1999"}, {"organisation": "nope"}, {"is_key": "maybe"},
    {"category": "castle"}, {"year": "abc", "organisation": "nope", "is_key": "maybe"},
])  # fmt: skip
def test_bad_filter_input_is_refused_at_its_field(browse, rolled_up, orgs, params):
    response = browse("leader").get(COCKPIT, params)
    assert response.status_code == 400  # the page, with the reason at each field (0032)
    assert set(response.context["form"].errors) == set(params)
    html = section(response.content.decode(), "cockpit-filters", "</form>")
    for name in params:
        assert f'id="id_{name}_error"' in html or f'aria-describedby="id_{name}_error"' in html
    assert html.count("invalid-feedback") == len(params)
    # The page falls back to the whole group this year.
    assert totals_of(response) == expected_totals([orgs["infra"], orgs["housing"]])


@pytest.mark.parametrize("year", ["abc", "99999", "-1", ""])
def test_a_bad_year_on_the_project_page_shows_this_year(browse, rolled_up, year):
    response = browse("leader").get(reverse("dashboard:project", args=[rolled_up["JC-A"].pk]),
                                    {"year": year})  # fmt: skip
    assert response.status_code == 200
    assert response.context["year"] == 2026


def test_an_unknown_project_is_not_found(browse, rolled_up):
    assert browse("leader").get(reverse("dashboard:project", args=[999999])).status_code == 404


def test_the_cockpit_before_any_rollup(browse, orgs, clock):
    response = browse("leader").get(COCKPIT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No figures for this year yet." in html
    assert re.search(r'data-testid="data-as-of">Data as of\s+—', html)


# --- the Excel export ---------------------------------------------------------------------------


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
    book = load_workbook(io.BytesIO(response.content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_the_export_has_the_summary_and_the_red_list(browse, rolled_up):
    sheets = workbook(browse("leader").get(COCKPIT, {"format": "xlsx"}))
    assert list(sheets) == ["Summary", "Red list"]
    header, *rows = sheets["Summary"]
    assert header == ("Subsidiary", "Projects", "Annual plan (10k yuan)",
                      "Completed this year (10k yuan)", "Completion %", "Time elapsed %", "Red",
                      "Orange", "Amber", "Green")  # fmt: skip
    by_name = {row[0]: row[1:] for row in rows}
    # infra 2026: JC-A green, JC-B red, JC-C red; housing: BZ-A amber, BZ-B amber, BZ-D orange.
    assert by_name["基础设施公司"] == (3, 8000, 5430, 67.88, 83.33, 2, 0, 0, 1)
    assert by_name["保障房公司"] == (3, 5000, 3600, 72, 83.33, 0, 1, 2, 0)
    assert by_name["All"] == (6, 13000, 9030, 69.46, 83.33, 2, 1, 2, 1)
    header, *rows = sheets["Red list"]
    assert [row[0] for row in rows] == ["JC-B", "JC-C", "BZ-D"]
    causes = dict(zip(header, rows[0], strict=True))["Causes"]
    assert "Milestone “主桥合龙” 10 days late" in causes


def test_a_subsidiary_users_export_holds_only_their_company(browse, rolled_up):
    sheets = workbook(browse("reporter").get(COCKPIT, {"format": "xlsx",
                                                      "organisation": "housing"}))  # fmt: skip
    assert list(sheets) == ["Summary", "Red list", "Projects"]
    assert [row[0] for row in sheets["Summary"][1:]] == ["基础设施公司", "All"]
    assert [row[0] for row in sheets["Red list"][1:]] == ["JC-B", "JC-C"]
    assert sorted(row[0] for row in sheets["Projects"][1:]) == ["JC-A", "JC-B", "JC-C"]
    assert "BZ-" not in repr(sheets) and "保障房" not in repr(sheets)


# --- the data's age and failed runs -------------------------------------------------------------


def test_the_page_says_when_the_data_was_rolled_up(browse, rolled_up, clock):
    clock.shift(datetime.timedelta(hours=3))
    html = browse("leader").get(COCKPIT).content.decode()
    # The run finished at 10:00 in Shanghai (02:00 UTC), shown in the portal's time zone.
    assert re.search(r'data-testid="data-as-of">Data as of\s+2026-11-23 10:00<', html)


@pytest.mark.parametrize("persona", ["admin", "leader", "officer", "reporter"])
def test_only_administrators_see_a_failed_run(browse, persona, rolled_up, clock, monkeypatch):
    clock.shift(datetime.timedelta(minutes=5))

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr("dashboard.rollup.write", broken)
    with pytest.raises(RuntimeError):
        services.rollup_projects([rolled_up["JC-A"].pk], TODAY)
    failed = RollupRun.objects.get(status=RollupRun.Status.FAILED)
    html = browse(persona).get(COCKPIT).content.decode()
    alert = 'data-testid="rollup-failed"' in html
    assert alert == (persona == "admin")
    if alert:
        assert reverse("admin:dashboard_rolluprun_change", args=[failed.pk]) in html
        assert "2026-11-23 10:05" in section(html, "rollup-failed", "</div>")
    # The figures of the last good run are still there, and say when they are from.
    assert re.search(r'data-testid="data-as-of">Data as of\s+2026-11-23 10:00<', html)


def test_the_alert_goes_once_a_full_run_succeeds(browse, rolled_up, clock):
    clock.shift(datetime.timedelta(minutes=1))
    RollupRun.objects.create(kind=RollupRun.Kind.PROJECTS, as_of=TODAY,
                             status=RollupRun.Status.FAILED, error="x")  # fmt: skip
    assert 'data-testid="rollup-failed"' in browse("admin").get(COCKPIT).content.decode()
    clock.shift(datetime.timedelta(minutes=1))
    services.rollup_full()
    assert 'data-testid="rollup-failed"' not in browse("admin").get(COCKPIT).content.decode()


# --- queries: a fixed number whatever the size of the group -------------------------------------

# user (the session is read through the cache); data as of; subsidiaries, years; organisation
# cells, month cells, red list. The red list's "first 30 of 57" costs none: its total is the
# organisation cells' red and orange counts (selectors.Cockpit.red_total). The map's points are
# loaded apart (dashboard:map, MAP_QUERIES).
COCKPIT_QUERIES = 7
# user; subsidiaries, years (the filters are checked as the page's); the points.
MAP_QUERIES = 4
# The navigation's inbox badge and notification bell (portal.inbox, portal.notifications): one
# query for both, for every role, while their cache is cold (leadership follows the open
# coordination items and gets notices); none once cached.
BADGE = 1
LEADER_QUERIES = COCKPIT_QUERIES + BADGE
# ... and the subsidiary's project table.
SUBSIDIARY_QUERIES = LEADER_QUERIES + 1
# ... a reporter's page is its subsidiary's, with its own badge.
REPORTER_QUERIES = SUBSIDIARY_QUERIES
# ... and the failed runs (last full run, the runs since).
ADMIN_QUERIES = LEADER_QUERIES + 2
# user; project (with owner and leader), its row, data as of; the badge.
PROJECT_QUERIES = 4 + BADGE
MAX_QUERIES = 15  # the limit
# The bell is counted in the badge's query on a cold cache (portal.inbox.counts).
BELL = 0


def measure(client, django_assert_num_queries, today, orgs, rolled_up):
    """Each cockpit page costs its fixed number of queries, within the issue's limit."""
    pages = [
        ("leader", COCKPIT, {}, LEADER_QUERIES + BELL),
        ("leader", COCKPIT, {"organisation": "infra"}, SUBSIDIARY_QUERIES + BELL),
        # The exports: no "data as of", no navigation.
        ("leader", COCKPIT, {"format": "xlsx"}, LEADER_QUERIES - 1 - BADGE),
        ("leader", COCKPIT, {"format": "xlsx", "organisation": "infra"},
         SUBSIDIARY_QUERIES - 1 - BADGE),
        ("reporter", COCKPIT, {}, REPORTER_QUERIES + BELL),
        ("admin", COCKPIT, {}, ADMIN_QUERIES + BELL),
        ("leader", reverse("dashboard:project", args=[rolled_up["JC-B"].pk]), {},
         PROJECT_QUERIES + BELL),
        # The map's points, and the rollups' version (the cache was emptied).
        ("leader", reverse("dashboard:map"), {}, MAP_QUERIES + 1),
    ]  # fmt: skip
    for persona, url, params, count in pages:
        assert count <= MAX_QUERIES
        empty_caches()  # a cold render: what a page costs when the rollups have just changed
        logged_in = client(persona)
        with django_assert_num_queries(count):
            response = logged_in.get(url, params)
        assert response.status_code == 200


def test_the_cockpit_costs_the_same_queries_for_a_small_and_a_large_group(
    browse, rolled_up, today, orgs, django_assert_num_queries
):
    measure(browse, django_assert_num_queries, today, orgs, rolled_up)
    empty_caches()  # a fresh render, not the cached page
    small = browse("leader").get(COCKPIT)
    assert len(small.context["cockpit"].red_list) == 3
    # Five times the projects, three more subsidiaries, 330 more reports, 30 late milestones.
    more_subsidiaries(3, 10, orgs["group"])
    for project in list(rolled_up.projects.values())[:3]:
        for month in range(1, 11):
            report(project, 2025, month, "100000")
    services.rollup_full(today)
    measure(browse, django_assert_num_queries, today, orgs, rolled_up)
    empty_caches()
    large = browse("leader").get(COCKPIT)
    assert len(large.context["cockpit"].by_organisation) == 5
    assert len(large.context["cockpit"].red_list) > 3
    # A large subsidiary's page and export too.
    client = browse("leader")
    with django_assert_num_queries(SUBSIDIARY_QUERIES - 1 - BADGE):
        client.get(COCKPIT, {"organisation": "sub1", "format": "xlsx"})


def test_the_rendered_cockpit_is_reused_until_the_next_rollup_run(
    browse, rolled_up, today, clock, django_assert_num_queries
):
    def main(response) -> str:  # the page without the per-request CSRF token
        return response.content.decode().split("<main", 1)[1]

    leader = browse("leader")
    first = main(leader.get(COCKPIT))
    # The same page again: no query at all (the session, the user's row and the rollups'
    # version are in the cache).
    with django_assert_num_queries(0):
        again = main(leader.get(COCKPIT))
    assert again == first
    # Another scope never gets it: a subsidiary's reporter sees only their own company.
    reporter_page = browse("reporter").get(COCKPIT).content.decode()
    assert "BZ-" not in reporter_page
    # A rollup run makes a new page.
    AnnualPlan.objects.filter(project=rolled_up["JC-B"], year=2026).update(
        planned_investment=Decimal("1")
    )
    clock.shift(datetime.timedelta(minutes=1))
    services.rollup_full(today)
    leader = browse("leader")  # the same test client, logged in as the leader again
    # The badge and the bell are still cached: nothing they count changed.
    with django_assert_num_queries(LEADER_QUERIES - BADGE):
        changed = main(leader.get(COCKPIT))
    assert changed != first


def test_the_subsidiary_page_lists_the_worst_projects_first(browse, rolled_up):
    response = browse("leader").get(COCKPIT, {"organisation": "infra"})
    projects = response.context["projects"]
    assert [row.project.code for row in projects] == ["JC-B", "JC-C", "JC-A"]


def test_a_cached_page_is_never_served_for_another_databases_run(rf, personas):
    # A database made anew numbers its runs from 1 again while the cache (Redis) lives on: the
    # key carries the run's finish time too, so run 1 of one database is not run 1 of another.
    from dashboard.scope import cache_key

    leader = personas["leader"]
    first = datetime.datetime(2026, 11, 23, 1, 30, tzinfo=datetime.UTC)
    key = cache_key("page", leader, {}, TODAY, (1, first))
    assert key == cache_key("page", leader, {}, TODAY, (1, first))
    assert key != cache_key("page", leader, {}, TODAY, (1, first + datetime.timedelta(seconds=1)))
