"""Login throttling: slow down password guessing without letting anyone lock a curator out.

Where it sits: the login form and the password-change form (``auth_views``) call ``admit``
before every password check and ``succeeded`` after a right one. Checks are counted per
(client address, e-mail) and per client address, never per e-mail alone, so guesses made
elsewhere cannot keep the real curator out. After ``LOGIN_MAX_FAILURES`` checks for a key
(``LOGIN_MAX_FAILURES_PER_ADDRESS`` for an address), each further check for that key waits
a delay that doubles from ``LOGIN_BASE_DELAY_SECONDS`` up to ``LOGIN_MAX_DELAY_SECONDS``; a key
quiet for ``LOGIN_WINDOW_SECONDS`` starts over.

Counting happens *before* the (slow, argon2) check, in one ``INSERT … ON CONFLICT DO UPDATE …
WHERE … RETURNING`` per key, committed at once: the database serialises the upserts, so N
parallel guesses get at most the allowed number of checks, in every thread and process, and
the first guess for a new key cannot fail on the primary key either. The statement is written
with the dialect's own ``insert`` (SQLite or PostgreSQL, both support this form).
"""
from __future__ import annotations

import datetime as dt
import math

from flask import current_app, request
from sqlalchemy import DateTime, case, delete, literal, or_, select, update
from sqlalchemy.orm import Session

from .auth import normalize_login
from .db import INSERTS
from .models import LoginThrottle, utcnow

_table = LoginThrottle.__table__


def client_address() -> str:
    """The address the request came from. Behind a reverse proxy, ``PROXY_HOPS`` (config)
    makes this the client's address from ``X-Forwarded-For`` rather than the proxy's."""
    return request.remote_addr or "?"


def backoff_delay(step: int, base: float, cap: float) -> float:
    """Seconds to wait before check number ``limit + step``: ``base`` doubled per step, capped.

    >>> [backoff_delay(n, 2, 60) for n in (0, 1, 2, 3, 5, 6, 4000)]
    [0, 2, 4, 8, 32, 60, 60]
    """
    if step < 1:
        return 0
    if step > 64:  # long past any sensible cap; spares computing a huge power of two
        return cap
    return min(base * 2 ** (step - 1), cap)


def _keys(email: str, address: str) -> list[tuple[str, int]]:
    """(key, limit), the address key first: a guess refused for the address counts nowhere."""
    cfg = current_app.config
    return [(f"ip:{address}"[:300], cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
            (f"pair:{address}|{normalize_login(email)}"[:300], cfg["LOGIN_MAX_FAILURES"])]


def upsert_statement(dialect: str, key: str, limit: int, now: dt.datetime, *, base: float,
                     cap: float, window: float):
    """The one statement that counts a check for ``key`` unless the key must wait: it
    returns a row when counted, none when the key waits. ``dialect``: ``sqlite`` or
    ``postgresql`` (``ValueError`` for another)."""
    insert = INSERTS.get(dialect)
    if insert is None:
        raise ValueError(f"login throttling supports SQLite and PostgreSQL, not {dialect}")
    quiet_since = now - dt.timedelta(seconds=window)
    quiet = or_(_table.c.last_attempt_at.is_(None), _table.c.last_attempt_at < quiet_since)
    count = case((quiet, 1), else_=_table.c.failures + 1)

    def wait_until(n: int) -> dt.datetime | None:
        """When the check after check number n may run (None: at once)."""
        return now + dt.timedelta(seconds=backoff_delay(n - limit + 1, base, cap)) \
            if n >= limit else None

    # The delays are computed here and bound as parameters (one CASE arm per doubling):
    # both databases then run the same plain SQL, with no date or power functions.
    steps = 1
    while backoff_delay(steps, base, cap) < cap and steps <= 64:
        steps += 1
    delays = case({limit + i: literal(wait_until(limit + i), DateTime) for i in range(steps)},
                  value=count, else_=literal(now + dt.timedelta(seconds=cap), DateTime))
    locked_until = case((count < limit, literal(None, DateTime)), else_=delays)
    stmt = insert(_table).values(key=key, failures=1, first_failure_at=now, last_attempt_at=now,
                                 locked_until=wait_until(1))
    return stmt.on_conflict_do_update(
        index_elements=[_table.c.key],
        set_={"failures": count,
              "first_failure_at": case((quiet, literal(now, DateTime)),
                                       else_=_table.c.first_failure_at),
              "last_attempt_at": now,
              "locked_until": locked_until},
        # Nothing is counted while the key waits: a flood of refused guesses cannot stretch
        # the delay, and the real curator's next try after it is checked.
        where=or_(_table.c.locked_until.is_(None), _table.c.locked_until <= now),
    ).returning(_table.c.failures)


def _count(session: Session, key: str, limit: int, now: dt.datetime) -> int | None:
    """Count one check for ``key`` unless it must wait: the new count (the check may run),
    or None (it must wait)."""
    cfg = current_app.config
    stmt = upsert_statement(session.get_bind().dialect.name, key, limit, now,
                            base=cfg["LOGIN_BASE_DELAY_SECONDS"],
                            cap=cfg["LOGIN_MAX_DELAY_SECONDS"],
                            window=cfg["LOGIN_WINDOW_SECONDS"])
    return session.scalar(stmt)


def _prune(session: Session, now: dt.datetime) -> None:
    """Delete the rows of keys that would start over anyway (quiet for the window, not
    waiting), so guesses from ever new addresses or e-mails leave no lasting rows."""
    quiet_since = now - dt.timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    session.execute(delete(LoginThrottle).where(
        or_(LoginThrottle.last_attempt_at.is_(None), LoginThrottle.last_attempt_at < quiet_since),
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now)))


def _wait_seconds(session: Session, key: str, now: dt.datetime) -> int:
    until = session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.key == key))
    return max(1, math.ceil((until - now).total_seconds())) if until and until > now else 1


def admit(session: Session, email: str, address: str | None = None) -> int:
    """Count one password check for ``email`` from ``address`` (default: this request's) and
    commit; 0 when the check may run now, else the seconds to wait (and nothing counted)."""
    address = address or client_address()
    now = utcnow()
    counted: list[tuple[str, int]] = []
    started = False
    for key, limit in _keys(email, address):
        count = _count(session, key, limit, now)
        if count is None:
            wait = _wait_seconds(session, key, now)
            for done, done_limit in counted:  # the check will not run: do not count it
                _refund(session, done, done_limit)
            session.commit()
            return wait
        counted.append((key, limit))
        started = started or count == 1
    if started:  # a new key: the moment to drop stale ones (rare, and no extra transaction)
        _prune(session, now)
    session.commit()  # visible to every other worker before the slow password check starts
    return 0


def _refund(session: Session, key: str, limit: int) -> None:
    """Take back one count (a check that did not run, or a right password for the address)."""
    left = _table.c.failures - 1
    session.execute(update(_table).where(_table.c.key == key, _table.c.failures > 0).values(
        failures=left,
        locked_until=case((left < limit, None), else_=_table.c.locked_until)))


def succeeded(session: Session, email: str, address: str | None = None) -> None:
    """A right password: forget the (address, e-mail) count, and do not hold this check
    against the address. The caller commits."""
    (ip_key, ip_limit), (pair_key, _) = _keys(email, address or client_address())
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == pair_key))
    _refund(session, ip_key, ip_limit)
