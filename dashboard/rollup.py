"""Writing the rollup tables from the records.

One function, `write(project_ids, today)`, recomputes the rollups of some projects (or of all,
with None) and of the organisations and years they touch. It is set-based: the heavy part,
summing the accepted reports and comparing the result with the stored rows, is one statement
that keeps only the rows that differ in a temporary table, so a full recompute costs about what
one SQL aggregate over the reports costs (bench/ measures the ratio); then only those rows are
written. Only the current year's rows pass through Python, where the red/amber/green rules run.

Callers (dashboard.services) run it inside one transaction holding the RollupLock rows of the
organisations concerned, so a run is all or nothing: a worker killed half way leaves the tables
as they were, and running twice gives the same rows as running once.

The SQL is plain SQL that PostgreSQL and SQLite (3.39+, for FULL OUTER JOIN) both run.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import reduce

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from dashboard import rules
from dashboard.models import OrgMonth, OrgYear, Pace, ProjectYear, Rag
from portal import figures
from projects.choices import FINISHED_STAGES
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

# The verdict columns of a new ProjectYear row, until the rules have run.
_VERDICT_DEFAULTS = (
    "rag, severity, causes, measures, start_planned, started, finish_planned, finished, "
    "computed_at, verdict"
)


def _defaults_sql() -> tuple[str, list]:
    return (
        f"'{Rag.NONE}', 0, '[]', '{{}}', false, false, false, false, %s, ''",
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


def _exists(sql: str, params: Iterable = ()) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({sql})", list(params))
        return bool(cursor.fetchone()[0])


# --- the steps ----------------------------------------------------------------------------------

# The figures of a ProjectYear row that come from the records in SQL (the rules' verdicts are
# written separately, by _assess_current_year).
FIGURES = [
    "organisation_id", "category", "is_key", "planned", "completed_ytd", "completed_cumulative",
    *MONTH_COLUMNS, "elapsed_pct", "completion_pct", "pace",
]  # fmt: skip
NEW = "dashboard_rollup_new"  # a temporary table, private to the connection


# The largest whole number of fen that a double-precision float holds exactly (2**53), in yuan.
FLOAT_EXACT_YUAN = Decimal(2**53) / 100


def _project_years(ids: Sequence[int] | None, today: datetime.date) -> None:
    """ProjectYear rows of the projects: investment from the accepted reports (one pass over
    them, the twelve months in the same pass), annual plans, a current-year row for every
    project still running, since-start totals and pace. The statement that computes them
    compares them with the stored rows in the same pass and keeps, in a temporary table, only
    the rows that differ; only those are written, so a recompute that finds nothing changed
    writes nothing."""
    floats = connection.vendor == "postgresql"
    _new_figures(ids, today, floats=floats)
    if floats and _exists(f"SELECT 1 FROM {NEW} WHERE completed_ytd >= %s", [FLOAT_EXACT_YUAN]):
        # A year of one project at 90 trillion yuan or more: past what the floats add exactly.
        # Never in a real registry, but the figures must stay exact: sum in integers instead.
        _new_figures(ids, today, floats=False)
    _apply_figures()


def _new_figures(ids: Sequence[int] | None, today: datetime.date, *, floats: bool) -> None:
    """The new figures of the projects' years, into the temporary table NEW."""
    _execute(f"DROP TABLE IF EXISTS {NEW}")
    r_scope, r_params = _in("r.project_id", ids)
    a_scope, a_params = _in("a.project_id", ids)
    p_scope, p_params = _in("p.id", ids)
    y_scope, y_params = _in("project_id", ids)
    # Sums in whole fen (cents): exact. PostgreSQL adds integers far faster than numerics, and
    # double-precision floats faster still: a float holds every whole number up to 2**53
    # exactly and adds two of them exactly while their sum stays under it, so a month's sum of
    # non-negative amounts (a database constraint on the reports) is exact exactly when it is
    # under 2**53, which the caller checks on the year's total. SUM over BIGINT keeps a 128-bit
    # state that PostgreSQL's parallel workers hand over as a numeric: a third of the
    # statement (bench/README.md). SQLite adds integers exactly (and raises on overflow).
    # Back to yuan by multiplying by 0.01: exact, with two decimals, where dividing by 100.0
    # gave numerics of twenty decimals, slower to compute, to store and to compare.
    if connection.vendor != "postgresql":
        fen = "CAST(ROUND(r.investment * 100) AS INTEGER)"
    elif floats:
        fen = "CAST(CAST(r.investment * 100 AS BIGINT) AS DOUBLE PRECISION)"
    else:
        fen = "CAST(r.investment * 100 AS BIGINT)"
    months = ", ".join(
        f"CAST(SUM({fen}) FILTER (WHERE pe.month = {m}) AS BIGINT) AS m{m:02d}"
        for m in range(1, 13)
    )
    # The year's total is the sum of its months (a SUM of its own cost as much as a month).
    total = " + ".join(f"COALESCE(s.m{m:02d}, 0)" for m in range(1, 13))
    elapsed = rules.time_elapsed_pct(today.year, today)
    amber = float(rules.limits()["INVESTMENT_LAG_AMBER"])
    # The completion rate, computed once per row in the layer below (PostgreSQL would compute
    # an expression of a flattened subquery again wherever it is used; numeric division is the
    # costly step).
    rate = "q.rate"
    # Literals from the Stage enum and today's date: the same "finished" as the rules' facts.
    stages = ", ".join(f"'{stage}'" for stage in sorted(FINISHED_STAGES))
    finished_sql = (f"p.stage IN ({stages}) OR (p.actual_finish IS NOT NULL "
                    f"AND p.actual_finish <= '{today.isoformat()}')")  # fmt: skip
    # `sums` is read once, so that PostgreSQL plans it inline with its real size; the keys are
    # the years with accepted reports, the years with a plan, and this year for every project
    # still running (FULL OUTER JOINs rather than a UNION, which would read `sums` twice).
    # CREATE TABLE AS rather than INSERT: PostgreSQL runs it with parallel workers.
    _execute(
        f"""CREATE TEMP TABLE {NEW} AS
            WITH sums AS (
                SELECT r.project_id, pe.year, {months}
                FROM {REPORT} r JOIN {PERIOD} pe ON pe.id = r.period_id
                WHERE r.status = %s{r_scope}
                GROUP BY r.project_id, pe.year),
            fig AS (
            SELECT q.project_id, q.year, q.organisation_id, q.category, q.is_key, q.planned,
                q.completed_ytd, q.completed_cumulative,
                {", ".join(f"q.{m}" for m in MONTH_COLUMNS)},
                q.elapsed_pct,
                CASE WHEN q.planned <= 0 THEN NULL WHEN {rate} >= {MAX_PCT} THEN {MAX_PCT}
                     ELSE ROUND({rate}, 2) END AS completion_pct,
                CASE WHEN q.planned <= 0 THEN '{Pace.NO_PLAN}'
                     WHEN q.elapsed_pct - {rate} < 0 THEN '{Pace.AHEAD}'
                     WHEN q.elapsed_pct - {rate} < %s THEN '{Pace.ON_TRACK}'
                     WHEN q.finished_this_year = 1 THEN '{Pace.ON_TRACK}'
                     ELSE '{Pace.LAGGING}' END AS pace
            FROM (
                SELECT k.project_id, k.year, p.owner_id AS organisation_id, p.category, p.is_key,
                    COALESCE(k.planned, 0) AS planned,
                    COALESCE(k.total, 0) * 0.01 AS completed_ytd,
                    p.opening_investment + SUM(COALESCE(k.total, 0))
                        OVER (PARTITION BY k.project_id ORDER BY k.year) * 0.01
                        AS completed_cumulative,
                    {", ".join(f"COALESCE(k.{m}, 0) * 0.01 AS {m}" for m in MONTH_COLUMNS)},
                    CASE WHEN k.planned > 0 THEN COALESCE(k.total, 0) * 1.0 / k.planned END
                        AS rate,
                    CASE WHEN k.year < %s THEN 100 WHEN k.year = %s THEN %s ELSE 0 END
                        AS elapsed_pct,
                    -- A finished project's year (as the rules see it) spent what it needed:
                    -- less than planned is a saving, not a lag.
                    CASE WHEN k.year = {today.year} AND ({finished_sql}) THEN 1 ELSE 0 END
                        AS finished_this_year
                FROM (
                    SELECT COALESCE(x.project_id, c.id) AS project_id,
                        COALESCE(x.year, c.year) AS year, x.total, x.planned,
                        {", ".join(f"x.{m}" for m in MONTH_COLUMNS)}
                    FROM (
                        SELECT COALESCE(s.project_id, a.project_id) AS project_id,
                            COALESCE(s.year, a.year) AS year, {total} AS total,
                            a.planned_investment AS planned,
                            {", ".join(f"s.{m}" for m in MONTH_COLUMNS)}
                        FROM sums s FULL OUTER JOIN (
                            SELECT a.project_id, a.year, a.planned_investment FROM {PLAN} a
                            WHERE 1 = 1{a_scope}) a
                          ON a.project_id = s.project_id AND a.year = s.year
                    ) x FULL OUTER JOIN (
                        SELECT p.id, %s AS year FROM {PROJECT} p
                        WHERE (p.actual_finish IS NULL OR p.actual_finish >= %s){p_scope}) c
                      ON c.id = x.project_id AND c.year = x.year
                ) k JOIN {PROJECT} p ON p.id = k.project_id
            ) q)
            SELECT f.project_id, f.year, {", ".join(f"f.{c}" for c in FIGURES)}, y.id AS row_id
            FROM fig f FULL OUTER JOIN (
                SELECT * FROM {PY} WHERE 1 = 1{y_scope}) y
              ON y.project_id = f.project_id AND y.year = f.year
            WHERE f.project_id IS NULL OR y.id IS NULL
               OR ({_figures_row("y")}) <> ({_figures_row("f")})""",
        [ReportStatus.ACCEPTED, *r_params, amber, today.year, today.year, elapsed, *a_params,
         today.year, datetime.date(today.year, 1, 1), *p_params, *y_params],
    )  # fmt: skip


