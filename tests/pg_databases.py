"""Test databases on a real PostgreSQL server, when ``TEST_DATABASE_URL`` names one.

``make test`` runs the suite twice: on SQLite files, then under ``tests/with_postgres.sh``,
which starts a throw-away server and sets ``TEST_DATABASE_URL``. In that second run every
instance folder a test app is made on gets its own PostgreSQL database, named after the
folder and the pytest-xdist worker; the folder holds a marker file naming the database its
files go with. Copying a folder (``shutil.copytree``, as the fixtures do with the pristine
instances made once per session) copies the marker too, and the first app made on the copy
gets ``CREATE DATABASE … TEMPLATE`` the database the marker names: a copy of the data that
goes with the copied index and uploads, as copying a SQLite file was.

Databases made while a test runs are dropped after it (``WITH (FORCE)``: an app the test
left open cannot keep it); those made by a module-scoped fixture after the module; those the
session fixtures ``keep`` live until the server is thrown away. Likewise every engine first
used while a test runs is disposed after it: a test app left open would otherwise leave its
pooled connections to the garbage collector, which psycopg (unlike sqlite3) reports with a
ResourceWarning, an error under ``filterwarnings = error``, in whichever test comes next.
For the same reason a connection given back to a pool its engine has since disposed (a test
that disposes an engine while a session of a still-open app context holds a connection) is
closed when it comes back, as SQLite's would be, silently, by the garbage collector.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import weakref
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.pool import NullPool

URL = os.environ.get("TEST_DATABASE_URL", "")
ENABLED = URL.startswith("postgresql")
#: In an instance folder: the name of the database that goes with its files.
MARKER = ".test-database"

_created: list[str] = []
_admin: Engine | None = None
#: Each engine in use → the tick of the scope (``mark``) in which it was first used.
_engines: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()
_ticks = itertools.count(1)
_tick = 0
#: Each engine in use → its pool then (``engine.dispose()`` replaces it).
_pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def name_for(instance: Path) -> str:
    """A database name unique to the folder and the pytest-xdist worker (≤ 63 bytes)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    digest = hashlib.sha1(str(Path(instance).resolve()).encode()).hexdigest()[:16]
    return f"t_{worker}_{digest}"


def url_for(name: str) -> str:
    return make_url(URL).set(database=name).render_as_string(hide_password=False)


def database_url(instance: Path) -> str:
    """The URL of the database that goes with ``instance``, made when missing: empty, or a
    copy of the one its marker names when the folder is a copy of another instance."""
    instance = Path(instance)
    own, marker = name_for(instance), instance / MARKER
    source = marker.read_text().strip() if marker.exists() else None
    exists = _exists(own)
    if exists and source not in (None, own):  # a copy was put where a database already was
        _execute(f'DROP DATABASE "{own}" WITH (FORCE)')
        exists = False
    if not exists:
        if source not in (None, own) and _exists(source):
            _execute(f'CREATE DATABASE "{own}" TEMPLATE "{source}"')
        else:
            _execute(f'CREATE DATABASE "{own}"')
        _created.append(own)
    instance.mkdir(parents=True, exist_ok=True)
    marker.write_text(own + "\n")
    return url_for(own)


def keep(instance: Path) -> None:
    """The database of ``instance`` lives until the end of the session (a template)."""
    name = name_for(instance)
    if name in _created:
        _created.remove(name)


def mark() -> tuple[int, int]:
    """The start of a scope (a module, a test) whose databases and engines ``release``
    will drop and dispose."""
    global _tick
    _tick = next(_ticks)
    return len(_created), _tick


def release(position: tuple[int, int]) -> None:
    """Dispose the engines first used, and drop the databases made, since ``mark()``
    returned ``position``."""
    if not ENABLED:
        return
    created, tick = position
    for engine, seen in list(_engines.items()):
        if seen >= tick:
            engine.dispose()
            del _engines[engine]
    while len(_created) > created:
        _execute(f'DROP DATABASE IF EXISTS "{_created.pop()}" WITH (FORCE)')


def _first_use(conn) -> None:
    if conn.engine is not _admin:
        _engines.setdefault(conn.engine, _tick)
        _pools.setdefault(conn.engine, conn.engine.pool)


def _disposed(engine: Engine) -> None:
    old = _pools.pop(engine, None)
    if old is not None and old is not engine.pool:
        event.listen(old, "checkin", _close_on_return)


def _close_on_return(dbapi_conn, _record) -> None:
    if dbapi_conn is not None:
        dbapi_conn.close()


if ENABLED:
    event.listen(Engine, "engine_connect", _first_use)
    event.listen(Engine, "engine_disposed", _disposed)


def _exists(name: str) -> bool:
    with _engine().connect() as conn:
        return conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                           {"n": name}) is not None


def _execute(sql: str) -> None:
    with _engine().connect() as conn:
        conn.exec_driver_sql(sql)


def _engine() -> Engine:
    """Autocommit (CREATE/DROP DATABASE refuse a transaction), no pool: no connection of
    ours stays on a database another copy is made from."""
    global _admin
    if _admin is None:
        _admin = create_engine(URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    return _admin
