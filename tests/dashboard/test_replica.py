"""The cockpit reads through the database alias a setting names (`replica` once
DATABASE_REPLICA_URL is set), and the rollups write to the primary. Here the `replica` alias is a
second connection to the same test database (TEST MIRROR): the test proves which connection
each query went through. Committed data (transaction=True): a second connection does not see
the first one's open test transaction."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from dashboard import services
from tests.dashboard.conftest import build_group, empty_caches

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def on_replica(settings):
    settings.PORTAL = {**settings.PORTAL, "COCKPIT_DATABASE": "replica"}


@pytest.fixture
def rolled_up(orgs, personas, clock, today):
    group = build_group(orgs)
    services.rollup_full(today)
    return group


def test_the_cockpits_reads_go_through_the_replica_alias(on_replica, rolled_up, personas, client,
                                                         today):  # fmt: skip
    assert connections["replica"] is not connections["default"]
    leader = personas["leader"]
    client.force_login(leader)
    api = APIClient()
    api.force_authenticate(leader)
    urls = [
        (client, reverse("dashboard:cockpit"), {}),
        (client, reverse("dashboard:cockpit"), {"organisation": "infra"}),
        (client, reverse("dashboard:cockpit"), {"format": "xlsx"}),
        (client, reverse("dashboard:wall"), {}),
        (client, reverse("dashboard:project", args=[rolled_up["JC-B"].pk]), {}),
        (api, reverse("api-cockpit"), {}),
        (api, reverse("api-cockpit-project", args=[rolled_up["JC-B"].pk]), {}),
    ]
    for reader, url, params in urls:
        empty_caches()  # a render from the rollups, not the cached page
        client.force_login(leader)
        with CaptureQueriesContext(connections["replica"]) as replica, \
                CaptureQueriesContext(connections["default"]) as primary:  # fmt: skip
            response = reader.get(url, params)
        assert response.status_code == 200, url
        tables = " ".join(q["sql"] for q in replica.captured_queries)
        assert "dashboard_orgyear" in tables or "dashboard_projectyear" in tables, url
        # The primary answers only what is not the cockpit's: the session's user, the badges.
        for query in primary.captured_queries:
            assert "dashboard_" not in query["sql"], (url, query["sql"])
    # The version check reads the replica too, when it is not cached.
    empty_caches()
    with CaptureQueriesContext(connections["replica"]) as replica:
        assert api.get(reverse("api-cockpit-version")).status_code == 200
    assert "dashboard_rolluprun" in replica.captured_queries[0]["sql"]


def test_the_rollups_write_to_the_primary(on_replica, rolled_up, today):
    with CaptureQueriesContext(connections["replica"]) as replica, \
            CaptureQueriesContext(connections["default"]) as primary:  # fmt: skip
        run = services.rollup_projects([rolled_up["JC-A"].pk], today)
    assert run.status == "ok"
    assert not replica.captured_queries
    writes = [q["sql"] for q in primary.captured_queries
              if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]  # fmt: skip
    assert any("dashboard_projectyear" in sql for sql in writes)
