"""Demo step of design management: stages, cost chains and design changes that agree with each
project's stage (projects.choices.Stage).

- Stages: a project in preliminary work has at most its scheme in progress; one in design has
  the scheme (and perhaps the preliminary design) done and the next stage running; one in
  tendering has its drawings reviewed and the briefing pending; one in construction or finished
  has every stage done. Planned dates are worked back from the construction start; actual dates
  never lie in the future.
- Cost chains: the feasibility estimate (估算) is the project's total investment, the approved
  estimate (概算) is the registry's, the budget (预算) a little under it once the drawings are
  done. Three projects overrun: two with a 概算 12–16 % over the 估算, one with a 预算 over the
  概算 (amber on the cockpit, not a crisis).
- Changes on projects under construction or finished, of each tier, in believable amounts with
  Chinese reasons; most approved, a few waiting at each tier (on running projects only), some
  returned or in draft. Tiers come from `design.rules.tier_for`, the rule the pages use.

Deterministic for a seed and date; inserted in chunks (`portal.demo.insert`), so the same step
serves the 10,000-project benchmark.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from design.choices import STAGE_ORDER, ChangeKind, ChangeStatus, StageKind, StageOutcome, Tier
from design.models import CostChain, DesignChange, DesignChangeEvent, DesignRules, DesignStage
from design.rules import tier_for
from portal.choices import Role
from portal.demo import CHUNK, DemoContext, insert
from projects.choices import Stage
from projects.models import Project

DESIGNERS = [
    "滨江市政工程设计研究总院有限公司",
    "滨江市建筑设计研究院有限公司",
    "中南建筑设计院股份有限公司",
    "滨江水务规划设计研究院有限公司",
    "华东交通设计咨询有限公司",
]
REVIEW_AGENCY = "滨江市施工图审查中心"
CENTRE = "集团项目管理中心设计管理部"
# Days before the construction start: (planned start, planned finish) of each stage.
WINDOWS = {
    StageKind.SCHEME: (480, 390),
    StageKind.PRELIMINARY: (380, 250),
    StageKind.DRAWINGS: (240, 90),
    StageKind.REVIEW: (85, 40),
    StageKind.BRIEFING: (30, 12),
}
REASONS = [
    ("地下管线迁改导致基础形式调整", ChangeKind.DESIGN_CHANGE),
    ("地质勘察揭示软弱土层，桩长加深", ChangeKind.DESIGN_CHANGE),
    ("使用单位提出功能调整，增设无障碍设施", ChangeKind.DESIGN_CHANGE),
    ("消防审查意见要求增设机械排烟系统", ChangeKind.DESIGN_CHANGE),
    ("道路标高与现状地块衔接调整", ChangeKind.DESIGN_CHANGE),
    ("雨季基坑积水抽排及边坡加固", ChangeKind.SITE_INSTRUCTION),
    ("现场发现废弃人防工程，需回填处理", ChangeKind.SITE_INSTRUCTION),
    ("交通导改方案调整，增加临时便道", ChangeKind.SITE_INSTRUCTION),
    ("钢材价格上涨超出风险包干范围", ChangeKind.CLAIM),
    ("征地延误导致停工损失", ChangeKind.CLAIM),
]
# Amounts of each tier, in 万元.
AMOUNTS_WAN = {Tier.MINOR: (2, 9.8), Tier.MAJOR: (10.5, 48), Tier.CRITICAL: (52, 260)}
TIER_WEIGHTS = [(Tier.MINOR, 60), (Tier.MAJOR, 30), (Tier.CRITICAL, 10)]
WAITING_PER_TIER = 3  # changes left waiting at each tier (running projects only)
ESTIMATE_OVERRUNS, BUDGET_OVERRUNS = 2, 1
WAN = Decimal(10_000)
RECOMMENDATION = "经中心审核，变更理由充分，建议提交集团总经理办公会审议。"


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def stage_plan(project: Project) -> tuple[int, bool]:
    """(stages done, whether the next one is running) for the project's stage (no draw)."""
    return {
        Stage.PRELIMINARY: (0, True),
        Stage.DESIGN: (1, True),
        Stage.TENDERING: (4, False),
    }.get(project.stage, (5, False))


