"""Notifications and reminders of the base (portal.notifications): notify() and the bell, the
list page and its API, and the claim-and-send mechanism every app's reminder sources share.
Reporting's own sources are tested in tests/reporting/test_reminders.py."""

import datetime
import smtplib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy
from rest_framework.test import APIClient

from portal import notifications
from portal.models import Notification, ReminderClaim
from portal.notifications import (
    ReminderItem,
    ReminderKind,
    ReminderSource,
    notify,
    reminders_send,
    unread_count,
)
from tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 11, 20)
LIST = "/notifications/"
API = "/api/v1/notifications/"


def bell(client) -> str | None:
    """The bell's number on the home page, or None when it shows none."""
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="bell"' in html
    marker = 'data-testid="bell-count">'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split("<", 1)[0]


def notification_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "portal_notification" in q["sql"]]


# --- notify() ------------------------------------------------------------------------------------


def test_notify_adds_one_notification_per_person_in_one_insert(personas, django_assert_num_queries):
    gone = UserFactory(username="gone", is_active=False)
    with django_assert_num_queries(1):
        created = notify(
            recipients=[personas["reporter"], personas["manager"], personas["reporter"], gone],
            title="报表 JC-2026-001 已退回",
            text="请补充本月完成投资。",
            url="/reports/1/",
            key="reporting.progressreport:1",
        )
    assert len(created) == 2
    rows = Notification.objects.order_by("recipient__username")
    assert [n.recipient.username for n in rows] == ["manager", "reporter"]
    assert {(n.title, n.text, n.url, n.key, n.read_at) for n in rows} == {
        ("报表 JC-2026-001 已退回", "请补充本月完成投资。", "/reports/1/",
         "reporting.progressreport:1", None)
    }  # fmt: skip
    assert notify(recipients=[], title="nobody") == []
    assert notify(recipients=[personas["leader"].pk], title="by id")[0].recipient_id == (
        personas["leader"].pk
    )


def test_notify_renders_lazy_texts_in_the_portals_language(personas):
    with translation.override("en"):
        notify(recipients=[personas["reporter"]], title=gettext_lazy("Overdue"))
    assert Notification.objects.get().title == "已逾期"


def test_notify_writes_in_the_callers_transaction(personas):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[personas["reporter"]], title="一步失败了")
        raise RuntimeError("the step failed")
    assert not Notification.objects.exists()
    assert unread_count(personas["reporter"]) == 0


def test_notify_drops_the_cached_count_again_after_commit(
    personas, django_capture_on_commit_callbacks
):
    reporter = personas["reporter"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipients=[reporter], title="一")
    # Another request counted before this transaction committed, and cached the old number.
    cache.set(notifications._unread_key(reporter.pk), 0)
    for callback in callbacks:
        callback()
    assert unread_count(reporter) == 1


# --- the bell ------------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count_and_follows_notify_and_reading(client_for, personas):
    client = client_for("reporter")
    assert bell(client) is None
    notify(recipients=[personas["reporter"], personas["manager"]], title="一")
    notify(recipients=[personas["reporter"]], title="二")
    assert bell(client) == "2"
    first = Notification.objects.filter(recipient=personas["reporter"]).first()
    client.get(reverse("notifications:open", args=[first.pk]))
    assert bell(client) == "1"
    client.post(reverse("notifications:read-all"))
    assert bell(client) is None
    assert bell(client_for("manager")) == "1"


def test_the_bell_shows_99_plus_beyond_99(client_for, personas):
    Notification.objects.bulk_create(
        [Notification(recipient=personas["reporter"], title=str(n)) for n in range(99)]
    )
    client = client_for("reporter")
    assert bell(client) == "99"
    notify(recipients=[personas["reporter"]], title="第一百条")
    assert bell(client) == "99+"


def test_the_bell_adds_one_query_to_a_page_and_none_once_cached(client_for, personas):
    notify(recipients=[personas["reporter"]], title="一")
    client = client_for("reporter")
    client.get(reverse("projects:list"))  # the user's row is cached from here on
    cache.delete(notifications._unread_key(personas["reporter"].pk))
    with CaptureQueriesContext(connection) as cold:
        client.get(reverse("projects:list"))
    with CaptureQueriesContext(connection) as warm:
        client.get(reverse("projects:list"))
    # Cold: one COUNT of the unread notifications; cached: none. Nothing else differs.
    assert len(notification_queries(cold)) == 1
    assert "COUNT" in notification_queries(cold)[0].upper()
    assert notification_queries(warm) == []
    assert len(cold) == len(warm) + 1


