"""The battle map refuses days and dates out of range at the field, never with a 500."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from projects import services
from projects.models import Milestone


def plan(client, project, orgs, *, target="2027-06-30", nodes="开工, 540"):
    return client.post(
        reverse("projects:battle-map-plan", args=[project.pk]),
        {"target": target, "responsible_organisation": orgs["infra"].pk, "nodes": nodes},
    )


@pytest.mark.parametrize("days", ["3000000", "99999999999", "36501"])
def test_it_refuses_too_many_days_at_the_nodes_field(client_for, infra_project, orgs, days):
    response = plan(client_for("officer"), infra_project, orgs, nodes=f"开工, 540\n远期, {days}")
    assert response.status_code == 200
    # The message (translated by the lead's catalog run) names the line and the limit.
    [message] = response.context["form"].errors["nodes"]
    assert "2" in message and "36500" in message
    assert not Milestone.objects.exists()


def test_it_refuses_a_target_too_early_to_count_back_from(client_for, infra_project, orgs):
    # The form's date range (portal.limits) refuses it first; the service's own check, for
    # other paths, is tested below.
    response = plan(client_for("officer"), infra_project, orgs, target="0001-01-05")
    assert response.status_code == 200
    [message] = response.context["form"].errors["target"]
    assert "1900-01-01" in message
    assert "0001-01-05" in response.content.decode()  # what was typed stays
    assert not Milestone.objects.exists()


def test_it_accepts_the_longest_span(client_for, infra_project, orgs):
    response = plan(client_for("officer"), infra_project, orgs, nodes="立项, 36500")
    assert response.status_code == 302
    assert Milestone.objects.get().deadline == datetime.date(1927, 7, 25)


@pytest.mark.parametrize(
    ("target", "days", "field"),
    [
        (datetime.date(2027, 6, 30), 3_000_000, "nodes"),
        (datetime.date(2027, 6, 30), 99_999_999_999, "nodes"),
        (datetime.date(2027, 6, 30), -1, "nodes"),
        (datetime.date(1, 1, 5), 540, "target"),
    ],
)
def test_the_service_refuses_out_of_range_nodes_at_the_field(
    personas, infra_project, orgs, target, days, field
):
    with pytest.raises(ValidationError) as refused:
        services.milestones_plan_backwards(
            actor=personas["officer"],
            project=infra_project,
            target=target,
            nodes=[("开工", 0), ("远期", days)],
            responsible_organisation=orgs["infra"],
        )
    assert list(refused.value.error_dict) == [field]
    assert not Milestone.objects.exists()  # the first node was rolled back too
