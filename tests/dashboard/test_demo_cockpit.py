"""The default demo as a leader sees it on its day: seed_demo, open_periods and rollup on a
fixed date, then the cockpit's colours and the records behind them (issue 11). The demo must
look like a real group: a few projects red, each for a reason a reader can check, and records
that agree with each other and with each project's stage."""

import datetime
import io
import itertools
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command

from dashboard.models import Pace, ProjectYear, Rag
from projects.choices import Category, Stage
from projects.models import AnnualPlan, Milestone, Project
from reporting.choices import ReportStatus
from reporting.models import ProgressReport, ReportingPeriod

TODAY = datetime.date(2026, 11, 29)  # the day of the issue: October's forms due on 5 November
FINISHED = {Stage.COMPLETED, Stage.IN_OPERATION}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One seeded demo for the module (seeding per test would triple the run time)."""
    with django_db_blocker.unblock():
        for command in ("seed_demo", "open_periods", "rollup"):
            args = ["--reset"] if command == "seed_demo" else []
            call_command(command, "--today", TODAY.isoformat(), *args, stdout=io.StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)


pytestmark = pytest.mark.django_db


def this_year():
    return ProjectYear.objects.filter(year=TODAY.year).select_related("project")


def test_most_projects_are_green_or_amber_and_a_few_red(demo):
    rows = list(this_year())
    assessed = [r for r in rows if r.rag != Rag.NONE]
    colours = Counter(r.rag for r in assessed)
    assert len(assessed) >= 80
    assert 0.10 <= colours[Rag.RED] / len(assessed) <= 0.20, colours
    assert (colours[Rag.GREEN] + colours[Rag.AMBER]) / len(assessed) >= 0.7, colours
    key = [r for r in assessed if r.project.is_key]
    assert sum(r.rag == Rag.RED for r in key) / len(key) <= 0.25
    # Every pace is represented; "no plan" is not the common case it was.
    paces = Counter(r.pace for r in rows)
    assert paces[Pace.AHEAD] and paces[Pace.ON_TRACK] and paces[Pace.LAGGING]
    assert paces[Pace.NO_PLAN] == 0
    last_year = Counter(
        ProjectYear.objects.filter(year=TODAY.year - 1).values_list("pace", flat=True)
    )
    assert last_year[Pace.AHEAD] + last_year[Pace.ON_TRACK] > last_year[Pace.LAGGING]


def test_each_red_project_is_red_for_a_reason_its_records_show(demo):
    reds = [r for r in this_year() if r.rag == Rag.RED]
    assert reds
    for row in reds:
        project = row.project
        red = [c for c in row.causes if c["level"] == Rag.RED]
        assert red, project.code
        for cause in red:
            params = cause["params"]
            if cause["rule"] == "milestone_late":
                node = Milestone.objects.get(
                    project=project, name=params["name"], actual_date__isnull=True
                )
                assert node.deadline.isoformat() == params["deadline"]
                assert (TODAY - node.deadline).days == params["days"] >= 15
            elif cause["rule"] == "report_late":
                late = ProgressReport.objects.filter(
                    project=project, status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED]
                ).select_related("period")
                assert any((TODAY - r.period.due_date).days == params["days"] for r in late)
            elif cause["rule"] == "investment_lag":
                assert project.stage not in FINISHED
                plan = AnnualPlan.objects.get(project=project, year=TODAY.year)
                assert plan.planned_investment == row.planned
                assert params["lag"] > 30
            else:
                pytest.fail(f"{project.code}: unexpected red cause {cause['rule']}")


def test_every_active_project_has_a_plan_for_each_year_it_invests(demo):
    invested = set(
        ProgressReport.objects.filter(investment__gt=0).values_list("project_id", "period__year")
    )
    planned = set(AnnualPlan.objects.values_list("project_id", "year"))
    assert invested <= planned
    running = Project.objects.filter(actual_finish__isnull=True)
    assert set(running.values_list("pk", flat=True)) <= {p for p, y in planned if y == TODAY.year}


def test_no_finished_project_is_judged_on_its_pace(demo):
    finished = [r for r in this_year() if r.project.stage in FINISHED]
    assert finished
    for row in finished:
        assert row.pace != Pace.LAGGING, row.project.code
        assert not {c["rule"] for c in row.causes} & {"investment_lag", "start_missed"}


def test_milestones_are_done_in_order_and_the_start_on_the_actual_start(demo):
    nodes = defaultdict(list)
    for node in Milestone.objects.order_by("project_id", "deadline", "pk"):
        nodes[node.project_id].append(node)
    projects = Project.objects.in_bulk(list(nodes))
    for project_id, project_nodes in nodes.items():
        project = projects[project_id]
        done = [n.actual_date for n in project_nodes if n.actual_date]
        # Done ones first, none after an open one, on non-decreasing dates, none in the future.
        assert [bool(n.actual_date) for n in project_nodes] == [True] * len(done) + [False] * (
            len(project_nodes) - len(done)
        ), project.code
        assert done == sorted(done) and all(d <= TODAY for d in done), project.code
        start = project_nodes[0]
        assert start.name == "开工" and start.actual_date == project.actual_start, project.code
        if project.stage in FINISHED:
            assert len(done) == len(project_nodes), project.code


def test_the_last_due_periods_forms_are_mostly_in_and_older_ones_all_decided(demo):
    due = ReportingPeriod.objects.filter(kind="month", due_date__lt=TODAY).latest("start")
    assert (due.year, due.month) == (2026, 10)
    forms = ProgressReport.objects.filter(period=due)
    done = forms.filter(status__in=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED]).count()
    assert done / forms.count() >= 0.9
    older = ProgressReport.objects.filter(period__kind="month", period__end__lt=due.start)
    assert not older.exclude(status=ReportStatus.ACCEPTED).exists()
    # A reporter's inbox holds this period's forms and the few late ones, not months of them.
    months_ago = ProgressReport.objects.filter(
        period__due_date__lt=TODAY - datetime.timedelta(days=40),
        status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED],
    )
    assert not months_ago.exists()


def test_consecutive_reports_never_repeat_their_figures(demo):
    reports = defaultdict(list)
    rows = ProgressReport.objects.order_by("project_id", "period__start").values_list(
        "project_id", "status", "investment", "progress_pct", "progress_text"
    )
    for project_id, status, investment, progress, text in rows:
        if status == ReportStatus.DRAFT and not text:
            continue  # a form not started yet
        reports[project_id].append((investment, progress))
    assert reports
    for project_id, figures in reports.items():
        for before, after in itertools.pairwise(figures):
            assert before != after, project_id
            assert before[0] != after[0], project_id


def test_progress_texts_fit_the_category(demo):
    building_only = {"装饰装修", "主体结构施工", "二次结构砌筑"}
    infrastructure = {Category.ROAD, Category.BRIDGE, Category.RIVER, Category.SEWAGE,
                      Category.PARK, Category.ENERGY}  # fmt: skip
    texts = ProgressReport.objects.filter(project__category__in=infrastructure).values_list(
        "project__category", "progress_text"
    )
    assert texts
    for category, text in texts:
        assert text not in building_only, (category, text)
    bridges = set(
        ProgressReport.objects.filter(project__category=Category.BRIDGE)
        .exclude(progress_text="")
        .values_list("progress_text", flat=True)
    )
    assert bridges and not bridges & {"路基施工", "装饰装修"}
