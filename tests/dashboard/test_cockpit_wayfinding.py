"""What a reader of the cockpit needs to find his way: how much of the red list is shown, and
breadcrumbs that lead where they say."""

import re

import pytest
from django.urls import reverse

from dashboard import services
from tests.dashboard.test_views import LEADER_QUERIES, section

COCKPIT = reverse("dashboard:cockpit")


@pytest.fixture
def rolled_up(group, today):
    services.rollup_full(today)
    return group


@pytest.fixture
def browse(client, client_for, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client_for


def test_a_cut_red_list_says_how_many_it_shows_of_how_many(browse, rolled_up, settings,
                                                          django_assert_num_queries):  # fmt: skip
    # JC-B and JC-C are red, BZ-D orange: three, of which the list shows two.
    settings.PORTAL = {**settings.PORTAL, "COCKPIT_RED_LIST": 2}
    client = browse("leader")
    with django_assert_num_queries(LEADER_QUERIES):  # the total costs no query of its own
        html = client.get(COCKPIT).content.decode()
    assert len(re.findall(r">((?:JC|BZ)-[A-Z])</a>", section(html, "red-list"))) == 2
    assert re.search(r'data-testid="red-list-count">\s*showing the first 2 of 3\s*<', html)


def test_a_whole_red_list_says_nothing_more(browse, rolled_up):
    html = browse("leader").get(COCKPIT).content.decode()
    assert 'data-testid="red-list-count"' not in html


def test_a_subsidiary_reader_has_no_group_crumb(browse, rolled_up, orgs):
    html = browse("reporter").get(COCKPIT).content.decode()
    crumbs = section(html, "breadcrumb", "</ol>")
    assert ">Group<" not in crumbs
    assert orgs["infra"].short_name in crumbs
    page = browse("reporter").get(reverse("dashboard:project", args=[rolled_up["JC-B"].pk]))
    crumbs = section(page.content.decode(), "breadcrumb", "</ol>")
    assert ">Group<" not in crumbs
    assert f'href="{COCKPIT}?year=2026&amp;organisation=infra"' in crumbs


def test_leadership_keeps_the_group_crumb(browse, rolled_up):
    client = browse("leader")
    crumbs = section(client.get(COCKPIT, {"organisation": "infra"}).content.decode(),
                     "breadcrumb", "</ol>")  # fmt: skip
    assert f'href="{COCKPIT}?year=2026">Group<' in crumbs
    page = client.get(reverse("dashboard:project", args=[rolled_up["JC-B"].pk]))
    assert ">Group<" in section(page.content.decode(), "breadcrumb", "</ol>")
