"""What waits for a user: one registry, one page, one badge.

Each app registers its inbox sources in `AppConfig.ready()` (the base imports no app). A source
names what waits for a user (forms to fill, items to review, items past their deadline) as a
scoped queryset, says how a row shows through a few common columns (title, project, owner, due
date, ...), and names the models whose saves change it.

Costs, whatever the number of apps:
- the badge: one query (a `UNION ALL` of every source's rows, counted per source), then cached
  per user; a cached badge is one cache read and no SQL;
- the inbox page: one query (the same union, with the rows' columns), which also refreshes the
  badge;
- the workbench's first rows of each source: one query (the union, ranked per source by a window
  function, so only the first few rows of each source travel), with every source's total, which
  also refreshes the badge.

Invalidation: one global version in the cache, replaced on every save or delete of a registered
model (post_save / post_delete) and by `changed()`, which bulk writes call (bulk_create and
`QuerySet.update()` send no signal). Global rather than per organisation path because a
registered save then costs no query (a per-organisation version would need each saved row's
owner, a join in every write path) and the centre's users, who read every organisation, would be
invalidated by every change anyway; a subsidiary user's badge costs one COUNT query after a
change anywhere, which is what every page cost before the cache. The version is bumped at once
and again after the transaction commits, so a badge another request counted meanwhile (from the
rows as they were) is not kept. A user's entry also carries the day, so a source whose items
depend on the date (past their deadline) is counted again each day.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Count, F, Q, Value, Window
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, RowNumber
from django.db.models.lookups import LessThanOrEqual
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal import notifications
from portal.models import Notification


class Kind(models.TextChoices):
    """How the inbox groups what waits (in this order)."""

    OVERDUE = "overdue", _("Overdue")
    TO_FILL = "to_fill", _("To fill")
    TO_REVIEW = "to_review", _("To review")
    TO_ANSWER = "to_answer", _("To answer")
    TO_FOLLOW = "to_follow", _("To follow up")


# The common shape of a row: every source's queryset is turned into these columns, so that all
# sources go into one UNION ALL. A source maps the ones it has; the others are NULL.
COLUMNS: dict[str, models.Field] = {
    "title": models.CharField(),  # the link's text
    "detail": models.CharField(),  # a short qualifier: the period, the project code
    "project_code": models.CharField(),
    "project_name": models.CharField(),
    "owner": models.CharField(),  # the owning organisation's short name
    "due": models.DateField(),  # the user's deadline, if the item has one
    "at": models.DateTimeField(),  # when it came in (submitted, raised, returned)
    "note": models.TextField(),  # e.g. the reviewer's comment
}
PREFIX = "inbox_"  # column aliases, so they never clash with a model's own field names


@dataclass(frozen=True)
class Link:
    """A button beside a source's heading (e.g. "Excel batch")."""

    label: str | Promise
    url_name: str
    icon: str = ""

    def url(self) -> str:
        return reverse(self.url_name)


@dataclass(frozen=True)
class Source:
    """One kind of thing that waits for a user, registered by the app that owns it.

    key: unique, prefixed by the app ("reporting.to_fill").
    items(user): the rows waiting for `user`, scoped (`Model.objects.for_user(user, action)`),
        or None when the user's role never acts on them (the section is then not shown).
    show: the columns of COLUMNS this source has, each a lookup ("period__due_date") or an
        expression.
    url(row): the link of one row, from its values (`row["pk"]`, ...), without a query.
    present(row): optional; adjusts a row's values for display in Python (e.g. a label).
    models: the models whose saves and deletes change what this source counts.
    """

    key: str
    label: str | Promise
    kind: str
    items: Callable[[Any], models.QuerySet | None]
    show: Mapping[str, str | Combinable]
    url: Callable[[dict], str]
    models: Sequence[type[models.Model]] = ()
    present: Callable[[dict], dict] | None = None
    order: int = 100
    empty: str | Promise = ""  # the text when nothing waits (default: "Nothing waits.")
    note_label: str | Promise = ""
    links: Sequence[Link] = ()
    testid: str = ""  # the section's data-testid suffix (default: the key's last part)

    @property
    def section_id(self) -> str:
        return (self.testid or self.key.rsplit(".", 1)[-1]).replace("_", "-")

    @property
    def has_due(self) -> bool:
        return "due" in self.show

    @property
    def kind_label(self) -> str:
        try:
            return Kind(self.kind).label
        except ValueError:
            return self.kind


