"""The registry's REST API: the same scope and rules as the pages, with 4xx reasons."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from projects.models import Project
from tests.factories import AnnualPlanFactory, MilestoneFactory, ProjectFactory
from tests.personas import ALL, CHANGERS_OF_INFRA, SEES_INFRA, expected_status, visible_codes

LIST = reverse("api-project-list")


def detail(project):
    return reverse("api-project-detail", args=[project.pk])


def new_project(**overrides):
    return {
        "code": "JC-2026-077",
        "name": "白沙河水环境治理工程",
        "owner": "infra",
        "category": "river",
        "stage": "design",
        "total_investment": "56000000.00",
        "planned_start": "2026-05-01",
        "planned_finish": "2027-10-31",
        **overrides,
    }


def test_it_refuses_anonymous_callers_with_401(infra_project):
    response = APIClient().get(LIST)
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.parametrize("persona", ALL)
def test_it_lists_only_projects_in_scope(api_for, persona, infra_project, housing_project):
    response = api_for(persona).get(LIST)
    assert response.status_code == 200
    codes = {row["code"] for row in response.json()["results"]}
    assert codes == visible_codes(persona)


@pytest.mark.parametrize("persona", ALL)
def test_it_answers_404_for_a_project_out_of_scope(api_for, persona, infra_project):
    response = api_for(persona).get(detail(infra_project))
    assert response.status_code == (200 if persona in SEES_INFRA else 404)


@pytest.mark.parametrize("persona", ALL)
def test_it_lets_only_changers_patch(api_for, persona, infra_project):
    response = api_for(persona).patch(
        detail(infra_project), {"name": "改名后的工程"}, format="json"
    )
    expected = expected_status(persona)
    assert response.status_code == expected, response.content
    infra_project.refresh_from_db()
    assert (infra_project.name == "改名后的工程") == (expected == 200)
    if expected != 200:
        assert response.json()["detail"]


@pytest.mark.parametrize("persona", ALL)
def test_it_lets_only_officers_managers_and_admins_create(api_for, persona, orgs):
    response = api_for(persona).post(LIST, new_project(), format="json")
    assert response.status_code == (201 if persona in CHANGERS_OF_INFRA else 403), response.content
    assert Project.objects.filter(code="JC-2026-077").exists() == (response.status_code == 201)


def test_it_refuses_a_manager_creating_in_another_subsidiary(api_for, orgs):
    response = api_for("manager").post(LIST, new_project(owner="housing"), format="json")
    assert response.status_code == 400
    assert "owner" in response.json()


def test_it_refuses_moving_a_project_out_of_the_managers_subsidiary(api_for, infra_project):
    response = api_for("manager").patch(detail(infra_project), {"owner": "housing"}, format="json")
    assert response.status_code == 400
    infra_project.refresh_from_db()
    assert infra_project.owner.code == "infra"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (new_project(code="JC-2026-001"), "code"),
        (new_project(total_investment="-1"), "total_investment"),
        (new_project(planned_finish="2026-01-01"), "planned_finish"),
        (new_project(stage="demolished"), "stage"),
        (new_project(total_investment="lots"), "total_investment"),
        (new_project(owner="nosuch"), "owner"),
        (new_project(latitude="95", longitude="114"), "latitude"),
    ],
)
def test_it_answers_bad_data_with_400_and_the_field(api_for, infra_project, payload, field):
    response = api_for("officer").post(LIST, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body and body[field][0]


def test_it_answers_400_to_a_body_that_is_not_json(api_for, orgs):
    response = api_for("officer").post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_it_answers_400_to_an_unknown_filter_value(api_for, orgs):
    response = api_for("officer").get(LIST, {"stage": "demolished"})
    assert response.status_code == 400
    assert "stage" in response.json()


def test_it_does_not_offer_delete(api_for, infra_project):
    response = api_for("admin").delete(detail(infra_project))
    assert response.status_code == 405
    assert Project.objects.filter(pk=infra_project.pk).exists()


def test_it_records_the_api_caller_in_the_history(api_for, personas, infra_project):
    api_for("officer").patch(detail(infra_project), {"stage": "completed"}, format="json")
    assert infra_project.history.first().history_user == personas["officer"]


def test_it_filters_like_the_html_list(api_for, orgs):
    ProjectFactory(owner=orgs["infra"], code="A-1", category="river", is_key=True)
    ProjectFactory(owner=orgs["infra"], code="A-2", stage="design")
    ProjectFactory(owner=orgs["housing"], code="B-1", stage="design")
    api = api_for("leader")

    def codes(**params):
        response = api.get(LIST, params)
        assert response.status_code == 200, response.content
        return [row["code"] for row in response.json()["results"]]

    assert codes(owner="housing") == ["B-1"]
    assert codes(is_key="true") == ["A-1"]
    assert codes(stage="design", o="-code") == ["B-1", "A-2"]
    assert codes(q="A-") == ["A-1", "A-2"]


def test_it_shows_plans_and_milestones_on_the_detail(api_for, infra_project):
    AnnualPlanFactory(project=infra_project, year=2026)
    MilestoneFactory(project=infra_project, name="主体结构封顶")
    body = api_for("reporter").get(detail(infra_project)).json()
    assert body["annual_plans"][0]["year"] == 2026
    assert body["milestones"][0]["name"] == "主体结构封顶"
    assert body["milestones"][0]["responsible_organisation"] == "infra"


def test_it_accepts_a_token(personas, infra_project):
    token = Token.objects.create(user=personas["reporter"])
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(LIST).json()["count"] == 1
    bad = APIClient(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get(LIST).status_code == 401


def test_it_issues_a_token_for_a_username_and_password(personas, db):
    response = APIClient().post(
        reverse("api-token"), {"username": "reporter", "password": "portal-demo"}
    )
    assert response.status_code == 200
    assert Token.objects.get(user=personas["reporter"]).key == response.json()["token"]
    wrong = APIClient().post(reverse("api-token"), {"username": "reporter", "password": "x"})
    assert wrong.status_code == 400


@pytest.mark.parametrize("count", [3, 30])
def test_the_api_list_costs_the_same_queries_for_3_or_30_projects(
    api_for, orgs, personas, count, django_assert_num_queries
):
    for index in range(count):
        ProjectFactory(
            owner=orgs["infra"] if index % 2 else orgs["housing"],
            assigned_leader=personas["leader"],
            project_manager=personas["manager"],
        )
    api = api_for("officer")
    # 1 district choices of the FilterSet, 2 owner choices, 3 count, 4 the page with joins.
    with django_assert_num_queries(4):
        response = api.get(LIST)
    assert response.json()["count"] == count


def test_the_schema_and_docs_are_served_locally(client_for, orgs):
    client = client_for("reporter")
    schema = client.get(reverse("api-schema"))
    assert schema.status_code == 200
    assert b"/api/v1/projects/" in schema.content
    docs = client.get(reverse("api-docs")).content.decode()
    assert "drf_spectacular_sidecar" in docs or "/static/" in docs
    # No CDN address (a bare "cdn" could occur by chance in the page's random CSRF token).
    assert "//cdn" not in docs.lower() and "cdn." not in docs.lower()
