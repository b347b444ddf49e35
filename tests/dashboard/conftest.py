"""Fixtures of the cockpit tests: a frozen clock (23 November 2026 in Shanghai), a small but
realistic group of projects with plans and reports over three years, and table dumps to compare
the rollups with.

The data set (`group`) is built so that each project's colour on 23 November 2026 follows from
its records by hand (the reasoning is next to each project), independently of dashboard.rules.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.forms.models import model_to_dict

from dashboard import signals
from dashboard.models import OrgMonth, OrgYear, PendingRollup, ProjectYear, Rag
from portal.choices import OrganisationKind
from projects.models import Project
from reporting.choices import CoordinationStatus, ItemStatus, ReportStatus
from reporting.models import CoordinationItem, ReportProblem
from tests.factories import (
    AnnualPlanFactory,
    MilestoneFactory,
    OrganisationFactory,
    ProgressReportFactory,
    ProjectFactory,
    ReportingPeriodFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Ten in the morning at the group on Monday 23 November 2026: October's forms were due on
# 5 November, November's are due in December; ten of twelve months have elapsed (83.33%).
NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()


def forget_changes():
    """The signal handlers gather the changed projects of a transaction until it commits. A
    test's transaction never commits, so what a test's setup changed (or what earlier tests
    changed) would join the first commit the test simulates: forget it, as if it had been
    committed and rolled up before."""
    signals._local.pending = set()


@pytest.fixture(autouse=True)
def _no_changes_left_from_other_tests():
    forget_changes()
    yield
    forget_changes()


@pytest.fixture
def clock():
    """Time frozen at NOW; `clock.shift(timedelta)` / `clock.move_to(datetime)` move it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def today(clock):
    return TODAY


def period(year, month, part=0, *, due_date=None):
    extra = {"due_date": due_date} if due_date else {}
    return ReportingPeriodFactory(
        kind="ten_day" if part else "month", year=year, month=month, part=part, **extra
    )


def report(project, year, month, amount, *, part=0, status=ReportStatus.ACCEPTED, due_date=None):
    return ProgressReportFactory(
        project=project,
        period=period(year, month, part, due_date=due_date),
        investment=Decimal(amount),
        status=status,
    )


def plan(project, year, amount):
    return AnnualPlanFactory(project=project, year=year, planned_investment=Decimal(amount))


@dataclass
class Group:
    """The records of the data set, and each 2026 colour as derived by hand."""

    projects: dict[str, Project] = field(default_factory=dict)
    rag_2026: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, code: str) -> Project:
        return self.projects[code]


