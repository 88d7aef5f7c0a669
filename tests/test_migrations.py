"""The migrations in migrations/versions agree with the models, go down and up again, and the
``flask db`` commands drive them (dictionary.schema, dictionary.cli)."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, inspect, select, text

from dictionary import schema
from dictionary.db import get_db
from dictionary.models import Language, LoginThrottle, ZeroResultQuery

from conftest import empty_database_url


def differences(url: str, metadata: MetaData) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()


def run_sql(url: str, *statements: tuple[str, dict]) -> list:
    """Run statements on ``url`` in one transaction; the rows of the last."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for sql, params in statements:
                result = conn.execute(text(sql), params)
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def has_table(url: str, name: str) -> bool:
    engine = create_engine(url)
    try:
        return inspect(engine).has_table(name)
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_the_models_tables(tmp_path):
    url = empty_database_url(tmp_path / "new")  # SQLite, or PostgreSQL (with_postgres.sh)
    assert schema.upgrade(url) == []  # a new database: quietly
    assert differences(url, schema.target_metadata()) == []
    # The comparison sees a model the migrations lack (so the line above can fail).
    ahead = MetaData()
    for table in schema.target_metadata().tables.values():
        table.to_metadata(ahead)
    Table("not_a_model_yet", ahead, Column("id", Integer, primary_key=True))
    assert [d[0] for d in differences(url, ahead)] == ["add_table"]


MIGRATE_WHEN_TOLD = """
import sys
from dictionary.schema import upgrade
print("ready", flush=True)
sys.stdin.readline()
upgrade(sys.argv[1])
"""


