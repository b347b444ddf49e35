"""Fixtures of the reporting tests: an October 2026 period, a report of each subsidiary."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from tests.factories import AnnualPlanFactory, ProgressReportFactory, ReportingPeriodFactory

# A day in November 2026, so the October period has started and is due (5 November).
NOV_20 = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def nov_20():
    with time_machine.travel(NOV_20, tick=False):
        yield NOV_20.date()


@pytest.fixture
def october(db, nov_20):
    return ReportingPeriodFactory(year=2026, month=10)


@pytest.fixture
def infra_report(infra_project, october):
    AnnualPlanFactory(project=infra_project, year=2026, planned_investment=Decimal("30000000"))
    return ProgressReportFactory(project=infra_project, period=october)


@pytest.fixture
def housing_report(housing_project, october):
    return ProgressReportFactory(project=housing_project, period=october)
