"""The workbench (工作台, the home page): what waits for each user, what falls due this week, what
changed on their projects since they last looked; a fixed number of queries."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from portal import inbox
from portal.models import User
from reporting.choices import CoordinationStatus, ReportAction, ReportStatus
from reporting.models import CoordinationEvent, CoordinationItem, ReportEvent
from tests.factories import ProgressReportFactory, ProjectFactory, ReportingPeriodFactory
from tests.personas import ALL

NOV_20 = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOV_20, tick=False) as traveller:
        yield traveller


@pytest.fixture
def periods(db):
    return {
        "october": ReportingPeriodFactory(year=2026, month=10),  # due 5 Nov: overdue
        "ten_day": ReportingPeriodFactory(kind="ten_day", year=2026, month=11, part=2),  # 25 Nov
        "november": ReportingPeriodFactory(year=2026, month=11),  # due 5 Dec: after this week
    }


@pytest.fixture
def forms(infra_project, housing_project, periods):
    """Each subsidiary's three forms, and one submitted and one open item of each."""
    rows = {}
    for code, project in (("infra", infra_project), ("housing", housing_project)):
        rows[code] = [ProgressReportFactory(project=project, period=p) for p in periods.values()]
        submitted = ProgressReportFactory(
            project=ProjectFactory(owner=project.owner, code=f"{project.code}-S"),
            period=periods["october"], status=ReportStatus.SUBMITTED, submitted_at=NOV_20,
        )  # fmt: skip
        CoordinationItem.objects.create(
            report=submitted, project=project, subject=f"{code}协调事项",
            status=CoordinationStatus.OPEN,
        )  # fmt: skip
    return rows


def waiting_codes(response) -> dict[str, set[str]]:
    return {
        section.source.key: {item.project_code for item in section.items}
        for _label, sections in response.context["groups"]
        for section in sections
    }


@pytest.mark.parametrize("persona", ALL)
def test_each_persona_sees_what_waits_for_exactly_them(client_for, personas, persona, forms):
    response = client_for(persona).get(reverse("home"))
    assert response.status_code == 200
    expected = {
        "leader": {"reporting.coordination_open": {"JC-2026-001", "BZ-2026-001"}},
        "reporter": {"reporting.to_fill": {"JC-2026-001"}},
        "manager": {"reporting.to_fill": {"JC-2026-001"}},
        "reporter2": {"reporting.to_fill": {"BZ-2026-001"}},
    }.get(persona, {  # the centre: forms to review and items to answer, every subsidiary's
        "reporting.to_review": {"JC-2026-001-S", "BZ-2026-001-S"},
        "reporting.coordination_to_answer": {"JC-2026-001", "BZ-2026-001"},
    })  # fmt: skip
    assert waiting_codes(response) == expected
    # The total on the workbench is the badge's number, and the inbox page's.
    total = response.context["waiting_total"]
    assert total == inbox.badge(personas[persona])
    assert total == client_for(persona).get(reverse("inbox")).context["total"]
    html = response.content.decode()
    assert f'data-testid="badge-inbox">{total}<' in html
    other = {"reporter": "BZ-", "manager": "BZ-", "reporter2": "JC-"}.get(persona)
    if other:
        assert other not in html  # nothing of another subsidiary, anywhere on the page


def test_the_first_rows_of_each_source_and_see_all(client_for, orgs, periods):
    for _index in range(7):
        ProgressReportFactory(
            project=ProjectFactory(owner=orgs["infra"]), period=periods["october"]
        )
    response = client_for("reporter").get(reverse("home"))
    section = response.context["groups"][0][1][0]
    assert (section.source.key, section.count, len(section.items), section.more) == (
        "reporting.to_fill", 7, 5, 2)  # fmt: skip
    html = response.content.decode()
    assert f"{reverse('inbox')}#src-reportingto_fill" in html


def test_what_falls_due_this_week(client_for, forms, periods):
    response = client_for("reporter").get(reverse("home"))
    # October's overdue form first (the most urgent), then the ten-day form due on the 25th;
    # November's, due in December, is not this week's.
    assert [(i.project_code, i.due, i.due_state) for i in response.context["due_soon"]] == [
        ("JC-2026-001", periods["october"].due_date, "overdue"),
        ("JC-2026-001", periods["ten_day"].due_date, ""),  # not yet within 3 days
    ]
    assert periods["ten_day"].due_date == datetime.date(2026, 11, 25)
    html = response.content.decode()
    assert html.count('data-testid="due-item"') == 2
    assert html.count('data-testid="due-overdue"') == 1


def test_nothing_waiting_says_so(client_for, personas):
    html = client_for("reporter").get(reverse("home")).content.decode()
    assert 'data-testid="waiting-none"' in html
    assert 'data-testid="no-events"' in html


