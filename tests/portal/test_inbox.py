"""The one inbox (portal.inbox): what each app registers, one badge, one page, fixed queries.

A test-only source (late milestones of the registry, as another app would register) stands beside
reporting's, so that the counts below hold for two apps' worth of sources.
"""

import datetime

import pytest
import time_machine
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from portal import inbox
from portal.access import Action
from projects.models import Milestone
from reporting import services
from reporting.choices import CoordinationStatus, ReportStatus
from reporting.models import CoordinationItem, ProgressReport
from tests.factories import (
    MilestoneFactory,
    ProgressReportFactory,
    ProjectFactory,
    ReportingPeriodFactory,
)
from tests.personas import ALL

NOV_20 = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def nov_20():
    with time_machine.travel(NOV_20, tick=False):
        yield NOV_20.date()


def _late_milestones(user):
    if not Milestone.access_policy.may_change_any(user):
        return None
    return Milestone.objects.for_user(user, Action.CHANGE).filter(
        actual_date__isnull=True, deadline__lt=timezone.localdate()
    )


LATE_MILESTONES = inbox.Source(
    key="tests.late_milestones",
    label="Late milestones",
    kind=inbox.Kind.OVERDUE,
    items=_late_milestones,
    show={
        "title": "name",
        "project_code": "project__code",
        "project_name": "project__name",
        "owner": "project__owner__short_name",
        "due": "deadline",
    },
    url=lambda row: f"/projects/#milestone-{row['pk']}",
    models=(Milestone,),
)


@pytest.fixture
def second_app():
    """Another app's source, registered as its `ready()` would."""
    inbox.register(LATE_MILESTONES)
    yield LATE_MILESTONES
    inbox.unregister(LATE_MILESTONES.key)


@pytest.fixture
def october(db):
    return ReportingPeriodFactory(year=2026, month=10)  # due 5 November: overdue on the 20th


@pytest.fixture
def waiting(orgs, personas, infra_project, housing_project, october):
    """Something of each kind for each subsidiary: a draft, a returned and a submitted form,
    an open and an answered coordination item, a late milestone."""
    rows = {}
    for code, project in (("infra", infra_project), ("housing", housing_project)):
        draft = ProgressReportFactory(project=project, period=october)
        returned = ProgressReportFactory(
            project=ProjectFactory(owner=project.owner), period=october,
            status=ReportStatus.RETURNED, review_comment="补充说明",
        )  # fmt: skip
        submitted = ProgressReportFactory(
            project=ProjectFactory(owner=project.owner), period=october,
            status=ReportStatus.SUBMITTED, submitted_at=NOV_20,
        )  # fmt: skip
        CoordinationItem.objects.create(report=draft, project=project, subject=f"{code}待协调")
        CoordinationItem.objects.create(
            report=draft, project=project, subject=f"{code}已答复",
            status=CoordinationStatus.ANSWERED,
        )  # fmt: skip
        MilestoneFactory(project=project, name=f"{code}节点", deadline=datetime.date(2026, 11, 1))
        rows[code] = {"draft": draft, "returned": returned, "submitted": submitted}
    return rows


# What each persona finds waiting in `waiting`: source key -> number of rows.
EXPECTED = {
    "leader": {"reporting.coordination_open": 2},
    "officer": {"reporting.to_review": 2, "reporting.coordination_to_answer": 2,
                "tests.late_milestones": 2},
    "officer_design": {"reporting.to_review": 2, "reporting.coordination_to_answer": 2,
                       "tests.late_milestones": 2},
    "admin": {"reporting.to_review": 2, "reporting.coordination_to_answer": 2,
              "tests.late_milestones": 2},
    "manager": {"reporting.to_fill": 1, "reporting.returned": 1,
                "reporting.coordination_answered": 1, "tests.late_milestones": 1},
    "reporter": {"reporting.to_fill": 1, "reporting.returned": 1,
                 "reporting.coordination_answered": 1},
    "reporter2": {"reporting.to_fill": 1, "reporting.returned": 1,
                  "reporting.coordination_answered": 1},
}  # fmt: skip


