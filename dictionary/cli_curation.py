"""Curation commands: ``import-batches``, ``revert-import N``, ``export``.

Thin click commands over ``import_batches`` (list and revert confirmed imports) and the
export functions the admin page uses (``admin.export``); registered by ``cli.init_app``.
Exit codes as everywhere: 0 success, 1 the work was refused or failed, 2 usage.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from .db import get_db
from .models import User


def find_user(session, email: str | None) -> User | None:
    """The account named by ``--user`` (exit 1 when there is none)."""
    if not email:
        return None
    from .auth import normalize_email

    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        click.echo(f"No account for {email}.", err=True)
        sys.exit(1)
    return user


@click.command("import-batches")
@with_appcontext
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def import_batches_command(limit: int, as_json: bool) -> None:
    """Confirmed imports, newest first (revert one with `revert-import N`)."""
    from .cli import init_db
    from .import_batches import list_batches

    init_db()
    with get_db().Session() as s:
        batches = list_batches(s, limit)
        if as_json:
            click.echo(json.dumps([{
                "id": b.id, "created_at": b.created_at.isoformat(), "author": b.author,
                "file": b.file_name, "format": b.format, "lang": b.lang, "encoding": b.encoding,
                "counts": b.counts,
                "reverted_at": b.reverted_at.isoformat() if b.reverted_at else None,
                "reverted_by": b.reverted_by} for b in batches], ensure_ascii=False, indent=1))
            return
        for b in batches:
            c = b.counts or {}
            state = f"  reverted {b.reverted_at:%Y-%m-%d %H:%M} by {b.reverted_by}" \
                if b.reverted_at else ""
            click.echo(f"{b.id:5d}  {b.created_at:%Y-%m-%d %H:%M}  {b.lang:4} {b.format:8} "
                       f"{c.get('created', 0)} created, {c.get('updated', 0)} updated, "
                       f"{c.get('unchanged', 0)} unchanged  {b.file_name}  ({b.author}){state}")


@click.command("revert-import")
@with_appcontext
@click.argument("batch_id", type=int)
@click.option("--user", "email", help="Record the revert as this account's (an e-mail).")
def revert_import_command(batch_id: int, email: str | None) -> None:
    """Undo import N as a whole: its new entries are deleted, the entries it changed get
    their earlier content back. Refused (nothing changes) when an entry changed since."""
    from .import_batches import RevertRefused, revert_batch

    with get_db().Session() as s:
        user = find_user(s, email)
        try:
            report = revert_batch(s, batch_id, user, author="cli:revert-import")
        except RevertRefused as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
    click.echo(report.summary())


@click.command("export")
@with_appcontext
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "xlsx", "lift", "cldf"]))
@click.option("--lang", default="all", show_default=True,
              help="Language code (hre, cua) or all.")
@click.option("--all", "everything", is_flag=True,
              help="All entries except deleted ones (drafts included); default: published.")
@click.argument("out", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
def export_command(fmt: str, lang: str, everything: bool, out: str) -> None:
    """Write the entries to OUT (`-` for standard output) in the chosen format."""
    from .admin.export import ALL, ExportUnavailable, export_chunks
    from .catalog import languages

    with get_db().Session() as s:
        codes = [language.code for language in languages(s)]
        if lang != ALL and lang not in codes:
            click.echo(f"Unknown language {lang!r}; use one of: {', '.join(codes + [ALL])}.",
                       err=True)
            sys.exit(2)
        try:
            chunks = export_chunks(s, fmt, lang, everything)
        except ExportUnavailable:
            click.echo(f"The {fmt} export is not installed on this server.", err=True)
            sys.exit(1)
        if out == "-":
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        target = Path(out)
        # Write beside the target and rename: a failed export never leaves half a file.
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        try:
            size = 0
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
                    size += len(chunk)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; an export is for sharing
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    click.echo(f"{target}: {size} bytes written.", err=True)


def init_app(app: Flask) -> None:
    for command in (import_batches_command, revert_import_command, export_command):
        app.cli.add_command(command)
