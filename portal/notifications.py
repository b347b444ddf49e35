"""Notifications and reminders, for every app: one claim-and-send mechanism and one in-app list.

In-app notifications (the bell in the navigation bar, the page /notifications/):
- `notify(recipients=, title=, text=, url=, key=)` is what any app, and the workflow kit after
  each transition, calls. One INSERT for all the recipients, written in the caller's transaction
  (so a rolled-back step notifies nobody); the texts are stored rendered, in the portal's
  language.
- `unread_count(user)` is the bell's number: cached per user, dropped whenever a notification of
  the user is created or read, so an ordinary page pays at most one small query for it (none
  when cached, none for htmx fragments, which do not render the navigation bar).

Reminders ("due soon", "overdue", "waiting for review"): apps register `ReminderSource`s in
`AppConfig.ready()` (the base imports no app). `reminders_send(today=)`, run daily by Celery beat
(`reporting.tasks.send_reminders`) or `manage.py send_reminders`, gathers every source's items,
groups them into one mail per recipient and writes one in-app notification per item. Each
(item, recipient, kind, day) is delivered at most once per channel: the run claims it in
`ReminderClaim` (unique on those four columns; a mail's claims have the kind "<kind>:mail") in
the same transaction that writes the notifications, or that sends the mail, so a second run the
same day finds it claimed, and a mail that fails to send leaves no mail claim behind for the
retry, while the notifications are delivered whatever the mail server does. An unread
notification about the same item is replaced, not repeated, day after day.

Delivery is at least once, not exactly once: if the commit fails after the mail server accepted
a mail, its claims are lost and the next run sends it again. A duplicate reminder is better than
a lost one. Recipients without an e-mail address get the in-app notifications only.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import Notification, ReminderClaim, User

log = logging.getLogger(__name__)

# How often a mail is claimed again after another run took some of its reminders meanwhile.
CLAIM_ATTEMPTS = 3
# Claims are needed only for the day they were made; a few weeks are kept for the admin.
CLAIM_KEEP_DAYS = 30
# The bell's count is dropped whenever it changes; the timeout only bounds how long a count may
# stay stale where the cache is not shared between processes (local memory, no REDIS_URL).
UNREAD_CACHE_SECONDS = 300


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", gettext_lazy("Due soon")
    OVERDUE = "overdue", gettext_lazy("Overdue")
    WAITING_REVIEW = "waiting_review", gettext_lazy("Waiting for review")


# --- in-app notifications ------------------------------------------------------------------------


def _unread_key(user_id: int) -> str:
    return f"portal:notifications:unread:{user_id}"


def _forget_unread(user_ids: Iterable[int]) -> None:
    """Drop the cached counts now (this transaction's own reads) and again after commit (so a
    count another request cached from before the commit does not outlive it)."""
    keys = [_unread_key(pk) for pk in set(user_ids)]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def _rendered(value) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(value)


def _rows(recipient_ids: Iterable[int], *, title, text="", url="", key="") -> list[Notification]:
    title, text = _rendered(title)[:200], _rendered(text)
    return [
        Notification(recipient_id=pk, title=title, text=text, url=str(url)[:500], key=key[:150])
        for pk in recipient_ids
    ]


def notify(
    *,
    recipients: Iterable[User | int],
    title: str,
    text: str = "",
    url: str = "",
    key: str = "",
) -> list[Notification]:
    """Add one notification to each recipient's list (users or user ids; repeats and inactive
    users are dropped). `url` is a path on the portal ("/reports/12/"); `key` names the record
    it is about ("reporting.progressreport:12"). Lazy translations are rendered in the portal's
    language.

    One INSERT whatever the number of recipients, in the caller's transaction if there is one:
    a step that rolls back notifies nobody. The caller decides who may hear of what.
    """
    ids: dict[int, None] = {}
    for recipient in recipients:
        if isinstance(recipient, int):
            ids[recipient] = None
        elif recipient.is_active:
            ids[recipient.pk] = None
    if not ids:
        return []
    created = Notification.objects.bulk_create(_rows(ids, title=title, text=text, url=url, key=key))
    _forget_unread(ids)
    return created


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first. Nobody sees another's."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def notification_get(*, user: User, pk: int) -> Notification:
    """One of the user's notifications; 404 for another user's as for a missing one."""
    return get_object_or_404(notifications_for(user=user), pk=pk)


def unread_count(user: User) -> int:
    """The bell's number: the user's unread notifications. Cached per user; at most one query."""
    if not user.is_authenticated:
        return 0
    count = cached_unread(user)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        remember_unread(user, count)
    return count


def cached_unread(user: User) -> int | None:
    """The bell's cached count, or None when it must be counted again."""
    return cache.get(_unread_key(user.pk))


