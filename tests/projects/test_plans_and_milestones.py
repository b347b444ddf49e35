"""Annual plans and the battle map on the project page: who may change them, and the rules."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from projects.models import AnnualPlan, Milestone
from tests.factories import AnnualPlanFactory, MilestoneFactory
from tests.personas import ALL, expected_status


def urls(project, milestone):
    return [
        reverse("projects:plan-set", args=[project.pk]),
        reverse("projects:milestone-create", args=[project.pk]),
        reverse("projects:milestone-update", args=[project.pk, milestone.pk]),
        reverse("projects:battle-map-plan", args=[project.pk]),
    ]


@pytest.mark.parametrize("persona", ALL)
def test_each_role_reaches_the_plan_and_battle_map_forms_as_allowed(
    client_for, persona, infra_project
):
    milestone = MilestoneFactory(project=infra_project)
    client = client_for(persona)
    expected = expected_status(persona)
    for url in urls(infra_project, milestone):
        assert client.get(url).status_code == expected, url
        if expected != 200:
            assert client.post(url, {}).status_code == expected, url


def test_a_milestone_of_another_project_is_not_found(client_for, infra_project, orgs):
    other = MilestoneFactory()  # under a project of its own
    url = reverse("projects:milestone-update", args=[infra_project.pk, other.pk])
    assert client_for("officer").get(url).status_code == 404


def test_it_sets_and_then_replaces_a_years_plan(client_for, personas, infra_project):
    client = client_for("manager")
    url = reverse("projects:plan-set", args=[infra_project.pk])
    # Typed in 万元, as the page shows plans; stored in yuan.
    client.post(url, {"year": 2026, "planned_investment": "3000", "year_end_target": "封顶"})
    client.post(url, {"year": 2026, "planned_investment": "3,600", "year_end_target": "封顶"})
    plan = AnnualPlan.objects.get(project=infra_project, year=2026)
    assert plan.planned_investment == Decimal("36000000")
    assert plan.history.first().history_user == personas["manager"]


def test_it_refuses_a_negative_plan_next_to_the_field(client_for, infra_project):
    response = client_for("officer").post(
        reverse("projects:plan-set", args=[infra_project.pk]),
        {"year": 2026, "planned_investment": "-1", "year_end_target": "封顶"},
    )
    assert response.status_code == 200
    assert "planned_investment" in response.context["form"].errors
    assert not AnnualPlan.objects.exists()


@time_machine.travel(datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC))
def test_it_records_a_node_reached_but_not_in_the_future(client_for, infra_project):
    milestone = MilestoneFactory(project=infra_project, deadline=datetime.date(2026, 11, 1))
    url = reverse("projects:milestone-update", args=[infra_project.pk, milestone.pk])
    data = {
        "name": milestone.name,
        "deadline": "2026-11-01",
        "responsible_organisation": infra_project.owner.pk,
        "actual_date": "2026-12-01",
    }
    future = client_for("officer").post(url, data)
    assert "actual_date" in future.context["form"].errors
    data["actual_date"] = "2026-11-10"
    assert client_for("officer").post(url, data).status_code == 302
    milestone.refresh_from_db()
    assert milestone.actual_date == datetime.date(2026, 11, 10)
    assert milestone.days_late() == 9


def test_it_works_the_battle_map_backwards_from_the_target(client_for, infra_project, orgs):
    response = client_for("officer").post(
        reverse("projects:battle-map-plan", args=[infra_project.pk]),
        {
            "target": "2027-06-30",
            "responsible_organisation": orgs["infra"].pk,
            "responsible_person": "张伟",
            "nodes": "开工, 540\n主体结构封顶，240\n交付使用, 0",
        },
    )
    assert response.status_code == 302
    nodes = list(
        Milestone.objects.filter(project=infra_project).values_list(
            "name", "deadline", "days_before_target"
        )
    )
    assert nodes == [
        ("开工", datetime.date(2026, 1, 6), 540),
        ("主体结构封顶", datetime.date(2026, 11, 2), 240),
        ("交付使用", datetime.date(2027, 6, 30), 0),
    ]


@pytest.mark.parametrize("nodes", ["开工", "开工, -3", "开工, soon", "   "])
def test_it_names_the_bad_line_of_a_battle_map(client_for, infra_project, orgs, nodes):
    response = client_for("officer").post(
        reverse("projects:battle-map-plan", args=[infra_project.pk]),
        {"target": "2027-06-30", "responsible_organisation": orgs["infra"].pk, "nodes": nodes},
    )
    assert response.status_code == 200
    assert "nodes" in response.context["form"].errors
    assert nodes.strip() in response.content.decode()  # what was typed stays
    assert not Milestone.objects.exists()


def test_the_detail_page_shows_plans_to_a_reader_without_edit_buttons(client_for, infra_project):
    AnnualPlanFactory(project=infra_project, year=2026, planned_investment=Decimal("30000000"))
    html = client_for("leader").get(infra_project.get_absolute_url()).content.decode()
    assert "3,000.00" in html  # 30,000,000 yuan shown in 万元
    assert reverse("projects:plan-set", args=[infra_project.pk]) not in html
