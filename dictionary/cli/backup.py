"""``backup OUT`` and ``restore IN``: the whole dictionary (database and the files people
gave) in one file, and back.

Where it sits: registered by ``cli.init_app``; thin over ``backups`` (the file, rotation)
and ``backup_restore`` (putting one in place). Exit codes as everywhere: 0 success, 1 the
work failed or was refused (nothing was changed then), 2 usage.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import backup_restore, backups
from .search import rebuild_with_progress


@click.command("backup")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@click.option("--keep-daily", type=click.IntRange(min=0), default=0,
              help="OUT is a folder: then keep the newest backup of each of this many days…")
@click.option("--keep-weekly", type=click.IntRange(min=0), default=0,
              help="…and of each of this many ISO weeks; delete the other backups there.")
@with_appcontext
def backup_command(out: Path, force: bool, keep_daily: int, keep_weekly: int) -> None:
    """Write the database (a consistent copy while the server runs) and the recordings and
    consent files into OUT, a .tar.gz file (or a dated file in the folder OUT)."""
    if (keep_daily or keep_weekly) and not out.is_dir():
        raise click.UsageError("--keep-daily/--keep-weekly need OUT to be an existing folder.")
    app = current_app
    try:
        done = backups.write(Path(app.instance_path), app.config["DATABASE_URL"], out,
                             force=force, busy_timeout=float(app.config["SQLITE_BUSY_TIMEOUT"]))
    except backups.BackupError as exc:
        click.echo(f"Backup failed: {exc}", err=True)
        sys.exit(1)
    manifest = done.manifest
    click.echo(f"Backup written: {done.path} ({done.path.stat().st_size:,} bytes; "
               f"{manifest['backend']}, schema revision {manifest['schema_revision']}).")
    click.echo(counts_line(manifest["counts"]))
    if keep_daily or keep_weekly:
        for path in backups.prune(done.path.parent, keep_daily, keep_weekly):
            click.echo(f"Deleted old backup {path.name}")


@click.command("restore")
@click.argument("source", metavar="IN", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace an instance that already holds entries, accounts or media.")
@click.option("--check", "check_only", is_flag=True,
              help="Only check the file whole (checksums, format, database); change nothing.")
@with_appcontext
def restore_command(source: Path, force: bool, check_only: bool) -> None:
    """Restore a backup written by `backup` (stop the server first): checks the whole file,
    puts the database and media in place, migrates, rebuilds the search index."""
    try:
        if check_only:
            manifest = backup_restore.check_only(source)
            click.echo(f"{source} is a complete backup of {manifest['created_at']} "
                       f"({manifest['backend']}, schema revision {manifest['schema_revision']}).")
            click.echo(counts_line(manifest["counts"]))
            return
        done = backup_restore.restore(source, force=force, say=click.echo,
                                      rebuild=rebuild_with_progress)
    except backups.BackupError as exc:
        click.echo(f"Restore refused: {exc}", err=True)
        sys.exit(1)
    for path in done.kept:
        click.echo(f"What it replaced is kept at {path} (delete it once satisfied).")
    if done.speech_requeued:
        click.echo(f"{done.speech_requeued} Vietnamese speech clip(s) queued again for "
                   f"`flask audio work` (cached speech is not in backups).")
    click.echo(f"Search index: {done.indexed} entries indexed in {done.index_seconds:.0f} s.")
    click.echo("Restored. " + counts_line(done.counts))


def counts_line(counts: dict[str, int]) -> str:
    return ", ".join(f"{name.replace('_', ' ')}: {n}" for name, n in counts.items())
