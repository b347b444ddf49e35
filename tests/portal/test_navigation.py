"""The navigation bar lights one tab at most: the entry whose URL is the longest prefix of the
page's path."""

import re

import pytest

from portal import navigation

pytestmark = pytest.mark.django_db


def _entry(key, url_name, order):
    return navigation.NavEntry(key=key, label=key, url_name=url_name, icon="bi-x",
                               visible=lambda user: True, order=order)  # fmt: skip


def test_it_lights_only_the_longest_matching_entry(personas, monkeypatch):
    monkeypatch.setattr(navigation, "_entries", [
        _entry("home", "home", 1),  # "/" is a prefix of every path
        _entry("reports", "reporting:list", 2),  # /reports/
        _entry("upload", "reporting:excel-upload", 3),  # /reports/excel/upload/
    ])  # fmt: skip
    user = personas["reporter"]

    def active(path):
        return [i["entry"].key for i in navigation.items_for(user, path) if i["active"]]

    assert active("/reports/excel/upload/") == ["upload"]
    assert active("/reports/12/") == ["reports"]
    assert active("/inbox/") == ["home"]


@pytest.mark.parametrize("url", ["/inbox/", "/reports/inbox/"])
def test_the_inbox_page_lights_one_tab(client_for, url):
    response = client_for("reporter").get(url, follow=True)
    lit = re.findall(r'class="nav-link active"[^>]*data-nav="([^"]+)"', response.content.decode())
    assert lit == ["inbox"]
