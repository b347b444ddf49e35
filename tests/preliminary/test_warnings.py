"""Each warning with frozen time (the board's SQL filter and the pure functions agree)."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from preliminary import selectors, warnings
from preliminary.choices import PermitStatus, WarningKind
from preliminary.models import PermitItem
from tests.preliminary.conftest import item_of

D = datetime.date


def set_item(item, **fields):
    PermitItem.objects.filter(pk=item.pk).update(**fields)
    item.refresh_from_db()
    return item


def board_kinds(item, today) -> set[str]:
    """The warnings the board's filter finds for `item` (SQL)."""
    return {
        kind
        for kind in WarningKind.values
        if PermitItem.objects.filter(selectors.warning_q(kind, today), pk=item.pk).exists()
    }


def kinds(item, today, rules, needed=None) -> set[str]:
    return {w.kind for w in warnings.item_warnings(item, today, rules, needed)}


@pytest.mark.parametrize(("weekday_from", "weekday_to", "days"), [
    (D(2026, 11, 16), D(2026, 11, 17), 1),  # Monday to Tuesday
    (D(2026, 11, 20), D(2026, 11, 23), 1),  # Friday to Monday: the weekend does not count
    (D(2026, 11, 21), D(2026, 11, 23), 0),  # Saturday to Monday
    (D(2026, 11, 16), D(2026, 11, 30), 10),  # two weeks
    (D(2026, 11, 16), D(2026, 11, 16), 0),
    (D(2026, 11, 17), D(2026, 11, 16), 0),
])  # fmt: skip
def test_working_days_are_monday_to_friday(weekday_from, weekday_to, days):
    assert warnings.working_days(weekday_from, weekday_to) == days


def test_overdue_from_the_day_after_the_planned_date(infra_project, rules):
    item = set_item(item_of(infra_project, "eia"), planned_date=D(2026, 11, 20),
                    status=PermitStatus.PREPARING)  # fmt: skip
    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.UTC)):
        today = timezone.localdate()
        assert warnings.overdue_days(item, today) is None
        assert WarningKind.OVERDUE not in board_kinds(item, today)
    with time_machine.travel(datetime.datetime(2026, 11, 21, 12, tzinfo=datetime.UTC)):
        today = timezone.localdate()
        assert warnings.overdue_days(item, today) == 1
        assert WarningKind.OVERDUE in board_kinds(item, today) and kinds(item, today, rules) == {
            WarningKind.OVERDUE}  # fmt: skip


@pytest.mark.parametrize("status", [PermitStatus.APPROVED, PermitStatus.NOT_APPLICABLE])
def test_a_done_item_is_never_overdue(infra_project, nov_20, status):
    item = set_item(item_of(infra_project, "eia"), planned_date=D(2026, 1, 1), status=status)
    assert warnings.overdue_days(item, nov_20) is None
    assert WarningKind.OVERDUE not in board_kinds(item, nov_20)


def test_a_proposal_expires_within_30_days_while_its_feasibility_study_is_open(
    infra_project, rules, nov_20
):
    item = set_item(item_of(infra_project, "proposal"), status=PermitStatus.APPROVED,
                    valid_until=D(2026, 12, 20))  # 30 days from 20 November  # fmt: skip
    item = selectors.item_list(user=_admin()).get(pk=item.pk)  # annotated: still needed
    assert warnings.expiry_days(item, nov_20, rules) == 30
    assert WarningKind.EXPIRING in board_kinds(item, nov_20)
    set_item(item, valid_until=D(2026, 12, 21))
    item = selectors.item_list(user=_admin()).get(pk=item.pk)
    assert warnings.expiry_days(item, nov_20, rules) is None
    assert WarningKind.EXPIRING not in board_kinds(item, nov_20)


