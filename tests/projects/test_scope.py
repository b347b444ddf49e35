"""The registry's choice lists are scoped by portal.access alone: a user without a role sees no
subsidiary and no staff; a subsidiary's staff see their own and the centre's officers."""

import pytest
from django.urls import reverse

from portal.choices import Role
from projects import selectors
from tests.factories import UserFactory


@pytest.fixture
def nobody(orgs, personas):
    """Logged in, active, but with no role and no organisation (an account not set up yet)."""
    return UserFactory(username="nobody", role="", organisation=None)


@pytest.fixture
def infra_staff(orgs):
    return UserFactory(username="infra_engineer", role=Role.REPORTER, organisation=orgs["infra"])


def owner_filter_codes(response) -> set[str]:
    choices = response.context["filterset"].form.fields["owner"].choices
    return {code for code, _label in choices if code}


def test_a_user_without_a_role_sees_no_subsidiary_in_the_owner_filter(
    client, nobody, infra_project, housing_project
):
    client.force_login(nobody)
    response = client.get(reverse("projects:list"))
    assert response.status_code == 200
    assert owner_filter_codes(response) == set()
    assert list(response.context["page_obj"]) == []
    html = response.content.decode()
    assert "基础设施公司" not in html and "保障房公司" not in html


def test_a_user_without_a_role_gets_no_manager_and_no_owner_choices(nobody, infra_staff):
    assert list(selectors.manager_choices(user=nobody)) == []
    assert list(selectors.owner_choices(user=nobody)) == []
    assert list(selectors.visible_owners(user=nobody)) == []


def test_a_user_without_a_role_may_not_open_the_project_form(client, nobody, infra_project):
    client.force_login(nobody)
    assert client.get(reverse("projects:create")).status_code == 403
    assert client.get(reverse("projects:update", args=[infra_project.pk])).status_code == 404


@pytest.mark.parametrize(("persona", "expected"), [
    ("leader", {"infra", "housing"}), ("officer", {"infra", "housing"}),
    ("manager", {"infra"}), ("reporter2", {"housing"}),
])  # fmt: skip
def test_the_owner_filter_lists_the_subsidiaries_in_scope(client_for, persona, expected):
    assert owner_filter_codes(client_for(persona).get(reverse("projects:list"))) == expected


def test_a_manager_chooses_among_own_staff_and_the_centres_officers(personas, infra_staff, orgs):
    UserFactory(username="housing_engineer", role=Role.REPORTER, organisation=orgs["housing"])
    names = {u.username for u in selectors.manager_choices(user=personas["manager"])}
    assert names == {"officer", "officer_design", "manager", "reporter", "infra_engineer"}


def test_the_centre_chooses_among_all_staff_with_a_role(personas, infra_staff, nobody):
    names = {u.username for u in selectors.manager_choices(user=personas["officer"])}
    assert "reporter2" in names and "infra_engineer" in names
    assert "nobody" not in names  # no role: not staff
