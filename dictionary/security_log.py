"""Security events: logins, throttling and account changes, on the ``dictionary.security`` logger.

Where it sits: the login and password pages (``auth_views``), the account pages
(``admin.users``) and the ``create-user`` / ``set-password`` commands call ``event`` once the
change is committed. Every event is logged at WARNING, as the hardening issue asks: they are
few (a curation tool has a handful of accounts), and WARNING passes the default threshold of
every handler, so an operator sees them without touching the log levels. A line never
contains a password; values are quoted so that a crafted e-mail cannot forge a log line.

``SECURITY_LOG`` (a file path, relative to the instance folder) adds a file handler for these
events. They also always propagate to the app's log (the ``dictionary`` logger, then the root
logger): standard error under gunicorn (``deploy/gunicorn.conf.py`` configures the root
logger) and, with no logging configured at all, Python's last-resort handler, which prints
WARNING and above to standard error — one more reason for WARNING.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
from pathlib import Path

from flask import Flask, has_request_context, request

logger = logging.getLogger("dictionary.security")

LOGIN_FAILED = "login_failed"
LOGIN_THROTTLED = "login_throttled"
LOGIN_SUCCEEDED = "login_succeeded"
ACCOUNT_CREATED = "account_created"
ROLE_CHANGED = "role_changed"
ACCOUNT_DEACTIVATED = "account_deactivated"
ACCOUNT_REACTIVATED = "account_reactivated"
PASSWORD_RESET = "password_reset"  # by an administrator or on the command line
PASSWORD_CHANGED = "password_changed"  # by the account holder, with the current password
PASSWORD_CHANGE_FAILED = "password_change_failed"  # wrong current password

# Marks the handler this module installed, so a new app replaces it instead of adding more.
_OURS = "_dictionary_security_handler"


def _quote(value: object) -> str:
    # JSON string quoting escapes newlines and control characters: one event, one line.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _actor() -> str:
    """Who did it: the signed-in account, else the command line."""
    if has_request_context():
        from flask_login import current_user

        return current_user.email if getattr(current_user, "is_authenticated", False) else "-"
    return "cli"


def event(name: str, **fields: object) -> None:
    """Log one security event. ``fields`` name the account (``email``) and the details; the
    acting account (``by``) and the client address (``addr``) are added when known.
    Never pass a password."""
    fields.setdefault("by", _actor())
    if has_request_context():
        fields.setdefault("addr", request.remote_addr or "?")
    text = " ".join(f"{key}={_quote(value)}" for key, value in fields.items())
    logger.warning("security event=%s %s", name, text,
                   extra={"security_event": name, "security_fields": dict(fields)})


def init_app(app: Flask) -> None:
    """Route the events: to ``SECURITY_LOG`` when set, and always on to the app's log.

    The logger is one per process: the last app created configures it (one app per process
    in production; tests create many)."""
    logger.setLevel(logging.WARNING)  # on even when the app log is set quieter
    for handler in [h for h in logger.handlers if getattr(h, _OURS, False)]:
        logger.removeHandler(handler)
        handler.close()
    path = app.config.get("SECURITY_LOG")
    if path:
        path = Path(app.instance_path, path)  # an absolute path stays as it is
        path.parent.mkdir(parents=True, exist_ok=True)
        # Watched: logrotate may move the file; the handler then reopens it.
        handler = logging.handlers.WatchedFileHandler(path, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        setattr(handler, _OURS, True)
        logger.addHandler(handler)
