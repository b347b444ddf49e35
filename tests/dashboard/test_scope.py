"""The cockpit's scope comes from portal.access alone. A user without a role (an account not set
up yet) reads no organisation: the cockpit and its export are refused, a project's page is not
found, and no page names a subsidiary to them. (Before, the cockpit answered 200 with a filter
listing every subsidiary.)"""

import pytest
from django.urls import reverse

from dashboard import selectors, services
from tests.factories import UserFactory

COCKPIT = reverse("dashboard:cockpit")


@pytest.fixture
def nobody(orgs, personas):
    return UserFactory(username="nobody", role="", organisation=None)


@pytest.fixture
def rolled_up(group, today):
    services.rollup_full(today)
    return group


@pytest.mark.parametrize(
    "params", [{}, {"format": "xlsx"}, {"organisation": "infra"},
               {"organisation": "housing", "format": "xlsx"}],
)  # fmt: skip
def test_a_user_without_a_role_is_refused_the_cockpit_and_its_export(
    client, nobody, rolled_up, params
):
    client.force_login(nobody)
    response = client.get(COCKPIT, params)
    assert response.status_code == 403
    html = response.content.decode()
    assert "基础设施公司" not in html and "保障房公司" not in html and "JC-" not in html


def test_a_user_without_a_role_finds_no_project_page(client, nobody, rolled_up):
    client.force_login(nobody)
    for code in ("JC-A", "BZ-A"):
        url = reverse("dashboard:project", args=[rolled_up[code].pk])
        assert client.get(url).status_code == 404


def test_a_user_without_a_role_sees_no_subsidiary_and_no_cockpit_link(client, nobody, orgs):
    assert list(selectors.visible_subsidiaries(nobody)) == []
    assert not selectors.may_open_cockpit(nobody)
    client.force_login(nobody)
    html = client.get(reverse("projects:list")).content.decode()
    assert 'data-nav="cockpit"' not in html


def test_an_inactive_leader_is_refused_too(personas):
    leader = personas["leader"]
    assert selectors.may_open_cockpit(leader)
    leader.is_active = False
    leader.save()
    assert list(selectors.visible_subsidiaries(leader)) == []
    assert not selectors.may_open_cockpit(leader)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("leader", ["housing", "infra"]), ("officer_design", ["housing", "infra"]),
     ("manager", ["infra"]), ("reporter2", ["housing"])],
)  # fmt: skip
def test_the_subsidiaries_in_each_personas_scope(personas, persona, expected):
    assert [o.code for o in selectors.visible_subsidiaries(personas[persona])] == expected