def remember_unread(user: User, count: int) -> None:
    """Cache the bell's count (the inbox's badge query counts it too on a cold cache)."""
    cache.set(_unread_key(user.pk), count, UNREAD_CACHE_SECONDS)


def notification_mark_read(*, actor: User, notification: Notification) -> bool:
    """Mark one of the actor's notifications read (the caller fetched it for the actor). Returns
    whether it was unread. One conditional UPDATE, so two tabs opening it count it once."""
    now = timezone.now()
    changed = Notification.objects.filter(
        pk=notification.pk, recipient=actor, read_at__isnull=True
    ).update(read_at=now)
    if changed:
        notification.read_at = now
        _forget_unread([actor.pk])
    return bool(changed)


def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read. Returns how many were unread."""
    changed = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    _forget_unread([actor.pk])
    return changed


# --- reminder sources ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderItem:
    """Something to remind people of, today."""

    key: str  # stable across runs and days, e.g. "reporting.progressreport:123"
    recipients: Sequence[User]  # who can act on it (active users; mail goes to those with one)
    title: str  # the notification's title; the mail's subject when it is the mail's only item
    text: str  # the line in the mail and the notification's text
    url: str  # a path on the portal, e.g. "/reports/123/"


@dataclass(frozen=True)
class ReminderSource:
    """A kind of reminder an app offers: `items(today)` finds what to remind of, and whom.

    `heading()` is the sentence the mail lists the source's items under, in the active language.
    `link_url_name` names the page where the recipient acts on all of them (e.g. an inbox); the
    mail links to it. Sources run in `order`, and their items appear in the mail in that order.
    Keep `items` to a fixed number of queries: the daily run must not grow with the data."""

    name: str
    kind: str  # a ReminderKind
    items: Callable[[datetime.date], Iterable[ReminderItem]]
    heading: Callable[[], str]
    link_url_name: str = ""
    order: int = 100


_sources: list[ReminderSource] = []


def register(source: ReminderSource) -> None:
    if source.kind not in ReminderKind.values:
        raise ValueError(f"Unknown reminder kind {source.kind!r} of {source.name}.")
    if any(s.name == source.name for s in _sources):
        return  # ready() may run twice in tests
    _sources.append(source)
    _sources.sort(key=lambda s: s.order)


def sources() -> list[ReminderSource]:
    return list(_sources)


# --- gathering -----------------------------------------------------------------------------------


@dataclass
class _Delivery:
    """What one recipient gets today: `entries`, the reminders due in the portal (one
    notification each), and `mail_entries`, those due by mail (one mail for all; none without an
    address). The two channels are claimed apart, so a mail server that is down delays the mail
    and not the notifications."""

    recipient: User
    entries: list[tuple[ReminderSource, ReminderItem]] = field(default_factory=list)
    mail_entries: list[tuple[ReminderSource, ReminderItem]] = field(default_factory=list)


APP, MAIL = "app", "mail"


def _claim_kind(kind: str, channel: str) -> str:
    """The claim's kind: the reminder's kind, marked for the mail channel ("overdue:mail")."""
    return kind if channel == APP else f"{kind}:{MAIL}"


def _pending(*, today: datetime.date) -> list[_Delivery]:
    """Every source's items, grouped per recipient, without what was delivered today."""
    by_recipient: dict[int, _Delivery] = {}
    for source in _sources:
        for item in source.items(today):
            for user in item.recipients:
                if user.is_active:
                    delivery = by_recipient.setdefault(user.pk, _Delivery(user))
                    delivery.entries.append((source, item))
    if not by_recipient:
        return []
    claimed = set(
        ReminderClaim.objects.filter(day=today).values_list("key", "recipient_id", "kind")
    )
    pending = []
    for pk in sorted(by_recipient):
        delivery = by_recipient[pk]
        seen = set()
        app, by_mail = [], []
        for source, item in delivery.entries:
            if (item.key, source.kind) in seen:
                continue
            seen.add((item.key, source.kind))
            if (item.key, pk, _claim_kind(source.kind, APP)) not in claimed:
                app.append((source, item))
            if delivery.recipient.email and (
                (item.key, pk, _claim_kind(source.kind, MAIL)) not in claimed
            ):
                by_mail.append((source, item))
        if app or by_mail:
            pending.append(_Delivery(delivery.recipient, app, by_mail))
    return pending


