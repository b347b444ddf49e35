"""Logging in and out, throttling, password change, language, and the navigation per role."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD


def test_it_logs_in_and_lands_on_the_home_page(client, personas):
    response = client.post(reverse("login"), {"username": "reporter", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home")).content.decode()
    assert personas["reporter"].name in home
    assert "基础设施公司" in home


def test_it_says_why_a_login_failed_and_keeps_the_username(client, personas):
    response = client.post(reverse("login"), {"username": "reporter", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="form-errors"' in html
    assert 'value="reporter"' in html
    assert "请输入一个正确的" in html  # Django's own message, in Chinese


def test_it_locks_out_after_repeated_failures(client, personas, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"), {"username": "reporter", "password": "wrong"}, REMOTE_ADDR="10.1.1.1"
        )
    locked = client.post(
        reverse("login"), {"username": "reporter", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1"
    )
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_logs_out_only_by_post(client_for):
    client = client_for("reporter")
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_it_changes_the_password_with_errors_next_to_the_field(client_for, personas):
    client = client_for("reporter")
    bad = client.post(
        reverse("password_change"),
        {
            "old_password": "nope",
            "new_password1": "Qx7!long-enough",
            "new_password2": "Qx7!long-enough",
        },
    )
    assert 'data-field-error="old_password"' in bad.content.decode()
    good = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Qx7!long-enough",
            "new_password2": "Qx7!long-enough",
        },
    )
    assert good.status_code == 302
    personas["reporter"].refresh_from_db()
    assert personas["reporter"].check_password("Qx7!long-enough")


def test_it_speaks_chinese_by_default_and_english_on_request(client_for):
    client = client_for("officer")
    assert "项目库" in client.get(reverse("projects:list")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": reverse("projects:list")})
    english = client.get(reverse("projects:list")).content.decode()
    assert "Project registry" in english
    assert '<html lang="en">' in english


@pytest.mark.parametrize(
    ("persona", "sees_admin"),
    [
        ("leader", False),
        ("officer", False),
        ("admin", True),
        ("manager", False),
        ("reporter", False),
        ("reporter2", False),
    ],
)
def test_the_navigation_shows_what_the_role_may_use(client_for, persona, sees_admin):
    html = client_for(persona).get(reverse("home")).content.decode()
    assert 'data-nav="projects"' in html
    assert ('data-nav="admin"' in html) == sees_admin


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("admin", 200),
        ("officer", 302),
        ("leader", 302),
        ("reporter", 302),
    ],
)
def test_only_administrators_reach_the_django_admin(client_for, persona, status):
    assert client_for(persona).get(reverse("admin:index")).status_code == status


def test_the_admin_lists_and_searches_every_registry_model(client_for, infra_project):
    client = client_for("admin")
    for name in [
        "projects_project",
        "projects_annualplan",
        "projects_milestone",
        "portal_organisation",
        "portal_user",
    ]:
        response = client.get(reverse(f"admin:{name}_changelist"), {"q": "滨河"})
        assert response.status_code == 200, name


def test_it_issues_and_rotates_an_api_token_from_the_profile(client_for, personas):
    client = client_for("reporter")
    client.post(reverse("profile"))
    first = personas["reporter"].auth_token.key
    client.post(reverse("profile"))
    personas["reporter"].refresh_from_db()
    assert personas["reporter"].auth_token.key != first
    assert personas["reporter"].auth_token.key in client.get(reverse("profile")).content.decode()
