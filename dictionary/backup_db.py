"""The database side of a backup: a consistent copy of the configured database while the
server keeps running, the check that a copy opens, and putting one in place.

Where it sits: below ``backups`` (which packs these copies with the media into one file);
no Flask, no session: it works on the ``DATABASE_URL`` alone.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database in one
  step inside a read transaction, so writers (WAL) go on and the copy is one moment of it.
  The copy is switched to a plain rollback journal: one self-contained file. A restore
  checks it (``PRAGMA integrity_check``, the migration revision, the row counts), moves the
  database it replaces aside with its ``-wal``/``-shm`` files (a WAL left beside another
  database would be replayed into it) and renames the copy into place.
- PostgreSQL: ``pg_dump -Fc`` of the configured database, run on a snapshot exported by a
  REPEATABLE READ transaction that also counts the rows: the counts are those of the dump.
  A restore turns the dump back into an SQL script (``pg_restore --file``) and, only once
  the script is whole, runs it with ``psql`` in one transaction after dropping and recreating
  the ``public`` schema: it either replaces the whole database or changes nothing. The password travels in ``PGPASSWORD``, never on
  a command line (other users can read those).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.pool import NullPool

DUMP_NAMES = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
#: Rows per table that the manifest's summary names (the tables keep every count).
SUMMARY = {"entries": "entry", "revisions": "revision", "accounts": "user_account",
           "recordings": "recording"}
TIMEOUT = 6 * 3600  # seconds a pg_dump/pg_restore may take: a stuck one must not hang cron


class DumpError(Exception):
    """The database could not be copied, checked or restored (the message says why)."""


@dataclass
class Snapshot:
    """What a copy holds: its migration revision and the rows of every table."""

    revision: str | None
    tables: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return {name: self.tables.get(table, 0) for name, table in SUMMARY.items()}


def backend(url: str | URL) -> str:
    name = make_url(url).get_backend_name()
    if name not in DUMP_NAMES:
        raise DumpError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


def dump(url: str | URL, target: Path, busy_timeout: float = 10.0) -> Snapshot:
    """Copy the database at ``url`` into the file ``target``."""
    if backend(url) == "sqlite":
        return _sqlite_dump(sqlite_path(url), target, busy_timeout)
    return _pg_dump(make_url(url), target)


def check(kind: str, path: Path) -> Snapshot | None:
    """Does the copy at ``path`` open? The SQLite copy's snapshot (None for PostgreSQL, whose
    dump is only listed: its rows are counted once restored)."""
    if kind == "sqlite":
        return _sqlite_check(path)
    _run(["pg_restore", "--list", str(path)], {}, "The database dump does not open")
    return None


def restore(url: str | URL, path: Path, aside: Path) -> Path | None:
    """Put the copy at ``path`` in place of the database at ``url``. SQLite: the database
    it replaces goes to ``aside`` (returned; None when there was none) and ``path`` must be
    on the same file system as the database."""
    if backend(url) == "sqlite":
        return _sqlite_restore(sqlite_path(url), path, aside)
    _pg_restore(make_url(url), path)
    return None


def count(url: str | URL) -> Snapshot:
    """The revision and row counts of the live database at ``url``."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return _snapshot(conn, _tables(conn))
    finally:
        engine.dispose()


# ---- SQLite ----------------------------------------------------------------------------------
def sqlite_path(url: str | URL) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise DumpError(f"Cannot back up or restore the SQLite database {database!r}: "
                        "give DATABASE_URL a file path.")
    return Path(database).resolve()


