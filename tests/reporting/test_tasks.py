"""The reporting jobs (reporting.tasks): idempotent, retrying only transient errors, scheduled by
beat, and run once through a real Celery worker on Redis when REDIS_URL and PostgreSQL are
there (tests/celery_worker.py).

The tasks are run with `.apply()` (in this process, through Celery's task machinery) so that
these tests behave the same with and without REDIS_URL; only the worker test uses `.delay()`."""

import datetime
import io
import json
import smtplib

import pytest
from celery.schedules import crontab
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import OperationalError

from portal.celery import app
from portal.models import Notification
from projects.choices import Stage
from reporting import tasks
from reporting.choices import PeriodKind
from reporting.models import ProgressReport
from tests.celery_worker import live_celery_worker  # noqa: F401 (a fixture)
from tests.factories import ProgressReportFactory, ProjectFactory, ReportingPeriodFactory


@pytest.fixture
def projects(orgs):
    return {
        "monthly": ProjectFactory(owner=orgs["infra"], code="JC-2026-101"),
        "ten_day": ProjectFactory(owner=orgs["infra"], code="JC-2026-102", reports_ten_daily=True),
        "completed": ProjectFactory(owner=orgs["infra"], code="JC-2026-103",
                                    stage=Stage.COMPLETED),
        "in_operation": ProjectFactory(owner=orgs["housing"], code="BZ-2026-104",
                                       stage=Stage.IN_OPERATION, reports_ten_daily=True),
    }  # fmt: skip


def forms() -> list[tuple[str, str]]:
    return sorted(ProgressReport.objects.values_list("project__code", "period__kind"))


def period_codes() -> list[tuple[str, str]]:
    return sorted(
        (report.project.code, report.period.code)
        for report in ProgressReport.objects.select_related("project", "period")
    )


def test_it_opens_the_periods_and_makes_each_form_once(projects):
    first = tasks.open_periods.apply(args=["2026-11-20"]).get()
    second = tasks.open_periods.apply(args=["2026-11-20"]).get()

    assert first == {"2026-11": 1, "2026-11-T2": 1}
    assert second == {"2026-11": 0, "2026-11-T2": 0}
    assert json.loads(json.dumps(first)) == first  # a plain result, for the result backend
    assert period_codes() == [("JC-2026-101", "2026-11"), ("JC-2026-102", "2026-11-T2")]


def test_it_gives_ten_day_projects_ten_day_forms_others_monthly_and_completed_none(projects):
    for day in ("2026-11-01", "2026-11-11", "2026-11-21", "2026-11-30"):
        tasks.open_periods.apply(args=[day]).get()

    assert forms() == [
        ("JC-2026-101", PeriodKind.MONTH),
        ("JC-2026-102", PeriodKind.TEN_DAY),
        ("JC-2026-102", PeriodKind.TEN_DAY),
        ("JC-2026-102", PeriodKind.TEN_DAY),
    ]


def test_it_retries_a_transient_error_and_then_succeeds(projects, monkeypatch):
    calls = []
    real = tasks.periods_ensure

    def flaky(*, today):
        calls.append(today)
        if len(calls) == 1:
            raise OperationalError("the database went away")
        return real(today=today)

    monkeypatch.setattr(tasks, "periods_ensure", flaky)
    # throw=False: apply() runs the retry in place, as a worker would after the countdown
    # (with task_eager_propagates, the Retry itself would be raised instead).
    result = tasks.open_periods.apply(args=["2026-11-20"], throw=False)

    assert result.get() == {"2026-11": 1, "2026-11-T2": 1}
    assert calls == [datetime.date(2026, 11, 20)] * 2


def test_it_does_not_retry_an_error_a_retry_cannot_fix(projects, monkeypatch):
    calls = []

    def broken(*, today):
        calls.append(today)
        raise ValueError("a bug")

    monkeypatch.setattr(tasks, "periods_ensure", broken)
    with pytest.raises(ValueError):
        tasks.open_periods.apply(args=["2026-11-20"]).get()
    assert len(calls) == 1


def test_it_retries_transient_errors_only_a_bounded_number_of_times():
    for task in (tasks.open_periods, tasks.send_reminders):
        assert OperationalError in task.autoretry_for
        assert smtplib.SMTPException in task.autoretry_for
        assert ConnectionError in task.autoretry_for
        assert Exception not in task.autoretry_for
        assert task.max_retries == 5
        assert task.retry_backoff


def test_it_resends_reminders_after_the_mail_server_failed_once(orgs, personas, mailoutbox,
                                                                monkeypatch):  # fmt: skip
    personas["reporter"].email = "reporter@example.com"
    personas["reporter"].save(update_fields=["email"])
    ProgressReportFactory(
        project=ProjectFactory(owner=orgs["infra"]),
        period=ReportingPeriodFactory(year=2026, month=10),  # due 2026-11-05
    )
    failures = []
    send = EmailBackend.send_messages

    def once_down(self, messages):
        if not failures:
            failures.append(messages)
            raise smtplib.SMTPServerDisconnected("the mail server went away")
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", once_down)
    result = tasks.send_reminders.apply(args=["2026-11-20"], throw=False).get()

    assert len(failures) == 1
    # Both notifications were delivered by the failed first run (the mail server does not hold
    # them back); the retry delivers only the reporter's mail.
    assert result == {"due_soon": 0, "overdue": 1, "waiting_review": 0, "emails": 1,
                      "notifications": 0}  # fmt: skip
    assert [m.to for m in mailoutbox] == [["reporter@example.com"]]
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "manager",
        "reporter",
    ]


def test_the_beat_schedule_runs_the_daily_jobs_in_the_portals_time_zone():
    app.loader.import_default_modules()  # the apps' tasks, as a worker loads them at start
    schedule = app.conf.beat_schedule
    jobs = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert jobs == {
        "reporting.tasks.open_periods": crontab(hour=0, minute=10),
        "dashboard.tasks.rollup_full": crontab(hour=1, minute=30),
        "reporting.tasks.send_reminders": crontab(hour=9, minute=0),
        "dashboard.tasks.rollup_sweep": 60.0,  # a killed rollup comes back within a minute
    }
    assert set(jobs) <= set(app.tasks)
    assert app.conf.timezone == "Asia/Shanghai"


def test_the_command_opens_the_periods_without_celery(projects):
    out = io.StringIO()
    call_command("open_periods", "--today", "2026-11-20", stdout=out)
    call_command("open_periods", "--today", "2026-11-20", stdout=out)

    assert "2026-11: 1 forms made" in out.getvalue()
    assert "2026-11: 0 forms made" in out.getvalue()
    assert period_codes() == [("JC-2026-101", "2026-11"), ("JC-2026-102", "2026-11-T2")]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("live_celery_worker")
def test_a_real_worker_opens_the_periods(projects):
    result = tasks.open_periods.delay("2026-11-20")

    assert result.get(timeout=60) == {"2026-11": 1, "2026-11-T2": 1}
    result.forget()
    # Made by the worker process, committed, and read here.
    assert period_codes() == [("JC-2026-101", "2026-11"), ("JC-2026-102", "2026-11-T2")]
