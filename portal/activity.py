"""What changed on a user's projects: a registry of activity sources, read in one query.

Each app registers, in `AppConfig.ready()`, the workflow events of its records (a report
submitted, a permit granted, a finding closed) as an `ActivitySource`: a function giving the
events a user may see since a time, scoped to the user's projects, and the columns a line of the
feed shows. The workbench unions every source into one query, newest first, limited; adding an
app adds no query.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import F, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast

# The common shape of an event line; a source maps every column (project ones may be NULL).
COLUMNS: dict[str, models.Field] = {
    "at": models.DateTimeField(),
    "actor": models.CharField(),  # the person's name
    "action": models.CharField(),  # a code; `present` turns it into its label
    "title": models.CharField(),  # the record: "JC-2026-001 2026-10", a finding's subject
    "project_code": models.CharField(),
    "project_name": models.CharField(),
    "ref": models.IntegerField(),  # the record's pk, for its URL
}
PREFIX = "activity_"


@dataclass(frozen=True)
class ActivitySource:
    """One app's workflow events.

    events(user, since): the events of records on projects `user` may see, at or after `since`,
        leaving out the user's own (already scoped; no ordering needed).
    show: every column of COLUMNS, as a lookup or an expression on the events' model.
    url(row): the link of one line, from its values (no query).
    present(row): optional; adjusts the values for display (e.g. the action's label).
    """

    key: str
    events: Callable[[Any, datetime.datetime], models.QuerySet]
    show: Mapping[str, str | Combinable]
    url: Callable[[dict], str]
    present: Callable[[dict], dict] | None = None


@dataclass(frozen=True)
class Event:
    """One line of the feed."""

    key: str
    at: datetime.datetime
    actor: str
    action: str
    title: str
    project_code: str
    project_name: str
    url: str


_sources: dict[str, ActivitySource] = {}


def register(source: ActivitySource) -> None:
    _sources[source.key] = source  # ready() may run twice in tests: the same key replaces


def unregister(key: str) -> None:
    _sources.pop(key, None)


def _rows(source: ActivitySource, queryset: models.QuerySet) -> models.QuerySet:
    values: dict[str, Any] = {f"{PREFIX}key": Value(source.key, output_field=models.CharField())}
    for name, output in COLUMNS.items():
        value = source.show.get(name)
        if value is None:
            values[f"{PREFIX}{name}"] = Cast(Value(None), output)
        else:
            values[f"{PREFIX}{name}"] = Cast(F(value) if isinstance(value, str) else value, output)
    return queryset.order_by().values(**values)


def recent(user, *, since: datetime.datetime, limit: int = 20) -> list[Event]:
    """The newest `limit` events since `since` on `user`'s projects, from every source: one
    query (none when no source is registered)."""
    if not user.is_authenticated or not _sources:
        return []
    parts = [_rows(source, source.events(user, since)) for source in _sources.values()]
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    result = []
    for row in union.order_by(f"-{PREFIX}at")[:limit]:
        source = _sources[row[f"{PREFIX}key"]]
        values = {name: row[f"{PREFIX}{name}"] for name in COLUMNS}
        if source.present is not None:
            values = source.present(values)
        result.append(
            Event(
                key=source.key,
                at=values["at"],
                actor=values["actor"] or "",
                action=values["action"] or "",
                title=values["title"] or "",
                project_code=values["project_code"] or "",
                project_name=values["project_name"] or "",
                url=source.url(values),
            )
        )
    return result
