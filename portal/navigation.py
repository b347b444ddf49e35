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


def items_for(user, path: str) -> list[dict]:
    """The entries `user` may use, each with its URL, its badge and whether it is the current
    one. One entry at most is current: the one whose URL is the longest prefix of `path`, so
    that an entry under another's URL (/reports/excel/ under /reports/) lights alone."""
    entries = [(entry, entry.url()) for entry in entries_for(user)]
    current = max((url for _, url in entries if path.startswith(url)), key=len, default=None)
    return [
        {
            "entry": entry,
            "url": url,
            "active": url == current,
            "badge": entry.badge(user) if entry.badge else None,
        }
        for entry, url in entries
    ]