def build_group(orgs) -> Group:
    """Two subsidiaries, seven projects, plans for 2025-2027, monthly and ten-day reports in
    every status. Call with the clock frozen at NOW (the factories validate nothing, but the
    figure providers count days from today)."""
    infra, housing = orgs["infra"], orgs["housing"]
    g = Group()

    def project(code, owner, rag, **fields):
        defaults = {"planned_start": None, "planned_finish": None}
        g.projects[code] = ProjectFactory(code=code, owner=owner, **{**defaults, **fields})
        if rag is not None:
            g.rag_2026[code] = rag
        return g.projects[code]

    # JC-A: plan 30m, accepted 10 x 2.6m = 26m in 2026 -> 86.67% against 83.33% elapsed: ahead.
    # Its November form is a draft not yet due (5 December). A milestone done, one not yet due.
    # Green. Also a 2025 plan and reports, a 2027 plan, 5m invested before the portal.
    a = project("JC-A", infra, Rag.GREEN, is_key=True, opening_investment=Decimal("5000000"),
                planned_start=datetime.date(2025, 3, 1), actual_start=datetime.date(2025, 3, 10),
                planned_finish=datetime.date(2027, 6, 30), latitude=Decimal("30.27"),
                longitude=Decimal("120.15"))  # fmt: skip
    plan(a, 2025, "20000000")
    plan(a, 2026, "30000000")
    plan(a, 2027, "10000000")
    report(a, 2025, 11, "3000000")
    report(a, 2025, 12, "2500000.50")
    for month in range(1, 11):
        report(a, 2026, month, "2600000")
    report(a, 2026, 11, "1000000", status=ReportStatus.DRAFT)
    MilestoneFactory(project=a, name="桩基完成", deadline=datetime.date(2026, 6, 30),
                     actual_date=datetime.date(2026, 6, 20))  # fmt: skip
    MilestoneFactory(project=a, name="主体完工", deadline=datetime.date(2026, 12, 31))

    # JC-B, a key project reporting every ten days: plan 40m; accepted 9 x 2m monthly, October's
    # three ten-day forms (2,000,000.25) and November's first (0.3m): 20,300,000.25 -> 50.75%,
    # 32.58 points behind 83.33 (over 30): red. Milestone due 13 November, open: 10 days late
    # (7-14: orange). November's second ten-day form, due 22 November, still a draft: 1 day
    # late (amber). Red, with three causes.
    b = project("JC-B", infra, Rag.RED, is_key=True, reports_ten_daily=True,
                category="bridge", planned_start=datetime.date(2025, 6, 1),
                actual_start=datetime.date(2025, 6, 1))  # fmt: skip
    plan(b, 2026, "40000000")
    for month in range(1, 10):
        report(b, 2026, month, "2000000")
    report(b, 2026, 10, "500000", part=1)
    report(b, 2026, 10, "700000.25", part=2)
    report(b, 2026, 10, "800000", part=3)
    report(b, 2026, 11, "300000", part=1, due_date=datetime.date(2026, 11, 12))
    report(b, 2026, 11, "250000", part=2, status=ReportStatus.DRAFT,
           due_date=datetime.date(2026, 11, 22))  # fmt: skip
    MilestoneFactory(project=b, name="主桥合龙", deadline=datetime.date(2026, 11, 13))

    # JC-C: starts and finishes in 2026. Plan 10m, accepted 8 x 1m = 8m -> 80%, 3.33 points
    # behind: on track. September's form submitted (not counted, not late); October's a draft,
    # due 5 November: 18 days late (15 or more): red. An open problem past its deadline and a
    # coordination item waiting.
    c = project("JC-C", infra, Rag.RED, category="sewage",
                planned_start=datetime.date(2026, 1, 15), actual_start=datetime.date(2026, 2, 1),
                planned_finish=datetime.date(2026, 12, 31))  # fmt: skip
    plan(c, 2026, "10000000")
    for month in range(1, 9):
        report(c, 2026, month, "1000000")
    report(c, 2026, 9, "1000000", status=ReportStatus.SUBMITTED)
    late = report(c, 2026, 10, "900000", status=ReportStatus.DRAFT)
    problem = {"report": late, "deadline": datetime.date(2026, 11, 1)}
    ReportProblem.objects.create(**problem, description="电力迁改未完成", status=ItemStatus.OPEN)
    ReportProblem.objects.create(**problem, description="已解决", status=ItemStatus.RESOLVED)
    CoordinationItem.objects.create(
        report=late, project=c, subject="协调供电公司", status=CoordinationStatus.OPEN
    )

    # BZ-A: plan 50m, accepted 10 x 3.5m = 35m -> 70%, 13.33 points behind (10-30): amber.
    # 12,345,678.90 invested before the portal. It was registered under infra and handed over.
    bz_a = project("BZ-A", infra, Rag.AMBER, category="affordable_housing",
                   opening_investment=Decimal("12345678.90"),
                   planned_start=datetime.date(2025, 9, 1),
                   actual_start=datetime.date(2025, 9, 1))  # fmt: skip
    bz_a.owner = housing
    bz_a.save()
    plan(bz_a, 2026, "50000000")
    for month in range(1, 11):
        report(bz_a, 2026, month, "3500000")

    # BZ-B: planned to start 10 September 2026, not started, no plan: 74 days late, red only
    # from 10 December (three months): amber.
    project("BZ-B", housing, Rag.AMBER, category="affordable_housing", stage="preliminary",
            planned_start=datetime.date(2026, 9, 10))  # fmt: skip

    # BZ-C: finished on 20 December 2025; plan 8m for 2025, all of it done. No 2026 row.
    bz_c = project("BZ-C", housing, None, category="school",
                   planned_start=datetime.date(2024, 3, 1), actual_start=datetime.date(2024, 3, 1),
                   planned_finish=datetime.date(2025, 12, 31),
                   actual_finish=datetime.date(2025, 12, 20), stage="completed")  # fmt: skip
    plan(bz_c, 2025, "8000000")
    report(bz_c, 2025, 6, "4000000")
    report(bz_c, 2025, 12, "4000000")

    # BZ-D, key: started 1 March 2026 without an annual plan (nothing to lag against), 1m
    # accepted in May. A milestone due 16 November still open: 7 days late: orange.
    march = datetime.date(2026, 3, 1)
    d = project("BZ-D", housing, Rag.ORANGE, is_key=True, category="park", planned_start=march,
                actual_start=march)  # fmt: skip
    report(d, 2026, 5, "1000000")
    MilestoneFactory(project=d, name="绿道贯通", deadline=datetime.date(2026, 11, 16))
    return g


@pytest.fixture
def group(orgs, clock):
    built = build_group(orgs)
    forget_changes()
    return built


def more_subsidiaries(count: int, projects_each: int, parent) -> None:
    """Extra subsidiaries with projects, plans and a year of accepted reports each: to check
    that the cockpit's cost does not grow with the group."""
    for n in range(count):
        org = OrganisationFactory(code=f"sub{n}", name=f"子公司{n}", parent=parent,
                                  kind=OrganisationKind.SUBSIDIARY)  # fmt: skip
        for i in range(projects_each):
            p = ProjectFactory(owner=org, code=f"S{n}-{i:03d}", is_key=i % 2 == 0,
                               actual_start=datetime.date(2025, 1, 1),
                               latitude=Decimal("30.1"), longitude=Decimal("120.1"))  # fmt: skip
            plan(p, 2026, "10000000")
            for month in range(1, 11):
                report(p, 2026, month, "200000" if i % 3 else "900000")
            MilestoneFactory(project=p, deadline=datetime.date(2026, 10, 1))


# --- dumps of the rollup tables -----------------------------------------------------------------

SKIP = {"id"}


def dump(model) -> list[tuple]:
    """Every row of a rollup table without its surrogate key, in natural-key order."""
    rows = []
    for obj in model.objects.all():
        values = model_to_dict(obj, exclude=list(SKIP))
        rows.append(tuple(sorted((k, _plain(v)) for k, v in values.items())))
    return sorted(rows, key=repr)


def _plain(value):
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def dump_all() -> dict[str, list[tuple]]:
    return {m.__name__: dump(m) for m in (ProjectYear, OrgMonth, OrgYear, PendingRollup)}


def empty_caches() -> None:
    """The shared cache and this process's own copies of the cockpit's pages: the next cockpit
    request renders from the rollups."""
    from django.core.cache import cache

    from dashboard.pagecache import forget_local

    cache.clear()
    forget_local()
