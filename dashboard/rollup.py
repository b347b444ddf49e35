"""Writing the rollup tables from the records.

One function, `write(project_ids, today)`, recomputes the rollups of some projects (or of all,
with None) and of the organisations and years they touch. It is set-based: the heavy part, summing
the accepted reports, is one INSERT ... SELECT over the reports, so a full recompute costs about
what one SQL aggregate over the reports costs (bench/ measures the ratio). Only the current year's
rows pass through Python, where the red/amber/green rules run.

Callers (dashboard.services) run it inside one transaction holding the RollupLock rows of the
organisations concerned, so a run is all or nothing: a worker killed half way leaves the tables
as they were, and running twice gives the same rows as running once.

The SQL is plain SQL that PostgreSQL and SQLite (3.33+, for UPDATE ... FROM) both run.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from dashboard import rules
from dashboard.models import OrgMonth, OrgYear, Pace, ProjectYear, Rag
from portal import figures
from projects.models import AnnualPlan, Project
from reporting.choices import ReportStatus
from reporting.models import ProgressReport, ReportingPeriod

PY = ProjectYear._meta.db_table
OM = OrgMonth._meta.db_table
OY = OrgYear._meta.db_table
PROJECT = Project._meta.db_table
PLAN = AnnualPlan._meta.db_table
REPORT = ProgressReport._meta.db_table
PERIOD = ReportingPeriod._meta.db_table
MONTH_COLUMNS = [f"m{m:02d}" for m in range(1, 13)]
MAX_PCT = "999999.99"  # the largest ProjectYear.completion_pct

# Columns of a fresh ProjectYear row other than those the statements below fill.
_ROW_DEFAULTS = (
    "elapsed_pct, completion_pct, pace, rag, severity, causes, measures, "
    "start_planned, started, finish_planned, finished, computed_at"
)


def _defaults_sql() -> tuple[str, list]:
    return (
        f"0, NULL, '{Pace.NO_PLAN}', '{Rag.NONE}', 0, '[]', '{{}}', false, false, false, false, %s",
        [timezone.now()],
    )


def _in(column: str, ids: Sequence[int] | None) -> tuple[str, list]:
    """` AND column IN (...)` for a scope, or nothing for everything."""
    if ids is None:
        return "", []
    if not ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _execute(sql: str, params: Iterable = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


# --- the steps ----------------------------------------------------------------------------------


def _project_years(ids: Sequence[int] | None, today: datetime.date) -> None:
    """ProjectYear rows of the projects: investment from the accepted reports, annual plans,
    a current-year row for every project still running, cumulative and pace."""
    scope, scope_params = _in("project_id", ids)
    _execute(f"DELETE FROM {PY} WHERE 1 = 1{scope}", scope_params)
    defaults, default_params = _defaults_sql()
    months = ", ".join(
        f"SUM(CASE WHEN pe.month = {m} THEN r.investment ELSE 0 END)" for m in range(1, 13)
    )
    scope, scope_params = _in("r.project_id", ids)
    _execute(
        f"""INSERT INTO {PY} (project_id, year, organisation_id, category, is_key, planned,
                completed_ytd, completed_cumulative, {", ".join(MONTH_COLUMNS)}, {_ROW_DEFAULTS})
            SELECT r.project_id, pe.year, p.owner_id, p.category, p.is_key, 0,
                SUM(r.investment), 0, {months}, {defaults}
            FROM {REPORT} r
            JOIN {PERIOD} pe ON pe.id = r.period_id
            JOIN {PROJECT} p ON p.id = r.project_id
            WHERE r.status = %s{scope}
            GROUP BY r.project_id, pe.year, p.owner_id, p.category, p.is_key""",
        [*default_params, ReportStatus.ACCEPTED, *scope_params],
    )
    zeros = ", ".join(["0"] * 12)
    missing = f"NOT EXISTS (SELECT 1 FROM {PY} y WHERE y.project_id = p.id AND y.year = %s)"
    # Years with a plan and no accepted report yet.
    scope, scope_params = _in("a.project_id", ids)
    _execute(
        f"""INSERT INTO {PY} (project_id, year, organisation_id, category, is_key, planned,
                completed_ytd, completed_cumulative, {", ".join(MONTH_COLUMNS)}, {_ROW_DEFAULTS})
            SELECT a.project_id, a.year, p.owner_id, p.category, p.is_key, 0, 0, 0, {zeros},
                {defaults}
            FROM {PLAN} a JOIN {PROJECT} p ON p.id = a.project_id
            WHERE NOT EXISTS (SELECT 1 FROM {PY} y WHERE y.project_id = a.project_id
                              AND y.year = a.year){scope}""",
        [*default_params, *scope_params],
    )
    # This year: every project not finished before it, so that the rules see it.
    scope, scope_params = _in("p.id", ids)
    _execute(
        f"""INSERT INTO {PY} (project_id, year, organisation_id, category, is_key, planned,
                completed_ytd, completed_cumulative, {", ".join(MONTH_COLUMNS)}, {_ROW_DEFAULTS})
            SELECT p.id, %s, p.owner_id, p.category, p.is_key, 0, 0, 0, {zeros}, {defaults}
            FROM {PROJECT} p
            WHERE (p.actual_finish IS NULL OR p.actual_finish >= %s) AND {missing}{scope}""",
        [today.year, *default_params, datetime.date(today.year, 1, 1), today.year,
         *scope_params],
    )  # fmt: skip
    scope, scope_params = _in("y.project_id", ids)
    _execute(
        f"""UPDATE {PY} AS y SET planned = a.planned_investment
            FROM {PLAN} a WHERE a.project_id = y.project_id AND a.year = y.year{scope}""",
        scope_params,
    )
    scope, scope_params = _in("project_id", ids)
    _execute(
        f"""UPDATE {PY} AS y SET completed_cumulative = p.opening_investment + s.running
            FROM (SELECT id, SUM(completed_ytd) OVER (PARTITION BY project_id ORDER BY year)
                  AS running FROM {PY} WHERE 1 = 1{scope}) s, {PROJECT} p
            WHERE s.id = y.id AND p.id = y.project_id""",
        scope_params,
    )
    # The time-elapsed plan, the completion rate and the pace against it.
    elapsed = rules.time_elapsed_pct(today.year, today)
    amber = Decimal(str(rules.limits()["INVESTMENT_LAG_AMBER"]))
    scope, scope_params = _in("project_id", ids)
    _execute(
        f"""UPDATE {PY} SET elapsed_pct = CASE WHEN year < %s THEN 100 WHEN year = %s THEN %s
                ELSE 0 END WHERE 1 = 1{scope}""",
        [today.year, today.year, elapsed, *scope_params],
    )
    rate = "(completed_ytd * 100.0 / planned)"
    # A plan typed in the wrong unit (100 yuan against millions done) must not overflow the
    # column (8 digits) and fail the whole run: such a rate is stored as 999999.99.
    _execute(
        f"""UPDATE {PY} SET
                completion_pct = CASE WHEN planned <= 0 THEN NULL
                                      WHEN {rate} >= {MAX_PCT} THEN {MAX_PCT}
                                      ELSE ROUND({rate}, 2) END,
                pace = CASE WHEN planned <= 0 THEN '{Pace.NO_PLAN}'
                            WHEN elapsed_pct - {rate} < 0 THEN '{Pace.AHEAD}'
                            WHEN elapsed_pct - {rate} < %s THEN '{Pace.ON_TRACK}'
                            ELSE '{Pace.LAGGING}' END
            WHERE 1 = 1{scope}""",
        [float(amber), *scope_params],
    )


def _assess_current_year(ids: Sequence[int] | None, today: datetime.date) -> None:
    """Run the rules on this year's rows and store colour, causes, measures and start/finish."""
    rows = ProjectYear.objects.filter(year=today.year)
    if ids is not None:
        rows = rows.filter(project_id__in=ids)
    rows = list(rows.values_list(
        "pk", "project_id", "planned", "completed_ytd", "elapsed_pct", "project__code",
        "project__planned_start", "project__actual_start", "project__planned_finish",
        "project__actual_finish",
    ))  # fmt: skip
    wanted = None if ids is None else [row[1] for row in rows]
    provided: dict[int, dict] = defaultdict(dict)
    for provider in figures.providers():
        for project_id, values in provider.figures(wanted, today).items():
            provided[project_id].update(values)
    measure_keys = set(figures.measures())
    reports_url = reverse("reporting:list")
    year_start, year_end = datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    updates = []
    for (pk, project_id, planned, completed, elapsed, code, planned_start, actual_start,
         planned_finish, actual_finish) in rows:  # fmt: skip
        extra = provided.get(project_id, {})
        facts = rules.Facts(
            today=today, planned=planned, completed_ytd=completed, elapsed_pct=elapsed,
            planned_start=planned_start, actual_start=actual_start,
            reports_url=f"{reports_url}?q={code}",
            project_url=reverse("projects:detail", args=[project_id]), extra=extra,
        )  # fmt: skip
        verdict = rules.assess(facts)
        measures = {k: v for k, v in extra.items() if k in measure_keys and v}
        start_planned = bool(planned_start and year_start <= planned_start <= year_end)
        finish_planned = bool(planned_finish and year_start <= planned_finish <= year_end)
        updates.append((
            pk, verdict.rag, verdict.severity,
            json.dumps([c.as_json() for c in verdict.causes], ensure_ascii=False),
            json.dumps(measures), start_planned, bool(start_planned and actual_start),
            finish_planned, bool(finish_planned and actual_finish),
        ))  # fmt: skip
    _update_from_values(updates)


