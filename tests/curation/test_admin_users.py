"""Accounts admin (dictionary.admin.users): administrators create accounts, change roles,
deactivate and reactivate them and reset passwords; nobody else can; an administrator
cannot demote or deactivate themselves."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from dictionary.auth import verify_login
from dictionary.db import get_db
from dictionary.models import ROLES, User

from conftest import PASSWORD, csrf_token, login

NEW_PASSWORD = "another long passphrase"


def account(app, email: str) -> User | None:
    with app.app_context(), get_db().Session() as s:
        return s.scalar(select(User).where(User.email == email))


def user_id(app, email: str) -> int:
    return account(app, email).id


def post(client, path: str, data: dict, token_from: str | None = None):
    token = csrf_token(client, token_from or path)
    return client.post(path, data={"csrf_token": token, **data})


def error_next_to(page: str, field: str) -> str:
    """The text of the error paragraph that belongs to ``field`` (id="<field>-error")."""
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


# ---- listing and access ---------------------------------------------------------------------
def test_admin_sees_every_account(app, users, as_role):
    page = as_role("admin").get("/admin/users").get_data(as_text=True)
    for email in users.values():
        assert email in page
    assert page.count("/admin/users/") >= len(users)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_other_roles_get_403(app, users, as_role, role):
    client = as_role(role)
    target = user_id(app, users["editor"])
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{target}"):
        assert client.get(path).status_code == 403
    token = csrf_token(client, "/admin/")
    for action, data in (("role", {"role": "admin"}), ("active", {"active": "0"}),
                         ("password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})):
        response = client.post(f"/admin/users/{target}/{action}",
                               data={"csrf_token": token, **data})
        assert response.status_code == 403
    assert client.post("/admin/users/new", data={
        "csrf_token": token, "email": "x@example.test", "role": "admin",
        "password": PASSWORD, "confirm": PASSWORD}).status_code == 403
    assert account(app, "x@example.test") is None
    assert account(app, users["editor"]).role == "editor"


def test_posts_without_csrf_token_are_refused(app, users, as_role):
    client = as_role("admin")
    target = user_id(app, users["editor"])
    assert client.post("/admin/users/new", data={
        "email": "x@example.test", "role": "editor", "password": PASSWORD,
        "confirm": PASSWORD}).status_code == 400
    assert client.post(f"/admin/users/{target}/role", data={"role": "admin"}).status_code == 400
    assert client.post(f"/admin/users/{target}/active", data={"active": "0"}).status_code == 400
    assert account(app, "x@example.test") is None
    editor = account(app, users["editor"])
    assert editor.role == "editor" and editor.active


# ---- creating -------------------------------------------------------------------------------
def test_create_account(app, users, as_role):
    client = as_role("admin")
    response = post(client, "/admin/users/new", {
        "email": " New.Reviewer@Example.test ", "name": "Nguyễn Thị A", "role": "reviewer",
        "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    created = account(app, "new.reviewer@example.test")
    assert (created.name, created.role, created.active) == ("Nguyễn Thị A", "reviewer", True)
    assert PASSWORD not in created.password_hash
    newcomer = app.test_client()
    assert login(newcomer, "new.reviewer@example.test").status_code == 302
    assert newcomer.get("/admin/quality").status_code == 200
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "new.reviewer@example.test" in listing and "Nguyễn Thị A" in listing


@pytest.mark.parametrize("data, field", [
    ({"email": "not-an-address"}, "email"),
    ({"email": "EDITOR@example.test"}, "email"),  # already has an account
    ({"password": "short", "confirm": "short"}, "password"),
    ({"password": "fresh@example.test", "confirm": "fresh@example.test"}, "password"),
    ({"confirm": PASSWORD + "!"}, "confirm"),
    ({"role": "superuser"}, "role"),
])
def test_create_account_shows_errors_beside_the_field(app, users, as_role, data, field):
    client = as_role("admin")
    form = {"email": "fresh@example.test", "name": "", "role": "editor",
            "password": PASSWORD, "confirm": PASSWORD, **data}
    response = post(client, "/admin/users/new", form)
    assert response.status_code == 400
    assert error_next_to(response.get_data(as_text=True), field)
    assert account(app, "fresh@example.test") is None


# ---- changing -------------------------------------------------------------------------------
def test_role_change_takes_effect_at_once(app, users, as_role):
    admin, editor = as_role("admin"), as_role("editor")
    assert editor.get("/admin/users").status_code == 403
    target = user_id(app, users["editor"])
    response = post(admin, f"/admin/users/{target}/role", {"role": "admin"},
                    token_from=f"/admin/users/{target}")
    assert response.status_code == 302
    assert account(app, users["editor"]).role == "admin"
    assert editor.get("/admin/users").status_code == 200  # same session, new role


def test_deactivation_ends_the_sessions_and_reactivation_allows_login(app, users, as_role):
    admin, editor = as_role("admin"), as_role("editor")
    assert editor.get("/admin/").status_code == 200
    target = user_id(app, users["editor"])
    page = f"/admin/users/{target}"
    assert post(admin, f"{page}/active", {"active": "0"}, token_from=page).status_code == 302
    assert account(app, users["editor"]).active is False
    response = editor.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login(app.test_client(), users["editor"]).status_code == 401
    assert post(admin, f"{page}/active", {"active": "1"}, token_from=page).status_code == 302
    assert editor.get("/admin/").status_code == 302  # the old session stays ended
    again = app.test_client()
    assert login(again, users["editor"]).status_code == 302
    assert again.get("/admin/").status_code == 200


def test_password_reset_ends_the_sessions(app, users, as_role):
    admin, editor = as_role("admin"), as_role("editor")
    target = user_id(app, users["editor"])
    page = f"/admin/users/{target}"
    mismatch = post(admin, f"{page}/password", {"password": NEW_PASSWORD, "confirm": "x"},
                    token_from=page)
    assert mismatch.status_code == 400 and error_next_to(mismatch.get_data(as_text=True), "confirm")
    response = post(admin, f"{page}/password", {"password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD}, token_from=page)
    assert response.status_code == 302
    assert editor.get("/admin/").status_code == 302
    with app.app_context(), get_db().Session() as s:
        assert verify_login(s, users["editor"], PASSWORD) is None
        assert verify_login(s, users["editor"], NEW_PASSWORD) is not None


def test_an_admin_cannot_demote_or_deactivate_themselves(app, users, as_role):
    admin = as_role("admin")
    me = f"/admin/users/{user_id(app, users['admin'])}"
    body = admin.get(me).get_data(as_text=True)
    assert f"{me}/role" not in body and f"{me}/active" not in body  # no such buttons
    demote = post(admin, f"{me}/role", {"role": "editor"}, token_from=me)
    assert demote.status_code == 400
    assert error_next_to(demote.get_data(as_text=True), "role")
    deactivate = post(admin, f"{me}/active", {"active": "0"}, token_from=me)
    assert deactivate.status_code == 400
    mine = account(app, users["admin"])
    assert (mine.role, mine.active) == ("admin", True)
    assert admin.get("/admin/users").status_code == 200


def test_unknown_account_is_404(app, users, as_role):
    assert as_role("admin").get("/admin/users/9999").status_code == 404


# ---- hostile text ---------------------------------------------------------------------------
@pytest.mark.parametrize("payload", ["<script>alert(1)</script>",
                                     '"><img src=x onerror=alert(1)>'])
def test_user_names_are_escaped(app, users, as_role, payload):
    client = as_role("admin")
    assert post(client, "/admin/users/new", {
        "email": "named@example.test", "name": payload, "role": "editor",
        "password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    target = user_id(app, "named@example.test")
    for path in ("/admin/users", f"/admin/users/{target}"):
        body = client.get(path).get_data(as_text=True)
        assert payload not in body
        assert html.escape(payload, quote=False).replace('"', "&#34;") in body or \
            html.escape(payload) in body