def _sqlite_dump(source: Path, target: Path, busy_timeout: float) -> Snapshot:
    if not source.is_file():
        raise DumpError(f"No database at {source}.")
    src = sqlite3.connect(source, timeout=busy_timeout)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step: one read transaction, one moment
        dst.execute("PRAGMA journal_mode = DELETE")  # no -wal file belongs to the copy
        return _sqlite_snapshot(dst)
    except sqlite3.Error as exc:
        raise DumpError(f"Copying {source} failed: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _sqlite_check(path: Path) -> Snapshot:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise DumpError(f"The database in the backup is damaged: {problems[0]}")
            return _sqlite_snapshot(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise DumpError(f"The database in the backup does not open: {exc}") from exc


def _sqlite_snapshot(conn: sqlite3.Connection) -> Snapshot:
    names = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    tables = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
              for name in names}
    revision = None
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    tables.pop("alembic_version", None)
    return Snapshot(revision, tables)


def _sqlite_restore(database: Path, copy: Path, aside: Path) -> Path | None:
    moved = None
    if database.exists():
        # Fold the WAL into the old file first, so what is moved aside is complete.
        conn = sqlite3.connect(database, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        os.replace(database, aside)
        moved = aside
    for suffix in ("-wal", "-shm", "-journal"):
        leftover = database.with_name(database.name + suffix)
        if leftover.exists():
            os.replace(leftover, aside.with_name(aside.name + suffix))
    os.replace(copy, database)
    return moved


# ---- PostgreSQL -------------------------------------------------------------------------------
def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The ``dbname=…`` connection string of ``url`` without its password, and the
    environment that carries the password (``PGPASSWORD``)."""
    params: dict[str, str] = {}
    for key, value in url.query.items():
        params[key] = value[-1] if isinstance(value, tuple) else value
    for key, value in (("host", url.host), ("port", url.port), ("user", url.username),
                       ("dbname", url.database)):
        if value is not None and key not in params:
            params[key] = str(value)
    env = {"PGPASSWORD": url.password} if url.password else {}
    quoted = " ".join(f"{k}='{_escape(v)}'" for k, v in params.items())
    return quoted, env


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _run(args: list[str], env: dict[str, str], failure: str, **kwargs) -> str:
    if shutil.which(args[0]) is None:
        raise DumpError(f"{args[0]} is not installed (Debian: apt-get install postgresql-client).")
    try:
        done = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=TIMEOUT, check=False, **kwargs)
    except subprocess.TimeoutExpired as exc:
        raise DumpError(f"{failure}: {args[0]} took longer than {TIMEOUT} s.") from exc
    if done.returncode != 0:
        raise DumpError(f"{failure}: {done.stderr.strip()[-1500:]}")
    return done.stdout


def _pg_dump(url: URL, target: Path) -> Snapshot:
    conninfo, env = libpq(url)
    engine = create_engine(url, poolclass=NullPool,
                           isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            # The dump runs on this transaction's snapshot: the counts are the dump's.
            snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counted = _snapshot(conn, _tables(conn))
            _run(["pg_dump", "--format=custom", f"--snapshot={snapshot_id}",
                  f"--file={target}", f"--dbname={conninfo}"], env, "pg_dump failed")
            conn.rollback()
        return counted
    finally:
        engine.dispose()


def _tables(conn) -> list[str]:
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = "
                                 "current_schema() ORDER BY tablename"))
    else:
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                 "name NOT LIKE 'sqlite_%' ORDER BY name"))
    return [name for (name,) in rows]


def _snapshot(conn, names: list[str]) -> Snapshot:
    tables = {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
              for name in names}
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    tables.pop("alembic_version", None)
    return Snapshot(revision, tables)


#: Run before the dump's SQL, in the same transaction: a server still using the database
#: makes the restore fail after 10 s instead of waiting for ever, and nothing of the old
#: schema survives (tables a newer migration added would otherwise stay).
PG_PREPARE = ("SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS public CASCADE; "
              "CREATE SCHEMA public;")


def _pg_restore(url: URL, path: Path) -> None:
    """The dump becomes an SQL script first (beside it), and only a complete script is run:
    fed straight from ``pg_restore``, a dump that breaks half-way would end ``psql``'s input
    early, and ``psql`` would commit half a database."""
    conninfo, env = libpq(url)
    script = path.with_name(path.name + ".sql")
    try:
        _run(["pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(path)],
             env, "pg_restore failed (nothing was changed)")
        _run(["psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
              f"--command={PG_PREPARE}", f"--file={script}", f"--dbname={conninfo}"],
             env, "Restoring into PostgreSQL failed (nothing was changed)")
    finally:
        script.unlink(missing_ok=True)