# --- the mail ------------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.PORTAL["BASE_URL"].rstrip("/") + path


def _message(delivery: _Delivery) -> mail.EmailMessage:
    """The mail for one recipient, in the active language (the caller activates the portal's)."""
    sections: dict[str, list[ReminderItem]] = {}  # source name -> items, in source order
    counts: Counter[str] = Counter()
    links: dict[str, None] = {}
    by_name = {source.name: source for source, _item in delivery.entries}
    for source, item in delivery.entries:
        sections.setdefault(source.name, []).append(item)
        counts[source.kind] += 1
        if source.link_url_name:
            links[source.link_url_name] = None
    if len(delivery.entries) == 1:
        subject = delivery.entries[0][1].title
    else:
        summary = " / ".join(
            _("%(kind)s: %(count)s") % {"kind": ReminderKind(kind).label, "count": count}
            for kind, count in counts.items()
        )
        subject = _("PMC Portal reminders: %(summary)s") % {"summary": summary}
    parts = [_("Hello %(name)s,") % {"name": delivery.recipient.get_full_name()}]
    for name, items in sections.items():
        lines = [f"  - {item.text}\n    {_absolute(item.url)}" for item in items]
        parts.append(by_name[name].heading() + "\n" + "\n".join(lines))
    for url_name in links:
        parts.append(_("Your inbox: %(url)s") % {"url": _absolute(reverse(url_name))})
    parts.append(
        _(
            "This reminder is sent automatically by the PMC portal, at most once a day for "
            "each item. You also find it under Notifications in the portal."
        )
    )
    return mail.EmailMessage(
        subject=" ".join(str(subject).split()),  # a header: one line
        body="\n\n".join(parts) + "\n",
        to=[delivery.recipient.email],
    )


class _Mailer:
    """One mail-server connection for the run, opened when the first mail is sent. Once it
    cannot be opened, every further mail fails at once (the claims roll back and the next run
    retries), while recipients without an address still get their notifications."""

    def __init__(self) -> None:
        self.connection = mail.get_connection()
        self.opened = False
        self.down: Exception | None = None

    def send(self, message: mail.EmailMessage) -> None:
        if self.down is not None:
            raise self.down
        if not self.opened:
            try:
                self.connection.open()
            except Exception as exc:
                self.down = exc
                raise
            self.opened = True
        message.connection = self.connection
        message.send()

    def close(self) -> None:
        if self.opened:
            self.connection.close()


# --- claiming and sending ------------------------------------------------------------------------


Entries = list[tuple[ReminderSource, ReminderItem]]