def _update_from_values(updates: list[tuple]) -> None:
    """Write the rules' verdicts with UPDATE ... FROM (VALUES ...), a thousand rows a statement
    (Django's bulk_update builds a CASE per field, quadratic in the batch size)."""
    jsonb = "::jsonb" if connection.vendor == "postgresql" else ""
    for start in range(0, len(updates), 1000):
        batch = updates[start : start + 1000]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch))
        _execute(
            f"""UPDATE {PY} AS y SET rag = v.rag, severity = v.severity,
                    causes = v.causes{jsonb}, measures = v.measures{jsonb},
                    start_planned = v.sp, started = v.st, finish_planned = v.fp, finished = v.fi
                FROM (VALUES {values}) AS v(id, rag, severity, causes, measures, sp, st, fp, fi)
                WHERE y.id = v.id""" if connection.vendor == "postgresql" else
            f"""UPDATE {PY} AS y SET rag = v.column2, severity = v.column3,
                    causes = v.column4, measures = v.column5, start_planned = v.column6,
                    started = v.column7, finish_planned = v.column8, finished = v.column9
                FROM (VALUES {values}) AS v WHERE y.id = v.column1""",
            [value for row in batch for value in row],
        )  # fmt: skip


def _organisations(org_ids: Sequence[int] | None, years: Sequence[int] | None,
                   today: datetime.date) -> None:  # fmt: skip
    """OrgMonth and OrgYear of these organisations and years, from their ProjectYear rows."""
    scope, scope_params = _in("organisation_id", org_ids)
    year_scope, year_params = _in("year", years)
    for table in (OM, OY):
        _execute(f"DELETE FROM {table} WHERE 1 = 1{scope}{year_scope}",
                 [*scope_params, *year_params])  # fmt: skip
    months = " UNION ALL ".join(f"SELECT {m} AS m" for m in range(1, 13))
    this_month = " ".join(f"WHEN {m} THEN y.m{m:02d}" for m in range(1, 13))
    to_date = " + ".join(f"CASE WHEN mm.m >= {m} THEN y.m{m:02d} ELSE 0 END" for m in range(1, 13))
    y_scope, y_params = _in("y.organisation_id", org_ids)
    y_years, y_year_params = _in("y.year", years)
    _execute(
        f"""INSERT INTO {OM} (organisation_id, year, month, category, is_key, planned, completed,
                completed_ytd)
            SELECT y.organisation_id, y.year, mm.m, y.category, y.is_key, SUM(y.planned),
                SUM(CASE mm.m {this_month} END), SUM({to_date})
            FROM {PY} y CROSS JOIN ({months}) mm
            WHERE 1 = 1{y_scope}{y_years}
            GROUP BY y.organisation_id, y.year, mm.m, y.category, y.is_key""",
        [*y_params, *y_year_params],
    )

    def count(column: str, value) -> str:
        literal = f"'{value}'" if isinstance(value, str) else ("true" if value else "false")
        return f"SUM(CASE WHEN y.{column} = {literal} THEN 1 ELSE 0 END)"

    _execute(
        f"""INSERT INTO {OY} (organisation_id, year, category, is_key, projects, planned,
                completed_ytd, completed_cumulative, rag_green, rag_amber, rag_orange, rag_red,
                rag_none, pace_ahead, pace_on_track, pace_lagging, pace_no_plan, start_planned,
                started, finish_planned, finished, measures)
            SELECT y.organisation_id, y.year, y.category, y.is_key, COUNT(*), SUM(y.planned),
                SUM(y.completed_ytd), SUM(y.completed_cumulative),
                {count("rag", Rag.GREEN)}, {count("rag", Rag.AMBER)},
                {count("rag", Rag.ORANGE)}, {count("rag", Rag.RED)}, {count("rag", Rag.NONE)},
                {count("pace", Pace.AHEAD)}, {count("pace", Pace.ON_TRACK)},
                {count("pace", Pace.LAGGING)}, {count("pace", Pace.NO_PLAN)},
                {count("start_planned", True)}, {count("started", True)},
                {count("finish_planned", True)}, {count("finished", True)}, '{{}}'
            FROM {PY} y
            WHERE 1 = 1{y_scope}{y_years}
            GROUP BY y.organisation_id, y.year, y.category, y.is_key""",
        [*y_params, *y_year_params],
    )
    if years is not None and today.year not in years:
        return
    # The measures of this year (open and overdue items): summed per organisation in Python,
    # as their keys come from whichever apps are installed.
    totals: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    this_year = ProjectYear.objects.filter(year=today.year).exclude(measures={})
    if org_ids is not None:
        this_year = this_year.filter(organisation_id__in=org_ids)
    for org, category, is_key, measures in this_year.values_list(
        "organisation_id", "category", "is_key", "measures"
    ):
        for key, value in measures.items():
            totals[(org, category, is_key)][key] += value
    if not totals:
        return
    cells = OrgYear.objects.filter(year=today.year, organisation_id__in={k[0] for k in totals})
    changed = []
    for cell in cells:
        found = totals.get((cell.organisation_id, cell.category, cell.is_key))
        if found:
            cell.measures = dict(found)
            changed.append(cell)
    OrgYear.objects.bulk_update(changed, ["measures"], batch_size=500)


