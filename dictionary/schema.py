"""The database's tables brought to the code's models: Alembic migrations and ``init_db``.

Where it sits: ``init_db`` (run by ``init-db``, ``setup`` and so ``make run``, the commands
that write, and the tests' apps) upgrades the database to the newest migration in
``migrations/versions`` and loads the languages and sources; ``flask db ...`` (``cli``)
moves it to any revision. The database is the source of truth once linguists curate in it:
it is upgraded in place, never recreated.

A database made before Alembic (release 49924c5, or a commit after it) has the tables but
no ``alembic_version``: it is stamped at the baseline (``0001``, that release's schema) and
upgraded; whatever the old additive upgrade had already added is skipped by the migrations.
Each run is one transaction: a failed migration leaves the database as it was.
"""
from __future__ import annotations

from argparse import Namespace
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import URL, Connection, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.pool import NullPool

from . import catalog
from .config import REPO_ROOT
from .db import get_db

MIGRATIONS = REPO_ROOT / "migrations"
#: The schema of release 49924c5, the last without Alembic.
BASELINE = "0001"
#: PostgreSQL advisory lock (``pg_advisory_xact_lock``) held by a migration run: one at a time.
MIGRATION_LOCK = 0x7464_0001


class SchemaError(Exception):
    """The database cannot be migrated as asked (nothing was changed)."""


def target_metadata() -> MetaData:
    """Every table of the code. A model module that ``import_models`` (in the composition
    root) does not import is invisible to Alembic: its table would be missing from new
    databases and dropped by autogenerate."""
    from . import import_models, models

    import_models()
    return models.Base.metadata


def init_db() -> None:
    """Upgrade the app's database to the newest migration, then load the languages and
    sources of data/languages.toml (idempotent)."""
    app = current_app
    db = get_db()
    try:
        steps = upgrade(db.engine.url, busy_timeout=float(app.config["SQLITE_BUSY_TIMEOUT"]))
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from exc
    for step in steps:
        click.echo(f"Database upgraded: {step}.", err=True)
    with db.transaction() as s:
        catalog.ensure_catalog(s, Path(app.config["DATA_DIR"]))


def upgrade(url: str | URL, revision: str = "head", busy_timeout: float = 10.0) -> list[str]:
    """Bring the database to ``revision``; return the steps taken, one line each (none for
    a new database or one already there)."""
    config = _config()
    with migrating(url, busy_timeout) as conn:
        context = MigrationContext.configure(conn)
        if context.get_current_revision() is None:
            if not _made_before_alembic(conn):  # a new database: every migration, quietly
                _run(config, conn, command.upgrade, revision)
                return []
            command.stamp(_bound(config, conn), BASELINE)
            steps = [f"tables made before Alembic recognised as revision {BASELINE} "
                     f"(release 49924c5)"] + _run(config, conn, command.upgrade, revision)
            _check_matches_models(conn)
            return steps
        if revision == "head" and \
                set(context.get_current_heads()) == set(_script(config).get_heads()):
            return []  # the common case, without loading env.py and the migrations
        return _run(config, conn, command.upgrade, revision)


def downgrade(url: str | URL, revision: str, busy_timeout: float = 10.0) -> list[str]:
    """Take the database back to ``revision`` (what later migrations added is dropped)."""
    config = _config()
    with migrating(url, busy_timeout) as conn:
        if MigrationContext.configure(conn).get_current_revision() is None:
            raise SchemaError("The database has no migration to undo (run `init-db` first).")
        return _run(config, conn, command.downgrade, revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: not made by a migration yet)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def history() -> list[str]:
    """Every migration, newest first: ``down -> rev (head): first line of its docstring``."""
    lines = []
    for script in _script(_config()).walk_revisions():
        head = " (head)" if script.is_head else ""
        lines.append(f"{script.down_revision or '<base>'} -> {script.revision}{head}: "
                     f"{_first_paragraph(script)}")
    return lines


