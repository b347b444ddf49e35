"""Panels and links other apps add to a record's page, without the page's app importing them
(NetBox's template extensions, for this portal).

The registry's project page, for instance, shows the project's progress reports (reporting) and
links to its cockpit page (dashboard): apps that sit above `projects` and that `projects` must not
import. Each app registers in `AppConfig.ready()`:

    panels.register(Panel(model="projects.Project", key="reporting.reports", order=10,
                          template="reporting/partials/project_reports.html",
                          context=lambda request, obj: {...}))
    panels.register(Link(model="projects.Project", key="dashboard.cockpit", label=_("Cockpit"),
                         url=lambda request, obj: reverse(...), icon="bi-speedometer2"))

The page renders `{% record_panels obj %}` and `{% record_links obj %}`. A panel's context
function reads what it shows (scoped to the user: it receives the request) with a fixed number
of queries; a link costs none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise


@dataclass(frozen=True)
class Panel:
    model: str  # "app_label.ModelName" of the page's record
    key: str
    template: str
    context: Callable[[Any, models.Model], dict | None]  # None: nothing to show for this user
    order: int = 100


@dataclass(frozen=True)
class Link:
    model: str
    key: str
    label: str | Promise
    url: Callable[[Any, models.Model], str | None]  # None: no link for this user
    icon: str = ""
    order: int = 100


_entries: dict[str, Panel | Link] = {}


def register(entry: Panel | Link) -> None:
    _entries[entry.key] = entry


def unregister(key: str) -> None:
    _entries.pop(key, None)


def _for(obj: models.Model, kind: type) -> list:
    label = obj._meta.label
    found = [e for e in _entries.values() if isinstance(e, kind) and e.model == label]
    return sorted(found, key=lambda e: (e.order, e.key))


def panels_for(request, obj: models.Model) -> list[tuple[Panel, dict]]:
    result = []
    for panel in _for(obj, Panel):
        context = panel.context(request, obj)
        if context is not None:
            result.append((panel, context))
    return result


def links_for(request, obj: models.Model) -> list[tuple[Link, str]]:
    result = []
    for link in _for(obj, Link):
        url = link.url(request, obj)
        if url:
            result.append((link, url))
    return result