def _claim_then(recipient: User, entries: Entries, *, today: datetime.date, channel: str,
                deliver: Callable[[Entries], None]) -> Entries:  # fmt: skip
    """Claim `entries` for `channel` and `deliver` them in one transaction; return what was
    delivered ([] when another run took it all).

    The claims are inserted without ignoring conflicts: a concurrent run that claimed the same
    (item, recipient, kind, day) makes the insert fail (on PostgreSQL after waiting for that run
    to commit), and the entries are then claimed again without what the other run took. If
    `deliver` raises, the transaction rolls back with its claims, so a retry delivers them.
    """
    for _attempt in range(CLAIM_ATTEMPTS):
        if not entries:
            return []
        try:
            with transaction.atomic():
                ReminderClaim.objects.bulk_create([
                    ReminderClaim(key=item.key, recipient=recipient, day=today,
                                  kind=_claim_kind(source.kind, channel))
                    for source, item in entries
                ])  # fmt: skip
                deliver(entries)
            return entries
        except IntegrityError:
            taken = set(
                ReminderClaim.objects.filter(
                    recipient=recipient, day=today, key__in={item.key for _s, item in entries}
                ).values_list("key", "kind")
            )
            entries = [(source, item) for source, item in entries
                       if (item.key, _claim_kind(source.kind, channel)) not in taken]  # fmt: skip
    raise IntegrityError(f"Could not claim the reminders of user {recipient.pk} for {today}.")


def _post(recipient: User, entries: Entries) -> None:
    """The reminders' notifications: one per item; an unread one about the same item is
    replaced, so an item overdue for a week stays one line of the list, not seven."""
    keys = [item.key for _source, item in entries]
    Notification.objects.filter(recipient=recipient, key__in=keys, read_at__isnull=True).delete()
    Notification.objects.bulk_create([
        row for _source, item in entries
        for row in _rows([recipient.pk], title=item.title, text=item.text, url=item.url,
                         key=item.key)
    ])  # fmt: skip
    _forget_unread([recipient.pk])


def reminders_send(*, today: datetime.date) -> dict[str, int]:
    """Deliver today's reminders of every registered source: one mail per recipient listing
    all its items, and one in-app notification per item.

    Safe to run any number of times a day and after a crash half way: what an earlier run
    delivered today is not delivered again. If some mails fail, the others are still sent and
    the first error is raised at the end (the Celery task retries transient ones). Returns how
    many reminders were delivered per kind, how many mails were sent and how many notifications
    written. The number of queries does not grow with the number of items (the sources' reads,
    today's claims, then two inserts per recipient).

    Call it outside a transaction: each recipient's delivery commits its own claims.
    """
    delivered: Counter[str] = Counter()
    errors: list[Exception] = []
    ReminderClaim.objects.filter(day__lt=today - datetime.timedelta(days=CLAIM_KEEP_DAYS)).delete()
    with translation.override(settings.LANGUAGE_CODE):
        pending = _pending(today=today)
        mailer = _Mailer()
        try:
            for delivery in pending:
                recipient, done = delivery.recipient, {}
                try:
                    posted = _claim_then(
                        recipient,
                        delivery.entries,
                        today=today,
                        channel=APP,
                        deliver=lambda e, r=recipient: _post(r, e),
                    )
                    delivered["notifications"] += len(posted)
                    done.update({(item.key, source.kind): source for source, item in posted})
                    mailed = _claim_then(
                        recipient,
                        delivery.mail_entries,
                        today=today,
                        channel=MAIL,
                        deliver=lambda e, r=recipient: mailer.send(_message(_Delivery(r, e))),
                    )
                    delivered["emails"] += 1 if mailed else 0
                    done.update({(item.key, source.kind): source for source, item in mailed})
                except Exception as exc:  # one failing mail must not stop the others
                    log.exception("Reminders to user %s failed", recipient.pk)
                    errors.append(exc)
                delivered.update(source.kind for source in done.values())
        finally:
            mailer.close()
    if errors:
        raise errors[0]
    return {key: delivered[key] for key in [*ReminderKind.values, "emails", "notifications"]}