@pytest.mark.parametrize("persona", ALL)
def test_the_page_lists_what_waits_for_exactly_this_persona_and_the_badge_agrees(
    client_for, personas, persona, waiting, second_app
):
    response = client_for(persona).get(reverse("inbox"))
    assert response.status_code == 200
    sections = response.context["sections"]
    assert {key: s.count for key, s in sections.items() if s.count} == EXPECTED[persona]
    owners = {item.owner for s in sections.values() for item in s.items}
    # A subsidiary's people see their own company's items only; the centre and leadership both.
    assert owners == {
        "manager": {"基础设施公司"}, "reporter": {"基础设施公司"}, "reporter2": {"保障房公司"},
    }.get(persona, {"基础设施公司", "保障房公司"})  # fmt: skip
    total = sum(EXPECTED[persona].values())
    assert inbox.badge(personas[persona]) == total
    assert response.context["total"] == total
    html = response.content.decode()
    assert f'data-testid="badge-inbox">{total}<' in html


def test_the_page_groups_by_kind_and_shows_due_states(client_for, orgs, october, second_app):
    soon = ReportingPeriodFactory(kind="ten_day", year=2026, month=11, part=2)  # due 25 Nov
    later = ReportingPeriodFactory(year=2026, month=11)  # due 5 December
    project = ProjectFactory(owner=orgs["infra"], code="JC-2026-009")
    for period in (october, soon, later):
        ProgressReportFactory(project=project, period=period)
    response = client_for("manager").get(reverse("inbox"))
    groups = [(sections[0].source.kind, [s.source.key for s in sections])
              for _label, sections in response.context["groups"]]  # fmt: skip
    # Every source the manager may see, in registration order within its kind (empty ones too).
    assert groups == [
        ("overdue", ["preliminary.overdue", "tests.late_milestones"]),
        ("to_fill", ["reporting.to_fill", "reporting.returned", "design.returned",
                     "preliminary.returned"]),
        ("to_review", ["reporting.coordination_answered", "design.to_decide"]),
    ]  # fmt: skip
    items = response.context["sections"]["reporting.to_fill"].items
    # Soonest due first, each with its state on 20 November.
    assert [(i.due, i.due_state) for i in items] == [
        (datetime.date(2026, 11, 5), "overdue"),
        (datetime.date(2026, 11, 25), ""),
        (datetime.date(2026, 12, 5), ""),
    ]
    assert items[0].detail == str(october)  # the period's label
    assert items[0].url == reverse("reporting:edit", args=[ProgressReport.objects.filter(
        period=october).get().pk])  # fmt: skip


def test_due_soon_is_marked(client_for, orgs):
    period = ReportingPeriodFactory(year=2026, month=11, due_date=datetime.date(2026, 11, 22))
    ProgressReportFactory(project=ProjectFactory(owner=orgs["infra"]), period=period)
    html = client_for("reporter").get(reverse("inbox")).content.decode()
    assert "badge text-bg-warning" in html.split('data-testid="inbox-to-fill"')[1]


def test_the_old_address_leads_to_the_inbox(client_for, personas):
    response = client_for("reporter").get(reverse("reporting:inbox"))
    assert (response.status_code, response["Location"]) == (302, reverse("inbox"))


# --- the badge: one query, then cached until something it counts changes ---------------------


def test_the_badge_costs_one_query_then_none_and_one_cache_read(
    personas, waiting, second_app, django_assert_num_queries, monkeypatch
):
    officer = personas["officer"]
    # One UNION ALL over every source of both apps, counted per source.
    with django_assert_num_queries(1):
        assert inbox.badge(officer) == 6
    counting = CountingCache(inbox.cache)
    monkeypatch.setattr(inbox, "cache", counting)
    with django_assert_num_queries(0):
        assert inbox.badge(officer) == 6
    assert counting.reads == 1  # the version and this user's counts, in one round trip


class CountingCache:
    """The cache, counting its reads."""

    def __init__(self, cache):
        self.cache, self.reads = cache, 0

    def get(self, *args, **kwargs):
        self.reads += 1
        return self.cache.get(*args, **kwargs)

    def get_many(self, *args, **kwargs):
        self.reads += 1
        return self.cache.get_many(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.cache, name)


def test_a_cached_page_badge_costs_no_query(client_for, personas, waiting, second_app,
                                           django_assert_num_queries):  # fmt: skip
    client = client_for("reporter")
    client.get(reverse("projects:list"))
    # count, page, owner and district choices; neither the badge nor the bell, nor the user
    # (their row is cached since the first request).
    with django_assert_num_queries(4):
        response = client.get(reverse("projects:list"))
    assert 'data-testid="badge-inbox">3<' in response.content.decode()


