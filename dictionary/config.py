"""Configuration defaults; overridden by instance/config.py, then the environment
(variables prefixed ``DICTIONARY_``), then a test config."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

REPO_ROOT = Path(__file__).resolve().parent.parent


def defaults(app: Flask) -> dict:
    instance = Path(app.instance_path)
    return {
        "DATABASE_URL": f"sqlite:///{instance / 'dictionary.sqlite'}",
        "INDEX_DIR": str(instance / "index"),
        "DATA_DIR": str(REPO_ROOT / "data"),
        "ORTHOGRAPHY_DIR": str(REPO_ROOT / "data" / "orthography"),
        "BUNDLED_LEXICONS": [("hre", "hre_starter.csv"), ("cua", "cua_starter.csv")],
        "INDEX_WRITE_TIMEOUT": 10.0,
        # Seconds a SQLite writer waits for another's transaction (a large import) before
        # the request is refused with 503 "busy, try again".
        "SQLITE_BUSY_TIMEOUT": 10.0,
        # Build the fuzzy maps in a background thread when the app starts.
        "INDEX_WARM_UP": True,
        # Apply the index queue left by a crashed process, in the same thread, at start.
        "INDEX_DRAIN_AT_START": True,
        # Seconds between a serving process's looks for outbox rows that another process or
        # machine committed (its edits reach this process's searches within about this
        # long plus a quarter second). 0: no follower thread (edits made here still apply).
        "INDEX_FOLLOW_SECONDS": 0.5,
        # An index (a machine) that has not reported for this many days no longer holds
        # outbox rows back; if it comes back it rebuilds.
        "INDEX_NODE_STALE_DAYS": 7,
        "BABEL_DEFAULT_LOCALE": "vi",
        "LANGUAGES": ["vi", "en"],
        # Host names this server answers to (a port is ignored; ".example.vn" matches the
        # subdomains); any other Host header gets 400 before a view runs, so no absolute URL
        # the API returns can name a host that a client made up. Add the public name.
        "TRUSTED_HOSTS": ["localhost", "127.0.0.1"],
        # Reverse proxies in front of the app (nginx: 1) whose X-Forwarded-For and
        # X-Forwarded-Proto are believed. 0: the headers are ignored (a client could forge them).
        "PROXY_HOPS": 0,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Set DICTIONARY_SESSION_COOKIE_SECURE=true when served over HTTPS.
        "SESSION_COOKIE_SECURE": False,
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        # A linguist may keep an entry form open for hours: the CSRF token lives as long
        # as the session (it is tied to it), not Flask-WTF's default hour.
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        # Login throttling (dictionary.login_throttle): password checks per (address, e-mail)
        # and per address; past the limit each check waits a delay that doubles from the base
        # up to the maximum. A key quiet for the window starts over. Never per e-mail alone:
        # guesses from elsewhere cannot keep a curator out.
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 30,
        "LOGIN_BASE_DELAY_SECONDS": 2,
        "LOGIN_MAX_DELAY_SECONDS": 15 * 60,
        "LOGIN_WINDOW_SECONDS": 15 * 60,
        # Search rate limit (dictionary.rate_limit), per client address (an IPv6 /64), per
        # process: a bucket of BURST searches refilled at PER_MINUTE; 0 turns it off. Sized
        # for a class of 40 behind one NAT address typing with search-as-you-type (200 ms
        # debounce). nginx's limit_req (deploy/) uses the same numbers across all workers.
        "SEARCH_RATE_PER_MINUTE": 1200,
        "SEARCH_RATE_BURST": 300,
        # Buckets kept at most (least recently used dropped): bounds memory under a flood.
        "SEARCH_RATE_MAX_CLIENTS": 10_000,
        # Addresses or networks never limited: the machine itself (monitoring, benchmarks).
        "SEARCH_RATE_EXEMPT": ["127.0.0.1", "::1"],
        # Security events (logins, account changes) also go to this file when set (relative
        # to the instance folder); they always go to the app's log (standard error).
        "SECURITY_LOG": "",
        # New passwords must not be on this list (one per line, compared without case).
        "COMMON_PASSWORDS_FILE": str(REPO_ROOT / "data" / "security" / "common-passwords.txt"),
        # Largest upload (bulk imports, recordings); bigger requests get 413, nothing is read.
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        # How long an uploaded file waits between its dry run and the confirmation.
        "IMPORT_UPLOAD_MAX_AGE": 6 * 3600,
        # The zero-result log (``zero_results``): counts are written in batches of this many
        # distinct queries or after this many seconds; new distinct queries per UTC day.
        "ZERO_RESULTS_FLUSH_SIZE": 50,
        "ZERO_RESULTS_FLUSH_SECONDS": 30.0,
        "ZERO_RESULTS_MAX_NEW_PER_DAY": 500,
        # Result rows (headword, language, glosses) kept per process by ``search`` so a
        # search reads no database; emptied whenever the index changes. About 1 KB each.
        "SEARCH_CACHE_ENTRIES": 10_000,
        # Licence of entries curators write without a published source; empty until the
        # project chooses one (no legal statement is invented here).
        "CURATED_LICENSE": "",
        # Audio (``dictionary.audio``): run the worker's jobs right after the request that
        # made them (tests, a laptop) instead of leaving them to `flask audio work`.
        "AUDIO_SYNC": False,
        # Behind nginx: the URL prefix of its internal location for instance/media/ (the
        # deploy/ site: "/_media/"). Public clips are then checked here and sent by nginx
        # (X-Accel-Redirect); empty: the app sends the files itself.
        "MEDIA_ACCEL_REDIRECT": "",
        # Engines for Vietnamese speech, tried in order (never for Hrê or Co).
        "TTS_ENGINES": ["gtts", "espeak-ng"],
        # An archive of recordings imported with a lexicon (``audio.archive``): files in it,
        # and bytes they unpack to in all (each is also bounded by MAX_CONTENT_LENGTH).
        "AUDIO_ARCHIVE_MAX_FILES": 5000,
        "AUDIO_ARCHIVE_MAX_BYTES": 2 * 1024 ** 3,
    }


def load(app: Flask, test_config: dict | None) -> None:
    app.config.from_mapping(defaults(app))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("DICTIONARY")
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _instance_secret(instance: Path) -> str:
    """A random key kept in instance/secret_key (never in code): sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
