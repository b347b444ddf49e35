"""Bounded input, never a 500: throttles, the token endpoint's lockout, bad query values,
translated 404s and the load balancer's health probe."""

import pytest
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from tests.factories import PASSWORD, ProgressReportFactory, ReportingPeriodFactory

TOKEN = "/api/v1/auth/token/"


def rates(settings, **scopes):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            **scopes,
        },
    }


# --- throttles --------------------------------------------------------------------------------


def test_the_token_endpoint_answers_429_after_its_rate_per_address(db, settings):
    rates(settings, token="5/minute")
    api = APIClient(REMOTE_ADDR="10.2.2.2")
    answers = [
        api.post(TOKEN, {"username": f"guess{n}", "password": "x"}).status_code for n in range(6)
    ]
    assert answers == [400] * 5 + [429]
    # Another address is not slowed down by the first one's guessing.
    other = APIClient(REMOTE_ADDR="10.3.3.3").post(TOKEN, {"username": "guess", "password": "x"})
    assert other.status_code == 400


def test_the_default_token_rate_stops_a_hundred_guesses(db):
    api = APIClient(REMOTE_ADDR="10.2.2.2")
    answers = [
        api.post(TOKEN, {"username": f"guess{n}", "password": "x"}).status_code for n in range(100)
    ]
    assert 429 in answers