def test_an_htmx_fragment_does_not_pay_for_the_bell(client_for, orgs):
    client = client_for("officer")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("projects:list"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert notification_queries(queries) == []


# --- the list page -------------------------------------------------------------------------------


@pytest.fixture
def mine(personas):
    """Five notifications of the reporter, one a minute, the second one read; one of the
    manager's."""
    start = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
    made = []
    for n in range(5):
        with time_machine.travel(start + datetime.timedelta(minutes=n), tick=False):
            made += notify(recipients=[personas["reporter"]], title=f"通知{n}", url=f"/r/{n}/")
    Notification.objects.filter(pk=made[1].pk).update(read_at=start)
    notify(recipients=[personas["manager"]], title="经理的通知")
    return made


def test_the_list_shows_my_notifications_newest_first_unread_highlighted(client_for, mine):
    html = client_for("reporter").get(LIST).content.decode()
    titles = [f"通知{n}" for n in (4, 3, 2, 1, 0)]
    positions = [html.index(t) for t in titles]
    assert positions == sorted(positions)
    assert "经理的通知" not in html
    assert html.count('data-unread="true"') == 4
    assert html.count('data-unread="false"') == 1
    assert 'data-testid="read-all"' in html


def test_the_list_is_paginated(client_for, mine, settings):
    settings.PORTAL = {**settings.PORTAL, "LIST_PAGE_SIZE": 3}
    client = client_for("reporter")
    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})
    assert [n.title for n in first.context["notifications"]] == ["通知4", "通知3", "通知2"]
    assert [n.title for n in second.context["notifications"]] == ["通知1", "通知0"]
    assert first.context["paginator"].count == 5


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_notifications(
    client_for, personas, count, django_assert_num_queries
):
    for n in range(count):
        notify(recipients=[personas["reporter"]], title=f"通知{n}")
    client = client_for("reporter")
    # (the session comes from the cache) 1 user, 2 count for the paginator, 3 the page, 4 the
    # unread count (which the navigation bar's bell then reads from the cache), 5 the inbox
    # badge of the navigation bar.
    with django_assert_num_queries(5) as queries:
        response = client.get(LIST)
    assert len(response.context["notifications"]) == min(count, 25)
    assert len(notification_queries(queries)) == 3


def test_opening_a_notification_marks_it_read_and_follows_its_link(client_for, mine):
    client = client_for("reporter")
    response = client.get(reverse("notifications:open", args=[mine[3].pk]))
    assert response.status_code == 302
    assert response["Location"] == "/r/3/"
    mine[3].refresh_from_db()
    assert mine[3].read_at is not None
    # Opening it again keeps the first reading time.
    first_read = mine[3].read_at
    client.get(reverse("notifications:open", args=[mine[3].pk]))
    mine[3].refresh_from_db()
    assert mine[3].read_at == first_read


def test_a_notification_without_a_link_or_pointing_off_the_portal_opens_the_list(
    client_for, personas
):
    plain, outside = (
        notify(recipients=[personas["reporter"]], title="无链接")[0],
        notify(recipients=[personas["reporter"]], title="外链", url="https://evil.example/")[0],
    )
    client = client_for("reporter")
    for notification in (plain, outside):
        response = client.get(reverse("notifications:open", args=[notification.pk]))
        assert response["Location"] == LIST


