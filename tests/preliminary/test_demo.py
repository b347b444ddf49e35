"""The demo's checklists agree with each project's stage and dates (seed_demo on a fixed day)."""

import datetime
import io
from collections import defaultdict

import pytest
from django.core.management import call_command

from preliminary import services
from preliminary.choices import OPEN_STATUSES, PermitStatus
from preliminary.models import PermitItem, PermitRules
from preliminary.selectors import expiring_q
from projects.choices import Stage
from projects.models import Project

TODAY = datetime.date(2026, 11, 29)
ORDER_BEFORE_DRAWINGS = ["proposal", "land_prereview", "energy_review", "eia", "feasibility",
                         "land_use_planning", "preliminary_design", "works_planning",
                         "drawing_review"]  # fmt: skip


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", "--reset", "--today", TODAY.isoformat(), stdout=io.StringIO())
        yield
        call_command("flush", interactive=False, verbosity=0)


pytestmark = pytest.mark.django_db


def checklists():
    found = defaultdict(dict)
    for item in PermitItem.objects.select_related("permit_type", "project"):
        found[item.project][item.permit_type.code] = item
    return found


def test_every_project_has_exactly_the_items_its_size_needs(demo):
    found = checklists()
    rules = PermitRules.current()
    for project in Project.objects.all():
        assert set(found[project]) == {t.code for t in services.applicable_types(
            project, rules=rules)}, project.code  # fmt: skip


def test_the_checklists_agree_with_each_projects_stage(demo):
    for project, items in checklists().items():
        status = {code: item.status for code, item in items.items()}
        approved = {code for code, s in status.items() if s == PermitStatus.APPROVED}
        permit = items.get("construction_permit")
        if project.stage == Stage.PRELIMINARY:
            assert not approved & {"works_planning", "drawing_review", "tenders",
                                   "construction_permit", "completion"}, project.code  # fmt: skip
            assert approved or any(s != PermitStatus.NOT_STARTED for s in status.values())
        elif project.stage == Stage.DESIGN:
            assert {"land_prereview", "feasibility"} & set(items) <= approved, project.code
            assert status["preliminary_design"] != PermitStatus.NOT_STARTED
            assert "construction_permit" not in approved
        elif project.stage == Stage.TENDERING:
            assert set(ORDER_BEFORE_DRAWINGS) & set(items) <= approved, project.code
            assert "construction_permit" not in approved
        elif project.stage == Stage.CONSTRUCTION:
            assert set(items) - {"completion"} <= approved, project.code
            assert status["completion"] == PermitStatus.NOT_STARTED
        else:
            assert set(items) == approved, project.code
        if permit and permit.status == PermitStatus.APPROVED:
            assert project.actual_start and permit.approved_date < project.actual_start
            assert permit.document_number and permit.valid_until


def test_approvals_are_dated_in_order_numbered_and_never_in_the_future(demo):
    for project, items in checklists().items():
        dates = [i.approved_date for i in sorted(items.values(), key=lambda i: i.permit_type.order)
                 if i.status == PermitStatus.APPROVED]  # fmt: skip
        assert dates == sorted(dates), project.code
        for item in items.values():
            if item.status == PermitStatus.APPROVED:
                number = item.document_number
                assert "〔" in number or number.isdigit() or number.startswith(("地字", "建字"))
                assert item.submitted_date <= item.approved_date <= TODAY
            if item.submitted_date:
                assert item.submitted_date <= TODAY


def test_a_few_items_are_overdue_never_a_month_and_a_few_expire(demo):
    late = [i for i in PermitItem.objects.filter(status__in=OPEN_STATUSES,
                                                 planned_date__lt=TODAY)]  # fmt: skip
    projects = Project.objects.count()
    assert 1 <= len(late) <= projects * 0.1
    assert all((TODAY - i.planned_date).days < 30 for i in late)  # amber, never red
    assert PermitItem.objects.filter(expiring_q(TODAY, PermitRules.current())).exists()
