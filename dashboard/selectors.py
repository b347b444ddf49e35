"""Reads of the cockpit: only rollup tables and small indexed queries, scoped to the reader.

A fixed number of queries whatever the size of the group (tests and bench/ assert it): the
organisation and year cells are summed in Python (a few hundred rows), the red list and the map
are bounded by settings.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from dashboard import rules
from dashboard.db import read_alias
from dashboard.models import RAG_ORDER, ROLLUP_POLICY, OrgMonth, OrgYear, Pace, ProjectYear, Rag
from portal import figures
from portal.access import Action, get_for_user, organisations_for
from portal.models import Organisation, User
from projects.models import Project

ZERO = Decimal(0)
COUNTERS = [
    "projects", "planned", "completed_ytd", "completed_cumulative",
    "rag_green", "rag_amber", "rag_orange", "rag_red", "rag_none",
    "pace_ahead", "pace_on_track", "pace_lagging", "pace_no_plan",
    "start_planned", "started", "finish_planned", "finished",
]  # fmt: skip


@dataclass(frozen=True)
class Filters:
    year: int
    organisation: Organisation | None = None  # None: everything the reader sees
    category: str = ""
    is_key: bool | None = None

    def apply(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.filter(year=self.year)
        if self.organisation is not None:
            queryset = queryset.filter(organisation__path__startswith=self.organisation.path)
        if self.category:
            queryset = queryset.filter(category=self.category)
        if self.is_key is not None:
            queryset = queryset.filter(is_key=self.is_key)
        return queryset


@dataclass
class Totals:
    """The cockpit's figures for one level: the group, a subsidiary, or a row of a table."""

    values: dict[str, Any] = field(default_factory=lambda: defaultdict(int))
    measures: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, cell: OrgYear) -> None:
        for name in COUNTERS:
            self.values[name] = self.values.get(name, 0) + getattr(cell, name)
        for key, value in (cell.measures or {}).items():
            self.measures[key] += value

    def __getattr__(self, name: str) -> Any:
        if name in COUNTERS:
            return self.values[name]
        raise AttributeError(name)

    @property
    def completion_pct(self) -> Decimal | None:
        return rules.completion_pct(self.planned, self.completed_ytd)

    @staticmethod
    def _rate(done, planned) -> Decimal | None:
        return (Decimal(done) * 100 / planned).quantize(Decimal("0.1")) if planned else None

    @property
    def start_rate(self) -> Decimal | None:
        return self._rate(self.started, self.start_planned)

    @property
    def finish_rate(self) -> Decimal | None:
        return self._rate(self.finished, self.finish_planned)


@dataclass
class Cockpit:
    filters: Filters
    as_of: datetime.date
    elapsed_pct: Decimal
    totals: Totals
    key_totals: Totals  # the key projects among them
    by_organisation: list[tuple[Organisation, Totals]]
    months: list[dict[str, Any]]  # per month: completed, completed_ytd, planned_to_date
    forecast: Decimal | None  # year-end completion at this pace
    red_list: list[ProjectYear]
    map_points: list[dict[str, Any]]
    measures: list[tuple[figures.Measure, int]]

    @property
    def forecast_pct(self) -> Decimal | None:
        return rules.completion_pct(self.totals.planned, self.forecast or ZERO)

    @property
    def red_total(self) -> int:
        """How many projects are in red or orange, of which `red_list` shows the worst: the
        organisation cells' counts, so no query (the same rollup run wrote both tables)."""
        return self.totals.rag_red + self.totals.rag_orange


def may_open_cockpit(user: User) -> bool:
    """Whether `user` reads some organisation's rollups: not a user without a role."""
    return ROLLUP_POLICY.may_take_somewhere(user, Action.VIEW)


def visible_subsidiaries(user: User) -> QuerySet[Organisation]:
    """The subsidiaries whose cockpit `user` may open: all for leadership and the centre, their
    own for a subsidiary's staff, none for anyone else (portal.access decides)."""
    return (organisations_for(user, Action.VIEW, ROLLUP_POLICY).using(read_alias())
            .filter(kind="subsidiary").order_by("order", "code"))  # fmt: skip


