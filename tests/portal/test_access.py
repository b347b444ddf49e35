"""The scoping rules themselves, role by role, through a model that uses them."""

import pytest
from django.http import Http404

from portal.access import AccessPolicy, Action, get_for_user, holds_function
from portal.choices import Function, Role
from projects.models import Project
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory


def test_it_scopes_a_subsidiary_user_to_its_subtree(orgs, personas):
    site = OrganisationFactory(
        code="infra-east", name="基础设施公司东区项目部", kind="department", parent=orgs["infra"]
    )
    ProjectFactory(owner=orgs["infra"], code="P-1")
    # A department's project would be owned by the subsidiary; the path rule still covers it.
    assert site.path == "/group/infra/infra-east/"
    department_user = UserFactory(username="east", organisation=site, role=Role.REPORTER)
    assert list(Project.objects.for_user(personas["reporter"]).values_list("code", flat=True)) == [
        "P-1"
    ]
    assert not Project.objects.for_user(department_user).exists()


def test_it_hides_everything_from_inactive_and_roleless_users(orgs, infra_project):
    inactive = UserFactory(
        username="gone", organisation=orgs["infra"], role=Role.MANAGER, is_active=False
    )
    roleless = UserFactory(username="nobody", organisation=orgs["infra"], role="")
    for user in (inactive, roleless):
        assert not Project.objects.for_user(user, Action.VIEW).exists()
        assert not Project.objects.for_user(user, Action.CHANGE).exists()


@pytest.mark.parametrize(
    ("persona", "changes"),
    [
        ("leader", set()),
        ("officer", {"JC-2026-001", "BZ-2026-001"}),
        ("admin", {"JC-2026-001", "BZ-2026-001"}),
        ("manager", {"JC-2026-001"}),
        ("reporter", set()),
        ("reporter2", set()),
    ],
)
def test_the_registry_change_scope_per_role(
    personas, persona, changes, infra_project, housing_project
):
    rows = Project.objects.for_user(personas[persona], Action.CHANGE)
    assert set(rows.values_list("code", flat=True)) == changes
    for project in (infra_project, housing_project):
        allowed = Project.access_policy.allows(personas[persona], Action.CHANGE, project)
        assert allowed == (project.code in changes)


def test_a_function_policy_lets_officers_change_only_their_functions(personas, infra_project):
    design_policy = AccessPolicy(
        org_field="owner", group_change=frozenset({Role.OFFICER}), function=Function.DESIGN
    )
    site_policy = AccessPolicy(
        org_field="owner", group_change=frozenset({Role.OFFICER}), function=Function.SUPERVISION
    )
    designer = personas["officer_design"]
    assert design_policy.allows(designer, Action.CHANGE, infra_project)
    assert not site_policy.allows(designer, Action.CHANGE, infra_project)
    assert site_policy.allows(personas["officer"], Action.CHANGE, infra_project)
    assert site_policy.allows(designer, Action.VIEW, infra_project)  # reading is not a function
    assert holds_function(personas["admin"], Function.SUPERVISION)


def test_get_for_user_says_404_for_missing_and_forbidden_alike(personas, infra_project):
    with pytest.raises(Http404):
        get_for_user(Project.objects.all(), personas["reporter2"], infra_project.pk)
    with pytest.raises(Http404):
        get_for_user(Project.objects.all(), personas["reporter2"], 999999)
    with pytest.raises(Http404):
        get_for_user(Project.objects.all(), personas["reporter2"], "not-a-number")
    assert (
        get_for_user(Project.objects.all(), personas["reporter"], infra_project.pk) == infra_project
    )