def _figures_row(alias: str) -> str:
    """A ProjectYear's figures as a row value that compares with another's (NULL as -1)."""
    return ", ".join(
        f"COALESCE({alias}.{c}, -1)" if c == "completion_pct" else f"{alias}.{c}" for c in FIGURES
    )


def _apply_figures() -> None:
    """Write NEW to ProjectYear: NEW holds only the rows that differ from the stored ones (rows
    gone have no project, rows new no row id), so each statement touches only those."""
    _execute(f"DELETE FROM {PY} WHERE id IN (SELECT row_id FROM {NEW} WHERE project_id IS NULL)")
    _execute(
        f"""UPDATE {PY} AS y SET {", ".join(f"{c} = t.{c}" for c in FIGURES)}
            FROM {NEW} t WHERE t.row_id = y.id AND t.project_id IS NOT NULL"""
    )
    defaults, default_params = _defaults_sql()
    inserted = _execute(
        f"""INSERT INTO {PY} (project_id, year, {", ".join(FIGURES)}, {_VERDICT_DEFAULTS})
            SELECT t.project_id, t.year, {", ".join(f"t.{c}" for c in FIGURES)}, {defaults}
            FROM {NEW} t WHERE t.row_id IS NULL""",
        default_params,
    )
    if inserted > 1000:
        # Many new rows (the first run): fresh statistics, or PostgreSQL would plan the next
        # statements as if the table were still empty (a sequential scan per row updated).
        _analyze(PY)


