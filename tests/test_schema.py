"""An existing database gains new tables and columns in place (dictionary.schema)."""
from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, inspect

from dictionary.schema import upgrade


def test_upgrade_adds_missing_tables_and_columns_and_keeps_rows(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:  # the sense table as an older version created it
        conn.execute("CREATE TABLE sense (id INTEGER PRIMARY KEY, entry_id INTEGER, position "
                     "INTEGER, gloss_vi TEXT, gloss_en TEXT, definition TEXT, semantic_field "
                     "VARCHAR(80), concept_id VARCHAR(16), concept_gloss VARCHAR(120), "
                     "gloss_note TEXT)")
        conn.execute("INSERT INTO sense (id, entry_id, position, gloss_vi) VALUES (1, 1, 0, 'nhà')")
    engine = create_engine(f"sqlite:///{path}")
    added = upgrade(engine)
    assert "sense.extra" in added
    tables = inspect(engine).get_table_names()
    assert {"user_account", "import_batch", "login_throttle", "entry"} <= set(tables)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT gloss_vi FROM sense").scalar() == "nhà"
    assert upgrade(engine) == []  # idempotent
    engine.dispose()
