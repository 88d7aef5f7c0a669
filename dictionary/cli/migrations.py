"""Schema migrations: ``db upgrade|downgrade|current|history|revision`` over Alembic
(``migrations/versions``); ``init-db`` and ``setup`` upgrade to the head revision themselves.

Where it sits: registered by ``cli.init_app``; exit codes as everywhere: 0 success, 1 the
work failed or was refused, 2 usage.
"""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from .. import schema
from ..db import get_db


db_cli = AppGroup("db", help="Schema migrations (Alembic, in migrations/versions). `init-db` "
                             "and `setup` upgrade to the newest by themselves.")


def _migrate(step, *args) -> None:
    try:
        done = step(get_db().engine.url, *args,
                    busy_timeout=float(current_app.config["SQLITE_BUSY_TIMEOUT"]))
    except schema.SchemaError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    for line in done:
        click.echo(line)
    click.echo(f"Database at revision {schema.current(get_db().engine) or '<base>'}.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade_command(revision: str) -> None:
    """Upgrade the database to REVISION (default: the newest, head)."""
    _migrate(schema.upgrade, revision)


# ignore_unknown_options: `downgrade -1` (one step back, as in Alembic) is a revision.
@db_cli.command("downgrade", context_settings={"ignore_unknown_options": True})
@click.argument("revision")
def db_downgrade_command(revision: str) -> None:
    """Take the database back to REVISION (-1: one step; base: empty); what later migrations
    added is dropped, with its data."""
    _migrate(schema.downgrade, revision)


@db_cli.command("current")
def db_current_command() -> None:
    """The revision the database is at."""
    click.echo(schema.current(get_db().engine) or "<base> (no migration applied)")


@db_cli.command("history")
def db_history_command() -> None:
    """Every migration, newest first."""
    for line in schema.history():
        click.echo(line)


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@click.option("--autogenerate", is_flag=True,
              help="Fill it with what the models have and the database lacks.")
def db_revision_command(message: str, autogenerate: bool) -> None:
    """Write a new migration file (review it before committing)."""
    try:
        path = schema.new_revision(get_db().engine.url, message, autogenerate)
    except schema.SchemaError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"Written: {path}" if path else
               "The models and the database agree: no migration written.")
