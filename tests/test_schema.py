"""An existing database is upgraded in place, never recreated (dictionary.schema).

``fixtures/release_49924c5.sql`` is a database made by release 49924c5, the last before
Alembic, with synthetic rows (``fixtures/make_release_db.py`` ran that release's code). That
release ran on SQLite only; on PostgreSQL (``tests/with_postgres.sh``) the same database is
made from its schema, the baseline migration 0001, and the fixture's rows (``release_database``).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect, select, text

from dictionary import create_app
from dictionary.schema import BASELINE, target_metadata, upgrade

from conftest import empty_database_url

RELEASE_SQL = Path(__file__).parent / "fixtures" / "release_49924c5.sql"
# The release's tables, less ``media``: never written by any release, dropped by 0005.
RELEASE_TABLES = ("entry", "example", "import_batch", "index_queue", "language",
                  "login_throttle", "public_id_counter", "revision", "sense",
                  "source", "user_account", "variant", "zero_result_query")
# What the old additive upgrade had added by each commit between the release and Alembic
# (a column by ALTER TABLE, without its index; import_jobs creating its own table).
LATER_COMMITS = {
    "49924c5": [],
    "9563036": ["ALTER TABLE zero_result_query ADD COLUMN first_seen DATETIME"],
    "2cdd579": ["ALTER TABLE zero_result_query ADD COLUMN first_seen DATETIME",
                "ALTER TABLE login_throttle ADD COLUMN last_attempt_at DATETIME"],
    "70e924f": ["ALTER TABLE zero_result_query ADD COLUMN first_seen DATETIME",
                "ALTER TABLE login_throttle ADD COLUMN last_attempt_at DATETIME",
                "import_job"],
}


def release_database(url: str, scratch: Path, later: list[str] = ()) -> None:
    """At ``url`` (empty): the database release 49924c5 made, then what ``later`` commits
    added. On PostgreSQL: the release's tables as the baseline migration makes them, the
    fixture's rows copied in (ids as they are, each id sequence moved past them), and no
    ``alembic_version``, as that release would have left it."""
    scratch.mkdir(parents=True, exist_ok=True)
    fixture = scratch / "release.sqlite"
    conn = sqlite3.connect(fixture)
    with conn:
        conn.executescript(RELEASE_SQL.read_text(encoding="utf-8"))
    conn.close()
    engine = create_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            fixture.replace(engine.url.database)
        else:
            _copy_release(fixture, engine)
        for statement in later:
            if statement == "import_job":
                target_metadata().tables["import_job"].create(engine)
                continue
            if engine.dialect.name == "postgresql":
                statement = statement.replace("DATETIME", "TIMESTAMP WITHOUT TIME ZONE")
            with engine.begin() as conn:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _copy_release(fixture: Path, engine) -> None:
    upgrade(engine.url, BASELINE)
    source = create_engine(f"sqlite:///{fixture}")
    old = MetaData()
    old.reflect(source)
    new = MetaData()
    new.reflect(engine)
    try:
        with source.connect() as src, engine.begin() as dst:
            dst.exec_driver_sql("DROP TABLE alembic_version")
            for table in new.sorted_tables:  # parents first
                if table.name == "alembic_version":
                    continue
                rows = [dict(r._mapping) for r in src.execute(select(old.tables[table.name]))]
                if rows:
                    dst.execute(table.insert(), rows)
                if "id" in table.c and rows:
                    dst.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                                     f"(SELECT max(id) FROM {table.name}))"), {"t": table.name})
    finally:
        source.dispose()


def _rows(url: str, sql: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def table_rows(url: str, columns: dict[str, list[str]] | None = None) -> dict[str, list]:
    """Every row of the release's tables (only ``columns`` of each, when given)."""
    columns = columns or columns_of(url)
    out = {}
    for table, names in columns.items():
        quoted = ", ".join(f'"{name}"' for name in names)
        out[table] = _rows(url, f"SELECT {quoted} FROM {table} ORDER BY 1")
    return out


def columns_of(url: str) -> dict[str, list[str]]:
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {t: [c["name"] for c in found.get_columns(t)] for t in RELEASE_TABLES}
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def differences_from_models(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), target_metadata())
    finally:
        engine.dispose()


def app_on(url: str, instance: Path, data_dir: Path):
    return create_app({"TESTING": True, "INSTANCE_PATH": str(instance),
                       "DATABASE_URL": url, "DATA_DIR": str(data_dir),
                       "INDEX_DIR": str(instance / "index"), "SECRET_KEY": "test",
                       "INDEX_WARM_UP": False, "INDEX_DRAIN_AT_START": False})


@pytest.mark.parametrize("commit", LATER_COMMITS)
def test_init_db_upgrades_a_database_made_before_alembic_and_keeps_every_row(
        tmp_path, data_dir, commit):
    instance = tmp_path / "instance"
    url = empty_database_url(instance)
    release_database(url, tmp_path / "scratch", LATER_COMMITS[commit])
    old_columns = columns_of(url)
    before = table_rows(url)
    assert before["entry"] and before["user_account"] and before["zero_result_query"]

    app = app_on(url, instance, data_dir)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "recognised as revision 0001 (release 49924c5)" in result.output
    assert "0001 -> 0002 (Since release 49924c5" in result.output

    assert table_rows(url, old_columns) == before  # nothing lost, nothing changed
    assert differences_from_models(url) == []  # new columns, tables and indexes all there
    assert _rows(url, "SELECT version_num FROM alembic_version") == [("0009",)]
    assert _rows(url, "SELECT count(*) FROM import_job") == [(0,)]
    # The current code reads the old rows (the new columns included)...
    result = app.test_cli_runner().invoke(args=["zero-results", "--json"])
    assert result.exit_code == 0, result.output
    assert '"query": "khongcotu"' in result.output and '"count": 7' in result.output
    result = app.test_cli_runner().invoke(args=["stats"])
    assert "hre  published  3" in result.output and "cua  draft      1" in result.output
    # ... and a second run has nothing to do.
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.output == "Database ready.\n"


def test_a_database_older_than_the_release_is_refused_and_left_unchanged(tmp_path, data_dir):
    instance = tmp_path / "instance"
    url = empty_database_url(instance)
    release_database(url, tmp_path / "scratch",
                     ["ALTER TABLE sense DROP COLUMN extra"])  # as before d5054cc
    before = table_rows(url)

    result = app_on(url, instance, data_dir).test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 1
    assert "cannot be upgraded automatically; nothing was changed" in result.output
    assert "'sense'" in result.output and "'extra'" in result.output
    assert table_rows(url, columns_of(url)) == before
    tables = table_names(url)
    assert "alembic_version" not in tables and "import_job" not in tables
