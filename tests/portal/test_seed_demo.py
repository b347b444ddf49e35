"""The demo generator: the group of DOMAIN.md, one user per role, deterministic."""

import datetime
import io

import pytest
from django.core.management import call_command

from portal.access import Action
from portal.models import Organisation, User
from projects.models import AnnualPlan, Milestone, Project

TODAY = "2026-11-20"


def seed(*args):
    call_command("seed_demo", "--today", TODAY, *args, stdout=io.StringIO())


def test_it_makes_the_group_and_a_user_per_role(db):
    seed()
    assert set(Organisation.objects.values_list("code", flat=True)) == {
        "group",
        "pmc",
        "pmd",
        "project",
        "infra",
        "asset",
        "realestate",
        "housing",
    }
    roles = dict(User.objects.values_list("username", "role"))
    assert {
        k: roles[k] for k in ["leader", "officer", "admin", "manager", "reporter", "reporter2"]
    } == {
        "leader": "leader",
        "officer": "officer",
        "admin": "admin",
        "manager": "manager",
        "reporter": "reporter",
        "reporter2": "reporter",
    }
    for username in ["leader", "officer", "admin", "manager", "reporter", "reporter2"]:
        assert User.objects.get(username=username).check_password("portal-demo")
    assert User.objects.get(username="manager").organisation.code == "infra"
    assert User.objects.get(username="reporter2").organisation.code == "housing"
    assert User.objects.get(username="admin").is_superuser


def test_it_makes_a_believable_registry(db):
    seed()
    projects = Project.objects.all()
    assert 60 <= projects.count() <= 120
    key_share = projects.filter(is_key=True).count() / projects.count()
    assert 0.2 <= key_share <= 0.5
    assert projects.values("owner").distinct().count() == 5
    assert projects.values("stage").distinct().count() == 6
    totals = sorted(projects.values_list("total_investment", flat=True))
    assert totals[0] >= 5_000_000 and totals[-1] <= 3_000_000_000
    for project in projects:
        project.full_clean()  # every generated row passes the model's own rules
    assert AnnualPlan.objects.filter(year=2026).count() > 30
    assert Milestone.objects.filter(
        actual_date__isnull=True, deadline__lt=datetime.date(2026, 11, 20)
    ).exists()
    assert Project.history.count() == projects.count()


@pytest.mark.django_db(transaction=True)  # --reset flushes: not inside a test transaction
def test_it_is_deterministic_for_a_seed():
    seed("--seed", "7")
    first = list(Project.objects.order_by("code").values_list("code", "name", "total_investment"))
    seed("--seed", "7", "--reset")
    assert (
        list(Project.objects.order_by("code").values_list("code", "name", "total_investment"))
        == first
    )
    seed("--seed", "8", "--reset")
    assert (
        list(Project.objects.order_by("code").values_list("code", "name", "total_investment"))
        != first
    )


def test_it_runs_once_unless_reset(db):
    seed()
    count = Project.objects.count()
    seed()
    assert Project.objects.count() == count


def test_each_demo_user_sees_their_scope(db):
    seed("--projects", "40")
    reporter = User.objects.get(username="reporter")
    reporter2 = User.objects.get(username="reporter2")
    leader = User.objects.get(username="leader")
    assert set(Project.objects.for_user(reporter).values_list("owner__code", flat=True)) == {
        "infra"
    }
    assert set(Project.objects.for_user(reporter2).values_list("owner__code", flat=True)) == {
        "housing"
    }
    assert Project.objects.for_user(leader).count() == 40
    assert not Project.objects.for_user(leader, Action.CHANGE).exists()


def test_it_makes_18_months_of_reports_in_every_state_of_review(db):
    from reporting.choices import ReportStatus
    from reporting.models import CoordinationItem, ProgressReport, ReportingPeriod

    seed()
    assert ReportingPeriod.objects.filter(kind="month").count() == 18
    statuses = set(ProgressReport.objects.values_list("status", flat=True))
    assert statuses == set(ReportStatus.values)
    # Older periods are all decided; this month's forms are open.
    assert (
        not ProgressReport.objects.filter(period__end__lt=datetime.date(2026, 9, 1))
        .exclude(status=ReportStatus.ACCEPTED)
        .exists()
    )
    assert ProgressReport.objects.filter(
        period__month=11, period__year=2026, status=ReportStatus.DRAFT
    ).exists()
    assert ProgressReport.objects.filter(period__kind="ten_day").exists()
    assert CoordinationItem.objects.exists()
    # Every project has at most one report covering any day.
    for report in ProgressReport.objects.filter(period__kind="ten_day").select_related("period"):
        assert not ProgressReport.objects.filter(
            project=report.project_id,
            period__kind="month",
            period__start__lte=report.period.end,
            period__end__gte=report.period.start,
        ).exists()


def test_a_long_history_has_a_plan_for_every_year_a_project_invests(db):
    from django.db.models import Count

    from reporting.choices import ReportStatus
    from reporting.models import ProgressReport, ReportingPeriod

    seed("--projects", "30", "--months", "40")
    assert ReportingPeriod.objects.filter(kind="month").count() == 40
    # Every project reports every month until it finishes; key projects per ten days lately.
    assert ProgressReport.objects.count() >= 30 * 40 * 0.9
    assert ProgressReport.objects.values("project").distinct().count() == 30
    invested = set(
        ProgressReport.objects.filter(status=ReportStatus.ACCEPTED, investment__gt=0)
        .values_list("project_id", "period__year")
        .distinct()
    )
    planned = set(AnnualPlan.objects.values_list("project_id", "year"))
    assert invested <= planned
    assert {year for _, year in planned} >= {2023, 2024, 2025, 2026, 2027}
    assert not AnnualPlan.objects.values("project", "year").annotate(n=Count("pk")).filter(n__gt=1)
    statuses = set(ProgressReport.objects.values_list("status", flat=True))
    assert statuses >= {ReportStatus.ACCEPTED, ReportStatus.SUBMITTED, ReportStatus.DRAFT}
    for project in Project.objects.all():
        project.full_clean()


def test_months_must_be_at_least_two(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        seed("--months", "1")
