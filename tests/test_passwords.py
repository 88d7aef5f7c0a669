"""Password policy (at least 12 characters, not on the bundled list of common passwords, not the
e-mail; dictionary.auth) everywhere a password is set, and the curators' own password page
(/account/password, dictionary.auth_views)."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from dictionary import REPO_ROOT
from dictionary.auth import (
    COMMON_PASSWORDS,
    MIN_PASSWORD,
    AccountError,
    WeakPassword,
    check_password_strength,
    create_user,
    verify_login,
)
from dictionary.db import get_db
from dictionary.models import User

from conftest import PASSWORD, csrf_token, login

NEW = "an orange canoe on the river"


# ---- the policy -----------------------------------------------------------------------------
@pytest.mark.parametrize("password, reason", [
    ("password12", "short"),          # the three the outside probe got accepted
    ("1234567890", "short"),
    ("qwertyuiop", "short"),
    ("elevenchars", "short"),
    ("password1234", "common"),       # long enough, but on the list
    ("Password1234", "common"),       # compared without case …
    ("  QWERTY123456 ", "common"),    # … and surrounding spaces
    ("1q2w3e4r5t6y7u8i9o0p", "common"),
    ("nguyen.van.an@example.test", "email"),
    ("NGUYEN.van.an@Example.test", "email"),
    ("nguyen.van.an", "email"),       # the name part of the address
])
def test_weak_passwords_are_refused(app, password, reason):
    with app.app_context():
        with pytest.raises(WeakPassword) as refused:
            check_password_strength(password, "nguyen.van.an@example.test")
    assert refused.value.reason == reason
    assert isinstance(refused.value, AccountError)


@pytest.mark.parametrize("password", [PASSWORD, NEW, "Sông Trà Khúc chảy qua Quảng Ngãi",
                                      "x7#Lq9!mVt2@"])
def test_good_passwords_pass(app, password):
    with app.app_context():
        check_password_strength(password, "curator@example.test")


def test_the_bundled_list_is_the_real_one_with_its_source_and_licence():
    words = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    assert len(words) > 19_000
    assert {"123456", "password", "qwerty", "iloveyou", "password1234"} <= set(words)
    assert all(w == w.lower() for w in words[:2000])  # stored lower-case, compared folded
    assert MIN_PASSWORD == 12
    note = (COMMON_PASSWORDS.parent / "README.md").read_text(encoding="utf-8")
    assert "BSD-3-Clause" in note and "django" in note and "Royce Williams" in note
    assert (COMMON_PASSWORDS.parent / "LICENSE-django.txt").exists()
    assert COMMON_PASSWORDS.is_relative_to(REPO_ROOT / "data")


def test_create_user_and_the_command_line_refuse_a_common_password(app):
    with app.app_context(), get_db().Session() as s:
        with pytest.raises(AccountError, match="list of common passwords"):
            create_user(s, "new@example.test", "qwerty123456", "editor")
    result = app.test_cli_runner().invoke(
        args=["create-user", "new@example.test", "--role", "editor"],
        input="Password1234\nPassword1234\n")
    assert result.exit_code == 1
    assert "No account created: the password is on the list of common passwords" in result.output
    assert "at least 12 characters, not a common password" in result.output  # the prompt
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(User).where(User.email == "new@example.test")) is None


def test_command_line_set_password_refuses_a_common_password(app, users):
    result = app.test_cli_runner().invoke(args=["set-password", users["editor"]],
                                          input="password12345\npassword12345\n")
    assert result.exit_code == 1 and "common passwords" in result.output
    assert login(app.test_client(), users["editor"]).status_code == 302  # unchanged


def test_the_account_pages_refuse_a_common_password_in_vietnamese(app, users, as_role):
    admin = as_role("admin")
    token = csrf_token(admin, "/admin/users/new")
    response = admin.post("/admin/users/new", data={
        "csrf_token": token, "email": "fresh@example.test", "role": "editor",
        "password": "qwertyuiop123", "confirm": "qwertyuiop123"})
    assert response.status_code == 400
    assert "danh sách mật khẩu phổ biến" in response.get_data(as_text=True)
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(User).where(User.email == "fresh@example.test")) is None


# ---- the curator's own password page --------------------------------------------------------
def change(client, current: str, new: str, confirm: str | None = None):
    return client.post("/account/password", data={
        "csrf_token": csrf_token(client, "/account/password"), "current": current,
        "password": new, "confirm": new if confirm is None else confirm})


def error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


def test_a_curator_changes_their_password_and_only_their_other_sessions_end(app, users):
    here, there = app.test_client(), app.test_client()
    for client in (here, there):
        assert login(client, users["contributor"]).status_code == 302
    page = here.get("/admin/").get_data(as_text=True)
    assert 'href="/account/password"' in page  # linked from the curation menu
    form = here.get("/account/password")
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert 'autocomplete="current-password"' in form.get_data(as_text=True)

    response = change(here, PASSWORD, NEW)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    assert here.get("/admin/").status_code == 200      # this browser stays signed in
    assert there.get("/admin/").status_code == 302     # the other session has ended
    with app.app_context(), get_db().Session() as s:
        assert verify_login(s, users["contributor"], NEW) is not None
        assert verify_login(s, users["contributor"], PASSWORD) is None


@pytest.mark.parametrize("current, new, confirm, field, message", [
    ("not my password", NEW, None, "current", "Đây không phải là mật khẩu hiện tại"),
    (PASSWORD, NEW, NEW + "!", "confirm", None),
    (PASSWORD, "short pass", None, "password", "ít nhất 12 ký tự"),
    (PASSWORD, "jamesbond007", None, "password", "mật khẩu phổ biến"),
    (PASSWORD, "editor@example.test", None, "password", "không được trùng với địa chỉ e-mail"),
    (PASSWORD, PASSWORD, None, "password", "phải khác mật khẩu hiện tại"),
])
def test_a_refused_change_says_why_and_changes_nothing(app, users, current, new, confirm, field,
                                                       message):
    client = app.test_client()
    login(client, users["editor"])
    response = change(client, current, new, confirm)
    assert response.status_code == 400
    error = error_beside(response.get_data(as_text=True), field)
    assert message is None or message in error, error
    assert client.get("/admin/").status_code == 200
    with app.app_context(), get_db().Session() as s:
        assert verify_login(s, users["editor"], PASSWORD) is not None


def test_the_page_needs_a_login_and_a_csrf_token(app, users):
    anonymous = app.test_client()
    response = anonymous.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    client = app.test_client()
    login(client, users["editor"])
    response = client.post("/account/password",
                           data={"current": PASSWORD, "password": NEW, "confirm": NEW})
    assert response.status_code == 400
    with app.app_context(), get_db().Session() as s:
        assert verify_login(s, users["editor"], PASSWORD) is not None


def test_guessing_the_current_password_is_throttled_like_a_login(app, users):
    """A stolen session must not become a way to guess the password without limit."""
    client = app.test_client()
    login(client, users["editor"])
    for i in range(app.config["LOGIN_MAX_FAILURES"]):
        assert change(client, f"guess number {i}", NEW).status_code == 400
    response = change(client, PASSWORD, NEW)  # even the right one waits now
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    with app.app_context(), get_db().Session() as s:
        assert verify_login(s, users["editor"], PASSWORD) is not None
