"""The reminders of progress reporting: forms due soon or overdue, for the subsidiaries' people
who fill them, and forms waiting too long for review, for the centre's officers.

This module only finds the items and who can act on them ("reminders go to those who can act",
docs/DESIGN.md); `reporting.apps` registers the three sources with the base, and
`portal.notifications.reminders_send` (Celery beat, `reporting.tasks.send_reminders`, or
`manage.py send_reminders`) claims, mails and notifies, never twice for the same form, person,
kind and day.
"""

from __future__ import annotations

import datetime
import functools

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import Action
from portal.choices import Role
from portal.models import Organisation, User
from portal.notifications import ReminderItem, ReminderKind, ReminderSource
from reporting import rules, selectors
from reporting.choices import ReportStatus
from reporting.models import ProgressReport


def _key(report: ProgressReport) -> str:
    return f"reporting.progressreport:{report.pk}"


def _fill_line(report: ProgressReport) -> str:
    line = _("%(code)s %(name)s, period %(period)s, due %(due)s") % {
        "code": report.project.code,
        "name": report.project.name,
        "period": report.period,
        "due": report.period.due_date.isoformat(),
    }
    if report.status == ReportStatus.RETURNED:
        line = _("%(line)s (%(status)s)") % {"line": line, "status": report.get_status_display()}
    return line


def _review_line(report: ProgressReport) -> str:
    return _("%(code)s %(name)s (%(owner)s), period %(period)s, submitted %(submitted)s") % {
        "code": report.project.code,
        "name": report.project.name,
        "owner": report.project.owner,
        "period": report.period,
        "submitted": timezone.localdate(report.submitted_at).isoformat(),
    }


def _fill_title(kind: str, report: ProgressReport) -> str:
    values = {"code": report.project.code, "name": report.project.name}
    if kind == ReminderKind.OVERDUE:
        return _("Progress report overdue: %(code)s %(name)s") % values
    return _("Progress report due soon: %(code)s %(name)s") % values


def fill_items(today: datetime.date, *, kind: str) -> list[ReminderItem]:
    """Forms still open for filling that are overdue, or due within REMIND_DAYS_BEFORE_DUE
    days (`kind`), for every active reporter and manager who may fill them. Two queries,
    whatever the number of forms."""
    horizon = today + datetime.timedelta(days=settings.PORTAL["REMIND_DAYS_BEFORE_DUE"])
    reports = (
        ProgressReport.objects.open_for_filling()
        .filter(period__due_date__lte=horizon)
        .select_related("project__owner", "period")
        .order_by("period__due_date", "project__code", "pk")
    )
    fillers = list(
        User.objects.filter(
            is_active=True, role__in=[Role.REPORTER, Role.MANAGER], organisation__isnull=False
        )
        .select_related("organisation")
        .order_by("pk")
    )
    # Who fills an organisation's forms is the reports' access rule (reporting.rules.can_fill),
    # asked once per owning organisation rather than once per form.
    policy = ProgressReport.access_policy
    recipients: dict[int, list[User]] = {}
    items = []
    for report in reports:
        if selectors.due_state(report, today) != kind:
            continue
        owner: Organisation = report.project.owner
        if owner.pk not in recipients:
            recipients[owner.pk] = [
                user
                for user in fillers
                if rules.fills_reports(user) and policy.allows_org(user, Action.CHANGE, owner)
            ]
        if recipients[owner.pk]:
            items.append(
                ReminderItem(
                    key=_key(report),
                    recipients=recipients[owner.pk],
                    title=_fill_title(kind, report),
                    text=_fill_line(report),
                    url=report.get_absolute_url(),
                )
            )
    return items


def review_items(today: datetime.date) -> list[ReminderItem]:
    """Submitted forms waiting more than REMIND_REVIEW_AFTER_DAYS days, for every active
    centre officer. A form submitted on day D waits (today - D) days, counted in the portal's
    time zone. Two queries."""
    days = settings.PORTAL["REMIND_REVIEW_AFTER_DAYS"]
    cutoff = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=days), datetime.time.min)
    )
    reports = list(
        ProgressReport.objects.filter(status=ReportStatus.SUBMITTED, submitted_at__lt=cutoff)
        .select_related("project__owner", "period")
        .order_by("submitted_at", "pk")
    )
    if not reports:
        return []
    officers = list(User.objects.filter(is_active=True, role=Role.OFFICER).order_by("pk"))
    return [
        ReminderItem(
            key=_key(report),
            recipients=officers,
            title=_("Progress report waiting for review: %(code)s %(name)s")
            % {"code": report.project.code, "name": report.project.name},
            text=_review_line(report),
            url=report.get_absolute_url(),
        )
        for report in reports
    ]


def _overdue_heading() -> str:
    return _("These progress reports are overdue. Please fill and submit them now:")


def _due_soon_heading() -> str:
    return _("These progress reports are due within %(days)s days:") % {
        "days": settings.PORTAL["REMIND_DAYS_BEFORE_DUE"]
    }


def _review_heading() -> str:
    return _(
        "These progress reports were submitted more than %(days)s days ago and are "
        "waiting for the centre's review:"
    ) % {"days": settings.PORTAL["REMIND_REVIEW_AFTER_DAYS"]}


SOURCES = (
    ReminderSource(
        name="reporting.overdue",
        kind=ReminderKind.OVERDUE,
        items=functools.partial(fill_items, kind=ReminderKind.OVERDUE),
        heading=_overdue_heading,
        link_url_name="inbox",
        order=10,
    ),
    ReminderSource(
        name="reporting.due_soon",
        kind=ReminderKind.DUE_SOON,
        items=functools.partial(fill_items, kind=ReminderKind.DUE_SOON),
        heading=_due_soon_heading,
        link_url_name="inbox",
        order=20,
    ),
    ReminderSource(
        name="reporting.waiting_review",
        kind=ReminderKind.WAITING_REVIEW,
        items=review_items,
        heading=_review_heading,
        link_url_name="inbox",
        order=30,
    ),
)