def _analyze(table: str) -> None:
    if connection.vendor == "postgresql":
        _execute(f"ANALYZE {table}")


def _assess_current_year(ids: Sequence[int] | None, today: datetime.date) -> None:
    """Run the rules on this year's rows and store colour, causes, measures and start/finish,
    writing only the rows whose verdict changed."""
    rows = ProjectYear.objects.filter(year=today.year)
    if ids is not None:
        rows = rows.filter(project_id__in=ids)
    rows = list(rows.values_list(
        "pk", "project_id", "planned", "completed_ytd", "elapsed_pct", "project__code",
        "project__planned_start", "project__actual_start", "project__planned_finish",
        "project__actual_finish", "project__stage", "verdict",
    ))  # fmt: skip
    wanted = None if ids is None else [row[1] for row in rows]
    provided: dict[int, dict] = defaultdict(dict)
    for provider in figures.providers():
        for project_id, values in provider.figures(wanted, today).items():
            provided[project_id].update(values)
    measure_keys = set(figures.measures())
    reports_url = reverse("reporting:list")
    project_url = reverse("projects:detail", args=[0]).replace("/0/", "/%d/")
    year_start, year_end = datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    updates = []
    for (pk, project_id, planned, completed, elapsed, code, planned_start, actual_start,
         planned_finish, actual_finish, stage, old) in rows:  # fmt: skip
        extra = provided.get(project_id, {})
        facts = rules.Facts(
            today=today, planned=planned, completed_ytd=completed, elapsed_pct=elapsed,
            planned_start=planned_start, actual_start=actual_start,
            finished=stage in FINISHED_STAGES or bool(actual_finish and actual_finish <= today),
            reports_url=f"{reports_url}?q={code}", project_url=project_url % project_id,
            extra=extra,
        )  # fmt: skip
        verdict = rules.assess(facts)
        causes = [c.as_json() for c in verdict.causes]
        measures = {k: v for k, v in extra.items() if k in measure_keys and v}
        start_planned = bool(planned_start and year_start <= planned_start <= year_end)
        finish_planned = bool(planned_finish and year_start <= planned_finish <= year_end)
        # Most rows have no cause and no open item: their JSON is known without encoding.
        new = [verdict.rag, verdict.severity,
               json.dumps(causes, ensure_ascii=False) if causes else "[]",
               json.dumps(measures, sort_keys=True) if measures else "{}", start_planned,
               bool(start_planned and actual_start), finish_planned,
               bool(finish_planned and actual_finish)]  # fmt: skip
        digest = hashlib.md5(repr(new).encode(), usedforsecurity=False).hexdigest()
        if digest != old:
            updates.append((pk, *new, digest))
    _update_from_values(updates)