def test_an_approval_no_longer_needed_does_not_expire(infra_project, rules, nov_20):
    item = set_item(item_of(infra_project, "proposal"), status=PermitStatus.APPROVED,
                    valid_until=D(2026, 11, 1))  # fmt: skip
    for code in ("land_prereview", "energy_review", "eia"):
        set_item(item_of(infra_project, code), status=PermitStatus.APPROVED)
    assert warnings.expiry_days(
        selectors.item_list(user=_admin()).get(pk=item.pk), nov_20, rules) == -19  # fmt: skip
    # Every item that depends on the proposal done: its validity no longer matters.
    set_item(item_of(infra_project, "feasibility"), status=PermitStatus.APPROVED)
    item = selectors.item_list(user=_admin()).get(pk=item.pk)
    assert item.still_needed is False
    assert warnings.expiry_days(item, nov_20, rules) is None
    assert WarningKind.EXPIRING not in board_kinds(item, nov_20)


def test_the_construction_permits_start_window_warns_until_the_project_starts(
    infra_project, permit, rules, nov_20
):
    set_item(permit, status=PermitStatus.APPROVED, approved_date=D(2026, 9, 1),
             valid_until=D(2026, 12, 1))  # fmt: skip
    infra_project.actual_start = None
    infra_project.save()
    permit = selectors.item_list(user=_admin()).get(pk=permit.pk)
    assert warnings.expiry_days(permit, nov_20, rules) == 11
    assert WarningKind.EXPIRING in board_kinds(permit, nov_20)
    infra_project.actual_start = D(2026, 11, 18)
    infra_project.save()
    permit = selectors.item_list(user=_admin()).get(pk=permit.pk)
    assert warnings.expiry_days(permit, nov_20, rules) is None
    assert WarningKind.EXPIRING not in board_kinds(permit, nov_20)


def test_stuck_after_more_working_days_than_the_type_takes(infra_project, rules, nov_20):
    # Land-use planning typically takes 5 working days; submitted Thursday 12 November.
    item = set_item(item_of(infra_project, "land_use_planning"), status=PermitStatus.SUBMITTED,
                    status_since=D(2026, 11, 13), submitted_date=D(2026, 11, 13))  # fmt: skip
    assert warnings.working_days(item.status_since, nov_20) == 5
    assert warnings.stuck_days(item, nov_20) is None
    assert WarningKind.STUCK not in board_kinds(item, nov_20)
    set_item(item, status_since=D(2026, 11, 12))
    assert warnings.stuck_days(item, nov_20) == 6
    assert WarningKind.STUCK in board_kinds(item, nov_20)
    set_item(item, status=PermitStatus.NOT_STARTED)  # waiting to start is not "stuck"
    assert warnings.stuck_days(item, nov_20) is None
    assert WarningKind.STUCK not in board_kinds(item, nov_20)


def test_the_projects_working_days_against_the_provincial_target(infra_project, rules, nov_20):
    items = list(PermitItem.objects.filter(project=infra_project).select_related("permit_type"))
    assert warnings.project_elapsed(items, nov_20, rules).days is None
    first, second, third = items[0], items[1], items[2]
    first.status = PermitStatus.SUBMITTED  # with its issuer since a Monday, 20 weeks 4 days ago
    first.submitted_date = D(2026, 6, 29)
    elapsed = warnings.project_elapsed(items, nov_20, rules)
    assert (elapsed.days, elapsed.running, elapsed.target) == (104, True, 100)
    assert elapsed.over
    second.status = PermitStatus.PREPARING  # a file the company is still preparing: not counted
    second.submitted_date = None
    assert warnings.project_elapsed(items, nov_20, rules).days == 104
    for item in items:  # all done: counted to each approval
        item.status = PermitStatus.APPROVED
        item.approved_date = D(2026, 11, 6)
    second.submitted_date = D(2026, 7, 1)  # in parallel with the first: counted once
    third.submitted_date, third.approved_date = D(2026, 11, 9), D(2026, 11, 13)  # after: Mon-Fri
    for item in items[3:]:
        item.submitted_date = item.approved_date = None
    elapsed = warnings.project_elapsed(items, nov_20, rules)
    assert (elapsed.days, elapsed.running, elapsed.over) == (94 + 4, False, False)


def _admin():
    from portal.models import User

    return User(is_superuser=True, is_active=True)
