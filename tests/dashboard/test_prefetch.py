"""A cached cockpit request reads everything it needs from the cache in one round trip when the
browser brings the page's hint (dashboard.pagecache.prefetch), and the hint is never trusted:
the session says who is signed in, and the signed-in user's own scope says which page."""

import pytest
from django.core.cache import caches
from django.urls import reverse

from dashboard import services
from dashboard.pagecache import HINT_COOKIE
from portal.choices import Role

COCKPIT = reverse("dashboard:cockpit")
READS = ("get", "get_many", "add", "incr", "set", "set_many", "has_key")


@pytest.fixture
def rolled_up(group, today):
    services.rollup_full(today)
    return group


class Calls(list):
    """The names of the calls; `keys`: the keys each get_many asked for."""

    def __init__(self):
        super().__init__()
        self.keys: list[list[str]] = []

    def clear(self):
        super().clear()
        self.keys.clear()


@pytest.fixture
def trips(monkeypatch):
    """The calls the next requests make to the cache (sessions and pages share it); a call
    within a call (the local cache's get_many calls get) is not another trip."""
    backend = caches["default"]
    calls, depth = Calls(), [0]
    for name in READS:
        original = getattr(backend, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            if not depth[0]:
                calls.append(_name)
                if _name == "get_many":
                    calls.keys.append(list(args[0]))
            depth[0] += 1
            try:
                return _original(*args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(backend, name, counted)
    return calls


def test_the_cockpit_leaves_a_hint_of_its_user_and_scope(client, personas, rolled_up):
    client.force_login(personas["manager"])
    response = client.get(COCKPIT)
    cookie = response.cookies[HINT_COOKIE]
    assert cookie.value == f"{personas['manager'].pk}:{personas['manager'].organisation.path}"
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == COCKPIT
    # Sent once: the next answer does not set it again.
    assert HINT_COOKIE not in client.get(COCKPIT).cookies


def test_with_the_hint_a_cached_page_is_one_round_trip(client, personas, rolled_up, trips):
    client.force_login(personas["leader"])
    first = client.get(COCKPIT).content  # renders, caches, leaves the hint
    client.get(COCKPIT)  # caches the navigation bar
    trips.clear()
    again = client.get(COCKPIT)
    assert trips == ["get_many"]
    assert again.content.split(b"<main", 1)[1] == first.split(b"<main", 1)[1]
    # Without the hint: the session, the user's row, then the version, page and bar.
    del client.cookies[HINT_COOKIE]
    trips.clear()
    assert client.get(COCKPIT).status_code == 200
    assert trips == ["get", "get", "get_many"]


def test_a_forged_hint_reads_nobody_elses_page(client, personas, rolled_up):
    leader = personas["leader"]
    client.force_login(leader)
    group_page = client.get(COCKPIT).content.decode()
    assert "保障房公司" in group_page or "BZ-" in group_page  # the group's page names housing
    # A housing reporter claims to be the leader, with the group's scope.
    client.force_login(personas["reporter2"])
    client.cookies[HINT_COOKIE] = f"{leader.pk}:group"
    response = client.get(COCKPIT)
    assert response.wsgi_request.user == personas["reporter2"]
    page = response.content.decode()
    assert "JC-" not in page  # no project of the infrastructure company
    assert page.split("<main", 1)[1] != group_page.split("<main", 1)[1]
    # Its own hint replaces the forged one.
    assert response.cookies[HINT_COOKIE].value.startswith(f"{personas['reporter2'].pk}:")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "x",
        "1:",
        ":group",
        "1:a b",
        "1:" + "a" * 300,
        "1;2:x",
        "0:group",
        "999999999999:group",
        "officer:group",
    ],
)
def test_a_wrong_or_malformed_hint_is_ignored(client, personas, rolled_up, value):
    leader = personas["leader"]
    client.force_login(leader)
    client.cookies[HINT_COOKIE] = value.replace("officer", str(personas["officer"].pk))
    response = client.get(COCKPIT)
    assert response.status_code == 200 and response.wsgi_request.user == leader
    assert response.cookies[HINT_COOKIE].value == f"{leader.pk}:group"  # its own, again


def test_a_hint_naming_another_user_of_the_same_scope_shows_this_users_bar(
    client, personas, rolled_up
):
    leader, officer = personas["leader"], personas["officer"]
    client.force_login(leader)
    client.get(COCKPIT)
    client.get(COCKPIT)  # the leader's bar is cached, the group's page too
    client.force_login(officer)
    client.cookies[HINT_COOKIE] = f"{leader.pk}:group"  # the same scope: the same page key
    page = client.get(COCKPIT).content.decode()
    head = page.split("<main", 1)[0]
    assert officer.get_full_name() in head and leader.get_full_name() not in head