def _update_from_values(updates: list[tuple]) -> None:
    """Write the rules' verdicts with UPDATE ... FROM (VALUES ...), a thousand rows a statement
    (Django's bulk_update builds a CASE per field, quadratic in the batch size)."""
    jsonb = "::jsonb" if connection.vendor == "postgresql" else ""
    for start in range(0, len(updates), 1000):
        batch = updates[start : start + 1000]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch))
        _execute(
            f"""UPDATE {PY} AS y SET rag = v.rag, severity = v.severity,
                    causes = v.causes{jsonb}, measures = v.measures{jsonb},
                    start_planned = v.sp, started = v.st, finish_planned = v.fp,
                    finished = v.fi, verdict = v.verdict
                FROM (VALUES {values})
                    AS v(id, rag, severity, causes, measures, sp, st, fp, fi, verdict)
                WHERE y.id = v.id""" if connection.vendor == "postgresql" else
            f"""UPDATE {PY} AS y SET rag = v.column2, severity = v.column3,
                    causes = v.column4, measures = v.column5, start_planned = v.column6,
                    started = v.column7, finish_planned = v.column8, finished = v.column9,
                    verdict = v.column10
                FROM (VALUES {values}) AS v WHERE y.id = v.column1""",
            [value for row in batch for value in row],
        )  # fmt: skip


