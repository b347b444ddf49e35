import pytest
from django.core.exceptions import ValidationError

from portal.choices import Role
from tests.factories import OrganisationFactory, UserFactory


def test_it_keeps_paths_when_an_organisation_moves(orgs):
    team = OrganisationFactory(
        code="team", name="道路项目部", kind="department", parent=orgs["infra"]
    )
    assert team.path == "/group/infra/team/"
    orgs["infra"].parent = orgs["pmc"]
    orgs["infra"].save()
    team.refresh_from_db()
    assert team.path == "/group/pmc/infra/team/"


def test_it_refuses_an_organisation_under_itself(orgs):
    orgs["group"].parent = orgs["infra"]
    with pytest.raises(ValidationError) as info:
        orgs["group"].full_clean()
    assert "parent" in info.value.message_dict


@pytest.mark.parametrize(
    ("role", "org", "functions", "field"),
    [
        (Role.REPORTER, None, [], "organisation"),
        (Role.MANAGER, "pmc", [], "organisation"),
        (Role.REPORTER, "infra", ["design"], "functions"),
        (Role.OFFICER, "pmc", ["astrology"], "functions"),
    ],
)
def test_it_refuses_users_whose_role_does_not_fit(orgs, role, org, functions, field):
    user = UserFactory.build(
        username="x", role=role, organisation=orgs.get(org), functions=functions
    )
    with pytest.raises(ValidationError) as info:
        user.full_clean()
    assert field in info.value.message_dict
