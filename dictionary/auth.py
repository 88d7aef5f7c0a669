"""People who curate: accounts, roles, passwords, login sessions.

Where it sits: every admin request passes ``role_required`` (set on each admin view, checked
by a test that walks ``app.url_map``); the login form checks a password hashed with argon2id
(``argon2-cffi``); Flask-Login keeps the session. The cookie holds ``User.session_token``,
not the numeric id, so logout rotates the token and ends the session for real, even for a
copied cookie. Password checks are throttled by ``login_throttle`` and the events are logged
by ``security_log``. New passwords need ``MIN_PASSWORD`` characters and must not be on the
bundled list of common passwords (``data/security/common-passwords.txt``, OWASP ASVS 2.1.7).
"""
from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, has_app_context
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import security_log
from .config import REPO_ROOT
from .models import ACCOUNT_ROLES, LEARNER, ROLES, TRAINER, User

MIN_PASSWORD = 12
# What a phone number may look like when typed: digits with spaces, dots, dashes, brackets.
_PHONE = re.compile(r"\+?[\d\s.()-]{8,24}")
COMMON_PASSWORDS = REPO_ROOT / "data" / "security" / "common-passwords.txt"
# argon2id with the library's defaults (RFC 9106 "second recommended" parameters).
_hasher = PasswordHasher()
# Apps with TESTING set (the test suite only) hash with the cheapest parameters: the suite
# creates and logs in hundreds of accounts, 0.13 s of argon2 each with the defaults.
_test_hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
# Verified against when the e-mail is unknown, so both cases take the same time (argon2
# verifies with the parameters written in the hash: one dummy per hasher).
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
_TEST_DUMMY_HASH = _test_hasher.hash(secrets.token_hex(16))

login_manager = LoginManager()
csrf = CSRFProtect()


class AccountError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


class WeakPassword(AccountError):
    """A new password breaks the policy; ``reason`` is ``short``, ``common`` or ``email``
    (forms show a translated message for it, the command line this English one)."""

    MESSAGES = {"short": f"the password needs at least {MIN_PASSWORD} characters",
                "common": "the password is on the list of common passwords",
                "email": "the password must not be the e-mail address"}

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGES[reason])
        self.reason = reason


# ---- roles ----------------------------------------------------------------------------------
def role_rank(role: str) -> int:
    return ROLES.index(role)


def has_role(user, role: str) -> bool:
    """Whether ``user`` (possibly anonymous) holds the curator role ``role`` or a stronger
    one. Learners and trainers hold none: their role is not on the curators' ladder."""
    return bool(getattr(user, "is_authenticated", False)) and user.active \
        and user.role in ROLES and role_rank(user.role) >= role_rank(role)


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
def normalize_login(login: str) -> str:
    """The stored form of a login: an e-mail address case-folded, or a phone number in
    international form (a Vietnamese ``0905 123 456`` is ``+84905123456``).

    >>> normalize_login(" An@Example.VN "), normalize_login("0905.123.456")
    ('an@example.vn', '+84905123456')
    >>> normalize_login("+84 (905) 123-456")
    '+84905123456'
    """
    login = login.strip()
    if _PHONE.fullmatch(login):
        digits = "".join(c for c in login if c.isdigit())
        if login.startswith("+"):
            return "+" + digits
        if digits.startswith("0") and not digits.startswith("00"):
            return "+84" + digits[1:]
        return "+" + digits.removeprefix("00")
    return login.casefold()


def is_phone(login: str) -> bool:
    """Whether a normalised login is a phone number (8–15 digits after the +)."""
    return login.startswith("+") and login[1:].isdigit() and 8 <= len(login) - 1 <= 15


def user_by_email(session: Session, email: str) -> User | None:
    """The account of ``email`` (as typed: it is normalised), or None."""
    return session.scalar(select(User).where(User.email == normalize_login(email)))


def password_hasher() -> PasswordHasher:
    """The current app's hasher: the RFC 9106 defaults unless the app is TESTING."""
    return _test_hasher if has_app_context() and current_app.testing else _hasher


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


@functools.cache
def _common_passwords(path: Path) -> frozenset[str]:
    # One password per line, stored lower-case; blank lines mean nothing.
    with open(path, encoding="utf-8") as f:
        return frozenset(line.strip().casefold() for line in f if line.strip())


def password_weakness(password: str, email: str = "") -> str | None:
    """Why ``password`` may not be used (a ``WeakPassword`` reason), or None.

    Compared without case and surrounding spaces: neither makes a listed password safe.
    """
    if len(password) < MIN_PASSWORD:
        return "short"
    folded = password.strip().casefold()
    email = normalize_login(email)
    if email and folded in (email, email.split("@")[0]):
        return "email"
    path = current_app.config["COMMON_PASSWORDS_FILE"] if has_app_context() else COMMON_PASSWORDS
    if folded in _common_passwords(Path(path)):
        return "common"
    return None


def check_password_strength(password: str, email: str = "") -> None:
    """``WeakPassword`` when ``password`` breaks the policy."""
    reason = password_weakness(password, email)
    if reason:
        raise WeakPassword(reason)


def create_user(session: Session, email: str, password: str, role: str, name: str = "") -> User:
    """Add an account (the caller commits). ``AccountError`` for a bad e-mail, role or
    password, or an e-mail that already has an account."""
    email = normalize_login(email)
    if is_phone(email):
        if role not in (LEARNER, TRAINER):
            raise AccountError("only learners and trainers may log in with a phone number")
    elif "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise AccountError(f"{email!r} is not an e-mail address or a phone number")
    if role not in ACCOUNT_ROLES:
        raise AccountError(f"unknown role {role!r}; roles: {', '.join(ACCOUNT_ROLES)}")
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


def password_matches(user: User | None, password: str) -> bool:
    """Whether ``password`` is the account's (for None: checked against a dummy hash, so an
    unknown e-mail costs the same time). Upgrades the stored hash when the hashing parameters
    have changed (the caller commits). Callers throttle first (``login_throttle.admit``)."""
    hasher = password_hasher()
    try:
        dummy = _TEST_DUMMY_HASH if hasher is _test_hasher else _DUMMY_HASH
        hasher.verify(user.password_hash if user else dummy, password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def verify_login(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None (same cost either way)."""
    user = session.scalar(select(User).where(User.email == normalize_login(email)))
    if not password_matches(user, password) or user is None or not user.active:
        return None
    return user


# ---- wiring ---------------------------------------------------------------------------------
def _load_user(token: str) -> User | None:
    from .db import session

    user = session().scalar(select(User).where(User.session_token == token))
    return user if user is not None and user.active else None


def init_app(app: Flask) -> None:
    security_log.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    # The message is shown translated by the login page itself (see auth_views).
    login_manager.login_message = None
    # "basic": a changed address or browser marks the session non-fresh; "strong" would log
    # out phone users whose mobile network changes their address.
    login_manager.session_protection = "basic"
