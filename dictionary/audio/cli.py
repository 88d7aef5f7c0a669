"""``flask --app dictionary audio work|check``: the worker and the consistency check.

Where it sits: thin over ``jobs`` and ``storage``. ``work`` runs due jobs (processing new
recordings, fetching Vietnamese speech) and polls for more; it is restartable at any point
(a job whose worker died is claimed again once its lock expires). ``check`` compares rows
and files like ``search check``: exit status 1 on drift.
"""
from __future__ import annotations

import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..db import get_db
from . import glosses, jobs, storage, tts
from .models import PENDING, PUBLISHED, Recording, TtsClip

audio_cli = AppGroup("audio", help="Recordings: run the worker, check files against rows.")


@audio_cli.command("work")
@click.option("--once", is_flag=True, help="Run the jobs due now, then stop.")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between looks for jobs.")
def work_command(once: bool, poll: float) -> None:
    """Process new recordings and fetch Vietnamese speech (Ctrl+C stops it cleanly)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        while True:
            with get_db().Session() as s:  # Vietnamese speech made offline: try Google again
                tts.requeue_upgrades(s)
                s.commit()
            done = jobs.run_pending(app)
            if done:
                click.echo(f"{done} audio job(s) done.")
            if once:
                return
            time.sleep(poll)
    except KeyboardInterrupt:
        click.echo("Stopped.")


def drift() -> list[str]:
    """What disagrees between the recordings and the files under the media folder."""
    problems: list[str] = []
    known: set[str] = set()
    with get_db().Session() as s:
        for r in s.scalars(select(Recording)):
            known.add(r.original_path)
            if not _exists(r.original_path):
                problems.append(f"{r.uuid}: the original {r.original_path} is missing")
            if r.playback_path:
                known.add(r.playback_path)
                if not _exists(r.playback_path):
                    problems.append(f"{r.uuid}: the playback copy {r.playback_path} is missing")
            elif r.status in (PENDING, PUBLISHED):
                problems.append(f"{r.uuid}: {r.status} without a playback copy")
        known |= {c.path for c in s.scalars(select(TtsClip)) if c.path}
        problems += tts.drift(s)
    root = storage.media_root()
    for folder in ("audio/orig", "audio/play"):
        for path in sorted((root / folder).rglob("*")) if (root / folder).is_dir() else []:
            if path.is_file() and path.relative_to(root).as_posix() not in known:
                problems.append(f"{path.relative_to(root).as_posix()}: a file no recording names")
    return problems


def _exists(relative: str) -> bool:
    try:
        return storage.absolute(relative).is_file()
    except ValueError:
        return False


@audio_cli.command("speak")
def speak_command() -> None:
    """Queue Vietnamese speech for every published entry's glosses and example translations
    (the worker fetches them, one a second; texts already spoken are skipped)."""
    with get_db().transaction() as s:
        asked = glosses.queue_published(s)
    click.echo(f"{asked} Vietnamese text(s) queued for speech; `flask audio work` fetches them.")


@audio_cli.command("check")
def check_command() -> None:
    """Compare recordings and files; exit status 1 when they disagree."""
    problems = drift()
    for line in problems:
        click.echo(line)
    if problems:
        sys.exit(1)
    click.echo("Recordings and files agree.")


def init_app(app: Flask) -> None:
    app.cli.add_command(audio_cli)