def write(project_ids: Sequence[int] | None, today: datetime.date) -> int:
    """Recompute the rollups of `project_ids` (None: everything). Returns the number of projects.
    Call inside a transaction that holds the organisations' RollupLock rows."""
    if project_ids is None:
        _project_years(None, today)
        _assess_current_year(None, today)
        _organisations(None, None, today)
        return Project.objects.count()
    ids = sorted(set(project_ids))
    before = set(ProjectYear.objects.filter(project_id__in=ids)
                 .values_list("organisation_id", "year"))  # fmt: skip
    _project_years(ids, today)
    _assess_current_year(ids, today)
    after = set(ProjectYear.objects.filter(project_id__in=ids)
                .values_list("organisation_id", "year"))  # fmt: skip
    touched = before | after
    _organisations(sorted({o for o, _ in touched}), sorted({y for _, y in touched}), today)
    return len(ids)


def write_organisations(org_ids: Sequence[int], today: datetime.date) -> None:
    """Recompute the organisation tables of these organisations, every year."""
    _organisations(sorted(set(org_ids)), None, today)


def organisations_of(project_ids: Sequence[int] | None) -> list[int]:
    """The organisations whose rollups a run over these projects may write: their owners now,
    and the owners their rollup rows name (a project may have changed hands)."""
    if project_ids is None:
        from portal.models import Organisation

        return list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    owners = set(Project.objects.filter(pk__in=project_ids).values_list("owner_id", flat=True))
    owners |= set(ProjectYear.objects.filter(project_id__in=project_ids)
                  .values_list("organisation_id", flat=True))  # fmt: skip
    return sorted(owners)


def equivalent_aggregate() -> list[tuple]:
    """The single SQL aggregate a cockpit without rollups would run for the same figures:
    accepted investment per subsidiary, year and month, straight from the reports. The
    benchmark times it against a full rollup."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT p.owner_id, pe.year, pe.month, p.category, p.is_key, SUM(r.investment)
                FROM {REPORT} r JOIN {PERIOD} pe ON pe.id = r.period_id
                JOIN {PROJECT} p ON p.id = r.project_id
                WHERE r.status = %s
                GROUP BY p.owner_id, pe.year, pe.month, p.category, p.is_key""",
            [ReportStatus.ACCEPTED],
        )
        return cursor.fetchall()


def stale_run_cutoff() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.PORTAL["ROLLUP_STALE_MINUTES"])
