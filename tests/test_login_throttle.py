"""Login throttling (dictionary.login_throttle): guesses slow down per (address, e-mail) and per
address, never per e-mail alone; counting happens atomically before the password check, so
parallel guesses get no more checks than the limit and never an error page."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from dictionary import auth
from dictionary.db import get_db
from dictionary.login_throttle import backoff_delay, upsert_statement
from dictionary.models import LoginThrottle, utcnow

from conftest import PASSWORD, add_users, csrf_token, get_state_close, make_app

HOME, ELSEWHERE = "203.0.113.5", "198.51.100.7"
WRONG = "not the password"


@pytest.fixture
def throttled_app(tmp_path):
    app = make_app(tmp_path / "instance", LOGIN_MAX_FAILURES=5, LOGIN_MAX_FAILURES_PER_ADDRESS=30,
                   LOGIN_BASE_DELAY_SECONDS=60, LOGIN_MAX_DELAY_SECONDS=240,
                   LOGIN_WINDOW_SECONDS=900)
    yield app
    get_state_close(app)


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client)})


def let_time_pass(app, seconds: float) -> None:
    """Move every throttle timestamp into the past: what waiting does, without the wait."""
    step = dt.timedelta(seconds=seconds)
    with app.app_context(), get_db().transaction() as s:
        for row in s.scalars(select(LoginThrottle)):
            row.first_failure_at -= step
            row.last_attempt_at = row.last_attempt_at and row.last_attempt_at - step
            row.locked_until = row.locked_until and row.locked_until - step


def rows(app) -> dict[str, int]:
    with app.app_context(), get_db().Session() as s:
        return {r.key: r.failures for r in s.scalars(select(LoginThrottle))}


def test_guesses_slow_down_the_address_but_never_lock_the_curator_out(throttled_app):
    app = throttled_app
    users = add_users(app)
    attacker = client_at(app, HOME)
    for _ in range(5):
        assert attempt(attacker, users["editor"], WRONG).status_code == 401
    # The next check for this (address, e-mail) waits, even with the right password, and the
    # page says how long, in the interface language.
    response = attempt(attacker, users["editor"], PASSWORD)
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 58 <= wait <= 60  # LOGIN_BASE_DELAY_SECONDS, less the time the requests took
    page = response.get_data(as_text=True)
    assert "Đăng nhập sai quá nhiều lần" in page and f"{wait} giây" in page
    # The curator at another address logs in at once; another account from the attacker's
    # address too: nothing is counted per e-mail alone.
    assert attempt(client_at(app, ELSEWHERE), users["editor"], PASSWORD).status_code == 302
    assert attempt(client_at(app, HOME), users["reviewer"], PASSWORD).status_code == 302
    assert not any(key.startswith("email:") for key in rows(app))


def test_the_delay_doubles_up_to_the_maximum_and_waiting_guesses_do_not_count(throttled_app):
    app = throttled_app
    users = add_users(app)
    client = client_at(app, HOME)
    for _ in range(5):
        assert attempt(client, users["editor"], WRONG).status_code == 401
    waits = []
    for _ in range(4):
        refused = attempt(client, users["editor"], WRONG)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        # Hammering while the key waits changes nothing: not counted, not longer.
        for _ in range(3):
            again = attempt(client, users["editor"], WRONG)
            assert again.status_code == 429 and int(again.headers["Retry-After"]) <= waits[-1]
        let_time_pass(app, waits[-1])
        assert attempt(client, users["editor"], WRONG).status_code == 401  # checked again
    # Doubled from LOGIN_BASE_DELAY_SECONDS, capped at LOGIN_MAX_DELAY_SECONDS (less the
    # time the requests took).
    assert all(full - 2 <= wait <= full for wait, full in zip(waits, [60, 120, 240, 240])), waits
    assert rows(app)[f"pair:{HOME}|{users['editor']}"] == 9  # 5 + one per wait, no more


def test_a_right_password_clears_the_count_of_its_address_and_e_mail(throttled_app):
    app = throttled_app
    users = add_users(app)
    client = client_at(app, HOME)
    for _ in range(4):
        assert attempt(client, users["editor"], WRONG).status_code == 401
    assert attempt(client, users["editor"], PASSWORD).status_code == 302
    assert f"pair:{HOME}|{users['editor']}" not in rows(app)
    assert rows(app)[f"ip:{HOME}"] == 4  # the right password is not held against the address
    fresh = client_at(app, HOME)
    for _ in range(5):
        assert attempt(fresh, users["editor"], WRONG).status_code == 401
    assert attempt(fresh, users["editor"], WRONG).status_code == 429


def test_an_address_guessing_many_accounts_slows_down(tmp_path):
    app = make_app(tmp_path / "instance", LOGIN_MAX_FAILURES_PER_ADDRESS=3)
    try:
        users = add_users(app)
        client = client_at(app, HOME)
        for email in ("a@example.test", "b@example.test", "c@example.test"):
            assert attempt(client, email, WRONG).status_code == 401
        assert attempt(client, users["admin"], PASSWORD).status_code == 429
        assert attempt(client_at(app, ELSEWHERE), users["admin"], PASSWORD).status_code == 302
    finally:
        get_state_close(app)


def test_the_count_starts_over_after_a_quiet_window(throttled_app):
    app = throttled_app
    users = add_users(app)
    client = client_at(app, HOME)
    for _ in range(5):
        assert attempt(client, users["editor"], WRONG).status_code == 401
    assert attempt(client, users["editor"], WRONG).status_code == 429
    let_time_pass(app, 899)
    assert attempt(client, users["editor"], WRONG).status_code == 401  # the wait is over
    assert attempt(client, users["editor"], WRONG).status_code == 429  # but the count is not
    let_time_pass(app, 901)
    for _ in range(5):
        assert attempt(client, users["editor"], WRONG).status_code == 401


def test_keys_quiet_for_the_window_leave_no_rows(throttled_app):
    app = throttled_app
    users = add_users(app)
    for i in range(3):
        attempt(client_at(app, f"192.0.2.{i}"), f"nobody{i}@example.test", WRONG)
    waiting = client_at(app, HOME)
    for _ in range(6):
        attempt(waiting, users["editor"], WRONG)
    assert len(rows(app)) == 8
    let_time_pass(app, 901)
    with app.app_context(), get_db().transaction() as s:  # … but one key still has to wait
        s.get(LoginThrottle, f"pair:{HOME}|{users['editor']}").locked_until = \
            utcnow() + dt.timedelta(seconds=30)
    attempt(client_at(app, ELSEWHERE), users["reviewer"], WRONG)  # a new key prunes
    assert set(rows(app)) == {f"ip:{ELSEWHERE}", f"pair:{ELSEWHERE}|{users['reviewer']}",
                              f"pair:{HOME}|{users['editor']}"}


@pytest.mark.parametrize("many_emails", [False, True], ids=["one-e-mail", "one-address"])
def test_parallel_wrong_passwords_get_at_most_the_limit_of_checks(tmp_path, monkeypatch,
                                                                  many_emails):
    """24 guesses released at once through the real app and a real SQLite file: at most the
    limit reaches argon2, none answers 500 (the first guesses for a new key race to insert
    its row too)."""
    limit, n = 5, 24
    app = make_app(tmp_path / "instance", LOGIN_MAX_FAILURES=limit,
                   LOGIN_MAX_FAILURES_PER_ADDRESS=limit if many_emails else 30,
                   LOGIN_BASE_DELAY_SECONDS=600)  # no wait can end during the test
    try:
        users = add_users(app)
        checks = []
        real_verify = PasswordHasher.verify

        def counting_verify(self, *args, **kwargs):  # instrumentation: argon2 still runs
            checks.append(1)
            return real_verify(self, *args, **kwargs)

        # On the class: the hasher's instances have slots, no attribute to replace.
        assert isinstance(auth._hasher, PasswordHasher)
        monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
        clients = [app.test_client() for _ in range(n)]
        forms = [{"email": f"guess{i}@example.test" if many_emails else users["editor"],
                  "password": f"{WRONG} {i}", "csrf_token": csrf_token(c)}
                 for i, c in enumerate(clients)]
        barrier = threading.Barrier(n)
        statuses: list[object] = [None] * n

        def guess(i: int) -> None:
            barrier.wait()
            try:
                statuses[i] = clients[i].post("/login", data=forms[i]).status_code
            except Exception as exc:  # shown in the assertion below
                statuses[i] = repr(exc)

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert set(statuses) <= {401, 429}, statuses
        assert len(checks) == statuses.count(401) == limit
        assert statuses.count(429) == n - limit
        # Refused guesses were taken back from the address count: it holds the real checks.
        assert rows(app)["ip:127.0.0.1"] == limit
    finally:
        get_state_close(app)


def test_backoff_delay_doubles_and_is_capped():
    assert [backoff_delay(step, 2, 900) for step in range(0, 12)] == \
        [0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert backoff_delay(10**9, 2, 900) == 900


def test_the_same_statement_is_written_for_postgresql():
    """The app must keep working on PostgreSQL: the dialect's own upsert, one statement."""
    stmt = upsert_statement("postgresql", "ip:1", 5, dt.datetime(2026, 1, 1), base=2, cap=900,
                            window=900)
    sql = str(stmt.compile(dialect=postgresql.dialect()))
    assert sql.startswith("INSERT INTO login_throttle")
    assert "ON CONFLICT (key) DO UPDATE SET" in sql
    assert "WHERE login_throttle.locked_until IS NULL OR login_throttle.locked_until <=" in sql
    assert sql.endswith("RETURNING login_throttle.failures")
    with pytest.raises(ValueError, match="SQLite and PostgreSQL"):
        upsert_statement("mysql", "ip:1", 5, dt.datetime(2026, 1, 1), base=2, cap=900, window=900)
