"""Fixtures of the design tests: a day in November 2026, the rules, changes of each tier on the
infrastructure company's project."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from design import services
from design.models import DesignRules

NOV_20 = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)
AMOUNTS = {"minor": Decimal("50000"), "major": Decimal("200000"), "critical": Decimal("600000")}


@pytest.fixture(autouse=True)
def nov_20():
    with time_machine.travel(NOV_20, tick=False):
        yield NOV_20.date()


@pytest.fixture
def rules(db):
    return DesignRules.current()


@pytest.fixture
def make_change(personas, infra_project):
    """A draft change of `tier` (or `amount`) on the infrastructure project, raised by its
    reporter through the service."""

    def make(tier="major", *, amount=None, project=None, **data):
        data.setdefault("reason", "地下管线迁改导致基础形式调整")
        data.setdefault("kind", "design_change")
        return services.change_create(
            actor=personas["reporter"], project=project or infra_project,
            amount_requested=AMOUNTS[tier] if amount is None else amount, **data,
        )  # fmt: skip

    return make
