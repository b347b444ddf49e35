"""Celery jobs of progress reporting: thin wrappers over the services, scheduled by beat in
portal/celery.py. Each takes plain values, is safe to run twice (the services are idempotent)
and retries only errors that a later attempt may not meet: the database or the mail server
being briefly unreachable."""

from __future__ import annotations

import datetime
import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from portal.notifications import reminders_send
from reporting.services import periods_ensure

TRANSIENT = (OperationalError, InterfaceError, smtplib.SMTPException, ConnectionError, TimeoutError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 30,  # seconds, doubling: 30, 60, 120, ...
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 5,
}


def _day(today_iso: str | None) -> datetime.date:
    return datetime.date.fromisoformat(today_iso) if today_iso else timezone.localdate()


@shared_task(**RETRY)
def open_periods(today_iso: str | None = None) -> dict[str, int]:
    """Open the periods containing `today_iso` (default: today) and make their forms.
    Returns forms made per period code."""
    return periods_ensure(today=_day(today_iso))


@shared_task(**RETRY)
def send_reminders(today_iso: str | None = None) -> dict[str, int]:
    """Send the reminders of `today_iso` (default: today), every app's (the sources are
    registered in portal.notifications). Returns reminders delivered per kind, mails sent and
    notifications written."""
    return reminders_send(today=_day(today_iso))
