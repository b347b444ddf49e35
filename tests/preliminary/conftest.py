"""Fixtures of the preliminary-work tests: the catalogue (seeded as the migration seeds it, since
another module's flush may have emptied the table), a day in November 2026, and the
infrastructure company's project with its checklist."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from preliminary import catalogue
from preliminary.models import PermitItem, PermitRules, PermitType

NOV_20 = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)  # a Friday
TODAY = NOV_20.date()


@pytest.fixture
def nov_20():
    with time_machine.travel(NOV_20, tick=False):
        yield TODAY


@pytest.fixture
def types(db):
    catalogue.ensure(PermitType)
    return {t.code: t for t in PermitType.objects.prefetch_related("depends_on")}


@pytest.fixture
def rules(db):
    return PermitRules.current()


@pytest.fixture
def infra_project(orgs, types, nov_20):
    """A 120 m yuan road of the infrastructure company: every type applies. Made after the
    catalogue, so registering it created its checklist."""
    from tests.factories import ProjectFactory

    return ProjectFactory(owner=orgs["infra"], code="JC-2026-001", name="滨河大道快速化改造工程",
                          total_investment=Decimal("120000000"))  # fmt: skip


@pytest.fixture
def housing_project(orgs, types, nov_20):
    from tests.factories import ProjectFactory

    return ProjectFactory(owner=orgs["housing"], code="BZ-2026-001", name="望江保障性住房项目",
                          category="affordable_housing", floor_area=Decimal("52000"))  # fmt: skip


def item_of(project, code: str) -> PermitItem:
    return PermitItem.objects.select_related("permit_type", "project__owner").get(
        project=project, permit_type__code=code
    )


@pytest.fixture
def permit(infra_project):
    """The infrastructure project's construction permit item, planned for 1 December."""
    item = item_of(infra_project, "construction_permit")
    PermitItem.objects.filter(pk=item.pk).update(planned_date=datetime.date(2026, 12, 1))
    item.refresh_from_db()
    return item
