"""Alembic's environment, run by ``dictionary.schema`` (``init-db``, ``setup``, ``flask db ...``).

The caller hands over the connection (``config.attributes["connection"]``), already inside
the one transaction that a whole run commits or rolls back, opened on the app's
``DATABASE_URL``; there is no ``alembic.ini`` and no other way in. The target is
``dictionary.models.Base.metadata`` with every model module imported
(``schema.target_metadata``). ``render_as_batch``: SQLite alters most things only by
copying the table, which Alembic's batch mode does.
"""
from __future__ import annotations

from alembic import context

from dictionary import schema

config = context.config


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=schema.target_metadata(),
        render_as_batch=True,
        on_version_apply=config.attributes.get("on_version_apply"),
        process_revision_directives=_skip_empty_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()


def _skip_empty_autogenerate(_context, _revision, directives) -> None:
    # `flask db revision --autogenerate` with nothing to do writes no empty migration.
    if config.attributes.get("autogenerate") and directives[0].upgrade_ops.is_empty():
        directives[:] = []


if config.attributes.get("connection") is None:
    raise SystemExit("Run migrations with `flask --app dictionary db ...`.")
run(config.attributes["connection"])