def test_submitting_and_accepting_move_the_badges(personas, infra_report_draft):
    officer, reporter = personas["officer"], personas["reporter"]
    assert (inbox.badge(officer), inbox.badge(reporter)) == (0, 1)  # now cached
    services.report_submit(actor=reporter, report=infra_report_draft,
                           version=infra_report_draft.version)  # fmt: skip
    assert (inbox.badge(officer), inbox.badge(reporter)) == (1, 0)
    report = ProgressReport.objects.get(pk=infra_report_draft.pk)
    services.report_accept(actor=officer, report=report)
    assert (inbox.badge(officer), inbox.badge(reporter)) == (0, 0)


@pytest.fixture
def infra_report_draft(infra_project, october):
    return ProgressReportFactory(project=infra_project, period=october)


def test_a_bulk_write_tells_the_inbox(personas, orgs, infra_project):
    reporter = personas["reporter"]
    assert inbox.badge(reporter) == 0
    november = ReportingPeriodFactory(year=2026, month=11)
    assert services.report_forms_ensure(period=november) >= 1  # bulk_create: no post_save
    assert inbox.badge(reporter) == 1


def test_a_queryset_update_is_not_seen_until_changed_is_called(personas, infra_report_draft):
    reporter = personas["reporter"]
    assert inbox.badge(reporter) == 1
    ProgressReport.objects.update(status=ReportStatus.SUBMITTED)  # no signal
    assert inbox.badge(reporter) == 1  # still the cached count ...
    inbox.changed()
    assert inbox.badge(reporter) == 0  # ... until the writer says so


def test_the_version_is_bumped_again_after_commit(
    personas, infra_report_draft, django_assert_num_queries
):
    reporter = personas["reporter"]
    with transaction.atomic():
        infra_report_draft.save()
        infra_report_draft.save()
        # Counted before the transaction commits (as another request could, from the rows as
        # they were) ...
        inbox.badge(reporter)
    # (The test runs in a transaction that never commits: run its after-commit bump by hand.)
    pending = [entry[1] for entry in connection.run_on_commit if entry[1] is inbox._bump]
    assert len(pending) == 1  # once, however many saves
    pending[0]()
    # ... and not kept once it commits.
    with django_assert_num_queries(1):
        inbox.badge(reporter)


def test_a_user_whose_role_changes_is_counted_again(personas, waiting):
    manager = personas["manager"]
    assert inbox.badge(manager) == 3
    manager.role = "officer"
    manager.organisation = personas["officer"].organisation
    assert inbox.badge(manager) == 4  # to review and to answer, the whole group's


# --- the page: a fixed number of queries ---------------------------------------------------------


@pytest.mark.parametrize("count", [2, 20])
def test_the_page_costs_the_same_queries_for_few_or_many_rows(
    client_for, orgs, october, second_app, count, django_assert_num_queries
):
    for index in range(count):
        project = ProjectFactory(owner=orgs["infra"])
        status = ReportStatus.SUBMITTED if index % 2 else ReportStatus.DRAFT
        report = ProgressReportFactory(project=project, period=october, status=status)
        CoordinationItem.objects.create(report=report, project=project, subject=f"事项{index}")
        MilestoneFactory(project=project, deadline=datetime.date(2026, 10, 1))
    client = client_for("officer")
    # 1 user (the session comes from the cache); 2 every source's rows (reporting's four, the
    # late milestones) in one UNION ALL, which refreshes the badge's cache, so the navigation's
    # badge costs nothing; 3 the bell (unread notifications).
    with django_assert_num_queries(3):
        response = client.get(reverse("inbox"))
    sections = response.context["sections"]
    assert sections["reporting.to_review"].count == count // 2
    assert sections["reporting.coordination_to_answer"].count == count
    assert sections["tests.late_milestones"].count == count


def test_the_page_lists_at_most_the_limit_of_a_source_and_says_how_many_wait(
    client_for, personas, waiting, monkeypatch
):
    monkeypatch.setattr(inbox, "PAGE_LIMIT", 1)
    response = client_for("officer").get(reverse("inbox"))
    section = response.context["sections"]["reporting.to_review"]
    assert (len(section.items), section.count) == (1, 2)
    assert 'data-testid="inbox-more"' in response.content.decode()
    assert inbox.badge(personas["officer"]) == 4  # the badge counts them all
