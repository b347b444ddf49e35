"""The API documentation pages load nothing from a CDN: Redoc and Swagger UI come from
drf-spectacular-sidecar, the type is the system's, and a policy keeps the browser from fetching
images, fonts or data from elsewhere (Redoc's sidebar logo, Swagger's validator badge)."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")
ATTR = re.compile(r"""(?:src|href)="([^"]+)\"""")


@pytest.mark.parametrize("name", ["api-redoc", "api-docs"])
def test_it_references_no_url_outside_the_portal(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    outside = [
        u for u in URL.findall(body) if not u.startswith(("http://testserver/", "//testserver/"))
    ]
    assert outside == []
    assert "fonts.googleapis" not in body
    assert "Content-Security-Policy" in body


@pytest.mark.parametrize("name", ["api-redoc", "api-docs"])
def test_it_serves_its_scripts_and_styles_from_the_portal(client, name):
    body = client.get(reverse(name)).content.decode()
    assets = [a for a in ATTR.findall(body) if a.startswith("/static/")]
    assert assets
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset


def test_swagger_ui_has_no_online_validator(client):
    body = client.get(reverse("api-docs")).content.decode()
    assert '"validatorUrl": null' in body
