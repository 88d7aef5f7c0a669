"""``flask --app dictionary <command>``: thin click commands over plain functions.

Exit codes scripts can trust: 0 success, 1 the work failed (bad file, index drift),
2 usage error (click's own).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from . import catalog, zero_results
from .auth import MIN_PASSWORD
from .derive import rederive_all
from .db import get_db
from .indexing import get_state
from .models import ADMIN, PUBLISHED, ROLES, Entry, Language, User, ZeroResultQuery


def init_db() -> None:
    db = get_db()
    for column in db.create_all():
        click.echo(f"Database upgraded: added column {column}.", err=True)
    with db.transaction() as s:
        catalog.ensure_catalog(s, Path(current_app.config["DATA_DIR"]))


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the tables (if missing) and load languages and sources."""
    init_db()
    click.echo("Database ready.")


@click.command("import-lexicon")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", required=True, help="Language code of the entries (hre, cua).")
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@click.option("--status", type=click.Choice(["draft", "in_review", "published"]),
              help="Status of NEW entries (existing ones keep theirs). Default: published "
                   "(unreviewed) for the starter format, draft for every other format.")
@click.option("--source", help="Source key for files that name none (LIFT, Toolbox/MDF).")
@click.option("--user", "email", help="Record the import as this account's (an e-mail).")
def import_lexicon_command(path: Path, lang: str, dry_run: bool, status: str | None,
                           source: str | None, email: str | None) -> None:
    """Import a lexicon file, all or nothing, as one import batch (see `import-batches`)."""
    from .cli_curation import find_user
    from .importer import ImportFailed, import_lexicon

    init_db()
    try:
        with get_db().Session() as s:
            user = find_user(s, email)
            report = import_lexicon(s, path, lang, dry_run=dry_run, status=status,
                                    source=source, user=user,
                                    data_dir=Path(current_app.config["DATA_DIR"]))
    except ImportFailed as exc:
        click.echo(f"{path}: nothing was imported.", err=True)
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        sys.exit(1)
    if dry_run:
        for row in report.rows:
            click.echo(f"  line {row.line}: {row.action:<9} {row.public_id or '(new)'}  {row.headword}")
    for line, before, after in report.samples:
        click.echo(f"  converted from {report.encoding}, line {line}: {before!r} → {after!r}")
    for warning in report.warnings:
        click.echo(f"  warning: {warning}", err=True)
    if report.created:
        click.echo(f"New entries {'would be' if dry_run else 'are'} {report.status}.")
    click.echo(("Dry run, nothing changed: " if dry_run else "") + report.summary())
    if report.batch_id is not None:
        click.echo(f"Import batch {report.batch_id} (undo it with: "
                   f"flask --app dictionary revert-import {report.batch_id})")


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
    from .importer import import_lexicon

    app = current_app
    init_db()
    data_dir = Path(app.config["DATA_DIR"])
    files = app.config["BUNDLED_LEXICONS"]
    stamp_file = Path(app.instance_path) / "bundled.sha256"
    fingerprint = _bundled_fingerprint(data_dir, Path(app.config["ORTHOGRAPHY_DIR"]), files)
    state = get_state()
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
            click.echo(f"Search index repaired: {_drift_text(drift)}")
    hint = first_admin_hint()
    if hint:
        click.echo(hint)
    click.echo("Ready.")


