"""An existing database is upgraded in place, never recreated (dictionary.schema).

``fixtures/release_49924c5.sql`` is a database made by release 49924c5, the last before
Alembic, with synthetic rows (``fixtures/make_release_db.py`` ran that release's code).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from dictionary import create_app
from dictionary.schema import target_metadata

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


def release_database(path: Path, later: list[str] = ()) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript(RELEASE_SQL.read_text(encoding="utf-8"))
    for statement in later:
        if statement == "import_job":
            engine = create_engine(f"sqlite:///{path}")
            target_metadata().tables["import_job"].create(engine)
            engine.dispose()
        else:
            with conn:
                conn.execute(statement)
    conn.close()


def table_rows(path: Path, columns: dict[str, list[str]] | None = None) -> dict[str, list]:
    """Every row of the release's tables (only ``columns`` of each, when given)."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for table in RELEASE_TABLES:
            names = columns[table] if columns else \
                [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            out[table] = conn.execute(f"SELECT {', '.join(names)} FROM {table} "
                                      f"ORDER BY 1").fetchall()
        return out
    finally:
        conn.close()


def columns_of(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")]
                for t in RELEASE_TABLES}
    finally:
        conn.close()


def differences_from_models(path: Path) -> list:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), target_metadata())
    finally:
        engine.dispose()


def app_on(path: Path, data_dir: Path):
    return create_app({"TESTING": True, "INSTANCE_PATH": str(path.parent),
                       "DATABASE_URL": f"sqlite:///{path}", "DATA_DIR": str(data_dir),
                       "INDEX_DIR": str(path.parent / "index"), "SECRET_KEY": "test",
                       "INDEX_WARM_UP": False, "INDEX_DRAIN_AT_START": False})


@pytest.mark.parametrize("commit", LATER_COMMITS)
def test_init_db_upgrades_a_database_made_before_alembic_and_keeps_every_row(
        tmp_path, data_dir, commit):
    path = tmp_path / "instance" / "dictionary.sqlite"
    path.parent.mkdir()
    release_database(path, LATER_COMMITS[commit])
    old_columns = columns_of(path)
    before = table_rows(path)
    assert before["entry"] and before["user_account"] and before["zero_result_query"]

    app = app_on(path, data_dir)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "recognised as revision 0001 (release 49924c5)" in result.output
    assert "0001 -> 0002 (Since release 49924c5" in result.output

    assert table_rows(path, old_columns) == before  # nothing lost, nothing changed
    assert differences_from_models(path) == []  # new columns, tables and indexes all there
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0008",)]
    assert conn.execute("SELECT count(*) FROM import_job").fetchone() == (0,)
    conn.close()
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
    path = tmp_path / "instance" / "dictionary.sqlite"
    path.parent.mkdir()
    release_database(path, ["ALTER TABLE sense DROP COLUMN extra"])  # as before d5054cc
    before = table_rows(path)

    result = app_on(path, data_dir).test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 1
    assert "cannot be upgraded automatically; nothing was changed" in result.output
    assert "'sense'" in result.output and "'extra'" in result.output
    assert table_rows(path, columns_of(path)) == before
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert "alembic_version" not in tables and "import_job" not in tables