def test_another_users_notification_answers_404_and_stays_unread(client_for, mine, personas):
    theirs = Notification.objects.get(recipient=personas["manager"])
    response = client_for("reporter").get(reverse("notifications:open", args=[theirs.pk]))
    assert response.status_code == 404
    assert client_for("reporter").get(reverse("notifications:open", args=[99999])).status_code == (
        404
    )
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_as_read_reads_only_mine(client_for, mine, personas):
    response = client_for("reporter").post(reverse("notifications:read-all"), follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert not Notification.objects.filter(recipient=personas["reporter"], read_at=None).exists()
    assert Notification.objects.filter(recipient=personas["manager"], read_at=None).count() == 1
    html = response.content.decode()
    assert 'data-unread="true"' not in html
    assert 'data-testid="read-all"' not in html  # nothing left to mark


def test_mark_all_as_read_is_a_post_with_a_csrf_token(personas, mine):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["reporter"])
    assert client.get(reverse("notifications:read-all")).status_code == 405
    assert client.post(reverse("notifications:read-all")).status_code == 403
    assert Notification.objects.filter(recipient=personas["reporter"], read_at=None).count() == 4
    page = client.get(LIST)
    token = page.context["csrf_token"]
    response = client.post(reverse("notifications:read-all"), {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=personas["reporter"], read_at=None).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, mine):
    login = reverse("login")
    for method, url in [
        ("get", LIST),
        ("get", reverse("notifications:open", args=[mine[0].pk])),
        ("post", reverse("notifications:read-all")),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(login)
    assert Notification.objects.filter(read_at=None).count() == 5


# --- the API -------------------------------------------------------------------------------------


def test_the_api_lists_only_my_notifications(api_for, mine, django_assert_num_queries):
    api = api_for("reporter")
    # 1 count, 2 the page (the caller is authenticated by the test client).
    with django_assert_num_queries(2):
        body = api.get(API).json()
    assert body["count"] == 5
    assert [row["title"] for row in body["results"]] == [f"通知{n}" for n in (4, 3, 2, 1, 0)]
    row = body["results"][0]
    assert set(row) == {"id", "title", "text", "url", "key", "created_at", "read_at", "unread"}
    assert row["unread"] is True and row["url"] == "/r/4/"
    unread = api.get(API, {"unread": "true"}).json()
    assert unread["count"] == 4


def test_the_api_marks_one_or_all_read_and_counts_the_unread(api_for, mine, personas):
    api = api_for("reporter")
    assert api.get(API + "unread-count/").json() == {"unread": 4}
    response = api.post(f"{API}{mine[0].pk}/read/")
    assert response.status_code == 200
    assert response.json()["unread"] is False and response.json()["read_at"]
    assert api.get(API + "unread-count/").json() == {"unread": 3}
    assert api.post(API + "read-all/").json() == {"marked": 3}
    assert api.get(API + "unread-count/").json() == {"unread": 0}
    assert Notification.objects.filter(recipient=personas["manager"], read_at=None).count() == 1


def test_the_api_answers_404_for_another_users_notification(api_for, mine, personas):
    theirs = Notification.objects.get(recipient=personas["manager"])
    api = api_for("reporter")
    assert api.get(f"{API}{theirs.pk}/").status_code == 404
    assert api.post(f"{API}{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_api_takes_a_token_and_refuses_anonymous_callers(personas, mine):
    from rest_framework.authtoken.models import Token

    anonymous = APIClient()
    assert anonymous.get(API).status_code == 401
    assert anonymous.post(API + "read-all/").status_code == 401
    token = Token.objects.create(user=personas["reporter"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(API).json()["count"] == 5
    # Token calls need no CSRF token.
    assert api.post(f"{API}{mine[0].pk}/read/").status_code == 200


# --- reminders: the claim-and-send mechanism -----------------------------------------------------


@pytest.fixture
def source(personas):
    """A test source: two items for the reporter (with an address) and the manager (without),
    one for the officer."""
    reporter, manager, officer = personas["reporter"], personas["manager"], personas["officer"]
    reporter.email, officer.email = "reporter@example.com", "officer@example.com"
    reporter.save(update_fields=["email"])
    officer.save(update_fields=["email"])
    items = [
        ReminderItem(key="test.thing:1", recipients=[reporter, manager], title="事项一逾期",
                     text="事项一，期限 2026-11-18", url="/things/1/"),
        ReminderItem(key="test.thing:2", recipients=[reporter, manager, officer],
                     title="事项二逾期", text="事项二，期限 2026-11-19", url="/things/2/"),
    ]  # fmt: skip
    registered = ReminderSource(
        name="test.things",
        kind=ReminderKind.OVERDUE,
        items=lambda today: items,
        heading=lambda: "这些事项已逾期：",
    )
    notifications.register(registered)
    yield items
    notifications._sources.remove(registered)


def test_reminders_are_claimed_once_per_item_person_and_day(source, personas, mailoutbox):
    first = reminders_send(today=TODAY)
    assert first == {"due_soon": 0, "overdue": 5, "waiting_review": 0, "emails": 2,
                     "notifications": 5}  # fmt: skip
    assert sorted(m.to[0] for m in mailoutbox) == ["officer@example.com", "reporter@example.com"]
    body = next(m for m in mailoutbox if m.to == ["reporter@example.com"]).body
    assert "这些事项已逾期：" in body
    assert "事项一，期限 2026-11-18\n    http://127.0.0.1:8000/things/1/" in body
    assert "事项二" in body
    officer_mail = next(m for m in mailoutbox if m.to == ["officer@example.com"])
    assert officer_mail.subject == "事项二逾期"  # a single item: its title
    # The manager has no address: notifications only.
    assert Notification.objects.filter(recipient=personas["manager"]).count() == 2

    again = reminders_send(today=TODAY)
    assert again == {"due_soon": 0, "overdue": 0, "waiting_review": 0, "emails": 0,
                     "notifications": 0}  # fmt: skip
    assert len(mailoutbox) == 2
    # Five reminders claimed in the portal, three of them by mail too (the manager has no
    # address).
    assert ReminderClaim.objects.count() == 5 + 3 and Notification.objects.count() == 5

    reminders_send(today=TODAY + datetime.timedelta(days=1))
    assert len(mailoutbox) == 4
    assert Notification.objects.count() == 5  # the unread ones renewed, not repeated


def test_a_failed_send_leaves_no_claim_and_is_retried(source, personas, mailoutbox, settings):
    settings.EMAIL_BACKEND = "tests.reporting.test_reminders.FailingBackend"
    with pytest.raises(smtplib.SMTPServerDisconnected):
        reminders_send(today=TODAY)
    assert mailoutbox == []
    # No mail claim, for the retry; the notifications are all there, mail or not.
    assert not ReminderClaim.objects.filter(kind__endswith=":mail").exists()
    for name, count in (("reporter", 2), ("officer", 1), ("manager", 2)):
        assert Notification.objects.filter(recipient=personas[name]).count() == count

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent = reminders_send(today=TODAY)
    assert sent == {"due_soon": 0, "overdue": 3, "waiting_review": 0, "emails": 2,
                    "notifications": 0}  # fmt: skip
    assert len(mailoutbox) == 2
    assert ReminderClaim.objects.count() == 5 + 3 and Notification.objects.count() == 5


class UnreachableBackend(EmailBackend):
    opened = 0

    def open(self):
        UnreachableBackend.opened += 1
        raise ConnectionRefusedError("no mail server")


def test_a_mail_server_that_cannot_be_reached_still_lets_the_notifications_through(
    source, personas, mailoutbox, settings
):
    settings.EMAIL_BACKEND = "tests.portal.test_notifications.UnreachableBackend"
    UnreachableBackend.opened = 0
    with pytest.raises(ConnectionRefusedError):
        reminders_send(today=TODAY)
    assert UnreachableBackend.opened == 1  # tried once, not once per mail
    assert mailoutbox == []
    assert Notification.objects.filter(recipient=personas["manager"]).count() == 2
    assert Notification.objects.filter(recipient=personas["reporter"]).count() == 2


def test_a_source_of_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        notifications.register(
            ReminderSource(name="x", kind="someday", items=lambda today: [], heading=str)
        )


def test_old_claims_are_pruned(source, personas):
    old = ReminderClaim.objects.create(
        key="test.thing:1", recipient=personas["reporter"], kind="overdue",
        day=TODAY - datetime.timedelta(days=notifications.CLAIM_KEEP_DAYS + 1),
    )  # fmt: skip
    kept = ReminderClaim.objects.create(
        key="test.thing:1", recipient=personas["reporter"], kind="overdue",
        day=TODAY - datetime.timedelta(days=notifications.CLAIM_KEEP_DAYS),
    )  # fmt: skip
    reminders_send(today=TODAY)
    assert not ReminderClaim.objects.filter(pk=old.pk).exists()
    assert ReminderClaim.objects.filter(pk=kept.pk).exists()
