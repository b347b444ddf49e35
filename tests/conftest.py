"""Fixtures every test may use: the organisation tree and one persona per role.

The personas mirror the demo users (healthchecks' owner/member/outsider, for this portal's roles):
- leader: group leadership, reads everything, changes nothing
- officer: centre officer holding all four functions
- officer_design: centre officer holding design management only
- admin: administrator (superuser)
- manager, reporter: the infrastructure company
- reporter2: the affordable-housing company (the "outsider" to infra's records)
"""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from portal.choices import Function, OrganisationKind, Role
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory

# Tests talk plain HTTP to the test client and the live server; production redirects to HTTPS.
settings.SECURE_SSL_REDIRECT = False
settings.SESSION_COOKIE_SECURE = False
settings.CSRF_COOKIE_SECURE = False
# Static files come from the finders in tests (no collectstatic run).
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Celery tasks run in this process in tests, with or without REDIS_URL, except in the tests
    that start a real worker (marked celery_worker). The rollup queue's "a run is scheduled"
    flag lives in the cache, which is Redis when REDIS_URL is set: start each test without it."""
    from django.core.cache import cache

    from dashboard.pagecache import forget_local
    from dashboard.services import SCHEDULED_KEY
    from portal.celery import app

    cache.delete(SCHEDULED_KEY)
    forget_local()  # the cockpit's pages kept in this process
    if request.node.get_closest_marker("celery_worker"):
        yield  # the worker and this process share the cache (Redis)
        return
    # Every other test starts with an empty cache of its own (the cockpit caches pages).
    settings = request.getfixturevalue("settings")
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": request.node.nodeid,
    }}  # fmt: skip
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _media_in_tmp(request, tmp_path_factory):
    """Attachments (portal.files) are written to a temporary folder, never into the repo."""
    settings = request.getfixturevalue("settings")
    media = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "portal.files.PrivateStorage",
            "OPTIONS": {"location": str(media / "attachments")},
        },
    }
    return media


@pytest.fixture
def orgs(db):
    group = OrganisationFactory(code="group", name="滨江城投集团", kind=OrganisationKind.GROUP)
    return {
        "group": group,
        "pmc": OrganisationFactory(
            code="pmc", name="项目管理中心", kind=OrganisationKind.CENTRE, parent=group
        ),
        "infra": OrganisationFactory(code="infra", name="基础设施公司", parent=group),
        "housing": OrganisationFactory(code="housing", name="保障房公司", parent=group),
    }


@pytest.fixture
def personas(orgs):
    def make(username, org, role, functions=(), superuser=False):
        return UserFactory(
            username=username,
            organisation=orgs[org],
            role=role,
            functions=[str(f) for f in functions],
            is_superuser=superuser,
            is_staff=superuser,
        )

    return {
        "leader": make("leader", "group", Role.LEADER),
        "officer": make("officer", "pmc", Role.OFFICER, Function.values),
        "officer_design": make("officer_design", "pmc", Role.OFFICER, [Function.DESIGN]),
        "admin": make("admin", "group", Role.ADMIN, superuser=True),
        "manager": make("manager", "infra", Role.MANAGER),
        "reporter": make("reporter", "infra", Role.REPORTER),
        "reporter2": make("reporter2", "housing", Role.REPORTER),
    }


@pytest.fixture
def infra_project(orgs):
    return ProjectFactory(owner=orgs["infra"], code="JC-2026-001", name="滨河大道快速化改造工程")


@pytest.fixture
def housing_project(orgs):
    return ProjectFactory(
        owner=orgs["housing"],
        code="BZ-2026-001",
        name="望江保障性住房项目",
        category="affordable_housing",
    )


@pytest.fixture
def client_for(client, personas):
    """A logged-in test client for a persona name."""

    def login(name):
        client.force_login(personas[name])
        return client

    return login


@pytest.fixture
def api_for(personas):
    def login(name):
        api = APIClient()
        api.force_authenticate(personas[name])
        return api

    return login
