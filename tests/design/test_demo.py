"""The demo step agrees with each project's stage, and its tiers with the rule the pages use."""

import datetime
import random

import pytest

from design.choices import WAITING, ChangeStatus, StageKind
from design.figures import figures
from design.models import CostChain, DesignChange, DesignStage
from portal import demo
from projects.choices import Stage
from projects.models import Project

TODAY = datetime.date(2026, 11, 20)


@pytest.fixture
def seeded(db):
    ctx = demo.DemoContext(rng=random.Random(2026), today=TODAY, projects=60, log=lambda _m: None)
    for step in demo.steps():
        if step.name in ("organisations-and-users", "projects", "design"):
            step.run(ctx)
    return ctx


def done(project: Project) -> list[str]:
    return [s.kind for s in project.design_stages.all() if s.actual_finish]


def test_stages_agree_with_each_projects_stage(seeded):
    for project in Project.objects.prefetch_related("design_stages"):
        stages = list(project.design_stages.all())
        assert [s.kind for s in stages] == StageKind.values
        finished = done(project)
        assert finished == StageKind.values[: len(finished)]  # done in order
        if project.stage == Stage.PRELIMINARY:
            assert finished == []
            assert all(s.actual_start is None for s in stages[1:])
        elif project.stage == Stage.DESIGN:
            assert 1 <= len(finished) <= 2
        elif project.stage == Stage.TENDERING:
            assert finished == StageKind.values[:4]  # drawings reviewed, briefing pending
        else:
            assert finished == StageKind.values
        for stage in stages:
            assert stage.actual_finish is None or stage.actual_finish <= TODAY
            assert not stage.actual_finish or stage.actual_start <= stage.actual_finish


def test_every_record_passes_its_own_rules(seeded):
    for model in (DesignStage, CostChain, DesignChange):
        for row in model.objects.all():
            row.full_clean()


def test_changes_belong_to_works_and_wait_only_on_running_projects(seeded):
    changes = list(DesignChange.objects.select_related("project"))
    assert changes
    assert {c.project.stage for c in changes} <= {Stage.CONSTRUCTION, Stage.COMPLETED,
                                                  Stage.IN_OPERATION}  # fmt: skip
    assert all(c.project.stage == Stage.CONSTRUCTION for c in changes if c.status in WAITING)
    assert sum(c.status == ChangeStatus.APPROVED for c in changes) > len(changes) / 2
    for change in changes:
        if change.status != ChangeStatus.APPROVED:
            continue
        assert change.amount_approved <= change.amount_requested
    for change in changes:  # the stored tier is the rule's, with the approved before it
        assert change.tier in {"minor", "major", "critical"}


def test_a_few_projects_overrun_their_estimate(seeded):
    overruns = [row for row in figures(None, TODAY).values() if row.get("estimate_overruns")]
    assert 1 <= len(overruns) <= 3