def years(user: User) -> list[int]:
    return list(OrgYear.objects.using(read_alias()).for_user(user).order_by("-year")
                .values_list("year", flat=True).distinct())  # fmt: skip


def _months_counted(year: int, as_of: datetime.date) -> int:
    return 12 if year < as_of.year else (0 if year > as_of.year else as_of.month - 1)


def cockpit(*, user: User, filters: Filters, as_of: datetime.date | None = None,
            with_map: bool = True) -> Cockpit:  # fmt: skip
    """The cockpit's figures for `user`'s scope and `filters`. `with_map=False`: without the
    map's points (the page loads them apart: `map_points`)."""
    as_of = as_of or timezone.localdate()
    db = read_alias()
    cells = list(filters.apply(OrgYear.objects.using(db).for_user(user))
                 .select_related("organisation").order_by("organisation__order",
                                                          "organisation__code"))  # fmt: skip
    totals, key_totals, per_org = Totals(), Totals(), {}
    for cell in cells:
        totals.add(cell)
        if cell.is_key:
            key_totals.add(cell)
        org = cell.organisation
        per_org.setdefault(org.pk, (org, Totals()))[1].add(cell)

    counted = _months_counted(filters.year, as_of)
    month_values = defaultdict(lambda: [ZERO, ZERO])
    for month, completed, to_date in filters.apply(OrgMonth.objects.using(db).for_user(user)) \
            .values_list("month", "completed", "completed_ytd"):  # fmt: skip
        month_values[month][0] += completed
        month_values[month][1] += to_date
    months = [
        {
            "month": m,
            "completed": month_values[m][0] if m <= counted else None,
            "completed_ytd": month_values[m][1] if m <= counted else None,
            "planned_to_date": totals.planned * m / 12,
        }
        for m in range(1, 13)
    ]
    # The run rate of the months whose reports are due (a ten-day report of the current month
    # counts in the year's total, not in the pace).
    forecast = (month_values[counted][1] * 12 / counted) if counted else None
    if counted == 12:
        forecast = totals.completed_ytd

    projects = filters.apply(ProjectYear.objects.using(db).for_user(user))
    red_list = list(
        projects.filter(rag__in=[Rag.RED, Rag.ORANGE])
        .select_related("project__owner", "project__assigned_leader")
        .order_by("-severity", "project__code")[: settings.PORTAL["COCKPIT_RED_LIST"]]
    )
    points = map_points(user=user, filters=filters) if with_map else []
    measures = [(m, totals.measures.get(m.key, 0)) for m in _open_item_measures()]
    return Cockpit(
        filters=filters,
        as_of=as_of,
        elapsed_pct=rules.time_elapsed_pct(filters.year, as_of),
        totals=totals,
        key_totals=key_totals,
        by_organisation=list(per_org.values()),
        months=months,
        forecast=forecast,
        red_list=red_list,
        map_points=points,
        measures=measures,
    )


def map_points(*, user: User, filters: Filters) -> list[dict[str, Any]]:
    """The projects on the map, the worst first, up to PORTAL_COCKPIT_MAP_POINTS."""
    return list(
        filters.apply(ProjectYear.objects.using(read_alias()).for_user(user))
        .filter(project__latitude__isnull=False)
        .order_by("-severity", "project__code")
        .values("project_id", "project__code", "project__name", "project__latitude",
                "project__longitude", "rag")[: settings.PORTAL["COCKPIT_MAP_POINTS"]]
    )  # fmt: skip


def _open_item_measures() -> list[figures.Measure]:
    """The registered measures that count items (the "open items" list); amounts such as
    contract sums feed the function cards instead."""
    return [m for m in figures.measures().values() if not m.amount]


