"""The deterministic demo-data generator, assembled from the steps each app registers.

`manage.py seed_demo` runs the steps in order with one seeded random generator and one fixed
"today", so the same seed and date always give the same data (tests and screenshots are stable).
The same steps make the large benchmark data set: `--projects 10000`.

`--months 100` makes the long history of the benchmark: with 10,000 projects about a million
progress reports. Steps generate and insert such volumes in chunks (`CHUNK` projects at a time)
through `insert()`, which streams rows with COPY on PostgreSQL, so memory stays bounded.

The base registers the organisations and users; each app registers its own records in its
AppConfig.ready(), so adding an app adds one step and edits nothing here.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password

from portal.choices import Function, OrganisationKind, Role

DEMO_PASSWORD = "portal-demo"
MONTHS = 18  # the default length of the reporting history, in months
CHUNK = 500  # projects a step generates and inserts at a time


@dataclass
class DemoContext:
    rng: random.Random
    today: datetime.date
    projects: int
    months: int = MONTHS  # length of the monthly reporting history, this month included
    log: Callable[[str], None] = print
    organisations: dict[str, Any] = field(default_factory=dict)  # code -> Organisation
    users: dict[str, Any] = field(default_factory=dict)  # username -> User
    data: dict[str, Any] = field(default_factory=dict)  # what one step leaves for the next

    @property
    def long_history(self) -> bool:
        """More months than the default: key projects report per ten days for a year rather
        than a month, and the subsidiaries report more punctually (the benchmark's data)."""
        return self.months > MONTHS

    def month_starts(self) -> list[datetime.date]:
        """The first day of every month of the history, oldest first, this month last."""
        return month_starts(self.today, self.months)


def month_starts(today: datetime.date, months: int) -> list[datetime.date]:
    index = today.year * 12 + today.month - 1
    return [datetime.date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


def insert(model, objs: list, *, batch_size: int = 2000) -> list:
    """Insert new rows fast and give them their primary keys; returns `objs`.

    PostgreSQL: the keys are drawn from the table's sequence and the rows streamed with COPY,
    several times faster than INSERT for the benchmark's million reports. Elsewhere:
    bulk_create. No signals and no history rows, as with bulk_create.
    """
    from django.db import connections, router

    if not objs:
        return objs
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model._default_manager.using(using).bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    table = meta.db_table
    fields = list(meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table), meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        auto = [(i, f) for i, f in enumerate(fields) if getattr(f, "auto_now", False)
                or getattr(f, "auto_now_add", False)]  # fmt: skip
        attnames = [f.attname for f in fields]
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                row = [getattr(obj, name) for name in attnames]
                for i, f in auto:
                    row[i] = f.pre_save(obj, add=True)
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    run: Callable[[DemoContext], None]


_steps: list[DemoStep] = []


def register(step: DemoStep) -> None:
    if any(s.name == step.name for s in _steps):
        return
    _steps.append(step)
    _steps.sort(key=lambda s: s.order)


def steps() -> list[DemoStep]:
    return list(_steps)


# --- the base's own step: the group's organisations and one user per role ---------------------

# (code, name, short name, kind, parent code)
ORGANISATIONS = [
    ("group", "滨江城市建设投资集团有限公司", "滨江城投集团", OrganisationKind.GROUP, None),
    ("pmc", "集团项目管理中心", "项目管理中心", OrganisationKind.CENTRE, "group"),
    ("pmd", "集团项目管理部", "项目管理部", OrganisationKind.DEPARTMENT, "group"),
    ("project", "滨江城投项目建设有限公司", "项目公司", OrganisationKind.SUBSIDIARY, "group"),
    ("infra", "滨江城投基础设施建设有限公司", "基础设施公司", OrganisationKind.SUBSIDIARY, "group"),
    ("asset", "滨江城投资产经营有限公司", "资产公司", OrganisationKind.SUBSIDIARY, "group"),
    ("realestate", "滨江城投置业有限公司", "地产公司", OrganisationKind.SUBSIDIARY, "group"),
    ("housing", "滨江市保障性住房建设有限公司", "保障房公司", OrganisationKind.SUBSIDIARY, "group"),
]

# (username, name, organisation code, role, functions, is_superuser)
USERS = [
    ("leader", "王建国", "group", Role.LEADER, [], False),
    ("leader2", "陈志刚", "group", Role.LEADER, [], False),
    ("officer", "李明", "pmc", Role.OFFICER, list(Function.values), False),
    ("officer_design", "赵晓东", "pmc", Role.OFFICER, [Function.DESIGN], False),
    ("officer_site", "孙丽华", "pmc", Role.OFFICER, [Function.SUPERVISION], False),
    ("admin", "系统管理员", "group", Role.ADMIN, [], True),
    ("manager", "张伟", "infra", Role.MANAGER, [], False),
    ("reporter", "刘洋", "infra", Role.REPORTER, [], False),
    ("reporter2", "周婷", "housing", Role.REPORTER, [], False),
    ("manager2", "吴强", "housing", Role.MANAGER, [], False),
    ("reporter_project", "郑凯", "project", Role.REPORTER, [], False),
    ("reporter_asset", "冯静", "asset", Role.REPORTER, [], False),
    ("reporter_realestate", "何磊", "realestate", Role.REPORTER, [], False),
]


def _organisations_and_users(ctx: DemoContext) -> None:
    from portal.models import Organisation, User

    for order, (code, name, short, kind, parent) in enumerate(ORGANISATIONS):
        ctx.organisations[code] = Organisation.objects.create(
            code=code,
            name=name,
            short_name=short,
            kind=kind,
            order=order,
            parent=ctx.organisations.get(parent) if parent else None,
        )
    password = make_password(DEMO_PASSWORD)  # hashed once: the hasher is slow on purpose
    for username, name, org, role, functions, superuser in USERS:
        ctx.users[username] = User.objects.create(
            username=username,
            name=name,
            organisation=ctx.organisations[org],
            role=role,
            functions=[str(f) for f in functions],
            is_superuser=superuser,
            is_staff=superuser,
            password=password,
            email=f"{username}@example.com",
        )
    ctx.log(f"  {len(ORGANISATIONS)} organisations, {len(USERS)} users")


register(DemoStep("organisations-and-users", 0, _organisations_and_users))