def test_two_processes_migrating_one_new_database_at_once_both_succeed(tmp_path):
    """Two servers started together (gunicorn, two machines) both run ``init_db``: the
    second waits for the first (SQLite's write lock, PostgreSQL's advisory lock), then finds
    the tables made, instead of failing on them. Both start migrating at the same moment."""
    url = empty_database_url(tmp_path / "new")
    procs = [subprocess.Popen([sys.executable, "-c", MIGRATE_WHEN_TOLD, url], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(2)]
    try:
        for proc in procs:
            assert proc.stdout.readline() == "ready\n"
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outcomes = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    assert [p.returncode for p in procs] == [0, 0], outcomes
    assert differences(url, schema.target_metadata()) == []
    assert run_sql(url, ("SELECT version_num FROM alembic_version", {})) == [("0009",)]


def test_downgrade_to_the_baseline_and_upgrade_again_keeps_the_rows(app):
    runner = app.test_cli_runner()
    with app.app_context(), get_db().transaction() as s:
        may = dt.datetime(2026, 5, 1)
        s.add(LoginThrottle(key="ip:192.0.2.7", failures=2, last_attempt_at=may))
        s.add(ZeroResultQuery(query="khongco", lang="hre", count=4, first_seen=may))
    url = app.config["DATABASE_URL"]

    result = runner.invoke(args=["db", "downgrade", "0001"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "0009 -> 0008 (undone: search indexes follow the outbox by id: the nodes and what "
        "each has applied)",
        "0008 -> 0007 (undone: what FieldWorks entries hold, modelled: notes by type, "
        "relations, subsenses, pictures)",
        "0007 -> 0006 (undone: sources remember the mapping of their files)",
        "0006 -> 0005 (undone: recordings remember the import they came with)",
        "0005 -> 0004 (undone: drop the media table: recordings live in the audio tables)",
        "0004 -> 0003 (undone: audio: speakers, consent, recordings, jobs, speech cache)",
        "0003 -> 0002 (undone: learning system: courses, learners, cohorts, review log)",
        "0002 -> 0001 (undone: Since release 49924c5: login_throttle.last_attempt_at, "
        "zero_result_query.first_seen (indexed), the import_job table)",
        "Database at revision 0001."]
    assert run_sql(url, ("SELECT key, failures FROM login_throttle", {})) == [("ip:192.0.2.7", 2)]
    assert not has_table(url, "import_job")
    assert runner.invoke(args=["db", "current"]).output == "0001\n"

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Database at revision 0009."
    assert differences(url, schema.target_metadata()) == []
    with app.app_context(), get_db().Session() as s:
        throttle = s.get(LoginThrottle, "ip:192.0.2.7")
        assert (throttle.failures, throttle.last_attempt_at) == (2, None)  # came back empty
        assert s.scalar(select(ZeroResultQuery.count)
                        .where(ZeroResultQuery.query == "khongco")) == 4
        assert s.scalar(select(Language.code).where(Language.code == "hre")) == "hre"

    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert "<base>" in result.output.splitlines()[-1]
    assert runner.invoke(args=["db", "upgrade", "0001"]).output.splitlines()[-1] == \
        "Database at revision 0001."


def test_history_lists_the_migrations_newest_first(app):
    result = app.test_cli_runner().invoke(args=["db", "history"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("0008 -> 0009 (head): search indexes follow the outbox by id")
    assert lines[1].startswith("0007 -> 0008: what FieldWorks entries hold, modelled")
    assert lines[2].startswith("0006 -> 0007: sources remember the mapping")
    assert lines[3].startswith("0005 -> 0006: recordings remember the import")
    assert lines[4].startswith("0004 -> 0005: drop the media table")
    assert lines[5].startswith("0003 -> 0004: audio")
    assert lines[6].startswith("0002 -> 0003: learning system")
    assert lines[7].startswith("0001 -> 0002: Since release 49924c5")
    assert lines[-1].startswith("<base> -> 0001: Baseline: the schema of release 49924c5")


def test_a_downgrade_to_an_unknown_revision_exits_1_and_changes_nothing(app):
    result = app.test_cli_runner().invoke(args=["db", "downgrade", "0099"])
    assert result.exit_code == 1
    assert "0099" in result.output and "Traceback" not in result.output
    assert app.test_cli_runner().invoke(args=["db", "current"]).output == "0009\n"


def test_revision_writes_the_next_numbered_migration_and_none_when_nothing_changed(
        app, tmp_path, monkeypatch):
    # A copy of migrations/, so the test never writes into the repository.
    copy = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(schema, "MIGRATIONS", copy)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["db", "revision", "--autogenerate", "-m", "nothing"])
    assert result.exit_code == 0, result.output
    assert result.output == "The models and the database agree: no migration written.\n"
    assert sorted(p.name for p in (copy / "versions").glob("*.py")) == [
        "0001_baseline_release_49924c5.py", "0002_throttle_window_zero_first_seen_import_job.py",
        "0003_learning_system.py", "0004_audio.py", "0005_drop_media.py",
        "0006_recording_import_batch.py", "0007_source_import_mapping.py",
        "0008_entry_notes_relations_subsenses.py", "0009_index_nodes.py"]

    result = runner.invoke(args=["db", "revision", "-m", "Rename a column"])
    assert result.exit_code == 0, result.output
    written = copy / "versions" / "0010_rename_a_column.py"
    assert result.output == f"Written: {written}\n"
    text = written.read_text(encoding="utf-8")
    assert "revision = '0010'" in text and "down_revision = '0009'" in text
    assert runner.invoke(args=["db", "history"]).output.startswith(
        "0009 -> 0010 (head): Rename a column")


def test_dropping_the_media_table_refuses_to_lose_rows(app):
    """0005 drops the baseline's ``media`` table, which no release wrote; a database that
    holds rows there keeps them and stays at 0004 (one transaction per run)."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "downgrade", "0004"]).exit_code == 0
    day = dt.datetime(2026, 12, 1)
    run_sql(app.config["DATABASE_URL"],
            ("INSERT INTO entry (id, public_id, language_id, headword, headword_key, sort_key, "
             "first_letter, form_kind, status, reviewed, license, extra, version, created_at, "
             "updated_at) VALUES (1, 'hre-000001', 1, 'zuxo', 'zuxo', :key, 'z', "
             "'orthographic', 'draft', :no, '', '{}', 1, :day, :day)",
             {"key": b"\x00", "no": False, "day": day}),
            ("INSERT INTO media (entry_id, kind, path, consent, status) "
             "VALUES (1, 'audio', 'a.wav', :yes, 'draft')", {"yes": True}))
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 1 and "The media table holds 1 row(s)" in result.output
    assert runner.invoke(args=["db", "current"]).output == "0004\n"
