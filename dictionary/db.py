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
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker



class Database:
    def __init__(self, url: str, busy_timeout: float = 10.0) -> None:
        self.engine: Engine = create_engine(url, **engine_options(url, busy_timeout))
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


def analyze(engine: Engine) -> None:
    """Refresh the query planner's statistics after a bulk change (an import, setup, a
    restore). Without them SQLite takes any index for a selective one: beside
    ``source_key IN (…)`` it walked ``ix_entry_status``, every published entry, 47 ms at
    100,000 entries instead of 0.2 ms. ANALYZE takes about 0.1 s there; PostgreSQL's
    autovacuum would get to it later, this does it now."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def engine_options(url: str, busy_timeout: float = 10.0) -> dict:
    """Engine settings per dialect. PostgreSQL (``postgresql+psycopg://``): a server
    restart, a failover or an idle-connection timeout leaves dead connections in the pool,
    so each is tested before use (one round trip) and none is kept more than half an hour;
    the pool (5, up to 15 under load) is per process: processes × 15 must stay below the
    server's ``max_connections``. A statement waits at most ``busy_timeout`` for another
    transaction's locks (an import's rows, the outbox lock), as a SQLite writer waits for the
    write lock: then it fails, and the request gets 503 "busy" (``api``), not a hang. Times
    are naive UTC in the tables (``models.utcnow``): the session's time zone is UTC, so
    ``now()`` defaults agree with them whatever zone the server is set to."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return {}
    options = f"-c lock_timeout={int(busy_timeout * 1000):d} -c timezone=UTC"
    if parsed.query.get("options"):  # the URL's own ``?options=`` are kept
        options = f"{parsed.query['options']} {options}"
    return {"pool_pre_ping": True, "pool_recycle": 1800, "connect_args": {"options": options}}


def waited_too_long(exc: BaseException) -> bool:
    """Whether a database error means another transaction held what this one needed for
    longer than the busy timeout: SQLite's "database is locked", PostgreSQL's lock timeout
    (SQLSTATE 55P03). Nothing was changed; trying again later may work."""
    orig = getattr(exc, "orig", exc)
    return "database is locked" in str(orig) or getattr(orig, "sqlstate", None) == "55P03"


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