CENT = Decimal("0.01")
OY_COUNTS = {
    **{f"rag_{rag.value}": Q(rag=rag) for rag in Rag},
    **{f"pace_{pace.value}": Q(pace=pace) for pace in Pace},
    **{flag: Q(**{flag: True}) for flag in ("start_planned", "started", "finish_planned",
                                            "finished")},
}  # fmt: skip
OY_SUMS = ["planned", "completed_ytd", "completed_cumulative"]


def _organisations(org_ids: Sequence[int] | None, years: Sequence[int] | None,
                   today: datetime.date, cells: Sequence[tuple] | None = None) -> None:  # fmt: skip
    """OrgMonth and OrgYear of these organisations and years (or only of these `cells`:
    (organisation, year, category, key flag)), from their ProjectYear rows (one aggregate over
    them), written as a difference: only cells that changed are touched."""
    scope = Q()
    if org_ids is not None:
        scope &= Q(organisation_id__in=org_ids)
    if years is not None:
        scope &= Q(year__in=years)
    if cells is not None:
        scope &= reduce(operator.or_, [
            Q(organisation_id=o, year=y, category=c, is_key=k) for o, y, c, k in cells
        ], Q(pk__in=[]))  # fmt: skip
    rows = ProjectYear.objects.filter(scope)
    key_fields = ["organisation_id", "year", "category", "is_key"]
    cells = (
        rows.order_by()
        .values(*key_fields)
        .annotate(
            projects=Count("pk"),
            **{name: Sum(name) for name in [*OY_SUMS, *MONTH_COLUMNS]},
            **{name: Count("pk", filter=q) for name, q in OY_COUNTS.items()},
        )
    )
    measures: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if years is None or today.year in years:
        # This year's open and overdue items, summed in Python: their keys come from whichever
        # apps are installed.
        for *key, values in (
            rows.filter(year=today.year).exclude(measures={}).values_list(*key_fields, "measures")
        ):
            for name, value in values.items():
                measures[tuple(key)][name] += value

    def money(value) -> Decimal:
        return Decimal(value or 0).quantize(CENT)

    want_years, want_months = {}, {}
    for cell in cells:
        key = tuple(cell[f] for f in key_fields)
        want_years[key] = {
            "projects": cell["projects"],
            **{name: money(cell[name]) for name in OY_SUMS},
            **{name: cell[name] for name in OY_COUNTS},
            "measures": dict(measures.get(key, {})),
        }
        to_date = Decimal(0)
        for month, column in enumerate(MONTH_COLUMNS, start=1):
            to_date += money(cell[column])
            org, year, category, is_key = key
            want_months[(org, year, month, category, is_key)] = {
                "planned": money(cell["planned"]), "completed": money(cell[column]),
                "completed_ytd": to_date,
            }  # fmt: skip
    _apply(OrgYear, key_fields, want_years, scope)
    _apply(OrgMonth, ["organisation_id", "year", "month", "category", "is_key"], want_months,
           scope)  # fmt: skip


def _apply(model, key_fields: list[str], wanted: dict[tuple, dict], scope: Q) -> None:
    """Make `model`'s rows in `scope` equal `wanted` (key -> values): create, change, delete."""
    fields = list(next(iter(wanted.values()))) if wanted else []
    stale, changed, changed_fields = [], [], set()
    # Tuples, not model instances: building thousands of instances to compare them was a third
    # of this step; an instance is built only for a row that changed.
    width = len(key_fields)
    for pk, *values in model.objects.filter(scope).values_list("pk", *key_fields, *fields):
        values_now = wanted.pop(tuple(values[:width]), None)
        if values_now is None:
            stale.append(pk)
            continue
        differ = [name for name, value in zip(fields, values[width:], strict=True)
                  if values_now[name] != value]  # fmt: skip
        if differ:
            changed.append(model(pk=pk, **values_now))
            changed_fields.update(differ)
    if stale:
        model.objects.filter(pk__in=stale).delete()
    if changed:
        # Only the columns that changed: Django builds a CASE per column, and after one report
        # that is two or three of an OrgYear's twenty (half of the incremental job's time was
        # building the others, bench/README.md).
        model.objects.bulk_update(changed, sorted(changed_fields), batch_size=500)
    model.objects.bulk_create(
        [model(**dict(zip(key_fields, key, strict=True)), **values)
         for key, values in wanted.items()],
        batch_size=2000,
    )  # fmt: skip


