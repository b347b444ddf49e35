"""The navigation bar, assembled from what each app registers.

Apps register their entries in `AppConfig.ready()`, so adding an app adds one place and the base
imports no app. Each entry says who sees it; the bar shows a user only what the role may use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

_entries: list[NavEntry] = []


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str  # a lazy translation
    url_name: str
    icon: str
    visible: Callable[[object], bool]
    order: int = 100
    badge: Callable[[object], int] | None = None  # a count shown beside the entry

    def url(self) -> str:
        return reverse(self.url_name)


def register(entry: NavEntry) -> None:
    if any(e.key == entry.key for e in _entries):
        return  # ready() may run twice in tests
    _entries.append(entry)
    _entries.sort(key=lambda e: e.order)


def entries_for(user) -> list[NavEntry]:
    if not user.is_authenticated:
        return []
    return [e for e in _entries if e.visible(user)]
