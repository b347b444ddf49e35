"""The rollup tables recomputed in plain Python from the records, without dashboard.rollup:
what the cockpit should show, to compare the rollups with.

The definitions are those of the issue and DOMAIN.md, written out independently:
- a project has a row for every year with an accepted report or an annual plan, and for the
  current year unless it finished before that year began;
- investment counts only from accepted reports, in the month of their period (ten-day reports
  in their month); since-start figures add the investment made before the portal;
- the time-elapsed plan of the current year is the share of months whose report is due (months
  before this one), past years 100, future years 0;
- pace compares the completion rate with it: ahead when above, on track when less than the
  amber limit behind, lagging otherwise, no plan without a plan;
- organisations are the projects' current owners; rows split by category and key flag.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from dashboard.models import OrgMonth, OrgYear, ProjectYear
from projects.choices import FINISHED_STAGES
from projects.models import AnnualPlan, Milestone, Project
from reporting.choices import CoordinationStatus, ItemStatus, ReportStatus
from reporting.models import CoordinationItem, ProgressReport, ReportProblem

ZERO = Decimal("0.00")
CENTS = Decimal("0.01")
MONTHS = [f"m{m:02d}" for m in range(1, 13)]
PY_FIELDS = [
    "organisation_id", "category", "is_key", "planned", "completed_ytd", "completed_cumulative",
    *MONTHS, "elapsed_pct", "completion_pct", "pace", "start_planned", "started",
    "finish_planned", "finished", "measures",
]  # fmt: skip
OY_SUMS = ["planned", "completed_ytd", "completed_cumulative"]
OY_COUNTS = [
    "projects", "rag_green", "rag_amber", "rag_orange", "rag_red", "rag_none", "pace_ahead",
    "pace_on_track", "pace_lagging", "pace_no_plan", "start_planned", "started",
    "finish_planned", "finished",
]  # fmt: skip


def _elapsed(year, today) -> Decimal:
    if year < today.year:
        return Decimal("100.00")
    if year > today.year:
        return ZERO
    return (Decimal(100 * (today.month - 1)) / 12).quantize(CENTS, ROUND_HALF_UP)


def _measures(today) -> dict[int, dict[str, int]]:
    """Open items per project, counted straight from the records."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for m in Milestone.objects.filter(actual_date__isnull=True):
        counts[m.project_id]["milestones_open"] += 1
        if m.deadline < today:
            counts[m.project_id]["milestones_overdue"] += 1
    late = ProgressReport.objects.filter(status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED])
    for r in late.select_related("period"):
        if r.period.due_date < today:
            counts[r.project_id]["reports_late"] += 1
    for p in ReportProblem.objects.filter(status=ItemStatus.OPEN).select_related("report"):
        counts[p.report.project_id]["problems_open"] += 1
        if p.deadline and p.deadline < today:
            counts[p.report.project_id]["problems_overdue"] += 1
    for c in CoordinationItem.objects.filter(status=CoordinationStatus.OPEN):
        counts[c.project_id]["coordination_open"] += 1
    return {pk: {k: v for k, v in found.items() if v} for pk, found in counts.items()}


def project_years(today) -> dict[tuple[int, int], dict]:
    """{(project id, year): the ProjectYear figures} (colour left out: see `rags`)."""
    projects = {p.pk: p for p in Project.objects.all()}
    months: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [ZERO] * 12)
    for r in ProgressReport.objects.filter(status=ReportStatus.ACCEPTED).select_related("period"):
        months[(r.project_id, r.period.year)][r.period.month - 1] += r.investment
    plans = {(a.project_id, a.year): a.planned_investment for a in AnnualPlan.objects.all()}
    keys = set(months) | set(plans)
    keys |= {(pk, today.year) for pk, p in projects.items()
             if p.actual_finish is None or p.actual_finish.year >= today.year}  # fmt: skip
    measures = _measures(today)
    amber = Decimal(str(settings.PORTAL["RAG"]["INVESTMENT_LAG_AMBER"]))
    rows = {}
    for pk, year in keys:
        p = projects[pk]
        done = months.get((pk, year), [ZERO] * 12)
        planned = plans.get((pk, year), ZERO)
        ytd = sum(done, ZERO)
        elapsed = _elapsed(year, today)
        if planned > 0:
            rate = ytd * 100 / planned
            lag = elapsed - rate
            pace = "ahead" if lag < 0 else ("on_track" if lag < amber else "lagging")
            finished = p.stage in FINISHED_STAGES or bool(
                p.actual_finish and p.actual_finish <= today
            )
            if pace == "lagging" and finished and year == today.year:
                pace = "on_track"  # a finished project spent what it needed
            completion = rate.quantize(CENTS, ROUND_HALF_UP)
        else:
            pace, completion = "no_plan", None
        this_year = year == today.year

        def within(day, year=year):
            return day is not None and day.year == year

        start_planned = this_year and within(p.planned_start)
        finish_planned = this_year and within(p.planned_finish)
        rows[(pk, year)] = {
            "organisation_id": p.owner_id, "category": p.category, "is_key": p.is_key,
            "planned": planned, "completed_ytd": ytd,
            **{name: value for name, value in zip(MONTHS, done, strict=True)},
            "elapsed_pct": elapsed, "completion_pct": completion, "pace": pace,
            "start_planned": start_planned, "started": start_planned and bool(p.actual_start),
            "finish_planned": finish_planned,
            "finished": finish_planned and bool(p.actual_finish),
            "measures": measures.get(pk, {}) if this_year else {},
        }  # fmt: skip
    for pk, p in projects.items():
        running = p.opening_investment
        for year in sorted(y for q, y in rows if q == pk):
            running += rows[(pk, year)]["completed_ytd"]
            rows[(pk, year)]["completed_cumulative"] = running
    return rows


