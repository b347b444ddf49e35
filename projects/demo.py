"""Demo step of the registry: believable projects of one city, their annual plans and battle
maps. Deterministic for a given seed and date; bulk inserts so 10,000 projects stay quick.

The records agree with each project's stage (issue 11). Projects not started yet start next
year or later; projects in construction started before this year, near their planned start;
finished ones finished in the last months. Every project has an annual plan for each year of
the history in which it invests, made from `monthly_budget`: a little preliminary work before
its planned start, its build spread over the planned build months, a catch-up rate while it
runs late. The reporting step draws each month's investment around the same budget, so plan
against completion means something in every year. Battle-map nodes are done in order: 开工 on
the actual start, 竣工验收 on the actual finish; a few projects in construction have their
latest due node open (the cockpit's milestone cause)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from simple_history.utils import bulk_create_with_history

from portal.demo import DemoContext
from projects.choices import FINISHED_STAGES, Category, DeliveryMode, Stage
from projects.models import AnnualPlan, Milestone, Project

# District -> (latitude, longitude) of its centre: a fictional riverside city.
DISTRICTS = {
    "江北区": (30.640, 114.300),
    "江南区": (30.545, 114.310),
    "城东区": (30.590, 114.410),
    "城西区": (30.585, 114.190),
    "高新区": (30.500, 114.420),
    "滨湖新区": (30.470, 114.250),
    "经开区": (30.520, 114.160),
    "临港新城": (30.700, 114.450),
}
PLACES = [
    "滨河",
    "望江",
    "金沙",
    "青山",
    "柳林",
    "白鹭洲",
    "新港",
    "东湖",
    "凤凰",
    "龙泉",
    "翠微",
    "云溪",
    "北湖",
    "明珠",
    "梧桐",
    "杏花",
    "长丰",
    "锦绣",
    "桃源",
    "玉带",
]
RIVERS = ["清水河", "白沙河", "龙须河", "黄孝河", "南湖港", "巡司河", "马鞍河"]
ROADS = ["大道", "路", "街"]

TEMPLATES = {
    Category.ROAD: [
        "{place}{road}快速化改造工程",
        "{place}{road}新建工程",
        "{place}片区路网提升工程",
    ],
    Category.BRIDGE: ["{river}{place}大桥新建工程", "{place}立交桥改建工程"],
    Category.RIVER: ["{river}综合整治工程", "{river}水环境治理工程（{n}期）"],
    Category.AFFORDABLE_HOUSING: ["{place}保障性住房项目（{n}期）", "{place}安置房建设工程"],
    Category.TALENT_APARTMENT: ["{place}人才公寓项目", "{district}青年人才驿站"],
    Category.SCHOOL: ["{place}小学新建工程", "{place}中学扩建工程", "{district}第{n}幼儿园"],
    Category.PARK: ["{place}公园建设工程", "{river}滨水绿道（{n}期）"],
    Category.SEWAGE: ["{place}污水处理厂（{n}期）提标改造工程", "{district}雨污分流改造工程"],
    Category.RENOVATION: ["{place}片区老旧小区改造工程", "{place}街道城市更新项目"],
    Category.PUBLIC_BUILDING: ["{district}市民服务中心", "{place}全民健身中心", "{place}文化馆"],
    Category.ENERGY: ["{district}集中供热管网工程", "{place}分布式能源站"],
}
# Subsidiary code -> (code prefix, categories it builds, investors)
OWNERS = {
    "infra": (
        "JC",
        [Category.ROAD, Category.BRIDGE, Category.RIVER, Category.SEWAGE, Category.PARK],
        ["市交通运输局", "市水务局", "区人民政府"],
    ),
    "housing": (
        "BZ",
        [Category.AFFORDABLE_HOUSING, Category.TALENT_APARTMENT, Category.RENOVATION],
        ["市住房保障和房屋管理局", "区人民政府"],
    ),
    "project": (
        "XM",
        [Category.SCHOOL, Category.PUBLIC_BUILDING, Category.RENOVATION],
        ["市教育局", "区人民政府", "市体育局"],
    ),
    "realestate": (
        "DC",
        [Category.TALENT_APARTMENT, Category.PUBLIC_BUILDING],
        ["滨江城投置业有限公司", "市人才工作领导小组办公室"],
    ),
    "asset": (
        "ZC",
        [Category.ENERGY, Category.RENOVATION, Category.PARK],
        ["滨江城投资产经营有限公司", "市城市管理局"],
    ),
}
OWNER_WEIGHTS = {"infra": 35, "housing": 25, "project": 20, "realestate": 10, "asset": 10}
END_USERS = {
    Category.SCHOOL: "区教育局",
    Category.PARK: "市园林局",
    Category.SEWAGE: "市排水公司",
    Category.AFFORDABLE_HOUSING: "市住房保障中心",
    Category.TALENT_APARTMENT: "市人才集团",
    Category.ROAD: "市城市道路管理处",
    Category.BRIDGE: "市城市道路管理处",
}
STAGES = [
    (Stage.PRELIMINARY, 18),
    (Stage.DESIGN, 14),
    (Stage.TENDERING, 10),
    (Stage.CONSTRUCTION, 40),
    (Stage.COMPLETED, 10),
    (Stage.IN_OPERATION, 8),
]
STARTED = {Stage.CONSTRUCTION, Stage.COMPLETED, Stage.IN_OPERATION}

# Battle-map nodes per stage reached, as (node, share of the build period before the target).
NODES = [
    ("开工", 1.0),
    ("基础完成", 0.75),
    ("主体结构封顶", 0.45),
    ("竣工验收", 0.08),
    ("交付使用", 0.0),
]
PERSONS = ["张伟", "刘洋", "王磊", "李娜", "陈杰", "杨帆", "赵敏", "黄涛", "周婷", "吴强"]
YEAR_END_TARGETS = [
    "主体结构封顶",
    "完成年度投资计划",
    "竣工验收",
    "开工建设",
    "完成施工图审查",
    "交付使用",
]
# Shares of the total investment in a long history's budget (see monthly_budget).
PRELIMINARY_RATE = Decimal("0.001")  # per month before the planned start
BUILD_SHARE = Decimal("0.92")  # spread over the planned build months
OVERDUE_RATE = Decimal("0.01")  # per month past the planned finish, until finished


# Categories that put up buildings, with a believable cost per m² of floor area (yuan); the demo
# derives a building project's floor area from its investment (no draw of the generator, so
# adding the field changed no other demo figure). Roads, bridges and networks have none.
COST_PER_M2 = {
    Category.AFFORDABLE_HOUSING: Decimal("4200"), Category.TALENT_APARTMENT: Decimal("5200"),
    Category.SCHOOL: Decimal("5600"), Category.PUBLIC_BUILDING: Decimal("6800"),
    Category.RENOVATION: Decimal("900"),
}  # fmt: skip


def floor_area(category: str, total: Decimal) -> Decimal | None:
    cost = COST_PER_M2.get(category)
    return None if cost is None else (total / cost).quantize(Decimal("100"))


def month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def monthly_budget(project: Project, month: int) -> Decimal:
    """What `project` plans to invest in `month` (a month_index) in a long history, in yuan."""
    if project.actual_finish and month > month_index(project.actual_finish):
        return Decimal(0)
    start, finish = month_index(project.planned_start), month_index(project.planned_finish)
    total = project.total_investment
    if month < start:
        return total * PRELIMINARY_RATE
    if month <= finish:
        return total * BUILD_SHARE / (finish - start + 1)
    if project.actual_finish or project.stage == Stage.CONSTRUCTION:
        return total * OVERDUE_RATE  # running late
    return Decimal(0)


def _investment(rng) -> Decimal:
    # Log-uniform between 5 million and 3 billion yuan, rounded to 10,000 yuan.
    yuan = 5_000_000 * (600 ** rng.random())
    return Decimal(round(yuan / 10_000) * 10_000)


def _name(rng, category, district) -> str:
    template = rng.choice(TEMPLATES[category])
    return template.format(
        place=rng.choice(PLACES),
        road=rng.choice(ROADS),
        river=rng.choice(RIVERS),
        district=district,
        n="一二三"[rng.randrange(3)],
    )


def generate(ctx: DemoContext) -> None:
    rng, today = ctx.rng, ctx.today
    orgs, users = ctx.organisations, ctx.users
    leaders = [u for u in users.values() if u.role == "leader"]
    owner_codes = list(OWNER_WEIGHTS)
    weights = list(OWNER_WEIGHTS.values())
    sequence = dict.fromkeys(owner_codes, 0)
    width = 3 if ctx.projects < 1000 else 5
    projects = []
    for index in range(ctx.projects):
        owner_code = rng.choices(owner_codes, weights)[0]
        prefix, categories, investors = OWNERS[owner_code]
        category = rng.choice(categories)
        district = rng.choice(list(DISTRICTS))
        stage = rng.choices([s for s, _ in STAGES], [w for _, w in STAGES])[0]
        total = _investment(rng)
        # Dates that fit the stage. Projects not started yet start next year or later, so this
        # year's plan is their preliminary work; projects in construction started before this
        # year, close to their planned start, and finish after today or lately; finished ones
        # finished in the last months.
        year_start = datetime.date(today.year, 1, 1)
        offset = {Stage.PRELIMINARY: 300, Stage.DESIGN: 180, Stage.TENDERING: 60}.get(stage)
        if offset is None:
            planned_start = year_start - datetime.timedelta(days=rng.randint(40, 900))
        else:
            planned_start = max(year_start.replace(year=today.year + 1), today) + \
                datetime.timedelta(days=rng.randint(offset // 3, offset))  # fmt: skip
        duration = datetime.timedelta(days=rng.randint(300, 1200 if total > 500_000_000 else 720))
        planned_finish = planned_start + duration
        actual_start = actual_finish = None
        if stage == Stage.CONSTRUCTION and planned_finish < today - datetime.timedelta(days=45):
            planned_finish = today + datetime.timedelta(days=rng.randint(30, 400))
        if stage == Stage.CONSTRUCTION:
            # Still building: its completion acceptance (竣工验收, 8% of the build before the
            # finish) lies ahead, or the battle map would show it late on a running project.
            while (
                planned_finish - (planned_finish - planned_start) * 0.08 < today + ACCEPTANCE_AHEAD
            ):
                planned_finish += datetime.timedelta(days=60)
        if stage in STARTED:
            actual_start = min(today, planned_start + datetime.timedelta(days=rng.randint(-10, 20)))
        if stage in FINISHED_STAGES:
            planned_finish = min(
                planned_finish, today - datetime.timedelta(days=rng.randint(30, 300))
            )
            planned_start = min(planned_start, planned_finish - datetime.timedelta(days=300))
            actual_start = min(actual_start, planned_start + datetime.timedelta(days=20))
            actual_finish = min(
                today - datetime.timedelta(days=10),
                planned_finish + datetime.timedelta(days=rng.randint(-20, 60)),
            )
        lat, lng = DISTRICTS[district]
        sequence[owner_code] += 1
        is_key = rng.random() < 0.34
        projects.append(
            Project(
                code=f"{prefix}-{planned_start.year}-{sequence[owner_code]:0{width}d}",
                name=_name(rng, category, district),
                owner=orgs[owner_code],
                investor=rng.choice(investors),
                end_user=END_USERS.get(category, ""),
                delivery_mode=rng.choices(list(DeliveryMode), [60, 25, 15])[0],
                category=category,
                district=district,
                latitude=Decimal(f"{lat + rng.uniform(-0.04, 0.04):.6f}"),
                longitude=Decimal(f"{lng + rng.uniform(-0.05, 0.05):.6f}"),
                total_investment=total,
                approved_budget_estimate=(
                    None
                    if stage == Stage.PRELIMINARY
                    else (total * Decimal(rng.uniform(0.92, 1.08))).quantize(Decimal("10000"))
                ),
                floor_area=floor_area(category, total),
                stage=stage,
                is_key=is_key,
                assigned_leader=rng.choice(leaders) if is_key and leaders else None,
                planned_start=planned_start,
                planned_finish=planned_finish,
                actual_start=actual_start,
                actual_finish=actual_finish,
            )
        )
        if index and index % 2000 == 0:
            ctx.log(f"  {index} projects …")
    admin = users.get("admin")
    projects = bulk_create_with_history(projects, Project, batch_size=1000, default_user=admin)
    ctx.data["projects"] = projects

    plans, milestones = [], []
    first_month = month_index(ctx.month_starts()[0])
    for project in projects:
        plans.extend(_plans(rng, project, first_month, today.year + 1))
        milestones.extend(_milestones(rng, project, today))
    bulk_create_with_history(plans, AnnualPlan, batch_size=2000, default_user=admin)
    bulk_create_with_history(milestones, Milestone, batch_size=2000, default_user=admin)
    ctx.log(f"  {len(projects)} projects, {len(plans)} annual plans, {len(milestones)} milestones")


def _plans(rng, project: Project, first_month: int, last_year: int) -> list[AnnualPlan]:
    """A plan for every year of the history (and the next) in which the project has a budget:
    the budget of its months from `first_month` on, so that a year the history covers only in
    part is planned for the months it reports (the months before went to the opening
    investment)."""
    plans = []
    for year in range(first_month // 12, last_year + 1):
        months = range(max(year * 12, first_month), year * 12 + 12)
        budget = sum(monthly_budget(project, m) for m in months)
        if not budget:
            continue
        planned = (budget * Decimal(rng.uniform(0.97, 1.03))).quantize(Decimal("10000"))
        plans.append(
            AnnualPlan(
                project=project,
                year=year,
                planned_investment=max(planned, Decimal(10000)),
                year_end_target=rng.choice(YEAR_END_TARGETS),
            )
        )
    return plans


# Share of the projects in construction whose next battle-map node is late (left open).
LATE_NODE_SHARE = 0.14
ACCEPTANCE_AHEAD = datetime.timedelta(days=20)
LATE_NODE = "主体结构封顶"  # the node a project in construction may be behind on
LATE_NODE_MAX_DAYS = 60  # how late it may be: a node months late would have been replanned


def _milestones(rng, project: Project, today: datetime.date) -> list[Milestone]:
    """The battle map, done in order: 开工 on the actual start, 竣工验收 on the actual finish,
    the nodes between near their deadlines; a project in construction may have its latest due
    node still open (late), and nothing after it done."""
    if project.stage == Stage.PRELIMINARY:
        return []
    build = (project.planned_finish - project.planned_start).days
    finished = project.stage in FINISHED_STAGES
    late_ok = project.stage == Stage.CONSTRUCTION and rng.random() < LATE_NODE_SHARE
    nodes, previous, still_open, late_node = [], project.actual_start, False, ""
    for node, share in NODES:
        days_before = round(build * share)
        deadline = project.planned_finish - datetime.timedelta(days=days_before)
        if late_ok and node == LATE_NODE and previous:
            # The project behind on its structure: the node's (replanned) deadline passed a
            # week to two months ago, and nothing after it is done.
            late_by = datetime.timedelta(days=rng.randint(8, LATE_NODE_MAX_DAYS))
            deadline = max(today - late_by, previous + datetime.timedelta(days=1))
            days_before = (project.planned_finish - deadline).days
            late_node = node  # one late node a project
        actual = None
        if node == "开工":
            actual = project.actual_start
        elif finished:
            if node == "竣工验收":
                actual = project.actual_finish
            elif node == "交付使用":
                actual = min(today, project.actual_finish + datetime.timedelta(rng.randint(0, 9)))
            else:
                actual = deadline + datetime.timedelta(days=rng.randint(-15, 15))
                actual = min(max(actual, previous), project.actual_finish)
        elif previous and not still_open and deadline < today:
            if node == late_node:
                still_open = True  # the cockpit's milestone cause
            elif node not in ("竣工验收", "交付使用"):
                actual = deadline + datetime.timedelta(days=rng.randint(-15, 10))
                actual = min(max(actual, previous), today)
        if actual is None:
            still_open = True
        previous = actual or previous
        nodes.append(
            Milestone(
                project=project,
                name=node,
                deadline=deadline,
                days_before_target=days_before,
                responsible_organisation=project.owner,
                responsible_person=rng.choice(PERSONS),
                actual_date=actual,
                arrangement="倒排工期，挂图作战，每周调度",
            )
        )
    return nodes