def test_the_apps_entry_points_stay_on_the_page(client_for, personas):
    html = client_for("leader").get(reverse("home")).content.decode()
    for key, url in [("cockpit", reverse("dashboard:cockpit")),
                     ("projects", reverse("projects:list")),
                     ("reports", reverse("reporting:list"))]:  # fmt: skip
        assert f'href="{url}" data-entry="{key}"' in html


# --- since you last looked ---------------------------------------------------------------------


def event(report, actor, action, at):
    return ReportEvent.objects.create(report=report, actor=actor, action=action, at=at)


def test_since_you_last_looked_shows_only_newer_events_of_others_in_scope(
    client_for, personas, forms, clock
):
    infra, housing = forms["infra"][0], forms["housing"][0]
    officer, reporter = personas["officer"], personas["reporter"]
    reporter.workbench_seen_at = NOV_20 - datetime.timedelta(hours=2)
    reporter.save()
    event(infra, officer, ReportAction.RETURN, NOV_20 - datetime.timedelta(hours=3))  # seen
    event(infra, officer, ReportAction.ACCEPT, NOV_20 - datetime.timedelta(hours=1))  # new
    event(infra, reporter, ReportAction.SUBMIT, NOV_20 - datetime.timedelta(minutes=30))  # own
    event(infra, officer, ReportAction.SAVE, NOV_20 - datetime.timedelta(minutes=20))  # no step
    event(housing, officer, ReportAction.RETURN, NOV_20 - datetime.timedelta(minutes=10))  # other
    # A coordination item answered: the second activity source, in the same query.
    item = CoordinationItem.objects.get(project=infra.project)
    CoordinationEvent.objects.create(item=item, actor=officer, action="answer",
                                     at=NOV_20 - datetime.timedelta(minutes=5))  # fmt: skip

    response = client_for("reporter").get(reverse("home"))
    events = response.context["events"]
    assert [(e.project_code, e.actor, e.at, e.url) for e in events] == [
        ("JC-2026-001", officer.name, NOV_20 - datetime.timedelta(minutes=5),
         reverse("reporting:coordination-detail", args=[item.pk])),
        ("JC-2026-001", officer.name, NOV_20 - datetime.timedelta(hours=1),
         reverse("reporting:detail", args=[infra.pk])),
    ]  # fmt: skip
    assert (events[0].title, events[1].title) == (item.subject, str(infra.period))
    # Looking moves the mark: the same event is not new the next time.
    assert User.objects.get(pk=reporter.pk).workbench_seen_at == NOV_20
    clock.shift(datetime.timedelta(minutes=5))
    assert client_for("reporter").get(reverse("home")).context["events"] == []
    # Leadership, on a first visit, sees both subsidiaries' steps of the week, newest first.
    leader_events = client_for("leader").get(reverse("home")).context["events"]
    assert [e.project_code for e in leader_events] == [
        "JC-2026-001", "BZ-2026-001", "JC-2026-001", "JC-2026-001", "JC-2026-001"]  # fmt: skip


def test_a_first_visit_shows_the_last_week(client_for, personas, forms):
    report = forms["infra"][0]
    event(report, personas["officer"], ReportAction.ACCEPT, NOV_20 - datetime.timedelta(days=8))
    event(report, personas["officer"], ReportAction.RETURN, NOV_20 - datetime.timedelta(days=6))
    events = client_for("manager").get(reverse("home")).context["events"]
    assert [e.at for e in events] == [NOV_20 - datetime.timedelta(days=6)]


# --- queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 20])
def test_the_workbench_costs_the_same_queries_for_few_or_many_rows(
    client_for, personas, orgs, periods, count, django_assert_num_queries
):
    for index in range(count):
        project = ProjectFactory(owner=orgs["infra"])
        for period in periods.values():
            report = ProgressReportFactory(project=project, period=period,
                                           status=ReportStatus.SUBMITTED)  # fmt: skip
        CoordinationItem.objects.create(report=report, project=project, subject=f"事项{index}")
        event(report, personas["reporter"], ReportAction.SUBMIT, NOV_20)
        CoordinationEvent.objects.create(item=CoordinationItem.objects.last(),
                                         actor=personas["admin"], action="answer")  # fmt: skip
    client = client_for("officer")
    # 1 user (the session comes from the cache); 2 the first rows of every inbox source with
    # their totals, in one UNION ALL ranked by window functions (it refreshes the badge's cache,
    # so the navigation's badge costs nothing); 3 the events since the last look, every activity
    # source in one UNION ALL; 4 the mark of this look (one UPDATE); 5 the bell (unread
    # notifications).
    with django_assert_num_queries(5):
        response = client.get(reverse("home"))
    assert response.context["waiting_total"] == count * 3 + count
    assert len(response.context["events"]) == min(count * 2, 20)
    # Looked at again within the same visit: the same, the bell now from its cache, and no new
    # mark (the visit's "since" stays).
    with django_assert_num_queries(3):
        client.get(reverse("home"))
