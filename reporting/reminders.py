"""Reminder e-mails: forms due soon or overdue to the subsidiaries that fill them, and forms
waiting too long for review to the centre's officers.

Run daily by the Celery beat job `reporting.tasks.send_reminders` (or `manage.py send_reminders`).
Each (report, recipient, kind, day) is mailed at most once: the run claims it in `ReminderLog`
(unique on those four columns) in the same transaction that sends the mail, so a second run the
same day finds it claimed, and a mail that fails to send leaves no claim behind for the retry.

Delivery is at least once, not exactly once: if the commit fails after the mail server accepted
a mail, its claims are lost and the next run mails it again. A duplicate reminder is better than
a lost one.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.access import Action
from portal.choices import Role
from portal.models import Organisation, User
from reporting import rules, selectors
from reporting.choices import ReminderKind, ReportStatus
from reporting.models import ProgressReport, ReminderLog

log = logging.getLogger(__name__)

# How often a mail is claimed again after another run took some of its reminders meanwhile.
CLAIM_ATTEMPTS = 3


@dataclass
class Reminder:
    """One mail to write: a recipient and the (kind, report) pairs it reminds of."""

    recipient: User
    items: list[tuple[str, ProgressReport]]


# --- whom to remind of what ----------------------------------------------------------------------


def _fill_reminders(*, today: datetime.date) -> list[Reminder]:
    """Forms still open for filling that are due within REMIND_DAYS_BEFORE_DUE days or overdue,
    for every reporter and manager who may fill them. Two queries, whatever the number of
    forms."""
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
        .exclude(email="")
        .select_related("organisation")
        .order_by("pk")
    )
    # Who fills an organisation's forms is the reports' access rule (reporting.rules.can_fill),
    # asked once per owning organisation rather than once per form.
    policy = ProgressReport.access_policy
    recipients: dict[int, list[User]] = {}
    items: dict[int, list[tuple[str, ProgressReport]]] = defaultdict(list)
    for report in reports:
        owner: Organisation = report.project.owner
        if owner.pk not in recipients:
            recipients[owner.pk] = [
                user
                for user in fillers
                if rules.fills_reports(user) and policy.allows_org(user, Action.CHANGE, owner)
            ]
        kind = selectors.due_state(report, today)
        for user in recipients[owner.pk]:
            items[user.pk].append((kind, report))
    return [Reminder(user, items[user.pk]) for user in fillers if items[user.pk]]


def _review_reminders(*, today: datetime.date) -> list[Reminder]:
    """Submitted forms waiting more than REMIND_REVIEW_AFTER_DAYS days, for every centre
    officer. A form submitted on day D waits (today - D) days, counted in the portal's time
    zone. Two queries."""
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
    officers = User.objects.filter(is_active=True, role=Role.OFFICER).exclude(email="")
    items = [(ReminderKind.REVIEW_WAITING.value, report) for report in reports]
    return [Reminder(officer, items) for officer in officers.order_by("pk")]


# --- the mails -----------------------------------------------------------------------------------


def _url(path: str) -> str:
    return settings.PORTAL["BASE_URL"].rstrip("/") + path


def _fill_line(report: ProgressReport) -> str:
    line = _("%(code)s %(name)s, period %(period)s, due %(due)s") % {
        "code": report.project.code,
        "name": report.project.name,
        "period": report.period,
        "due": report.period.due_date.isoformat(),
    }
    if report.status == ReportStatus.RETURNED:
        line = _("%(line)s (%(status)s)") % {"line": line, "status": report.get_status_display()}
    return f"  - {line}\n    {_url(report.get_absolute_url())}"


def _review_line(report: ProgressReport) -> str:
    line = _("%(code)s %(name)s (%(owner)s), period %(period)s, submitted %(submitted)s") % {
        "code": report.project.code,
        "name": report.project.name,
        "owner": report.project.owner,
        "period": report.period,
        "submitted": timezone.localdate(report.submitted_at).isoformat(),
    }
    return f"  - {line}\n    {_url(report.get_absolute_url())}"


def _message(reminder: Reminder, connection) -> mail.EmailMessage:
    """The mail for one recipient, in the portal's language (callers activate it)."""
    by_kind: dict[str, list[ProgressReport]] = defaultdict(list)
    for kind, report in reminder.items:
        by_kind[kind].append(report)
    overdue, due_soon = by_kind[ReminderKind.OVERDUE], by_kind[ReminderKind.DUE_SOON]
    waiting = by_kind[ReminderKind.REVIEW_WAITING]
    parts = [_("Hello %(name)s,") % {"name": reminder.recipient.get_full_name()}]
    if waiting:
        days = settings.PORTAL["REMIND_REVIEW_AFTER_DAYS"]
        subject = _("%(count)s progress reports have waited more than %(days)s days for review") % {
            "count": len(waiting),
            "days": days,
        }
        parts.append(
            _(
                "These progress reports were submitted more than %(days)s days ago and are "
                "waiting for the centre's review:"
            )
            % {"days": days}
            + "\n"
            + "\n".join(_review_line(r) for r in waiting)
        )
    else:
        subject = _("Progress reports to fill: %(overdue)s overdue, %(due_soon)s due soon") % {
            "overdue": len(overdue),
            "due_soon": len(due_soon),
        }
        if overdue:
            parts.append(
                _("These progress reports are overdue. Please fill and submit them now:")
                + "\n"
                + "\n".join(_fill_line(r) for r in overdue)
            )
        if due_soon:
            parts.append(
                _("These progress reports are due within %(days)s days:")
                % {"days": settings.PORTAL["REMIND_DAYS_BEFORE_DUE"]}
                + "\n"
                + "\n".join(_fill_line(r) for r in due_soon)
            )
    parts.append(_("Your inbox: %(url)s") % {"url": _url(reverse("reporting:inbox"))})
    parts.append(
        _(
            "This reminder is sent automatically by the PMC portal, at most once a day for "
            "each form."
        )
    )
    return mail.EmailMessage(
        subject=subject,
        body="\n\n".join(parts) + "\n",
        to=[reminder.recipient.email],
        connection=connection,
    )


