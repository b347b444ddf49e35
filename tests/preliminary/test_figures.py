"""What preliminary work gives the cockpit, the inbox and the reminders, against a recomputation
from the records."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from dashboard import services as rollups
from dashboard.models import OrgYear, ProjectYear, Rag
from portal import inbox, workflow
from portal.figures import Fact, Measures
from preliminary import reminders
from preliminary.choices import OPEN_STATUSES, PermitStatus
from preliminary.figures import figures
from preliminary.models import PermitItem
from tests import kit
from tests.factories import AnnualPlanFactory, ProjectFactory
from tests.preliminary.conftest import item_of

D = datetime.date
COCKPIT = reverse("dashboard:cockpit")


@pytest.fixture
def records(both_projects, nov_20):
    infra, housing = both_projects
    update = PermitItem.objects.filter
    update(pk=item_of(infra, "proposal").pk).update(status=PermitStatus.SUBMITTED,
                                                    submitted_date=D(2026, 11, 2))  # fmt: skip
    update(pk=item_of(infra, "eia").pk).update(
        status=PermitStatus.PREPARING, planned_date=D(2026, 11, 10)
    )  # 10 days late
    update(pk=item_of(infra, "energy_review").pk).update(planned_date=D(2026, 11, 17))  # 3 days
    update(pk=item_of(housing, "feasibility").pk).update(
        status=PermitStatus.SUBMITTED, submitted_date=D(2026, 10, 1), planned_date=D(2026, 10, 20)
    )  # 31 days late: red  # fmt: skip
    update(pk=item_of(housing, "tenders").pk).update(
        status=PermitStatus.APPROVED, planned_date=D(2026, 1, 1)
    )  # done
    return infra, housing


@pytest.fixture
def both_projects(orgs, types, nov_20):
    projects = []
    for org, code in (("infra", "JC-F-001"), ("housing", "BZ-F-001")):
        project = ProjectFactory(owner=orgs[org], code=code, total_investment=Decimal("90000000"))
        AnnualPlanFactory(project=project, year=2026, planned_investment=Decimal("0.01"))
        projects.append(project)
    return projects


def recount(project_ids=None):
    """The figures recomputed from the records by hand."""
    result = {}
    for item in PermitItem.objects.select_related("permit_type"):
        row = result.setdefault(item.project_id, {"waiting": 0, "overdue": 0})
        row["waiting"] += item.status == PermitStatus.SUBMITTED
        row["overdue"] += item.status in OPEN_STATUSES and bool(item.planned_date) and \
            item.planned_date < D(2026, 11, 20)  # fmt: skip
    return result


def test_the_provider_counts_waiting_and_overdue_and_names_the_most_overdue(records):
    infra, housing = records
    found = figures(None, D(2026, 11, 20))
    expected = recount()
    for project in (infra, housing):
        got = found.get(project.pk, {})
        assert got.get(Measures.PERMITS_WAITING.key, 0) == expected[project.pk]["waiting"]
        assert got.get(Measures.PERMITS_OVERDUE.key, 0) == expected[project.pk]["overdue"]
    assert found[infra.pk][Fact.PERMIT_OVERDUE] == {
        "days": 10, "name": "环评批复 / 备案",
        "url": reverse("preliminary:item", args=[item_of(infra, "eia").pk])}  # fmt: skip
    assert found[housing.pk][Fact.PERMIT_OVERDUE]["days"] == 31
    assert figures([infra.pk], D(2026, 11, 20)).keys() == {infra.pk}


def test_the_cockpit_card_and_colours_agree_with_the_records(client_for, records, settings):
    _infra, _housing = records
    rollups.rollup_full()
    expected = recount()
    waiting = sum(r["waiting"] for r in expected.values())
    overdue = sum(r["overdue"] for r in expected.values())
    assert (waiting, overdue) == (2, 3)
    totals = {}
    for row in OrgYear.objects.filter(year=2026):
        for key in (Measures.PERMITS_WAITING.key, Measures.PERMITS_OVERDUE.key):
            totals[key] = totals.get(key, 0) + (row.measures or {}).get(key, 0)
    assert totals == {Measures.PERMITS_WAITING.key: waiting, Measures.PERMITS_OVERDUE.key: overdue}
    client = client_for("leader")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(COCKPIT).content.decode()
    assert re.search(rf'data-testid="card-permits_waiting">{waiting} / {overdue}<', html)
    causes = {r.project.code: r.causes for r in ProjectYear.objects.filter(year=2026)
              .select_related("project")}  # fmt: skip
    permit = {code: [c for c in found if c["rule"] == "permit_overdue"]
              for code, found in causes.items()}  # fmt: skip
    assert permit["JC-F-001"][0]["level"] == Rag.AMBER
    assert permit["BZ-F-001"][0]["level"] == Rag.RED  # from 30 days


def test_an_approval_reaches_the_cockpit_through_the_incremental_rollup(
    records, personas, django_capture_on_commit_callbacks
):
    infra, _housing = records
    rollups.rollup_full()
    item = item_of(infra, "proposal")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition_perform(actor=personas["officer"], obj=item, name="approve",
                                    document_number="滨发改审批〔2026〕118号",
                                    approved_date=D(2026, 11, 19))  # fmt: skip
    # Celery runs in-process in tests: the queued project was rolled up after the commit.
    row = ProjectYear.objects.get(project=infra, year=2026)
    assert row.measures.get(Measures.PERMITS_WAITING.key, 0) == 0
    assert row.measures.get(Measures.PERMITS_OVERDUE.key) == 2


# --- the inbox and the reminders -----------------------------------------------------------------


def test_the_inbox_shows_each_what_waits_for_them(records, personas):
    infra, _housing = records
    officer = inbox.counts(personas["officer"])
    assert officer["preliminary.to_approve"] == 2
    assert "preliminary.to_approve" not in inbox.counts(personas["officer_design"])
    reporter = inbox.counts(personas["reporter"])
    assert reporter["preliminary.overdue"] == 2 and "preliminary.to_approve" not in reporter
    item = item_of(infra, "proposal")
    workflow.transition_perform(actor=personas["officer"], obj=item, name="return",
                                comment="补充选址论证")  # fmt: skip
    assert inbox.counts(personas["reporter"])["preliminary.returned"] == 1
    assert inbox.counts(personas["reporter2"]).get("preliminary.returned", 0) == 0


def test_reminders_go_to_those_who_can_act(records, personas):
    infra, housing = records
    overdue = reminders.overdue_items(D(2026, 11, 20))
    by_key = {r.key: {u.username for u in r.recipients} for r in overdue}
    assert by_key[f"preliminary.permititem:{item_of(infra, 'eia').pk}"] == {"manager", "reporter"}
    assert by_key[f"preliminary.permititem:{item_of(housing, 'feasibility').pk}"] == {"reporter2"}
    kit.put_in_state(item_of(infra, "proposal"), PermitStatus.APPROVED)
    PermitItem.objects.filter(pk=item_of(infra, "proposal").pk).update(valid_until=D(2026, 12, 1))
    expiring = reminders.expiring_items(D(2026, 11, 20))
    assert [r.key for r in expiring] == [f"preliminary.permititem:{item_of(infra, 'proposal').pk}"]
    assert {u.username for u in expiring[0].recipients} == {"manager", "reporter", "officer"}


def test_an_approval_appears_in_the_feed_of_those_who_see_the_project(records, personas):
    from django.utils import timezone

    from portal import activity

    infra, _housing = records
    since = timezone.now() - datetime.timedelta(days=1)
    workflow.transition_perform(actor=personas["officer"], obj=item_of(infra, "proposal"),
                                name="approve", document_number="滨发改审批〔2026〕118号",
                                approved_date=D(2026, 11, 19))  # fmt: skip
    lines = [e for e in activity.recent(personas["reporter"], since=since)
             if e.key == "preliminary.approvals"]  # fmt: skip
    assert [(e.title, e.project_code) for e in lines] == [("项目建议书批复", "JC-F-001")]
    assert not [e for e in activity.recent(personas["reporter2"], since=since)
                if e.key == "preliminary.approvals"]  # fmt: skip
