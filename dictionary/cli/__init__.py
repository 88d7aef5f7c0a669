"""``flask --app dictionary <command>``: thin click commands over plain functions.

Where it sits: ``init_app`` registers every command group of the modules here; the commands
import domain modules (``importer``, ``indexing``, ``auth``, ``schema`` …), never view modules.
Exit codes scripts can trust: 0 success, 1 the work failed (bad file, index drift),
2 usage error (click's own).
"""
from __future__ import annotations

from flask import Flask

from . import accounts, backup, lexicon, migrations, search, setup
from .setup import first_admin_hint

__all__ = ["init_app", "first_admin_hint"]


COMMANDS = (
    setup.init_db_command, setup.setup_command, setup.stats_command,
    lexicon.import_lexicon_command, lexicon.import_batches_command,
    lexicon.revert_import_command, lexicon.export_command,
    search.search_cli, search.zero_results_command,
    accounts.create_user_command, accounts.set_password_command,
    migrations.db_cli,
    backup.backup_command, backup.restore_command,
)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