search_cli = AppGroup("search", help="Maintain the search index.")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Build the index from the database into a new directory, then swap it in."""
    init_db()
    click.echo(f"{rebuild_with_progress()} entries indexed.")


def rebuild_with_progress() -> int:
    def bar(entries):
        with click.progressbar(entries, label="Indexing", show_pos=True) as items:
            yield from items

    return get_state().rebuild(progress=bar)


@search_cli.command("update")
def update_command() -> None:
    """Repair drift: rewrite missing or stale documents, delete extra ones."""
    state = get_state()
    if not state.index.is_current():
        click.echo("No index of the current format yet: building it.")
        click.echo(f"{rebuild_with_progress()} entries indexed.")
        return
    drift = state.update()
    click.echo("Index was in step." if drift.clean else f"Repaired: {_drift_text(drift)}")


@search_cli.command("check")
def check_command() -> None:
    """Compare index and database; exit 1 when they disagree."""
    drift = get_state().compare()
    if drift.clean:
        click.echo("Index and database agree.")
        return
    click.echo(f"Index and database disagree: {_drift_text(drift)}", err=True)
    sys.exit(1)


def _drift_text(drift) -> str:
    if not drift.index_exists:
        return "no index"
    parts = [f"{len(drift.missing)} missing", f"{len(drift.stale)} stale",
             f"{len(drift.extra)} extra", f"{drift.queued} queued"]
    sample = (drift.missing + drift.stale + drift.extra)[:5]
    return ", ".join(parts) + (f" (e.g. {', '.join(sample)})" if sample else "")


@click.command("zero-results")
@with_appcontext
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def zero_results_command(limit: int, as_json: bool) -> None:
    """Searches that found nothing, most frequent first (no personal data is kept)."""
    zero_results.flush()
    with get_db().Session() as s:
        rows = s.scalars(select(ZeroResultQuery)
                         .order_by(ZeroResultQuery.count.desc(), ZeroResultQuery.last_seen.desc())
                         .limit(limit)).all()
        if as_json:
            click.echo(json.dumps([{"query": r.query, "lang": r.lang, "count": r.count,
                                    "last_seen": r.last_seen.isoformat()} for r in rows],
                                  ensure_ascii=False, indent=1))
            return
        for r in rows:
            click.echo(f"{r.count:6d}  {r.lang:4}  {r.query}  (last {r.last_seen:%Y-%m-%d})")


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


# The policy (dictionary.auth) in the prompt, so nobody types a password twice in vain.
PASSWORD_PROMPT = (f"Password (at least {MIN_PASSWORD} characters, not a common password, "
                   "not the e-mail address)")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="contributor, editor, reviewer or admin.")
@click.option("--name", default="", help="The person's name, shown in the history.")
@click.password_option(prompt=PASSWORD_PROMPT, confirmation_prompt="Repeat the password",
                       help="Prompted for (never echoed) when not given.")
def create_user_command(email: str, role: str, name: str, password: str) -> None:
    """Add a curator account; the password is asked for and never echoed."""
    from . import security_log
    from .auth import AccountError, create_user

    init_db()
    try:
        with get_db().transaction() as s:
            user = create_user(s, email, password, role, name)
    except AccountError as exc:
        click.echo(f"No account created: {exc}.", err=True)
        sys.exit(1)
    security_log.event(security_log.ACCOUNT_CREATED, email=user.email, role=user.role)
    click.echo(f"Account {user.email} created with role {user.role}.")


@click.command("set-password")
@with_appcontext
@click.argument("email")
@click.password_option(prompt=f"New {PASSWORD_PROMPT[0].lower()}{PASSWORD_PROMPT[1:]}",
                       confirmation_prompt="Repeat the password")
def set_password_command(email: str, password: str) -> None:
    """Change a curator's password (ends that person's sessions)."""
    from . import security_log
    from .auth import AccountError, normalize_email, set_password

    with get_db().transaction() as s:
        user = s.scalar(select(User).where(User.email == normalize_email(email)))
        if user is None:
            click.echo(f"No account for {email}.", err=True)
            sys.exit(1)
        try:
            set_password(user, password)
        except AccountError as exc:
            click.echo(f"Password not changed: {exc}.", err=True)
            sys.exit(1)
    security_log.event(security_log.PASSWORD_RESET, email=user.email)
    click.echo(f"Password of {user.email} changed; that person's sessions have ended.")


def first_admin_hint() -> str | None:
    """How to create the first admin, while there is none."""
    with get_db().Session() as s:
        if s.scalar(select(User.id).where(User.role == ADMIN, User.active)) is not None:
            return None
    return ("No administrator account yet. Create one with:\n"
            "  .venv/bin/flask --app dictionary create-user you@example.org --role admin")


def init_app(app: Flask) -> None:
    for command in (init_db_command, import_lexicon_command, setup_command,
                    zero_results_command, stats_command, create_user_command,
                    set_password_command):
        app.cli.add_command(command)
    app.cli.add_command(search_cli)
    from . import cli_curation  # import-batches, revert-import, export
    cli_curation.init_app(app)