@dataclass(frozen=True)
class Item:
    """One row of the inbox, as pages show it."""

    source: Source
    pk: Any
    url: str
    title: str
    detail: str
    project_code: str
    project_name: str
    owner: str
    due: datetime.date | None
    at: datetime.datetime | None
    note: str
    due_state: str  # "overdue", "due_soon" or ""


@dataclass
class Section:
    """One source's part of the inbox for a user: its rows (all, or the first few) and total."""

    source: Source
    items: list[Item] = field(default_factory=list)
    count: int = 0

    @property
    def more(self) -> int:
        return self.count - len(self.items)


_sources: dict[str, Source] = {}


def register(source: Source) -> None:
    """Add a source (from `AppConfig.ready()`); connects its models' save and delete signals."""
    _sources[source.key] = source  # ready() may run twice in tests: the same key replaces
    for model in source.models:
        uid = f"portal.inbox:{model._meta.label}"
        post_save.connect(_model_changed, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(_model_changed, sender=model, weak=False, dispatch_uid=uid)


def unregister(key: str) -> None:
    """Remove a source (tests that register their own)."""
    _sources.pop(key, None)


def sources() -> list[Source]:
    return sorted(_sources.values(), key=lambda s: (s.order, s.key))


# --- invalidation ----------------------------------------------------------------------------

VERSION_KEY = "portal:inbox:version"
COUNTS_TIMEOUT = 24 * 3600
# A cache in this process's memory (the embedded default, no Redis) is not seen by a cron job
# or another worker that changes what the badge counts; there the counts live five minutes
# (as the bell's count does).
LOCAL_COUNTS_TIMEOUT = 300


def counts_timeout() -> int:
    backend = settings.CACHES["default"]["BACKEND"]
    return LOCAL_COUNTS_TIMEOUT if backend.endswith("LocMemCache") else COUNTS_TIMEOUT


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def changed(using: str = DEFAULT_DB_ALIAS) -> None:
    """Something an inbox counts changed (bulk writes call this; saves of registered models
    call it through their signals): every cached badge is stale. Bumps now, and once more after
    the transaction commits."""
    _bump()
    connection = connections[using]
    if connection.in_atomic_block:
        pending = getattr(connection, "run_on_commit", [])
        if not any(entry[1] is _bump for entry in pending):
            transaction.on_commit(_bump, using=using)


def _model_changed(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    changed(using)


def _user_key(user, today: datetime.date) -> str:
    # Role, organisation and functions decide what a user's sources return: a user whose role
    # changes gets a new entry, without bumping everyone's version.
    functions = ",".join(sorted(user.functions or []))
    return (
        f"portal:inbox:counts:{user.pk}:{user.role}:{user.organisation_id}:{functions}:"
        f"{int(user.is_superuser)}:{int(user.is_active)}:{today.isoformat()}"
    )


def _read_cache(user, today: datetime.date) -> tuple[str, dict[str, int] | None]:
    """(the current version, this user's cached counts if they are of that version): one cache
    round trip."""
    key = _user_key(user, today)
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:  # first use, or evicted: start a version (another process may race)
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY) or version
        return version, None
    entry = found.get(key)
    if entry and entry[0] == version:
        return version, entry[1]
    return version, None


def _write_cache(user, today: datetime.date, version: str, counts: dict[str, int]) -> None:
    cache.set(_user_key(user, today), (version, counts), counts_timeout())


# --- reads -----------------------------------------------------------------------------------


def _active(user) -> list[tuple[Source, models.QuerySet]]:
    """The sources that concern `user`, with their scoped querysets (no query yet)."""
    if not user.is_authenticated:
        return []
    result = []
    for source in sources():
        queryset = source.items(user)
        if queryset is not None:
            result.append((source, queryset))
    return result


def _expression(value: str | Combinable) -> Combinable:
    return F(value) if isinstance(value, str) else value


def _rows(
    source: Source, queryset: models.QuerySet, *, columns: bool = True,
    ranks: Mapping[str, Combinable] | None = None,
) -> models.QuerySet:  # fmt: skip
    """`queryset` as rows of the common shape: the source's key, the row's pk, (with `columns`)
    every column of COLUMNS, NULL where the source has none, and the integer `ranks` (window
    annotations of the queryset, or 0)."""
    values: dict[str, Any] = {
        f"{PREFIX}key": Value(source.key, output_field=models.CharField()),
        f"{PREFIX}pk": F("pk"),
    }
    for name, expression in (ranks or {}).items():
        values[f"{PREFIX}{name}"] = expression
    if columns:
        for name, output in COLUMNS.items():
            if name in source.show:
                values[f"{PREFIX}{name}"] = Cast(_expression(source.show[name]), output)
            else:
                values[f"{PREFIX}{name}"] = Cast(Value(None), output)
    return queryset.order_by().values(**values)


def _ordering(source: Source) -> list:
    """A source's rows in the order the inbox lists them: soonest due, oldest first."""
    order = []
    if "due" in source.show:
        order.append(_expression(source.show["due"]).asc(nulls_last=True))
    if "at" in source.show:
        order.append(_expression(source.show["at"]).asc(nulls_last=True))
    if "project_code" in source.show:
        order.append(_expression(source.show["project_code"]).asc())
    order.append(F("pk").asc())
    return order


def _union(parts: list[models.QuerySet]) -> models.QuerySet | None:
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return parts[0].union(*parts[1:], all=True)


def due_state(due: datetime.date | None, today: datetime.date) -> str:
    """ "overdue", "due_soon" (within REMIND_DAYS_BEFORE_DUE) or "" for an item due on `due`."""
    if due is None:
        return ""
    if due < today:
        return "overdue"
    if (due - today).days <= settings.PORTAL["REMIND_DAYS_BEFORE_DUE"]:
        return "due_soon"
    return ""


def _item(source: Source, row: dict, today: datetime.date) -> Item:
    values = {name: row[f"{PREFIX}{name}"] for name in COLUMNS}
    values["pk"] = row[f"{PREFIX}pk"]
    if source.present is not None:
        values = source.present(values)
    return Item(
        source=source,
        pk=values["pk"],
        url=source.url(values),
        title=values["title"] or "",
        detail=values["detail"] or "",
        project_code=values["project_code"] or "",
        project_name=values["project_name"] or "",
        owner=values["owner"] or "",
        due=values["due"],
        at=values["at"],
        note=values["note"] or "",
        due_state=due_state(values["due"], today),
    )


def _sort_key(item: Item) -> tuple:
    due, at = item.due, item.at
    return (
        due is None, due or datetime.date.min, at is None,
        at or datetime.datetime.min.replace(tzinfo=datetime.UTC), item.project_code, item.pk,
    )  # fmt: skip


def counts(user, *, today: datetime.date | None = None) -> dict[str, int]:
    """How many items wait for `user`, per source key (only the sources that concern the user;
    a source with nothing waiting counts 0). Cached: one cache read, and one query when the
    cache is stale."""
    today = today or timezone.localdate()
    version, cached = _read_cache(user, today)
    if cached is not None:
        return cached
    active = _active(user)
    result = {source.key: 0 for source, _qs in active}
    parts = [_rows(source, qs, columns=False) for source, qs in active]
    bell = _unread_rows(user)
    union = _union([*parts, bell] if bell is not None else parts)
    if union is not None:
        # One query: every source's rows, as (key, pk), counted per key by the database; and,
        # when the bell's count is not cached either, the unread notifications in the same
        # statement, so the navigation pays one query for both on a cold cache.
        found = _count_union(union)
        if bell is not None:
            notifications.remember_unread(user, found.pop(UNREAD_KEY, 0))
        result.update(found)
    _write_cache(user, today, version, result)
    return result


UNREAD_KEY = "portal.notifications.unread"


def _unread_rows(user) -> models.QuerySet | None:
    """The user's unread notifications in the union's shape, unless the bell's count is cached."""
    if notifications.cached_unread(user) is not None:
        return None
    return (
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .order_by()
        .values(
            **{
                f"{PREFIX}key": Value(UNREAD_KEY, output_field=models.CharField()),
                f"{PREFIX}pk": F("pk"),
            }
        )
    )


def _count_union(union: models.QuerySet) -> dict[str, int]:
    try:
        sql, params = union.query.sql_with_params()
    except EmptyResultSet:  # every source is empty by construction (e.g. no scope)
        return {}
    with connections[union.db].cursor() as cursor:
        cursor.execute(
            f"SELECT inbox_rows.{PREFIX}key, COUNT(*) FROM ({sql}) inbox_rows "
            f"GROUP BY inbox_rows.{PREFIX}key",
            params,
        )
        return {key: int(total) for key, total in cursor.fetchall()}


def badge(user) -> int:
    """The number beside "My inbox": everything waiting for `user`."""
    return sum(counts(user).values())


# The most rows of one source the inbox page lists (it says how many more wait).
PAGE_LIMIT = 200


def sections(user, *, today: datetime.date | None = None,
             limit: int | None = None) -> list[Section]:  # fmt: skip
    """Every source that concerns `user`, with its first `limit` (PAGE_LIMIT) rows and its
    total: one query (the workbench's, with more rows). Refreshes the badge's cache with the
    totals it read."""
    found, _due = first_rows(user, per_source=limit or PAGE_LIMIT, due_within=0, due_limit=0,
                             today=today)  # fmt: skip
    return found


def first_rows(
    user, *, per_source: int = 5, due_within: int = 7, due_limit: int = 20,
    today: datetime.date | None = None,
) -> tuple[list[Section], list[Item]]:  # fmt: skip
    """The workbench's part of the inbox, in one query: each source's first `per_source` rows
    with its total, and the items due by `due_within` days from today, those already overdue
    included (at most `due_limit`, soonest first). Refreshes the badge's cache with the totals
    it read."""
    today = today or timezone.localdate()
    until = today + datetime.timedelta(days=due_within)
    version, _cached = _read_cache(user, today)
    active = _active(user)
    result = {source.key: Section(source) for source, _qs in active}
    parts = []
    for source, queryset in active:
        # Window functions rank each source's rows and count them; the database filters on the
        # ranks, so only the rows shown travel, whatever the number waiting.
        windows = {
            "rank": Window(RowNumber(), order_by=_ordering(source)),
            "total": Window(Count("pk")),
            "due_rank": Value(0),
        }
        if source.has_due:
            # A second ranking puts the rows due by the window's end first (the overdue ones
            # too: they are the most urgent), soonest first.
            in_window = models.Case(
                models.When(LessThanOrEqual(_expression(source.show["due"]), until),
                            then=Value(0)),
                default=Value(1),
            )  # fmt: skip
            windows["due_rank"] = Window(
                RowNumber(), order_by=[in_window.asc(), *_ordering(source)]
            )
        ranked = queryset.annotate(**{f"{PREFIX}w_{name}": w for name, w in windows.items()})
        keep = Q(**{f"{PREFIX}w_rank__lte": per_source})
        if source.has_due:
            keep |= Q(**{f"{PREFIX}w_due_rank__lte": due_limit})
        ranks = {name: F(f"{PREFIX}w_{name}") for name in windows}
        parts.append(_rows(source, ranked.filter(keep), ranks=ranks))
    due_soon: list[Item] = []
    ranked_items: list[tuple[int, Item]] = []
    union = _union(parts)
    if union is not None:
        for row in union:
            section = result[row[f"{PREFIX}key"]]
            section.count = row[f"{PREFIX}total"]
            item = _item(section.source, row, today)
            if row[f"{PREFIX}rank"] <= per_source:
                ranked_items.append((row[f"{PREFIX}rank"], item))
            if item.due is not None and item.due <= until:
                due_soon.append(item)
    for _rank, item in sorted(ranked_items, key=lambda pair: pair[0]):
        result[item.source.key].items.append(item)
    _write_cache(user, today, version, {key: s.count for key, s in result.items()})
    due_soon.sort(key=_sort_key)
    return list(result.values()), due_soon[:due_limit]