# --- claiming and sending ------------------------------------------------------------------------


def _claim_and_send(reminder: Reminder, *, today: datetime.date, connection) -> Reminder | None:
    """Claim the reminder's rows and send its mail in one transaction; return what was sent.

    The rows are inserted without ignoring conflicts: a concurrent run that claimed the same
    (report, recipient, kind, day) makes the insert fail (on PostgreSQL after waiting for that
    run to commit), and the mail is then rebuilt without what the other run took. If sending
    raises, the transaction rolls back and the claims go with it, so a retry sends the mail.
    """
    recipient = reminder.recipient
    for _attempt in range(CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                ReminderLog.objects.bulk_create(
                    [
                        ReminderLog(report=report, recipient=recipient, kind=kind, day=today)
                        for kind, report in reminder.items
                    ]
                )
                _message(reminder, connection).send()
            return reminder
        except IntegrityError:
            taken = set(
                ReminderLog.objects.filter(
                    recipient=recipient,
                    day=today,
                    report__in=[report.pk for _kind, report in reminder.items],
                ).values_list("report_id", "kind")
            )
            items = [(k, r) for k, r in reminder.items if (r.pk, k) not in taken]
            if not items:
                return None
            reminder = Reminder(recipient, items)
    raise IntegrityError(f"Could not claim the reminders of user {recipient.pk} for {today}.")


def reminders_send(*, today: datetime.date) -> dict[str, int]:
    """Send today's reminders: one mail per recipient listing all the forms it reminds of.

    Safe to run any number of times a day and after a crash half way: what an earlier run sent
    today is not sent again. Users without an e-mail address are skipped. If some mails fail,
    the others are still sent and the first error is raised at the end (the Celery task retries
    transient ones). Returns how many reminders were sent per kind, and how many mails.
    The number of queries does not grow with the number of forms (one insert per mail).

    Call it outside a transaction: each mail commits its own claims as it is sent.
    """
    sent: Counter[str] = Counter()
    errors: list[Exception] = []
    with translation.override(settings.LANGUAGE_CODE):
        candidates = _fill_reminders(today=today) + _review_reminders(today=today)
        claimed = set(
            ReminderLog.objects.filter(day=today).values_list("report_id", "recipient_id", "kind")
        )
        pending = []
        for reminder in candidates:
            items = [
                (kind, report)
                for kind, report in reminder.items
                if (report.pk, reminder.recipient.pk, kind) not in claimed
            ]
            if items:
                pending.append(Reminder(reminder.recipient, items))
        if pending:
            with mail.get_connection() as connection:
                for reminder in pending:
                    try:
                        done = _claim_and_send(reminder, today=today, connection=connection)
                    except Exception as exc:  # one failing mail must not stop the others
                        log.exception("Reminder to user %s failed", reminder.recipient.pk)
                        errors.append(exc)
                        continue
                    if done:
                        sent["emails"] += 1
                        sent.update(kind for kind, _report in done.items)
    if errors:
        raise errors[0]
    return {kind: sent[kind] for kind in [*ReminderKind.values, "emails"]}