def test_an_anonymous_request_with_a_hint_is_sent_to_log_in(client, personas, rolled_up):
    client.cookies[HINT_COOKIE] = f"{personas['leader'].pk}:group"
    client.cookies["sessionid"] = "forged-session-key-0123456789"
    response = client.get(COCKPIT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_stale_hint_after_a_role_change_shows_the_new_scope(client, personas, rolled_up):
    user = personas["manager"]  # the infrastructure company's manager
    client.force_login(user)
    client.get(COCKPIT)
    client.get(COCKPIT)  # cached, with the hint of the company's scope
    user.role = Role.LEADER
    user.organisation = personas["leader"].organisation
    user.save()
    response = client.get(COCKPIT)
    assert response.wsgi_request.user.role == Role.LEADER
    assert response.cookies[HINT_COOKIE].value == f"{user.pk}:group"
    assert "BZ-" in response.content.decode() or "保障房公司" in response.content.decode()


def test_a_deactivated_user_with_the_hint_is_signed_out(client, personas, rolled_up):
    user = personas["manager"]
    client.force_login(user)
    client.get(COCKPIT)
    user.is_active = False
    user.save()
    response = client.get(COCKPIT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_navigation_bar_cached_for_another_session_carries_this_sessions_token(
    personas, rolled_up
):
    """The bar is cached per user for a few seconds: its forms (log out, language) must still
    post with the token of the session that reads it."""
    import re

    from django.test import Client

    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for browser in (first, second):
        browser.force_login(personas["leader"])
    first.get(COCKPIT)
    first.get(COCKPIT)  # the bar is cached now
    page = second.get(COCKPIT).content.decode()
    form = page.split('action="/accounts/logout/"', 1)[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    assert second.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302


def test_the_cockpits_csrf_token_passes_a_post_and_is_masked_afresh_each_time(personas, rolled_up):
    """The cached page masks the CSRF secret itself (pagecache.masked_csrf_token, faster than
    Django's get_token): every response a new mask (BREACH), every one Django accepts; the
    browser's cookie is kept, not sent back."""
    import re

    from django.middleware.csrf import _unmask_cipher_token
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas["leader"])
    browser.get(COCKPIT)
    tokens = []
    for _ in range(3):  # cached renders
        response = browser.get(COCKPIT)
        assert "csrftoken" not in response.cookies
        page = response.content.decode()
        form = page.split('action="/accounts/logout/"', 1)[1]
        tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1])
    secret = browser.cookies["csrftoken"].value
    assert len(set(tokens)) == 3 and all(len(t) == 64 for t in tokens)
    assert {_unmask_cipher_token(t) for t in tokens} == {secret}
    assert browser.post("/accounts/logout/", {"csrfmiddlewaretoken": tokens[0]}).status_code == 302


def test_a_browser_without_a_csrf_cookie_gets_one_with_the_cached_page(personas, rolled_up):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas["leader"])
    browser.get(COCKPIT)
    del browser.cookies["csrftoken"]
    response = browser.get(COCKPIT)
    assert response.status_code == 200 and len(response.cookies["csrftoken"].value) == 32


def test_a_page_this_process_kept_is_not_shown_after_a_new_run(
    client, personas, rolled_up, today, trips
):
    client.force_login(personas["leader"])
    client.get(COCKPIT)
    client.get(COCKPIT)
    trips.clear()
    before = client.get(COCKPIT).content.decode()
    # One trip, without the page: this process's copy, checked by the version in the trip.
    assert trips == ["get_many"] and not [k for k in trips.keys[0] if "dashboard:page" in k]
    old, _at = services.data_version()
    services.rollup_full(today)
    new, _at = services.data_version()
    assert new != old and f"v={old}" in before
    after = client.get(COCKPIT).content.decode()
    assert f"v={new}" in after and f"v={old}" not in after


def test_log_out_deletes_the_cockpits_hint(client, personas, rolled_up):
    """The hint names the user and their scope: it does not stay in a shared browser. A browser
    sends it only to /dashboard/, never to the log-out URL, so log-out deletes it unasked (the
    test client sends every cookie to every path: the hint is dropped from it to be a browser)."""
    client.force_login(personas["leader"])
    client.get(COCKPIT)
    assert client.cookies[HINT_COOKIE].value.startswith(f"{personas['leader'].pk}:")
    del client.cookies[HINT_COOKIE]
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    gone = response.cookies[HINT_COOKIE]
    assert (gone.value, gone["max-age"], gone["path"]) == ("", 0, COCKPIT)
