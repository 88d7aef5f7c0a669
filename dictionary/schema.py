"""Bringing an existing database up to the models: new tables and new columns.

Called by ``init-db`` (and so by ``make run``) after the code gained a table or a column:
the database is the source of truth once linguists curate in it, so it is upgraded in place,
never recreated. Only additive changes are handled here (a new table, a new nullable or
defaulted column); renaming or dropping a column needs a hand-written migration.
"""
from __future__ import annotations

from sqlalchemy import Engine, inspect

from .models import Base


def upgrade(engine: Engine) -> list[str]:
    """Create missing tables and add missing columns; return the ``table.column`` names added.

    A new column's Python-side scalar default is written into the existing rows, so old
    rows read like rows created by the current code.
    """
    Base.metadata.create_all(engine)
    inspector = inspect(engine)
    preparer = engine.dialect.identifier_preparer
    added: list[str] = []
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in have:
                    continue
                sql_type = column.type.compile(dialect=engine.dialect)
                conn.exec_driver_sql(f"ALTER TABLE {preparer.format_table(table)} "
                                     f"ADD COLUMN {preparer.format_column(column)} {sql_type}")
                default = column.default
                if default is not None and default.is_scalar:
                    conn.execute(table.update().values({column.name: default.arg}))
                added.append(f"{table.name}.{column.name}")
    return added
