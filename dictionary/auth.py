"""People who curate: accounts, roles, login sessions, throttling.

Where it sits: every admin request passes ``role_required`` (set on each admin view, checked
by a test that walks ``app.url_map``); the login form checks a password hashed with argon2id
(``argon2-cffi``); Flask-Login keeps the session. The cookie holds ``User.session_token``,
not the numeric id, so logout rotates the token and ends the session for real, even for a
copied cookie. Failed logins are counted per e-mail and per client address in the database
(``LoginThrottle``), so the limit holds across server processes.
"""
from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import ROLES, LoginThrottle, User, utcnow

MIN_PASSWORD = 10
# argon2id with the library's defaults (RFC 9106 "second recommended" parameters).
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))

login_manager = LoginManager()
csrf = CSRFProtect()


class AccountError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


# ---- roles ----------------------------------------------------------------------------------
def role_rank(role: str) -> int:
    return ROLES.index(role)


def has_role(user, role: str) -> bool:
    """Whether ``user`` (possibly anonymous) holds ``role`` or a stronger one."""
    return bool(getattr(user, "is_authenticated", False)) and user.active \
        and role_rank(user.role) >= role_rank(role)


def role_required(role: str) -> Callable:
    """Guard a view: anonymous users go to the login page, weaker roles get 403.

    The role is also recorded on the view (``required_role``) so a test can prove that
    every admin route has a guard.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_role(current_user, role):
                abort(403)
            return view(*args, **kwargs)

        guarded.required_role = role  # type: ignore[attr-defined]
        return guarded

    return decorate


# ---- passwords and accounts -----------------------------------------------------------------
def normalize_email(email: str) -> str:
    return email.strip().casefold()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str, email: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    if email and normalize_email(password) == normalize_email(email):
        raise AccountError("the password must not be the e-mail address")


def create_user(session: Session, email: str, password: str, role: str, name: str = "") -> User:
    """Add an account (the caller commits). ``AccountError`` for a bad e-mail, role or
    password, or an e-mail that already has an account."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise AccountError(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    check_password_strength(password, email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"{email} already has an account")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), role=role,
                session_token=secrets.token_urlsafe(32))
    session.add(user)
    return user


def set_password(user: User, password: str) -> None:
    check_password_strength(password, user.email)
    user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Invalidate every login cookie of this account (logout, password change)."""
    user.session_token = secrets.token_urlsafe(32)


def verify_login(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None (same cost either way).
    Upgrades the stored hash when the hashing parameters have changed."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


# ---- throttling -----------------------------------------------------------------------------
def _throttle_keys(email: str) -> list[tuple[str, int]]:
    cfg = current_app.config
    return [(f"email:{normalize_email(email)}"[:300], cfg["LOGIN_MAX_FAILURES"]),
            (f"ip:{request.remote_addr or '?'}", cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"])]


def locked_for(session: Session, email: str) -> int:
    """Seconds until a login for this e-mail from this address may be tried again (0: now)."""
    now = utcnow()
    wait = 0
    for key, _ in _throttle_keys(email):
        row = session.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            wait = max(wait, int((row.locked_until - now).total_seconds()) + 1)
    return wait


def record_failure(session: Session, email: str) -> None:
    """Count a failed login; after the limit within the window, lock for the lockout time.
    The caller commits."""
    cfg = current_app.config
    now = utcnow()
    window = dt.timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    for key, limit in _throttle_keys(email):
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, first_failure_at=now)
            session.add(row)
        if now - row.first_failure_at > window:
            row.failures, row.first_failure_at = 0, now
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + dt.timedelta(seconds=cfg["LOGIN_LOCKOUT_SECONDS"])
            row.failures, row.first_failure_at = 0, now


def clear_failures(session: Session, email: str) -> None:
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.key == f"email:{normalize_email(email)}"[:300]))


# ---- wiring ---------------------------------------------------------------------------------
def _load_user(token: str) -> User | None:
    from .db import session

    user = session().scalar(select(User).where(User.session_token == token))
    return user if user is not None and user.active else None


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    # The message is shown translated by the login page itself (see auth_views).
    login_manager.login_message = None
    # "basic": a changed address or browser marks the session non-fresh; "strong" would log
    # out phone users whose mobile network changes their address.
    login_manager.session_protection = "basic"