def _stages(rng, project: Project, today: datetime.date) -> list[DesignStage]:
    done, running = stage_plan(project)
    if project.stage == Stage.PRELIMINARY:
        running = rng.random() < 0.5
    elif project.stage == Stage.DESIGN:
        done = rng.choice([1, 2, 2])
    start = project.planned_start
    kinds = StageKind.values
    # Actual dates: near the plan, moved back so the last one done lies before today (and
    # before the works started).
    limit = min(today, project.actual_start or today) - _days(rng.randint(5, 20))
    shift = 0
    if done:
        last_finish = start - _days(WINDOWS[kinds[done - 1]][1])
        shift = max(0, (last_finish - limit).days)
    designer = rng.choice(DESIGNERS)
    rows, previous = [], None
    for index, kind in enumerate(kinds):
        before_start, before_finish = WINDOWS[kind]
        planned_start, planned_finish = start - _days(before_start), start - _days(before_finish)
        row = DesignStage(
            project=project, kind=kind, sequence=STAGE_ORDER[kind],
            planned_start=planned_start, planned_finish=planned_finish,
            designer="" if kind == StageKind.REVIEW else designer,
            reviewer=REVIEW_AGENCY if kind == StageKind.REVIEW else CENTRE,
        )  # fmt: skip
        if index < done:
            actual_start = planned_start - _days(shift) + _days(rng.randint(-5, 10))
            if previous is not None:
                actual_start = max(actual_start, previous)
            actual_finish = max(actual_start, planned_finish - _days(shift)
                                + _days(rng.randint(-5, 15)))  # fmt: skip
            actual_finish = min(actual_finish, limit)
            actual_start = min(actual_start, actual_finish)
            row.actual_start, row.actual_finish = actual_start, actual_finish
            row.outcome = (
                StageOutcome.PASSED_WITH_COMMENTS
                if kind == StageKind.REVIEW and rng.random() < 0.4
                else StageOutcome.PASSED
            )
            previous = actual_finish
        elif index == done and running:
            row.actual_start = min(
                today, max(previous or planned_start, planned_start - _days(shift))
            )
        rows.append(row)
    # Stages not begun are planned ahead of today: a plan already past for work that never
    # started would be a warning on every project still in its early stages.
    ahead = [r for r in rows if r.actual_start is None]
    if ahead and min(r.planned_finish for r in ahead) < today:
        delta = today + _days(14) - min(r.planned_start for r in ahead)
        for row in ahead:
            row.planned_start, row.planned_finish = (
                row.planned_start + delta,
                row.planned_finish + delta,
            )
    return rows


def _doc_no(rng, kind: str, day: datetime.date) -> str:
    return f"滨发改{kind}〔{day.year}〕{rng.randint(12, 260)}号"


def _chain(rng, project: Project, today: datetime.date, overrun: str) -> CostChain | None:
    if project.stage == Stage.PRELIMINARY and rng.random() < 0.5:
        return None
    total, approved = project.total_investment, project.approved_budget_estimate
    estimate = total
    if overrun == "estimate" and approved:
        estimate = (approved / Decimal(str(rng.uniform(1.12, 1.16)))).quantize(WAN)
    day = min(today, project.planned_start - _days(rng.randint(420, 600)))
    chain = CostChain(
        project=project, feasibility_estimate=estimate,
        feasibility_doc_no=_doc_no(rng, "审批", day), feasibility_date=day,
    )  # fmt: skip
    drawings_done = stage_plan(project)[0] >= 3
    if approved and (drawings_done or overrun == "budget"):
        factor = rng.uniform(1.02, 1.05) if overrun == "budget" else rng.uniform(0.93, 0.99)
        chain.budget = (approved * Decimal(str(factor))).quantize(WAN)
        chain.budget_doc_no = f"滨财评审〔{day.year + 1}〕{rng.randint(10, 300)}号"
    return chain


