"""factory_boy factories shared by every app's tests."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.hashers import make_password

from portal.choices import OrganisationKind, Role
from portal.models import Organisation, User
from projects.choices import Category, Stage
from projects.models import AnnualPlan, Milestone, Project
from reporting.models import ProgressReport, ReportingPeriod
from reporting.services import period_bounds

PASSWORD = "portal-demo"
_HASHED = make_password(PASSWORD)  # hashing is slow on purpose; do it once


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"org{n}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    short_name = factory.LazyAttribute(lambda o: o.name[:10])
    kind = OrganisationKind.SUBSIDIARY
    parent = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = _HASHED
    role = Role.REPORTER
    organisation = None


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    owner = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"T-2026-{n:04d}")
    name = factory.Sequence(lambda n: f"测试道路工程{n}")
    category = Category.ROAD
    district = "江北区"
    stage = Stage.CONSTRUCTION
    total_investment = Decimal("120000000.00")
    planned_start = datetime.date(2025, 3, 1)
    planned_finish = datetime.date(2027, 6, 30)


class AnnualPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualPlan

    project = factory.SubFactory(ProjectFactory)
    year = 2026
    planned_investment = Decimal("30000000.00")
    year_end_target = "主体结构封顶"


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    name = "主体结构封顶"
    deadline = datetime.date(2026, 9, 30)
    responsible_organisation = factory.LazyAttribute(lambda m: m.project.owner)


class ReportingPeriodFactory(factory.django.DjangoModelFactory):
    """A monthly period; pass `month`/`year`, or kind="ten_day" with `part`."""

    class Meta:
        model = ReportingPeriod
        django_get_or_create = ["kind", "year", "month", "part"]

    kind = "month"
    year = 2026
    month = 10
    part = 0
    start = factory.LazyAttribute(
        lambda p: period_bounds(
            p.kind, datetime.date(p.year, p.month, 1 if not p.part else (p.part - 1) * 10 + 1)
        )[1]
    )
    end = factory.LazyAttribute(lambda p: period_bounds(p.kind, p.start)[2])
    due_date = factory.LazyAttribute(lambda p: p.end + datetime.timedelta(days=5))


class ProgressReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressReport

    project = factory.SubFactory(ProjectFactory)
    period = factory.SubFactory(ReportingPeriodFactory)
    investment = Decimal("0")
