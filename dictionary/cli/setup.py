"""The commands that make and describe a working instance: ``init-db``, ``setup`` (what
``make run`` calls) and ``stats``; ``first_admin_hint`` tells a new instance how to get in.

Where it sits: registered by ``cli.init_app``; exit codes as everywhere: 0 success, 1 the
work failed or was refused, 2 usage.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..curation.importer import import_lexicon
from ..db import analyze, get_db
from ..derive import rederive_all
from ..indexing import index_service
from ..models import ADMIN, PUBLISHED, Entry, Language, User
from ..schema import init_db
from .search import drift_text, rebuild_with_progress


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the tables (migrations) and load languages and sources."""
    init_db()
    click.echo("Database ready.")


def _bundled_fingerprint(data_dir: Path, orthography_dir: Path,
                         files: list[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for lang, name in files:
        h.update(lang.encode() + b"\0" + (data_dir / name).read_bytes())
    for toml in sorted(orthography_dir.glob("*.toml")) + [data_dir / "languages.toml"]:
        h.update(toml.read_bytes())
    return h.hexdigest()


@click.command("setup")
@with_appcontext
def setup_command() -> None:
    """Everything `make run` needs: tables, bundled lexicons, a fresh index. Idempotent."""
    app = current_app
    init_db()
    data_dir = Path(app.config["DATA_DIR"])
    files = app.config["BUNDLED_LEXICONS"]
    stamp_file = Path(app.instance_path) / "bundled.sha256"
    fingerprint = _bundled_fingerprint(data_dir, Path(app.config["ORTHOGRAPHY_DIR"]), files)
    state = index_service()
    if not stamp_file.exists() or stamp_file.read_text() != fingerprint:
        for lang, name in files:
            with get_db().Session() as s:
                report = import_lexicon(s, data_dir / name, lang, data_dir=data_dir)
            click.echo(report.summary())
        with get_db().transaction() as s:  # the rules may have changed: refresh derived keys
            changed = rederive_all(s, state.rules)
        if changed:
            click.echo(f"Sort keys and letters recomputed for {changed} entries.")
        click.echo(f"Search index: {rebuild_with_progress()} entries indexed.")
        stamp_file.write_text(fingerprint)
    elif not state.index.is_current():  # missing, or written by an older schema
        click.echo(f"Search index: {rebuild_with_progress()} entries indexed.")
    else:
        drift = state.update()
        if not drift.clean:
            click.echo(f"Search index repaired: {drift_text(drift)}")
    analyze(get_db().engine)  # the planner's statistics, whatever changed above
    hint = first_admin_hint()
    if hint:
        click.echo(hint)
    click.echo("Ready.")


@click.command("stats")
@with_appcontext
def stats_command() -> None:
    """Entries per language and status."""
    with get_db().Session() as s:
        for code, status, n in s.execute(
            select(Language.code, Entry.status, func.count())
            .join(Entry.language).group_by(Language.code, Entry.status)
        ):
            click.echo(f"{code}  {status:10} {n}")
        total = s.scalar(select(func.count(Entry.id)).where(Entry.status == PUBLISHED))
        click.echo(f"published total: {total}")


def first_admin_hint() -> str | None:
    """How to create the first admin, while there is none."""
    with get_db().Session() as s:
        if s.scalar(select(User.id).where(User.role == ADMIN, User.active)) is not None:
            return None
    return ("No administrator account yet. Create one with:\n"
            "  .venv/bin/flask --app dictionary create-user you@example.org --role admin")
