"""Security events (dictionary.security_log): every login, throttled login, account change and
password change is logged at WARNING on ``dictionary.security``, to the configured file too,
and no password ever appears in the log."""
from __future__ import annotations

import logging

from dictionary import security_log

from conftest import PASSWORD, add_users, csrf_token, get_state_close, login, make_app
from test_admin_users import account, post

WRONG = "wrong-guess-Ω-7731"
RESET = "reset by the admin 4471"
CHANGED = "changed by myself 9052"
CREATED = "created for a new editor 3306"
CLI_CREATED = "made on the command line 8820"
CLI_RESET = "set on the command line 1187"
SECRETS = (PASSWORD, WRONG, RESET, CHANGED, CREATED, CLI_CREATED, CLI_RESET)
EVENTS = {value for name, value in vars(security_log).items()
          if name.isupper() and isinstance(value, str) and not name.startswith("_")}


def security_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "dictionary.security"]


def test_every_security_event_is_logged_at_warning_without_passwords(app, users, caplog):
    caplog.set_level(logging.WARNING, logger="dictionary.security")
    anonymous = app.test_client()
    assert login(anonymous, users["editor"], WRONG).status_code == 401
    admin = app.test_client()
    assert login(admin, users["admin"]).status_code == 302

    assert post(admin, "/admin/users/new", {"email": "new@example.test", "role": "editor",
                                            "password": CREATED, "confirm": CREATED}
                ).status_code == 302
    page = f"/admin/users/{account(app, 'new@example.test').id}"
    assert post(admin, f"{page}/role", {"role": "reviewer"}, page).status_code == 302
    assert post(admin, f"{page}/active", {"active": "0"}, page).status_code == 302
    assert post(admin, f"{page}/active", {"active": "1"}, page).status_code == 302
    assert post(admin, f"{page}/password", {"password": RESET, "confirm": RESET},
                page).status_code == 302

    me = app.test_client()
    assert login(me, users["reviewer"]).status_code == 302
    form = {"csrf_token": csrf_token(me, "/account/password"), "password": CHANGED,
            "confirm": CHANGED}
    assert me.post("/account/password", data={**form, "current": WRONG}).status_code == 400
    assert me.post("/account/password", data={**form, "current": PASSWORD}).status_code == 302

    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(anonymous, users["contributor"], WRONG)
    assert login(anonymous, users["contributor"]).status_code == 429

    cli = app.test_cli_runner()
    assert cli.invoke(args=["create-user", "cli@example.test", "--role", "editor"],
                      input=f"{CLI_CREATED}\n{CLI_CREATED}\n").exit_code == 0
    assert cli.invoke(args=["set-password", "cli@example.test"],
                      input=f"{CLI_RESET}\n{CLI_RESET}\n").exit_code == 0

    records = security_records(caplog)
    logged = {r.security_event for r in records}
    assert logged == EVENTS, EVENTS - logged
    assert all(r.levelno == logging.WARNING for r in records)
    everything = caplog.text + "".join(repr(vars(r)) for r in records)
    for secret in SECRETS:
        assert secret not in everything

    def one(event: str, **fields) -> None:
        assert any(r.security_event == event
                   and all(r.security_fields.get(k) == v for k, v in fields.items())
                   for r in records), (event, fields)

    one("login_failed", email=users["editor"], by="-", addr="127.0.0.1")
    one("login_succeeded", email=users["admin"])
    one("account_created", email="new@example.test", role="editor", by=users["admin"])
    one("role_changed", email="new@example.test", old_role="editor", role="reviewer")
    one("account_deactivated", email="new@example.test", by=users["admin"])
    one("account_reactivated", email="new@example.test")
    one("password_reset", email="new@example.test", by=users["admin"])
    one("password_change_failed", email=users["reviewer"], by=users["reviewer"])
    one("password_changed", email=users["reviewer"])
    one("login_throttled", email=users["contributor"])
    one("account_created", email="cli@example.test", by="cli")
    one("password_reset", email="cli@example.test", by="cli")


def test_events_go_to_the_configured_file_one_line_each(tmp_path):
    app = make_app(tmp_path / "instance", SECURITY_LOG="logs/security.log")
    try:
        users = add_users(app)
        client = app.test_client()
        # A crafted e-mail cannot forge a second log line.
        forged = 'x@example.test\nevent=login_succeeded email="admin@example.test"'
        assert login(client, forged, WRONG).status_code == 401
        assert login(client, users["admin"]).status_code == 302
        path = tmp_path / "instance" / "logs" / "security.log"
        lines = path.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 2, lines
        assert " WARNING security event=login_failed " in lines[0]
        assert '\\nevent=login_succeeded' in lines[0]  # escaped, on the same line
        assert "event=login_succeeded" in lines[1] and users["admin"] in lines[1]
        assert WRONG not in path.read_text(encoding="utf-8")
    finally:
        get_state_close(app)
    # The next app without SECURITY_LOG takes the file handler away again.
    other = make_app(tmp_path / "other")
    try:
        assert not [h for h in logging.getLogger("dictionary.security").handlers
                    if isinstance(h, logging.FileHandler)]
    finally:
        get_state_close(other)
