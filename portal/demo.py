"""The deterministic demo-data generator, assembled from the steps each app registers.

`manage.py seed_demo` runs the steps in order with one seeded random generator and one fixed
"today", so the same seed and date always give the same data (tests and screenshots are stable).
The same steps make the large benchmark data set: `--projects 10000`.

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


@dataclass
class DemoContext:
    rng: random.Random
    today: datetime.date
    projects: int
    log: Callable[[str], None] = print
    organisations: dict[str, Any] = field(default_factory=dict)  # code -> Organisation
    users: dict[str, Any] = field(default_factory=dict)  # username -> User
    data: dict[str, Any] = field(default_factory=dict)  # what one step leaves for the next


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