def org_months(py_rows) -> dict[tuple, dict]:
    """{(organisation id, year, month, category, key): planned, completed, completed_ytd}."""
    cells: dict[tuple, dict] = {}
    for (_pk, year), row in py_rows.items():
        to_date = ZERO
        for month in range(1, 13):
            key = (row["organisation_id"], year, month, row["category"], row["is_key"])
            cell = cells.setdefault(key, {"planned": ZERO, "completed": ZERO,
                                          "completed_ytd": ZERO})  # fmt: skip
            to_date += row[MONTHS[month - 1]]
            cell["planned"] += row["planned"]
            cell["completed"] += row[MONTHS[month - 1]]
            cell["completed_ytd"] += to_date
    return cells


def org_years(py_rows, rags: dict[tuple[int, int], str]) -> dict[tuple, dict]:
    """{(organisation id, year, category, key): counts and sums}; `rags` are the colours of the
    project years (the rollup's ProjectYear.rag, checked separately)."""
    cells: dict[tuple, dict] = {}
    for (pk, year), row in py_rows.items():
        key = (row["organisation_id"], year, row["category"], row["is_key"])
        cell = cells.setdefault(key, {**dict.fromkeys(OY_SUMS, ZERO),
                                      **dict.fromkeys(OY_COUNTS, 0), "measures": {}})  # fmt: skip
        cell["projects"] += 1
        for name in OY_SUMS:
            cell[name] += row[name]
        cell[f"rag_{rags[(pk, year)]}"] += 1
        cell[f"pace_{row['pace']}"] += 1
        for name in ("start_planned", "started", "finish_planned", "finished"):
            cell[name] += int(row[name])
        for name, value in row["measures"].items():
            cell["measures"][name] = cell["measures"].get(name, 0) + value
    return cells


# --- the rollup tables, in the same shapes -------------------------------------------------------


def actual_project_years() -> dict[tuple[int, int], dict]:
    return {(r.pop("project_id"), r.pop("year")): r
            for r in ProjectYear.objects.values("project_id", "year", *PY_FIELDS)}  # fmt: skip


def actual_rags() -> dict[tuple[int, int], str]:
    return {(pk, year): rag for pk, year, rag in
            ProjectYear.objects.values_list("project_id", "year", "rag")}  # fmt: skip


def actual_org_months() -> dict[tuple, dict]:
    return {
        (r.pop("organisation_id"), r.pop("year"), r.pop("month"), r.pop("category"),
         r.pop("is_key")): r
        for r in OrgMonth.objects.values("organisation_id", "year", "month", "category",
                                         "is_key", "planned", "completed", "completed_ytd")
    }  # fmt: skip


def actual_org_years() -> dict[tuple, dict]:
    return {
        (r.pop("organisation_id"), r.pop("year"), r.pop("category"), r.pop("is_key")): r
        for r in OrgYear.objects.values("organisation_id", "year", "category", "is_key",
                                        *OY_SUMS, *OY_COUNTS, "measures")
    }  # fmt: skip


def assert_rollups_match_records(today) -> None:
    """Every rollup table equals its recomputation from the records."""
    expected = project_years(today)
    assert actual_project_years() == expected
    assert actual_org_months() == org_months(expected)
    assert actual_org_years() == org_years(expected, actual_rags())
