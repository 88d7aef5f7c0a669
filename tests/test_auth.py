"""Accounts, passwords, login sessions, throttling and CSRF (dictionary.auth, auth_views)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner  # noqa: F401  (used through app.test_cli_runner)
from sqlalchemy import select

from dictionary.auth import AccountError, create_user, verify_login
from dictionary.db import get_db
from dictionary.models import User

from conftest import PASSWORD, csrf_token, get_state_close, login, make_app


def test_passwords_are_hashed_with_argon2id(app, users):
    with app.app_context(), get_db().Session() as s:
        user = s.scalar(select(User).where(User.email == users["editor"]))
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert verify_login(s, "EDITOR@example.test ", PASSWORD) is not None  # e-mail folded
        assert verify_login(s, users["editor"], PASSWORD + "x") is None
        assert verify_login(s, "nobody@example.test", PASSWORD) is None


def test_production_apps_hash_with_rfc_9106_defaults_and_only_test_apps_cheaply(tmp_path):
    """The suite hashes with argon2's cheapest parameters for speed; an app without TESTING
    uses the library defaults, and upgrades a cheap hash at the next login."""
    test_app = make_app(tmp_path / "instance")
    production = make_app(tmp_path / "instance", TESTING=False)
    try:
        with test_app.app_context(), get_db().transaction() as s:
            cheap = create_user(s, "cheap@example.test", PASSWORD, "editor").password_hash
        with production.app_context(), get_db().transaction() as s:
            strong = create_user(s, "strong@example.test", PASSWORD, "editor").password_hash
            assert verify_login(s, "cheap@example.test", PASSWORD) is not None
        with production.app_context(), get_db().Session() as s:
            upgraded = s.scalar(select(User.password_hash)
                                .where(User.email == "cheap@example.test"))
        assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
        assert strong.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert upgraded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    finally:
        get_state_close(test_app)
        get_state_close(production)


@pytest.mark.parametrize("email, password, role, message", [
    ("not-an-address", PASSWORD, "editor", "not an e-mail address"),
    ("a@example.test", "short", "editor", "at least 12 characters"),
    ("a@example.test", "elevenchars", "editor", "at least 12 characters"),
    ("a@example.test", "a@example.test", "editor", "must not be the e-mail"),
    ("a@example.test", PASSWORD, "superuser", "unknown role"),
])
def test_create_user_refuses_bad_input(app, email, password, role, message):
    with app.app_context(), get_db().Session() as s:
        with pytest.raises(AccountError, match=message):
            create_user(s, email, password, role)


def test_create_user_refuses_a_second_account_for_one_address(app, users):
    with app.app_context(), get_db().Session() as s:
        with pytest.raises(AccountError, match="already has an account"):
            create_user(s, "Editor@Example.test", PASSWORD, "reviewer")


def test_cli_create_user_prompts_without_echo(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "lead@example.test", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "created with role admin" in result.output
    assert PASSWORD not in result.output  # the prompt does not echo
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(User.role).where(User.email == "lead@example.test")) == "admin"
    again = runner.invoke(args=["create-user", "lead@example.test", "--role", "editor"],
                          input=f"{PASSWORD}\n{PASSWORD}\n")
    assert again.exit_code == 1 and "already has an account" in again.output


def test_cli_set_password_ends_sessions(app, users):
    client = app.test_client()
    login(client, users["editor"])
    assert client.get("/admin/").status_code == 200
    result = app.test_cli_runner().invoke(
        args=["set-password", users["editor"]], input="another long secret\n" * 2)
    assert result.exit_code == 0, result.output
    assert client.get("/admin/").status_code == 302  # the old cookie no longer works
    assert login(app.test_client(), users["editor"], "another long secret").status_code == 302


def test_setup_prints_how_to_create_the_first_admin(app):
    from dictionary.cli import first_admin_hint

    with app.app_context():
        assert "create-user" in first_admin_hint()
        with get_db().transaction() as s:
            create_user(s, "boss@example.test", PASSWORD, "admin")
        assert first_admin_hint() is None


def test_login_sets_a_protected_cookie_and_logout_really_ends_it(app, users):
    client = app.test_client()
    response = login(client, users["reviewer"])
    assert response.status_code == 302
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/admin/").status_code == 200
    stolen = client.get_cookie("session").value

    token = csrf_token(client, "/admin/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_needs_post_with_token(app, users):
    client = app.test_client()
    login(client, users["editor"])
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/admin/").status_code == 200  # still logged in


def test_login_without_csrf_token_is_refused(app, users):
    client = app.test_client()
    response = client.post("/login", data={"email": users["admin"], "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_wrong_password_message_does_not_tell_which_part_was_wrong(app, users):
    client = app.test_client()
    for email in (users["editor"], "nobody@example.test"):
        response = client.post("/login", data={"email": email, "password": "wrong password!",
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 401
        assert "Sai địa chỉ e-mail hoặc mật khẩu" in response.get_data(as_text=True)


def test_login_redirects_only_to_this_site(app, users):
    client = app.test_client()
    response = client.post("/login?next=https://evil.example/x",
                           data={"email": users["editor"], "password": PASSWORD,
                                 "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
    client2 = app.test_client()
    response = client2.post("/login?next=/admin/",
                            data={"email": users["editor"], "password": PASSWORD,
                                  "csrf_token": csrf_token(client2)})
    assert response.headers["Location"].endswith("/admin/")


def test_inactive_account_cannot_log_in(app, users):
    with app.app_context(), get_db().transaction() as s:
        s.scalar(select(User).where(User.email == users["editor"])).active = False
    assert login(app.test_client(), users["editor"]).status_code == 401
