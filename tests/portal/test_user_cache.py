"""The signed-in user's row comes from the cache after the first request (portal.backends):
what changes the user, or their organisation, is seen on the very next request."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.choices import Role

HOME = reverse("home")
PROJECTS = reverse("projects:list")


def test_the_user_is_read_once_then_from_the_cache(client_for):
    client = client_for("reporter")
    client.get(PROJECTS)
    with CaptureQueriesContext(connection) as warm:
        client.get(PROJECTS)
    assert not [q for q in warm.captured_queries if 'FROM "portal_user"' in q["sql"]
                and '"portal_user"."id" =' in q["sql"] and "LIMIT 1" in q["sql"]]  # fmt: skip


def test_a_deactivated_user_is_signed_out_on_the_next_request(client_for, personas):
    client = client_for("reporter")
    assert client.get(PROJECTS).status_code == 200
    user = personas["reporter"]
    user.is_active = False
    user.save()
    response = client.get(PROJECTS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_changed_password_ends_the_other_sessions(client_for, personas):
    client = client_for("reporter")
    assert client.get(PROJECTS).status_code == 200
    user = personas["reporter"]
    user.set_password("a-new-long-passphrase-2026")
    user.save()
    assert client.get(PROJECTS).status_code == 302


def test_a_role_change_takes_effect_on_the_next_request(client_for, personas):
    client = client_for("reporter")
    assert client.get(reverse("projects:create")).status_code == 403
    user = personas["reporter"]
    user.role = Role.MANAGER
    user.save()
    assert client.get(reverse("projects:create")).status_code == 200


def test_an_organisation_change_reaches_its_signed_in_users(client_for, personas, orgs):
    client = client_for("reporter")
    client.get(PROJECTS)
    infra = orgs["infra"]
    infra.name = "城市基础设施建设公司"
    infra.save()
    assert client.get(HOME).wsgi_request.user.organisation.name == "城市基础设施建设公司"


# --- the API's token: its user from the cache, on the same terms ------------------------------

API_PROJECTS = "/api/v1/projects/"


def token_client(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token, _created = Token.objects.get_or_create(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api, token


def test_a_token_call_reads_its_user_once_then_from_the_cache(personas):
    api, _token = token_client(personas["reporter"])
    assert api.get(API_PROJECTS).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert api.get(API_PROJECTS).status_code == 200
    assert not [q for q in warm.captured_queries if "authtoken_token" in q["sql"]]


def test_a_deleted_token_is_refused_on_the_next_call(personas):
    api, token = token_client(personas["reporter"])
    assert api.get(API_PROJECTS).status_code == 200
    token.delete()
    refused = api.get(API_PROJECTS)
    assert refused.status_code == 401 and "WWW-Authenticate" in refused


def test_a_deactivated_users_token_is_refused_on_the_next_call(personas):
    api, _token = token_client(personas["reporter"])
    assert api.get(API_PROJECTS).status_code == 200
    user = personas["reporter"]
    user.is_active = False
    user.save()
    assert api.get(API_PROJECTS).status_code == 401


def test_a_role_change_reaches_the_tokens_next_call(personas):
    user = personas["leader"]
    api, _token = token_client(user)
    assert api.get("/api/v1/cockpit/").status_code == 200
    user.role = ""  # no role: the cockpit is refused
    user.save()
    assert api.get("/api/v1/cockpit/").status_code == 403


def test_an_unknown_token_is_refused_without_being_cached(personas):
    from django.core.cache import cache
    from rest_framework.test import APIClient

    from portal.backends import token_cache_key

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert api.get(API_PROJECTS).status_code == 401
    assert cache.get(token_cache_key("0" * 40)) is None
    assert api.get(API_PROJECTS).status_code == 401


def test_a_token_given_to_another_user_authenticates_them_on_the_next_call(personas):
    api, token = token_client(personas["reporter"])
    assert api.get(API_PROJECTS).wsgi_request.user == personas["reporter"]
    token.user = personas["manager"]
    token.save()
    assert api.get(API_PROJECTS).wsgi_request.user == personas["manager"]


def test_a_row_cached_again_before_the_commit_is_dropped_at_the_commit(
    personas, django_capture_on_commit_callbacks
):
    """A request that read the user between the change and its commit caches the old row; the
    commit drops it again."""
    from django.core.cache import cache

    from portal.backends import user_cache_key

    user = personas["reporter"]
    key = user_cache_key(user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
        cache.set(key, "the row as it was before the commit", 300)
    assert cache.get(key) is None
