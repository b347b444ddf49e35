"""The portal's own error pages, in Chinese, also under DEBUG (what `make run` sets).

Django's technical 404 page (English, the URL patterns) is for developers; a user who opens a
record out of scope or mistypes an address gets the portal's page. The technical 500 page stays
under DEBUG on purpose: it is what a developer needs to mend the fault.
"""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _templates(response) -> list[str]:
    return [t.name for t in response.templates]


@pytest.mark.parametrize("debug", [True, False])
def test_it_shows_the_portal_404_for_a_record_out_of_scope(client_for, housing_project,
                                                          settings, debug):  # fmt: skip
    settings.DEBUG = debug
    response = client_for("reporter").get(reverse("projects:detail", args=[housing_project.pk]))
    assert response.status_code == 404
    assert "404.html" in _templates(response)
    assert "base.html" in _templates(response)
    assert "页面不存在" in response.content.decode()
    assert "Using the URLconf" not in response.content.decode()


@pytest.mark.parametrize("debug", [True, False])
def test_it_shows_the_portal_404_for_an_unknown_address(client_for, settings, debug):
    settings.DEBUG = debug
    response = client_for("reporter").get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in _templates(response)
    body = response.content.decode()
    assert "页面不存在" in body
    assert "Using the URLconf" not in body
    assert 'data-testid="nav"' in body  # the page keeps the portal's navigation


def test_it_shows_the_portal_404_to_anonymous_visitors(client, settings):
    settings.DEBUG = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_it_still_adds_the_missing_slash_under_debug(client_for, settings):
    settings.DEBUG = True
    response = client_for("reporter").get("/inbox")
    assert response.status_code == 301
    assert response["Location"] == "/inbox/"


@pytest.mark.parametrize("debug", [True, False])
def test_it_shows_the_portal_403_for_a_refused_page(client_for, infra_project, settings, debug):
    settings.DEBUG = debug
    # A reporter sees his company's project but may not change it.
    response = client_for("reporter").get(reverse("projects:update", args=[infra_project.pk]))
    assert response.status_code == 403
    assert "403.html" in _templates(response)
    assert "无权访问" in response.content.decode()


def test_it_leaves_the_api_404_as_json(api_for, housing_project, settings):
    settings.DEBUG = True
    response = api_for("reporter").get(f"/api/v1/projects/{housing_project.pk}/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_it_shows_the_plain_500_page_without_debug(personas, settings, monkeypatch):
    settings.DEBUG = False
    from portal import views

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.HomeView, "get", lambda self, request: broken(request))
    client = Client(raise_request_exception=False)
    client.force_login(personas["reporter"])
    response = client.get("/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器出错" in body
    assert "Server error" in body


def test_it_answers_favicon_ico_without_a_404(client, settings):
    settings.DEBUG = True
    response = client.get("/favicon.ico", follow=False)
    assert response.status_code == 302
    assert response["Location"] == "/static/portal/favicon.ico"
    from django.contrib.staticfiles import finders

    assert finders.find("portal/favicon.ico")
    assert finders.find("portal/favicon.svg")


def test_every_page_links_the_favicon(client):
    body = client.get(reverse("login")).content.decode()
    assert 'rel="icon" href="/static/portal/favicon.svg"' in body
