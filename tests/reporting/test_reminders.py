"""The reminders of progress reporting (reporting.reminders' sources, sent by the base's
portal.notifications.reminders_send): who gets which mail and which in-app notifications, never
twice a day, and a mail that fails to send is sent by the next run. Time is frozen at 2026-11-20
09:00 in Shanghai."""

import datetime
import io
import smtplib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from portal.models import Notification, ReminderClaim
from portal.notifications import reminders_send
from reporting.choices import ReportStatus
from tests.factories import (
    ProgressReportFactory,
    ProjectFactory,
    ReportingPeriodFactory,
    UserFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 11, 20)
BASE = "http://127.0.0.1:8000"


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def frozen():
    with time_machine.travel(at(TODAY), tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(personas):
    """Every persona with an e-mail address, named after its username."""
    for user in personas.values():
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    return personas


@pytest.fixture
def periods(db):
    return {
        # October: due 2026-11-05, overdue on the 20th.
        "overdue": ReportingPeriodFactory(year=2026, month=10),
        # First ten days of November, due in two days.
        "soon": ReportingPeriodFactory(
            kind="ten_day", year=2026, month=11, part=1, due_date=datetime.date(2026, 11, 22)
        ),
        # November: due 2026-12-05, not yet worth a reminder.
        "later": ReportingPeriodFactory(year=2026, month=11),
    }


@pytest.fixture
def forms(orgs, people, periods, infra_project, housing_project):
    """The infrastructure company's forms in every state, and one of the housing company's."""
    infra_ten_day = ProjectFactory(
        owner=orgs["infra"], code="JC-2026-002", name="江北污水管网", reports_ten_daily=True
    )
    infra_other = ProjectFactory(owner=orgs["infra"], code="JC-2026-003", name="滨江公园")
    infra_fourth = ProjectFactory(owner=orgs["infra"], code="JC-2026-004", name="跨江大桥")
    return {
        "overdue": ProgressReportFactory(project=infra_project, period=periods["overdue"]),
        "soon_returned": ProgressReportFactory(
            project=infra_ten_day, period=periods["soon"], status=ReportStatus.RETURNED
        ),
        "later": ProgressReportFactory(project=infra_project, period=periods["later"]),
        "housing_overdue": ProgressReportFactory(
            project=housing_project, period=periods["overdue"]
        ),
        # Submitted on the 10th: waiting ten days for review.
        "submitted_old": ProgressReportFactory(
            project=infra_other,
            period=periods["overdue"],
            status=ReportStatus.SUBMITTED,
            submitted_at=at(datetime.date(2026, 11, 10)),
        ),
        # Submitted on the 19th: waiting one day, not yet worth a reminder.
        "submitted_new": ProgressReportFactory(
            project=infra_fourth,
            period=periods["overdue"],
            status=ReportStatus.SUBMITTED,
            submitted_at=at(datetime.date(2026, 11, 19)),
        ),
        "accepted": ProgressReportFactory(
            project=infra_ten_day, period=periods["overdue"], status=ReportStatus.ACCEPTED
        ),
    }


def mails_by_recipient(outbox) -> dict[str, object]:
    by_recipient = {}
    for message in outbox:
        assert len(message.to) == 1
        assert message.to[0] not in by_recipient, f"two mails to {message.to[0]}"
        by_recipient[message.to[0]] = message
    return by_recipient


def url(report) -> str:
    return f"{BASE}/reports/{report.pk}/"


def key(report) -> str:
    return f"reporting.progressreport:{report.pk}"


def test_it_mails_the_owners_reporters_and_managers_one_mail_listing_all_their_forms(
    frozen, forms, mailoutbox
):
    sent = reminders_send(today=timezone.localdate())

    mails = mails_by_recipient(mailoutbox)
    assert set(mails) == {
        "manager@example.com",
        "reporter@example.com",
        "reporter2@example.com",
        "officer@example.com",
        "officer_design@example.com",
    }
    for address in ("manager@example.com", "reporter@example.com"):
        body = mails[address].body
        assert "JC-2026-001 滨河大道快速化改造工程" in body
        assert "2026-11-05" in body and url(forms["overdue"]) in body
        assert "JC-2026-002 江北污水管网" in body  # returned, due soon
        assert "2026-11-22" in body and url(forms["soon_returned"]) in body
        assert url(forms["later"]) not in body  # due in two weeks
        assert url(forms["accepted"]) not in body
        assert url(forms["submitted_old"]) not in body  # the centre's turn now
        assert "BZ-2026-001" not in body  # another subsidiary's
        assert f"{BASE}/inbox/" in body  # the one inbox (portal.inbox)
    other = mails["reporter2@example.com"].body
    assert "BZ-2026-001 望江保障性住房项目" in other
    assert "JC-2026" not in other
    # manager and reporter: 1 overdue + 1 due soon each; reporter2: 1 overdue;
    # two officers: 1 waiting each.
    assert sent == {"due_soon": 2, "overdue": 3, "waiting_review": 2, "emails": 5,
                    "notifications": 7}  # fmt: skip


def test_it_writes_in_the_portals_language_whatever_language_is_active(frozen, forms, mailoutbox):
    with translation.override("en"):  # a worker or command may run with English active
        reminders_send(today=timezone.localdate())
    body = mails_by_recipient(mailoutbox)["reporter@example.com"].body
    assert "（已退回）" in body or "(已退回)" in body  # the returned form's status, in Chinese
    assert "2026年10月" in body  # the period, in Chinese


def test_it_adds_one_notification_per_form_to_each_persons_list(frozen, forms, people, mailoutbox):
    with translation.override("en"):
        reminders_send(today=timezone.localdate())

    def notices(name):
        return {n.key: n for n in Notification.objects.filter(recipient=people[name], read_at=None)}

    for name in ("reporter", "manager"):
        mine = notices(name)
        assert set(mine) == {key(forms["overdue"]), key(forms["soon_returned"])}
        overdue = mine[key(forms["overdue"])]
        assert "JC-2026-001 滨河大道快速化改造工程" in overdue.title
        assert "2026年10月" in overdue.text and "2026-11-05" in overdue.text  # portal's language
        assert overdue.url == f"/reports/{forms['overdue'].pk}/"
    assert set(notices("reporter2")) == {key(forms["housing_overdue"])}
    for name in ("officer", "officer_design"):
        waiting = notices(name)
        assert set(waiting) == {key(forms["submitted_old"])}
        assert "2026-11-10" in waiting[key(forms["submitted_old"])].text
    assert not notices("leader") and not notices("admin")


def test_it_reminds_every_officer_of_reports_waiting_more_than_two_days_only(
    frozen, forms, mailoutbox
):
    reminders_send(today=timezone.localdate())

    mails = mails_by_recipient(mailoutbox)
    for address in ("officer@example.com", "officer_design@example.com"):
        body = mails[address].body
        assert "JC-2026-003 滨江公园" in body and url(forms["submitted_old"]) in body
        assert "2026-11-10" in body
        assert url(forms["submitted_new"]) not in body
        assert url(forms["overdue"]) not in body  # the subsidiary's turn
    # Leadership reads and the administrator administers: neither is reminded.
    assert "leader@example.com" not in mails
    assert "admin@example.com" not in mails


def test_it_starts_reminding_the_reviewers_after_two_full_days(frozen, forms, mailoutbox):
    frozen.move_to(at(datetime.date(2026, 11, 21)))
    reminders_send(today=timezone.localdate())
    assert (
        url(forms["submitted_new"])
        not in mails_by_recipient(mailoutbox)["officer@example.com"].body
    )

    frozen.move_to(at(datetime.date(2026, 11, 22)))
    reminders_send(today=timezone.localdate())
    latest = [m for m in mailoutbox if m.to == ["officer@example.com"]][-1]
    assert url(forms["submitted_new"]) in latest.body
    assert url(forms["submitted_old"]) in latest.body


def test_it_does_not_repeat_a_reminder_the_same_day_but_does_the_next_day(
    frozen, forms, mailoutbox
):
    first = reminders_send(today=timezone.localdate())
    assert first["emails"] == 5

    mailoutbox.clear()
    frozen.shift(datetime.timedelta(hours=5))  # a second run the same afternoon
    again = reminders_send(today=timezone.localdate())
    assert mailoutbox == []
    assert again == {"due_soon": 0, "overdue": 0, "waiting_review": 0, "emails": 0,
                     "notifications": 0}  # fmt: skip
    # Seven reminders, each claimed once in the portal and once by mail.
    assert ReminderClaim.objects.exclude(kind__endswith=":mail").count() == 7
    assert ReminderClaim.objects.filter(kind__endswith=":mail").count() == 7
    assert Notification.objects.count() == 7

    frozen.move_to(at(TODAY + datetime.timedelta(days=1)))
    reminders_send(today=timezone.localdate())
    # The next day: mailed again, and the unread notices are renewed, not repeated.
    assert Notification.objects.count() == 7
    assert set(Notification.objects.values_list("created_at__date", flat=True)) == {
        TODAY + datetime.timedelta(days=1)
    }
    assert {m.to[0] for m in mailoutbox} == {
        "manager@example.com",
        "reporter@example.com",
        "reporter2@example.com",
        "officer@example.com",
        "officer_design@example.com",
    }


def test_it_reminds_only_of_what_is_new_since_the_last_run_that_day(
    frozen, forms, periods, orgs, mailoutbox
):
    reminders_send(today=timezone.localdate())
    mailoutbox.clear()
    late = ProgressReportFactory(
        project=ProjectFactory(owner=orgs["infra"], code="JC-2026-009"), period=periods["overdue"]
    )

    sent = reminders_send(today=timezone.localdate())

    assert sorted(m.to[0] for m in mailoutbox) == ["manager@example.com", "reporter@example.com"]
    for message in mailoutbox:
        assert url(late) in message.body
        assert url(forms["overdue"]) not in message.body  # already reminded today
    assert sent == {"due_soon": 0, "overdue": 2, "waiting_review": 0, "emails": 2,
                    "notifications": 2}  # fmt: skip


def test_it_does_not_resend_what_a_concurrent_run_claimed_meanwhile(
    frozen, forms, people, mailoutbox, monkeypatch
):
    real_get_connection = mail.get_connection

    def racing(*args, **kwargs):
        # Another run delivers some reminders (in the portal and by mail) after this run read
        # today's claims.
        for kind in ("overdue", "overdue:mail"):
            ReminderClaim.objects.create(
                key=key(forms["overdue"]), recipient=people["reporter"], kind=kind, day=TODAY
            )
            ReminderClaim.objects.create(
                key=key(forms["housing_overdue"]), recipient=people["reporter2"], kind=kind,
                day=TODAY,
            )  # fmt: skip
        return real_get_connection(*args, **kwargs)

    monkeypatch.setattr("portal.notifications.mail.get_connection", racing)
    sent = reminders_send(today=timezone.localdate())

    mails = mails_by_recipient(mailoutbox)
    assert "reporter2@example.com" not in mails  # everything it would remind of was taken
    assert url(forms["overdue"]) not in mails["reporter@example.com"].body
    assert url(forms["soon_returned"]) in mails["reporter@example.com"].body
    assert url(forms["overdue"]) in mails["manager@example.com"].body
    assert sent == {"due_soon": 2, "overdue": 1, "waiting_review": 2, "emails": 4,
                    "notifications": 5}  # fmt: skip
    assert ReminderClaim.objects.count() == 14
    assert not Notification.objects.filter(recipient=people["reporter2"]).exists()


class FailingBackend(EmailBackend):
    """The test mailbox, except that it refuses mail to `refuse` (everyone when empty)."""

    refuse: frozenset[str] = frozenset()

    def send_messages(self, messages):
        for message in messages:
            if not self.refuse or set(message.to) & self.refuse:
                raise smtplib.SMTPServerDisconnected("the mail server went away")
        return super().send_messages(messages)


def test_it_leaves_no_mail_claim_when_the_mail_server_fails_so_the_next_run_sends(
    frozen, forms, mailoutbox, settings
):
    settings.EMAIL_BACKEND = "tests.reporting.test_reminders.FailingBackend"
    with pytest.raises(smtplib.SMTPServerDisconnected):
        reminders_send(today=timezone.localdate())
    assert mailoutbox == []
    assert not ReminderClaim.objects.filter(kind__endswith=":mail").exists()
    # The notices do not wait for the mail server.
    assert Notification.objects.count() == 7

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent = reminders_send(today=timezone.localdate())
    assert sent["emails"] == 5 and len(mailoutbox) == 5
    assert sent["notifications"] == 0 and Notification.objects.count() == 7


def test_it_sends_the_other_mails_when_one_fails_and_only_that_one_on_the_retry(
    frozen, forms, mailoutbox, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "tests.reporting.test_reminders.FailingBackend"
    monkeypatch.setattr(FailingBackend, "refuse", frozenset({"reporter@example.com"}))
    with pytest.raises(smtplib.SMTPServerDisconnected):
        reminders_send(today=timezone.localdate())
    assert sorted(m.to[0] for m in mailoutbox) == [
        "manager@example.com",
        "officer@example.com",
        "officer_design@example.com",
        "reporter2@example.com",
    ]
    reporters = ReminderClaim.objects.filter(recipient__username="reporter")
    assert not reporters.filter(kind__endswith=":mail").exists()
    assert Notification.objects.filter(recipient__username="reporter").count() == 2

    mailoutbox.clear()
    monkeypatch.setattr(FailingBackend, "refuse", frozenset({"nobody@example.com"}))
    sent = reminders_send(today=timezone.localdate())
    assert [m.to[0] for m in mailoutbox] == ["reporter@example.com"]
    assert sent == {"due_soon": 1, "overdue": 1, "waiting_review": 0, "emails": 1,
                    "notifications": 0}  # fmt: skip


def test_it_does_not_remind_of_submitted_or_accepted_forms(
    frozen, periods, infra_project, people, mailoutbox
):
    for status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED):
        ProgressReportFactory(
            project=ProjectFactory(owner=infra_project.owner),
            period=periods["overdue"],
            status=status,
            submitted_at=at(TODAY),  # submitted this morning: not waiting long either
        )
    assert reminders_send(today=timezone.localdate())["emails"] == 0
    assert mailoutbox == []


def test_it_mails_no_user_without_an_email_address_nor_inactive_users(
    frozen, forms, orgs, people, mailoutbox
):
    people["reporter"].email = ""
    people["reporter"].save(update_fields=["email"])
    UserFactory(username="gone", organisation=orgs["infra"], email="gone@example.com",
                is_active=False)  # fmt: skip

    reminders_send(today=timezone.localdate())

    addresses = {m.to[0] for m in mailoutbox}
    assert "manager@example.com" in addresses
    assert "gone@example.com" not in addresses
    assert not ReminderClaim.objects.filter(recipient__username="gone").exists()
    assert not Notification.objects.filter(recipient__username="gone").exists()
    # Without an address the reporter gets no mail, only the in-app notifications.
    assert "" not in addresses and "reporter@example.com" not in addresses
    assert sorted(
        Notification.objects.filter(recipient=people["reporter"]).values_list("key", flat=True)
    ) == sorted([key(forms["overdue"]), key(forms["soon_returned"])])


def test_it_reminds_the_users_of_a_parent_subsidiary_but_not_of_a_department_under_it(
    frozen, orgs, periods, people, mailoutbox
):
    # The reminders follow the access rule: a user fills the forms of his organisation and
    # of those under it, never of the organisation above him.
    child = orgs["infra"].children.create(
        code="infra-east", name="基础设施公司东区", short_name="东区", kind="subsidiary"
    )
    UserFactory(username="east", organisation=child, email="east@example.com")
    ProgressReportFactory(project=ProjectFactory(owner=orgs["infra"]), period=periods["overdue"])
    ProgressReportFactory(project=ProjectFactory(owner=child), period=periods["soon"])

    reminders_send(today=timezone.localdate())

    mails = mails_by_recipient(mailoutbox)
    assert mails["reporter@example.com"].body.count("/reports/") == 2  # two forms
    assert mails["east@example.com"].body.count("/reports/") == 1  # its own form
    for address in ("reporter@example.com", "east@example.com"):
        assert mails[address].body.count("/inbox/") == 1  # and the inbox


def test_it_makes_the_same_number_of_queries_for_3_and_30_reports(
    frozen, orgs, people, periods, mailoutbox
):
    # The old claims pruned; reads: the open forms due and the people who fill them (for the
    # overdue and again for the due-soon source), the submitted forms waiting, the officers,
    # today's claims. Then per mail, in its own transaction, one claim insert and one
    # notification insert.
    def seed(count):
        for n in range(count):
            owner = orgs["infra"] if n % 2 else orgs["housing"]
            ProgressReportFactory(project=ProjectFactory(owner=owner), period=periods["overdue"])
            ProgressReportFactory(
                project=ProjectFactory(owner=owner),
                period=periods["overdue"],
                status=ReportStatus.SUBMITTED,
                submitted_at=at(datetime.date(2026, 11, 1)),
            )

    seed(3)
    with CaptureQueriesContext(connection) as few:
        assert reminders_send(today=TODAY)["emails"] == 5  # manager, reporters, officers
    seed(27)
    with CaptureQueriesContext(connection) as many:
        # The next day, so that the same five mails go out again, now with 30 forms each.
        sent = reminders_send(today=TODAY + datetime.timedelta(days=1))
    # 14 infrastructure forms to two people, 16 housing forms to one; 30 waiting to two officers.
    assert sent == {"due_soon": 0, "overdue": 44, "waiting_review": 60, "emails": 5,
                    "notifications": 104}  # fmt: skip
    assert len(few) == len(many), "\n".join(q["sql"] for q in many.captured_queries)


def test_the_command_sends_the_days_reminders(frozen, forms, mailoutbox):
    out = io.StringIO()
    call_command("send_reminders", "--today", "2026-11-20", stdout=out)
    assert "emails: 5" in out.getvalue()
    assert len(mailoutbox) == 5

    call_command("send_reminders", "--today", "2026-11-20", stdout=out)
    assert len(mailoutbox) == 5