def new_revision(url: str | URL, message: str, autogenerate: bool) -> Path | None:
    """Write ``migrations/versions/NNNN_message.py``; with ``autogenerate`` its operations
    are what the models have and the database (at head) lacks, and nothing is written when
    they agree. Returns the file written."""
    config = _config()
    script = _script(config)
    heads = script.get_heads()
    if len(heads) != 1 or not heads[0].isdigit():
        raise SchemaError(f"Expected one numbered head revision, found {heads}.")
    rev_id = f"{int(heads[0]) + 1:04d}"
    with migrating(url) as conn:
        config.attributes["autogenerate"] = autogenerate
        written = command.revision(_bound(config, conn), message=message,
                                   autogenerate=autogenerate, rev_id=rev_id)
    if isinstance(written, list):  # what Alembic returns when env.py dropped the revision
        written = written[0] if written else None
    return Path(written.path) if written is not None else None


@contextmanager
def migrating(url: str | URL, busy_timeout: float = 10.0) -> Iterator[Connection]:
    """A connection inside one transaction for a whole migration run, on its own engine.

    On SQLite: foreign keys off (a batch migration copies a table and drops the old one,
    which with them on would delete or refuse the rows pointing at it), checked once at
    the end instead; DDL inside the transaction (pysqlite begins one only before INSERT,
    UPDATE or DELETE: each CREATE or ALTER would be committed on its own, and a failed
    migration would leave half a schema); ``BEGIN IMMEDIATE``, so a second process migrating
    at the same time waits, then finds the work done. On PostgreSQL (transactional DDL) the
    same wait is an advisory lock taken first, across processes and machines.
    """
    engine = create_engine(url, poolclass=NullPool)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(engine, "connect",
                     lambda dbapi_conn, _record: _sqlite_migration_mode(dbapi_conn, busy_timeout))
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            yield conn
            if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise SchemaError(f"The migration would break {len(broken)} references "
                                  f"(first: {tuple(broken[0])}); nothing was changed.")
    finally:
        engine.dispose()


def _sqlite_migration_mode(dbapi_conn, busy_timeout: float) -> None:
    dbapi_conn.isolation_level = None  # no implicit BEGIN/COMMIT: ours (above) are the only ones
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = OFF")
    cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000):d}")
    cur.close()


def _config() -> Config:
    # quiet: Alembic's own progress lines would interleave with the commands' output.
    config = Config(cmd_opts=Namespace(quiet=True, x=[]))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config


def _script(config: Config) -> ScriptDirectory:
    return ScriptDirectory.from_config(config)


def _bound(config: Config, conn: Connection) -> Config:
    config.attributes["connection"] = conn  # env.py migrates this connection, in our transaction
    return config


def _run(config: Config, conn: Connection, action, revision: str) -> list[str]:
    """``command.upgrade`` or ``command.downgrade`` on ``conn``; one line per migration run."""
    done: list[str] = []

    def record(*, step, **_kw) -> None:
        if step.is_stamp:
            return
        down, up = ", ".join(step.down_revision_ids) or "<base>", step.up_revision_id
        what = _first_paragraph(step.up_revision).rstrip(".")
        done.append(f"{down} -> {up} ({what})" if step.is_upgrade
                    else f"{up} -> {down} (undone: {what})")

    config.attributes["on_version_apply"] = record
    try:
        action(_bound(config, conn), revision)
    except CommandError as exc:  # an unknown or ambiguous revision: nothing ran
        raise SchemaError(str(exc)) from exc
    return done


def _first_paragraph(script: Script) -> str:
    return " ".join(script.doc.split())


def _made_before_alembic(conn: Connection) -> bool:
    """Tables of release 49924c5 present, no ``alembic_version``."""
    return inspect(conn).has_table("entry")


def _check_matches_models(conn: Connection) -> None:
    differences = compare_metadata(MigrationContext.configure(conn), target_metadata())
    if differences:
        raise SchemaError("This database does not match release 49924c5 or later, so it "
                          "cannot be upgraded automatically; nothing was changed. It differs "
                          f"from the models in: {differences[:5]}")