def _tune() -> None:
    """On PostgreSQL, give this transaction the memory to aggregate a million reports in one
    hash table (the default 4 MB spills to disk), and no JIT (it costs more than it saves on a
    statement run once)."""
    if connection.vendor == "postgresql":
        _execute("SET LOCAL work_mem = '256MB'")
        _execute("SET LOCAL jit = off")


def write(project_ids: Sequence[int] | None, today: datetime.date) -> int:
    """Recompute the rollups of `project_ids` (None: everything). Returns the number of projects.
    Call inside a transaction that holds the organisations' RollupLock rows."""
    _tune()
    if project_ids is None:
        _project_years(None, today)
        _assess_current_year(None, today)
        _organisations(None, None, today)
        return Project.objects.count()
    ids = sorted(set(project_ids))
    before = _rows_of(ids)
    _project_years(ids, today)
    _assess_current_year(ids, today)
    after = _rows_of(ids)
    # The organisations and years whose totals can have moved: those of the rows that changed,
    # appeared or went (a project handed over changes both subsidiaries).
    touched = set()
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if old != new:
            for values in (old, new):
                if values:  # (organisation, year, category, key flag) of the cell it counts in
                    touched.add((key[1], key[2], values[1], values[2]))
    if touched:
        _organisations(None, None, today, cells=sorted(touched))
    return len(ids)


def _rows_of(ids: Sequence[int]) -> dict[tuple, tuple]:
    """The projects' rollup rows: (project, organisation, year) -> every figure and verdict."""
    columns = [*FIGURES, "rag", "severity", "causes", "measures", "start_planned", "started",
               "finish_planned", "finished"]  # fmt: skip
    return {
        (row[0], row[1], row[2]): row[3:]
        for row in ProjectYear.objects.filter(project_id__in=ids).values_list(
            "project_id", "organisation_id", "year", *columns
        )
    }


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


def equivalent_aggregate(grain: str = "project") -> tuple[int, Decimal]:
    """The single SQL aggregate that computes, straight from the reports, the figures a full
    rollup stores: accepted investment per project, year and month (ProjectYear's month
    columns; every other figure of the rollup is a sum of these). It runs wholly in the
    database, with the rollup's own settings, and returns the number of groups and their total,
    so that the benchmark times the aggregate and not the transfer of a million rows.

    grain="organisation": per subsidiary, year, month, category and key flag instead, the
    coarser query a cockpit without rollups would run; the benchmark reports it beside."""
    keys = {
        "project": "r.project_id, pe.year, pe.month",
        "organisation": "p.owner_id, pe.year, pe.month, p.category, p.is_key",
    }[grain]
    with transaction.atomic():
        _tune()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT COUNT(*), SUM(total) FROM (
                        SELECT {keys}, SUM(r.investment) AS total
                        FROM {REPORT} r JOIN {PERIOD} pe ON pe.id = r.period_id
                        JOIN {PROJECT} p ON p.id = r.project_id
                        WHERE r.status = %s
                        GROUP BY {keys}) q""",
                [ReportStatus.ACCEPTED],
            )
            groups, total = cursor.fetchone()
    return groups, Decimal(total or 0)


def stale_run_cutoff() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=settings.PORTAL["ROLLUP_STALE_MINUTES"])