def test_an_api_user_is_throttled_after_the_user_rate(api_for, settings):
    rates(settings, user="3/minute")
    api = api_for("reporter")
    answers = [api.get("/api/v1/projects/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert "Retry-After" in api.get("/api/v1/projects/").headers


def test_normal_use_gets_its_token_and_lists_unthrottled(personas):
    api = APIClient(REMOTE_ADDR="10.5.5.5")
    response = api.post(TOKEN, {"username": "reporter", "password": PASSWORD})
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert all(api.get("/api/v1/projects/").status_code == 200 for _ in range(20))


# --- the token endpoint goes through django-axes -------------------------------------------------


def test_the_token_endpoint_says_a_locked_account_is_locked(personas, settings, client):
    api = APIClient(REMOTE_ADDR="10.1.1.1")
    wrong = {"username": "reporter", "password": "wrong"}
    answers = [api.post(TOKEN, wrong).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert answers == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # the last one locks
    locked = api.post(TOKEN, {"username": "reporter", "password": PASSWORD})
    assert locked.status_code == 429
    assert "锁定" in locked.json()["detail"]
    assert "token" not in locked.json()
    # The token endpoint's failures lock the log-in page too: one lockout per account and address.
    page = client.post(
        reverse("login"), {"username": "reporter", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1"
    )
    assert page.status_code == 429


def test_a_lockout_on_the_login_page_holds_for_the_token_endpoint(personas, settings, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"), {"username": "reporter", "password": "wrong"}, REMOTE_ADDR="10.1.1.1"
        )
    locked = APIClient(REMOTE_ADDR="10.1.1.1").post(
        TOKEN, {"username": "reporter", "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert "锁定" in locked.json()["detail"]
    # From another address the account still works.
    elsewhere = APIClient(REMOTE_ADDR="10.9.9.9").post(
        TOKEN, {"username": "reporter", "password": PASSWORD}
    )
    assert elsewhere.status_code == 200


# --- bad query values: 400 with a reason, never silently ignored --------------------------------


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/projects/?page_size=abc", "page_size"),
        ("/api/v1/projects/?page_size=0", "page_size"),
        ("/api/v1/projects/?page=abc", "page"),
        ("/api/v1/projects/?page=-1", "page"),
        ("/api/v1/projects/?is_key=maybe", "is_key"),
        ("/api/v1/projects/?stage=nope", "stage"),
        ("/api/v1/projects/?ordering=secret", "ordering"),
        ("/api/v1/reports/?page_size=-5", "page_size"),
        ("/api/v1/reports/?is_key=2", "is_key"),
        ("/api/v1/reports/?period=1999-13", "period"),
        ("/api/v1/periods/?year=-1.19e-07", "year"),
        ("/api/v1/periods/?year=abc", "year"),
        ("/api/v1/periods/?month=99999999999999999999", "month"),
        ("/api/v1/periods/?page=abc", "page"),
        ("/api/v1/coordination-items/?status=nope", "status"),
        ("/api/v1/coordination-items/?ordering=nope", "ordering"),
        ("/api/v1/notifications/?unread=perhaps", "unread"),
        ("/api/v1/notifications/?page_size=abc", "page_size"),
    ],
)
def test_the_api_refuses_a_bad_query_value_naming_it(api_for, infra_project, url, param):
    response = api_for("officer").get(url)
    assert response.status_code == 400
    assert list(response.json()) == [param]
    assert response.json()[param][0]  # a reason


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/projects/?page=1&page_size=10&is_key=true&ordering=-code",
        "/api/v1/projects/?page=last&is_key=false",
        "/api/v1/projects/?page_size=100000",  # capped at the maximum, as DRF documents
        "/api/v1/periods/?year=2026&month=10",
        "/api/v1/notifications/?unread=true",
        "/api/v1/reports/?is_key=&page_size=",
    ],
)
def test_good_query_values_still_work(api_for, infra_project, url):
    assert api_for("officer").get(url).status_code == 200


@pytest.mark.parametrize(
    ("url", "field"),
    [("/projects/?is_key=maybe", "is_key"), ("/reports/?is_key=2", "is_key"),
     ("/projects/?stage=nope", "stage")],
)  # fmt: skip
def test_a_list_page_shows_a_bad_filter_value_at_its_field(client_for, infra_project, url, field):
    response = client_for("officer").get(url)
    assert response.status_code == 200
    assert field in response.context["filterset"].errors
    # In the filter bar, right under the field (escaped as the template prints it).
    [message] = response.context["filterset"].errors[field]
    assert f'<div class="invalid-feedback d-block">{escape(message)}</div>' in (
        response.content.decode()
    )


def test_a_form_encoded_report_body_is_refused_not_dropped(api_for, infra_project):
    period = ReportingPeriodFactory(year=2026, month=10)
    report = ProgressReportFactory(project=infra_project, period=period)
    url = f"/api/v1/reports/{report.pk}/"
    body = {"version": 1, "next_steps": "下月完成", "problems": "甲"}
    for fmt in ("multipart", None):  # None: application/x-www-form-urlencoded
        api = api_for("reporter")
        if fmt:
            response = api.patch(url, body, format=fmt)
        else:
            response = api.generic(
                "PATCH", url, "version=1&problems=x", "application/x-www-form-urlencoded"
            )
        # Only JSON can carry the nested `problems`: form bodies are refused, never half-read.
        assert response.status_code == 415
        assert "problems" in response.json()["detail"]
    report.refresh_from_db()
    assert (report.version, report.next_steps, report.problems.count()) == (1, "", 0)


# --- 404s in Chinese ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/projects/{pk}/", "/api/v1/reports/{pk}/"])
def test_an_api_404_is_translated(api_for, housing_project, path):
    period = ReportingPeriodFactory(year=2026, month=10)
    report = ProgressReportFactory(project=housing_project, period=period)
    pk = housing_project.pk if "projects" in path else report.pk
    api = api_for("reporter")  # infra's reporter: the housing rows are out of scope
    for target in (pk, 999999):
        response = api.get(path.format(pk=target))
        assert response.status_code == 404
        detail = response.json()["detail"]
        assert "matches the given query" not in detail
        assert detail == _not_found()


def _not_found():
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(translation.gettext("Not found, or not in your scope."))


# --- /healthz for the load balancer --------------------------------------------------------------


@pytest.mark.parametrize("host", ["10.0.3.7", "10.0.3.7:8000", "pmc.example.com"])
def test_healthz_answers_a_plain_http_probe_by_any_host(client, settings, host):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["pmc.example.com"]
    for method in (client.get, client.head):
        response = method("/healthz", HTTP_HOST=host)
        assert response.status_code == 200
    assert client.get("/healthz", HTTP_HOST=host).content == b"ok"


def test_other_pages_keep_the_https_redirect_and_the_host_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["pmc.example.com"]
    redirected = client.get("/accounts/login/", HTTP_HOST="pmc.example.com")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://pmc.example.com/accounts/login/"
    assert client.get("/accounts/login/", HTTP_HOST="10.0.3.7", secure=True).status_code == 400
    assert client.get("/healthzz", HTTP_HOST="10.0.3.7").status_code in (301, 400)


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["0226-05-01", "2226-05-01", "1899-12-31"])
def test_a_date_out_of_range_is_refused_at_its_field_on_a_page(client_for, infra_project, typed):
    """A year typed as 0226 or 2226 is a slip: refused where it was typed, the rest kept."""
    stage = infra_project.design_stages.get(kind="scheme")
    url = reverse("design:stage-edit", args=[stage.pk])
    page = client_for("manager").get(url).content.decode()
    assert 'min="1900-01-01"' in page and 'max="2099-12-31"' in page  # the picker knows too
    body = {"planned_start": typed, "outcome": "pending", "designer": "滨江市政院", "version": 1}
    response = client_for("manager").post(url, body)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-field-error="planned_start"' in html
    assert "1900-01-01" in html and "滨江市政院" in html
    stage.refresh_from_db()
    assert (stage.planned_start, stage.designer) == (None, "")


def test_the_api_refuses_a_date_out_of_range_with_a_reason(api_for, infra_project, settings):
    settings.LANGUAGE_CODE = "en"
    stage = infra_project.design_stages.get(kind="scheme")
    api = api_for("manager")
    response = api.patch(reverse("api-design-stage-detail", args=[stage.pk]),
                         {"planned_start": "2100-01-01", "version": 1}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {"planned_start": ["Enter a date between 1900-01-01 and 2099-12-31."]}
    project = api.patch(reverse("api-project-detail", args=[infra_project.pk]),
                        {"planned_finish": "1899-12-31"}, format="json")  # fmt: skip
    assert project.status_code == 400 and list(project.json()) == ["planned_finish"]
    fine = api.patch(reverse("api-design-stage-detail", args=[stage.pk]),
                     {"planned_start": "2099-12-31", "version": 1}, format="json")  # fmt: skip
    assert fine.status_code == 200