@dataclass
class OrgFigureSection:
    """One organisation-keyed provider's figures for the reader's scope: a row per subsidiary
    (display strings, in the provider's column order) and, for several, the group's total."""

    title: str
    measures: tuple[figures.Measure, ...]
    rows: list[tuple[Organisation, list[str]]]
    raw: list[tuple[Organisation, dict[str, Any]]]  # the values as given, for the export
    total: list[str] | None


def org_figures(*, organisations: list[Organisation], filters: Filters,
                as_of: datetime.date) -> list[OrgFigureSection]:  # fmt: skip
    """The organisation-keyed providers' figures (portal.figures.OrgFigureProvider) for the
    subsidiaries in scope: `organisations` are those the reader may see, narrowed to the
    filter's subtree. No provider registered: no section and no query."""
    providers = figures.org_providers()
    if not providers:
        return []
    if filters.organisation is not None:
        organisations = [o for o in organisations if filters.organisation.contains(o)]
    ids = [o.pk for o in organisations]
    sections = []
    for provider in providers:
        found = provider.figures(ids, filters.year, as_of) if ids else {}
        raw = [(o, found[o.pk]) for o in organisations if o.pk in found]
        rows = [(o, [m.display(values.get(m.key)) for m in provider.measures])
                for o, values in raw]  # fmt: skip
        total = None
        if len(raw) > 1:
            total = [m.display(_sum([values.get(m.key) for _o, values in raw]))
                     if m.summed else "—" for m in provider.measures]  # fmt: skip
        sections.append(OrgFigureSection(title=provider.title, measures=provider.measures,
                                         rows=rows, raw=raw, total=total))  # fmt: skip
    return sections


def _sum(values: list[Any]) -> Any:
    numbers = [v for v in values
               if isinstance(v, int | float | Decimal) and not isinstance(v, bool)]  # fmt: skip
    return sum(numbers) if numbers else None


def organisation_projects(*, user: User, filters: Filters, limit: int = 100) -> list[ProjectYear]:
    """A subsidiary's projects at the drill-down's second level, the worst first."""
    return list(
        filters.apply(ProjectYear.objects.using(read_alias()).for_user(user))
        .select_related("project__owner", "project__assigned_leader")  # the export names the owner
        .order_by("-severity", "project__code")[:limit]
    )


@dataclass
class ProjectCockpit:
    project: Project
    row: ProjectYear | None
    as_of: datetime.date
    months: list[dict[str, Any]]
    measures: list[tuple[figures.Measure, int]]


def project_cockpit(*, user: User, pk: int, year: int,
                    as_of: datetime.date | None = None) -> ProjectCockpit:  # fmt: skip
    as_of = as_of or timezone.localdate()
    db = read_alias()
    project = get_for_user(Project.objects.using(db).select_related("owner", "assigned_leader"),
                           user, pk, Action.VIEW)  # fmt: skip
    row = ProjectYear.objects.using(db).filter(project=project, year=year).first()
    counted = _months_counted(year, as_of)
    months, to_date = [], ZERO
    for m in range(1, 13):
        value = getattr(row, f"m{m:02d}") if row else ZERO
        to_date += value
        months.append({
            "month": m,
            "completed": value if m <= counted else None,
            "completed_ytd": to_date if m <= counted else None,
            "planned_to_date": (row.planned if row else ZERO) * m / 12,
        })  # fmt: skip
    values = row.measures if row else {}
    measures = [(m, values.get(m.key, 0)) for m in _open_item_measures()]
    return ProjectCockpit(project=project, row=row, as_of=as_of, months=months, measures=measures)


def rag_counts(totals: Totals) -> list[tuple[str, str, int]]:
    """(key, label, count) in display order, worst first."""
    return [(str(rag.value), str(rag.label), totals.values[f"rag_{rag.value}"])
            for rag in reversed(RAG_ORDER)]  # fmt: skip


def pace_counts(totals: Totals) -> list[tuple[str, str, int]]:
    return [(str(p.value), str(p.label), totals.values[f"pace_{p.value}"]) for p in Pace]
