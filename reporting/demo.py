"""Demo step of progress reporting: monthly reports drawn around each project's monthly
budget (projects.demo.monthly_budget, the same budget its annual plans add up), with realistic
lags (most projects keep to their budget, some lag, a few badly), ten-day reports for the key
projects the centre follows closely, progress texts that fit the category and the progress.
Statuses follow the due dates as of `today`: this period's forms are open, an ended period not
yet due is partly filed, the last due period's forms are mostly in (a few late), older ones
accepted. Bulk inserts, no per-row services, so the same step scales to the benchmark data set.

`--months` sets the length of the history. In a long one (more than the default 18 months)
key projects report per ten days for the last year: `--projects 10000 --months 100` gives just
over a million reports. Projects are generated and inserted `CHUNK` at a time, so memory stays
bounded whatever the size."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from portal.choices import Role
from portal.demo import CHUNK, DemoContext, insert
from projects.choices import Category, Stage
from projects.demo import PRELIMINARY_RATE, month_index, monthly_budget
from projects.models import Project
from reporting.choices import CoordinationStatus, PeriodKind, ReportAction, ReportStatus
from reporting.models import CoordinationItem, ProgressReport, ReportEvent, ReportProblem
from reporting.services import period_for

TEN_DAY_MONTHS_LONG = 12  # in a long history, key projects report per ten days for a year
INVESTING = {Stage.CONSTRUCTION, Stage.COMPLETED, Stage.IN_OPERATION}
PROBLEMS = [
    ("征地拆迁尚有3户未签约，影响管线迁改", "区征收办"),
    ("施工图审查意见未闭合，需设计单位修改", "设计单位"),
    ("雨季影响土方外运，工期滞后约15天", "施工单位"),
    ("电力迁改方案待供电公司批复", "供电公司"),
    ("材料价格上涨，需调整合同价款", "造价咨询单位"),
]
COORDINATION = [
    ("协调供电公司加快10kV线路迁改", "现有10kV线路位于红线内，需供电公司出具迁改方案。"),
    ("协调区政府加快剩余地块征收", "剩余3户未签约，影响主线施工。"),
    ("请集团协调专项债资金拨付", "本季度资金缺口约2000万元。"),
    ("协调交警部门审批施工围挡及交通导改", "导改方案已报送，尚未批复。"),
]
PROGRESS_TEXTS = [
    "主体结构施工",
    "桩基施工",
    "管网铺设",
    "二次结构砌筑",
    "装饰装修",
    "附属工程施工",
    "路基路面施工",
]
PRELIMINARY_TEXTS = {
    Stage.PRELIMINARY: "前期手续办理中",
    Stage.DESIGN: "施工图设计中",
    Stage.TENDERING: "施工招标准备中",
}


def generate(ctx: DemoContext) -> None:
    rng, today = ctx.rng, ctx.today
    projects: list[Project] = ctx.data.get("projects") or list(Project.objects.all())
    long = ctx.long_history
    with_events = len(projects) <= 2000
    officer = ctx.users.get("officer")
    reporters = {u.organisation_id: u for u in ctx.users.values() if u.role == Role.REPORTER}
    months = [period_for(kind=PeriodKind.MONTH, day=start) for start in ctx.month_starts()]
    window_start = months[0].start
    # The latest period whose forms were due by today: most of its forms are in.
    due_monthly = max((p for p in months if p.due_date < today), key=lambda p: p.start,
                      default=None)  # fmt: skip

    # Key projects in construction report per ten days from the start of the last month (a
    # long history: of the last year).
    ten_daily = [p for p in projects if p.is_key and p.stage == Stage.CONSTRUCTION
                 and rng.random() < 0.5]  # fmt: skip
    ten_daily_ids = {p.pk for p in ten_daily}
    ten_day_months = min(TEN_DAY_MONTHS_LONG, len(months) - 1) if long else 1
    ten_day_periods, day = [], months[-ten_day_months].start
    while day <= today:
        period = period_for(kind=PeriodKind.TEN_DAY, day=day)
        ten_day_periods.append(period)
        day = period.end + datetime.timedelta(days=1)
    due_ten_day = max((p for p in ten_day_periods if p.due_date < today), key=lambda p: p.start,
                      default=None)  # fmt: skip
    Project.objects.filter(pk__in=ten_daily_ids).update(reports_ten_daily=True)
    review = REVIEW_LONG if long else REVIEW

    counts = dict.fromkeys(["reports", "problems", "items", "events"], 0)
    for first in range(0, len(projects), CHUNK):
        chunk = projects[first : first + CHUNK]
        reports, opening = [], []
        for project in chunk:
            # Most projects keep to their budget; some lag (amber), a few badly (red). Finished
            # projects kept to theirs.
            performance = 1.0
            if project.stage == Stage.CONSTRUCTION:
                performance = rng.choices(PERFORMANCE, PERFORMANCE_WEIGHTS)[0]
                performance *= rng.uniform(0.97, 1.03)
            started = project.actual_start
            finished = project.actual_finish
            if started and started < window_start:
                elapsed = (window_start - started).days / max(
                    1, (project.planned_finish - project.planned_start).days
                )
                project.opening_investment = (
                    project.total_investment * Decimal(min(0.9, elapsed * performance))
                ).quantize(Decimal("10000"))
                opening.append(project)
            ten_day = project.pk in ten_daily_ids
            periods = months[:-ten_day_months] if ten_day else months
            if ten_day:
                periods = periods + ten_day_periods
            texts = PROGRESS_BY_CATEGORY.get(project.category, PROGRESS_BUILDING)
            span = max(1, (project.planned_finish - project.planned_start).days)
            for period in periods:
                if finished and period.start > finished:
                    break
                budget = monthly_budget(project, month_index(period.start))
                if period.kind == PeriodKind.TEN_DAY:
                    budget = budget / 3
                if project.stage in INVESTING and started and period.end >= started:
                    investment = budget * Decimal(performance * rng.uniform(0.85, 1.15))
                    done = (min(period.end, finished or period.end) - started).days
                    progress = (
                        Decimal(100)
                        if finished and period.end >= finished
                        else min(Decimal(99), Decimal(max(1, 100 * done / span * performance)))
                    )
                    progress = progress.quantize(Decimal("1"))
                    text = texts[min(len(texts) - 1, int(progress) * len(texts) // 100)]
                    if progress == 100:
                        text = "竣工验收" if project.stage == Stage.COMPLETED else "交付使用"
                else:  # preliminary work, close to its budget
                    base = project.total_investment * PRELIMINARY_RATE
                    if period.kind == PeriodKind.TEN_DAY:
                        base = base / 3
                    investment = base * Decimal(rng.uniform(0.8, 1.2))
                    progress = Decimal(0)
                    text = PRELIMINARY_TEXTS.get(project.stage, "前期工作")
                due = due_ten_day if period.kind == PeriodKind.TEN_DAY else due_monthly
                reports.append(_report(rng, project, period, investment, progress, text,
                                       today=today, review=review,
                                       is_previous=period is due, officer=officer,
                                       reporter=reporters.get(project.owner_id)))  # fmt: skip
        Project.objects.bulk_update(opening, ["opening_investment"], batch_size=1000)
        insert(ProgressReport, reports)
        _details(rng, ctx, reports, officer=officer, with_events=with_events, counts=counts)
        counts["reports"] += len(reports)
        if len(projects) > CHUNK:
            ctx.log(
                f"  {min(first + CHUNK, len(projects))} projects, {counts['reports']} reports …"
            )
    ctx.log(
        f"  {len(months)} monthly and {len(ten_day_periods)} ten-day periods, "
        f"{counts['reports']} reports, {counts['problems']} problems, "
        f"{counts['items']} coordination items"
    )


def _details(rng, ctx: DemoContext, reports, *, officer, with_events: bool, counts) -> None:
    """The problems, coordination items and workflow events of `reports` (already saved)."""
    today = ctx.today
    problems, items, events = [], [], []
    now = timezone.now()
    for report in reports:
        if report.status == ReportStatus.DRAFT and report.investment == 0:
            continue
        if rng.random() < 0.12:
            text, unit = rng.choice(PROBLEMS)
            problems.append(ReportProblem(
                report=report, description=text, responsible_unit=unit,
                responsible_person=rng.choice(["张伟", "李娜", "王磊", "赵敏"]),
                deadline=report.period.end + datetime.timedelta(days=rng.randint(10, 45)),
                status="resolved" if report.status == ReportStatus.ACCEPTED
                and report.period.end < today - datetime.timedelta(days=60) else "open",
            ))  # fmt: skip
        if rng.random() < 0.05 and report.period.end > today - datetime.timedelta(days=120):
            subject, detail = rng.choice(COORDINATION)
            answered = report.status == ReportStatus.ACCEPTED and rng.random() < 0.5
            items.append(CoordinationItem(
                report=report, project_id=report.project_id, subject=subject, detail=detail,
                status=CoordinationStatus.ANSWERED if answered else CoordinationStatus.OPEN,
                answer="已召开专题协调会，明确责任单位和完成时限。" if answered else "",
                answered_by=officer if answered else None, answered_at=now if answered else None,
                assignee=officer if answered or rng.random() < 0.5 else None,
            ))  # fmt: skip
        if with_events and report.submitted_by_id:
            events.append(
                ReportEvent(
                    report=report,
                    action=ReportAction.SUBMIT,
                    actor_id=report.submitted_by_id,
                    at=report.submitted_at,
                    from_state=ReportStatus.DRAFT,
                    to_state=ReportStatus.SUBMITTED,
                )
            )
            if report.status in (ReportStatus.RETURNED, ReportStatus.ACCEPTED):
                action = (
                    ReportAction.RETURN
                    if report.status == ReportStatus.RETURNED
                    else ReportAction.ACCEPT
                )
                events.append(
                    ReportEvent(
                        report=report,
                        action=action,
                        actor=officer,
                        at=report.reviewed_at,
                        comment=report.review_comment,
                        from_state=ReportStatus.SUBMITTED,
                        to_state=report.status,
                    )
                )
    insert(ReportProblem, problems)
    insert(CoordinationItem, items)
    insert(ReportEvent, events, batch_size=5000)
    counts["problems"] += len(problems)
    counts["items"] += len(items)
    counts["events"] += len(events)


# The last due period's forms: a roll above the first share stays a draft (late), above the
# second is returned (late too), above the third submitted and waiting for the centre, the rest
# accepted. A long history's subsidiaries report more punctually still.
REVIEW = (0.975, 0.955, 0.80)
REVIEW_LONG = (0.99, 0.98, 0.85)
# A form whose period has ended but is not due yet: a roll above this share is still a draft.
FILING = 0.45
# Performance of projects in construction against their budget, with weights.
PERFORMANCE = [0.5, 0.62, 0.8, 0.9, 1.0, 1.05, 1.1]
PERFORMANCE_WEIGHTS = [4, 3, 10, 12, 45, 16, 10]
RETURN_COMMENTS = [
    "本期完成投资与形象进度不匹配，请核实。",
    "请补充存在问题的责任人和完成时限。",
    "年累计完成投资超过年度计划，请在情况说明中说明原因。",
]
# The works a progress text names, in the order they happen, per category.
PROGRESS_BUILDING = ["桩基施工", "基础施工", "主体结构施工", "二次结构砌筑", "装饰装修",
                     "室外配套工程施工"]  # fmt: skip
PROGRESS_BY_CATEGORY = {
    Category.ROAD: ["管线迁改", "路基施工", "管网铺设", "路面结构层施工", "交通设施及附属工程施工"],
    Category.BRIDGE: ["桩基施工", "承台墩柱施工", "箱梁预制架设", "桥面系施工",
                      "附属工程及引道施工"],
    Category.RIVER: ["围堰导流", "清淤疏浚", "护岸施工", "截污管网铺设", "生态修复及景观施工"],
    Category.SEWAGE: ["管网铺设", "构筑物土建施工", "设备安装", "联动调试"],
    Category.PARK: ["场地平整及土方造型", "园路铺装", "绿化种植", "景观小品施工"],
    Category.RENOVATION: ["管网改造", "屋面防水及外立面改造", "道路及停车位改造", "景观提升"],
    Category.ENERGY: ["管网铺设", "换热站土建施工", "设备安装", "调试运行"],
}  # fmt: skip


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _report(rng, project, period, investment, progress, text, *, today, review, is_previous,
            reporter, officer) -> ProgressReport:  # fmt: skip
    """One report with a status that fits where its period is: this period's forms are open
    (most not started), an ended period not yet due is partly filed, the last due period's
    forms are mostly in (a few late, some waiting for review), older ones accepted."""
    report = ProgressReport(
        project=project, period=period, investment=Decimal(investment).quantize(Decimal("0.01")),
        progress_pct=progress if project.stage in INVESTING else None, progress_text=text,
        next_steps="按计划推进下阶段工作，加强现场调度。",
    )  # fmt: skip
    if period.end >= today:
        if rng.random() < 0.7:  # not started yet
            report.investment, report.progress_pct, report.progress_text = Decimal(0), None, ""
            report.next_steps = ""
        return report
    if period.due_date >= today:
        if rng.random() > FILING:
            return report  # filled, to be submitted by its due date
        roll = rng.uniform(0, review[1])  # submitted, some accepted already
    else:
        roll = rng.random() if is_previous else 0.0
    draft, returned, submitted = review
    if roll > draft:
        return report  # a draft, filled but not yet submitted: late
    report.status = ReportStatus.ACCEPTED
    if roll > returned:
        report.status = ReportStatus.RETURNED
        report.review_comment = rng.choice(RETURN_COMMENTS)
    elif roll > submitted:
        report.status = ReportStatus.SUBMITTED
    submitted_on = min(period.due_date - datetime.timedelta(days=rng.randint(0, 3)),
                       today - datetime.timedelta(days=1))  # fmt: skip
    report.submitted_at = _at(max(period.end + datetime.timedelta(days=1), submitted_on), 10)
    report.submitted_by = reporter
    if report.status != ReportStatus.SUBMITTED:
        report.reviewed_at = min(report.submitted_at + datetime.timedelta(days=rng.randint(1, 3)),
                                 _at(today, 9))  # fmt: skip
        report.reviewed_by = officer
    return report