def _when(today: datetime.date, days_ago: int) -> datetime.datetime:
    day = today - _days(days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def generate(ctx: DemoContext) -> None:
    rng, today = ctx.rng, ctx.today
    projects: list[Project] = ctx.data.get("projects") or list(Project.objects.all())
    rules = DesignRules.current()
    users = ctx.users
    reporters = {u.organisation_id: u for u in users.values() if u.role == Role.REPORTER}
    managers = {u.organisation_id: u for u in users.values() if u.role == Role.MANAGER}
    officer = users.get("officer_design") or users.get("officer")
    with_events = len(projects) <= 2000
    overruns = {"estimate": ESTIMATE_OVERRUNS, "budget": BUDGET_OVERRUNS}
    waiting = dict.fromkeys(Tier.values, 0)
    counts = dict.fromkeys(["stages", "chains", "changes", "events"], 0)
    for first in range(0, len(projects), CHUNK):
        stages, chains, changes, trails = [], [], [], []
        for project in projects[first : first + CHUNK]:
            stages.extend(_stages(rng, project, today))
            overrun = ""
            if (
                project.stage in (Stage.DESIGN, Stage.TENDERING)
                and project.approved_budget_estimate
            ):
                if overruns["estimate"]:
                    overrun, overruns["estimate"] = "estimate", overruns["estimate"] - 1
                elif overruns["budget"] and project.stage == Stage.DESIGN:
                    overrun, overruns["budget"] = "budget", overruns["budget"] - 1
            chain = _chain(rng, project, today, overrun)
            if chain is not None:
                chains.append(chain)
            if project.stage in (Stage.CONSTRUCTION, Stage.COMPLETED, Stage.IN_OPERATION):
                made = _changes(rng, project, today, rules, waiting, reporters, managers, officer)
                changes.extend(change for change, _trail in made)
                trails.extend(made)
        insert(DesignStage, stages)
        insert(CostChain, chains)
        insert(DesignChange, changes)
        events = []
        if with_events:
            for change, trail in trails:
                events.extend(DesignChangeEvent(change=change, **step) for step in trail)
            insert(DesignChangeEvent, events)
        for key, rows in (("stages", stages), ("chains", chains), ("changes", changes),
                          ("events", events)):  # fmt: skip
            counts[key] += len(rows)
    ctx.log(f"  {counts['stages']} design stages, {counts['chains']} cost chains, "
            f"{counts['changes']} design changes, {counts['events']} change events")  # fmt: skip


def _changes(rng, project, today, rules, waiting, reporters, managers, officer) -> list:
    """The project's changes with their approval trails (event fields), oldest first."""
    running = project.stage == Stage.CONSTRUCTION
    number = rng.choices([0, 1, 2, 3], [25, 35, 25, 15] if running else [0, 40, 40, 20])[0]
    if not number:
        return []
    base = project.approved_budget_estimate or project.total_investment
    contract_sum = (base * Decimal(str(rng.uniform(0.6, 0.75)))).quantize(WAN)
    reporter = reporters.get(project.owner_id)
    manager = managers.get(project.owner_id)
    started = project.actual_start or today
    approved_before = Decimal(0)
    made = []
    for index in range(number):
        wanted = rng.choices([t for t, _w in TIER_WEIGHTS], [w for _t, w in TIER_WEIGHTS])[0]
        if wanted == Tier.MINOR and manager is None:
            wanted = Tier.MAJOR  # no manager to decide it in the demo: the centre's tier
        low, high = AMOUNTS_WAN[wanted]
        amount = Decimal(str(rng.uniform(low, high))).quantize(Decimal("0.01")) * WAN  # 0.01 万元
        verdict = tier_for(amount=amount, contract_sum=contract_sum,
                           approved_before=approved_before, rules=rules)  # fmt: skip
        tier = verdict.tier
        last = index == number - 1
        span = max(10, (today - started).days)
        raised = rng.randint(8, span) if not last else rng.randint(3, min(span, 40))
        status = ChangeStatus.APPROVED
        if running and last:
            if waiting[tier] < WAITING_PER_TIER and rng.random() < 0.6:
                waiting[tier] += 1
                status = ChangeStatus.SUBMITTED
                if tier == Tier.CRITICAL and waiting[tier] % 2 == 0:
                    status = ChangeStatus.RECOMMENDED
            else:
                status = rng.choices(
                    [ChangeStatus.APPROVED, ChangeStatus.RETURNED, ChangeStatus.DRAFT], [80, 8, 12]
                )[0]
        reason, kind = rng.choice(REASONS)
        change = DesignChange(
            project=project, number=f"BG-{project.code}-{index + 1:03d}", kind=kind,
            contract_name="施工总承包合同", contract_sum=contract_sum, reason=reason,
            amount_requested=amount, tier=tier, cumulative_share_pct=verdict.share_display,
            status=status, created_by=reporter,
        )  # fmt: skip
        created = _when(today, raised + 2)
        change.created_at = created
        trail = []
        if status != ChangeStatus.DRAFT:
            change.submitted_at, change.submitted_by = _when(today, raised), reporter
            if reporter:
                trail.append({"action": "submit", "actor": reporter, "at": change.submitted_at,
                              "from_state": "draft", "to_state": "submitted"})  # fmt: skip
        decider = manager if tier == Tier.MINOR else officer
        if tier == Tier.CRITICAL and status in (ChangeStatus.RECOMMENDED, ChangeStatus.APPROVED):
            at = _when(today, max(0, raised - 3))
            trail.append({"action": "recommend", "actor": officer, "at": at,
                          "from_state": "submitted", "to_state": "recommended",
                          "comment": RECOMMENDATION})  # fmt: skip
        if status == ChangeStatus.APPROVED:
            share = Decimal(str(rng.uniform(0.85, 1.0)))
            change.amount_approved = (amount * share / WAN).quantize(Decimal("0.01")) * WAN
            change.decided_at, change.decided_by = _when(today, max(0, raised - 6)), decider
            step = {Tier.MINOR: "approve_minor", Tier.MAJOR: "approve_major",
                    Tier.CRITICAL: "approve_critical"}[tier]  # fmt: skip
            comment = "同意"
            if tier == Tier.CRITICAL:
                change.meeting_minutes = (
                    f"集团总经理办公会纪要〔{today.year}〕{rng.randint(3, 40)}号"
                )
                comment = f"{change.meeting_minutes} 同意"
            trail.append({"action": step, "actor": decider, "at": change.decided_at,
                          "from_state": "recommended" if tier == Tier.CRITICAL else "submitted",
                          "to_state": "approved", "comment": comment})  # fmt: skip
            approved_before += change.amount_approved
        elif status == ChangeStatus.RETURNED:
            change.decided_at, change.decided_by = _when(today, max(0, raised - 2)), decider
            trail.append({"action": "return", "actor": decider, "at": change.decided_at,
                          "from_state": "submitted", "to_state": "returned",
                          "comment": "请补充变更前后工程量对比及造价测算依据。"})  # fmt: skip
        made.append((change, [t for t in trail if t["actor"] is not None]))
    return made
