"""The cockpit's figures as plain data: what the API answers and the wall display draws.

Built from the same selector results the page and the Excel export show (dashboard.selectors),
so every number is the page's number. Amounts are yuan as decimal strings (the API's money
convention); percentages are points; counts are integers.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.urls import reverse

from dashboard import rules, selectors
from dashboard.models import ProjectYear
from portal import figures


def money(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def pct(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def totals(t: selectors.Totals) -> dict[str, Any]:
    return {
        "projects": t.projects,
        "planned": money(t.planned),
        "completed_ytd": money(t.completed_ytd),
        "completion_pct": pct(t.completion_pct),
        "completed_cumulative": money(t.completed_cumulative),
        "rag": {f"{key}": count for key, _label, count in selectors.rag_counts(t)},
        "pace": {f"{key}": count for key, _label, count in selectors.pace_counts(t)},
        "start_planned": t.start_planned,
        "started": t.started,
        "start_rate": pct(t.start_rate),
        "finish_planned": t.finish_planned,
        "finished": t.finished,
        "finish_rate": pct(t.finish_rate),
    }


def cause(item: dict[str, Any]) -> dict[str, Any]:
    return {"rule": item.get("rule", ""), "level": item.get("level", ""),
            "text": rules.describe(item), "numbers": item.get("params") or {},
            "url": item.get("url") or ""}  # fmt: skip


def project_row(row: ProjectYear, year: int) -> dict[str, Any]:
    project = row.project
    leader = project.assigned_leader
    return {
        "id": project.pk,
        "code": project.code,
        "name": project.name,
        "owner": project.owner.code,
        "owner_name": project.owner.short_name,
        "assigned_leader": leader.get_full_name() if leader else "",
        "rag": row.rag,
        "pace": row.pace,
        "planned": money(row.planned),
        "completed_ytd": money(row.completed_ytd),
        "completion_pct": pct(row.completion_pct),
        "causes": [cause(c) for c in row.causes],
        "url": f"{reverse('dashboard:project', args=[project.pk])}?year={year}",
    }


def months(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"month": m["month"], "completed": money(m["completed"]),
             "completed_ytd": money(m["completed_ytd"]),
             "planned_to_date": money(m["planned_to_date"])} for m in items]  # fmt: skip


def measures(items: list[tuple[figures.Measure, int]]) -> list[dict[str, Any]]:
    return [{"key": m.key, "label": str(m.label), "value": value} for m, value in items]


def filters(f: selectors.Filters) -> dict[str, Any]:
    return {"year": f.year, "organisation": f.organisation.code if f.organisation else None,
            "category": f.category, "is_key": f.is_key}  # fmt: skip


def summary(cockpit: selectors.Cockpit, *, cards: list[dict], version: int,
            data_as_of: datetime.datetime | None) -> dict[str, Any]:  # fmt: skip
    """The cockpit of one scope and set of filters: what the page shows, as data."""
    year = cockpit.filters.year
    return {
        "version": version,
        "data_as_of": data_as_of.isoformat() if data_as_of else None,
        "as_of": cockpit.as_of.isoformat(),
        "filters": filters(cockpit.filters),
        "elapsed_pct": pct(cockpit.elapsed_pct),
        "totals": totals(cockpit.totals),
        "forecast": money(cockpit.forecast),
        "forecast_pct": pct(cockpit.forecast_pct) if cockpit.forecast is not None else None,
        "key_projects": totals(cockpit.key_totals),
        "open_items": measures(cockpit.measures),
        # Every function card the page shows, whatever apps register them.
        "function_cards": [
            {
                "key": c["key"],
                "label": str(c["label"]),
                "module": str(c["module"]),
                "available": c["available"],
                "values": c["values"],
                "text": c["text"],
            }
            for c in cards
        ],
        "subsidiaries": [
            {"code": org.code, "name": org.name, "short_name": org.short_name, **totals(t)}
            for org, t in cockpit.by_organisation
        ],
        "monthly": months(cockpit.months),
        "red_total": cockpit.red_total,
        "red_list": [project_row(row, year) for row in cockpit.red_list],
    }


def project(data: selectors.ProjectCockpit, *, year: int, elapsed_pct,
            data_as_of: datetime.datetime | None) -> dict[str, Any]:  # fmt: skip
    p, row = data.project, data.row
    leader = p.assigned_leader
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "owner": p.owner.code,
        "owner_name": p.owner.short_name,
        "assigned_leader": leader.get_full_name() if leader else "",
        "year": year,
        "data_as_of": data_as_of.isoformat() if data_as_of else None,
        "elapsed_pct": pct(elapsed_pct),
        "rag": row.rag if row else None,
        "pace": row.pace if row else None,
        "planned": money(row.planned) if row else None,
        "completed_ytd": money(row.completed_ytd) if row else None,
        "completion_pct": pct(row.completion_pct) if row else None,
        "completed_cumulative": money(row.completed_cumulative) if row else None,
        "causes": [cause(c) for c in row.causes] if row else [],
        "open_items": measures(data.measures),
        "monthly": months(data.months),
    }
