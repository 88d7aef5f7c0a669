"""Engine and sessions for one app: the database is the source of truth.

``init_app`` builds the engine from ``DATABASE_URL``; request code gets a session with
``session()`` (one per app context, closed on teardown). Outbox hooks from
``dictionary.indexing`` are attached to the session factory so that every session,
including the CLI's, keeps the search index in step. The tables come from the migrations
(``dictionary.schema.init_db``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker



class Database:
    def __init__(self, url: str, busy_timeout: float = 10.0) -> None:
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            ms = int(busy_timeout * 1000)
            event.listen(self.engine, "connect",
                         lambda conn, _record: _sqlite_pragmas(conn, ms))
        self.Session = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with self.Session() as s, s.begin():
            yield s


#: Each supported dialect's ``insert``, which has ``on_conflict_do_update`` (SQLite and
#: PostgreSQL spell the upsert the same way): counters are bumped in one statement, never
#: read-then-written by racing requests.
INSERTS: dict[str, Callable] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def dialect_insert(s: Session) -> Callable:
    """The ``insert`` of the session's database dialect (see ``INSERTS``)."""
    name = s.get_bind().dialect.name
    if name not in INSERTS:
        raise RuntimeError(f"no upsert for the {name} dialect")
    return INSERTS[name]


def _sqlite_pragmas(dbapi_conn, busy_timeout_ms: int) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    # WAL: readers (web requests) are not blocked by the writer (imports, index queue).
    cur.execute("PRAGMA journal_mode = WAL")
    # A writer waits this long for another's transaction (a large import) before giving up.
    cur.execute(f"PRAGMA busy_timeout = {busy_timeout_ms:d}")
    cur.close()


def init_app(app: Flask) -> Database:
    db = Database(app.config["DATABASE_URL"], float(app.config["SQLITE_BUSY_TIMEOUT"]))
    app.extensions["dictionary.db"] = db
    app.teardown_appcontext(_close_session)
    return db


def get_db() -> Database:
    return current_app.extensions["dictionary.db"]


def session() -> Session:
    """The session of the current app context (request or CLI command)."""
    if "db_session" not in g:
        g.db_session = get_db().Session()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()
