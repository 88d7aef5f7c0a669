"""Putting a backup in place: refuse an instance that holds data (unless forced), check the
file whole, then swap in the database and the media, migrate, re-queue the cached speech
the backup does not carry, and rebuild the search index.

Where it sits: over ``backups`` (the file) and ``backup_db`` (the database), run by
``cli.backup`` inside the app. The server must be stopped during a restore: its open
SQLite connections would go on reading the replaced file, its search tables would not
know the new entries, and on PostgreSQL its open transactions would hold the tables (the
restore then gives up after 10 s, changing nothing).

What the restore replaces is kept when the instance held data: the SQLite database beside
itself (``<name>.pre-restore-<time>``), the media folders under ``media/pre-restore-<time>/``,
the staged uploads under ``instance/pre-restore-<time>/``. PostgreSQL's old contents are
dropped with the schema (back it up first).
"""
from __future__ import annotations

import datetime as dt
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError

from . import backup_db, backups, outbox
from .audio import jobs, storage
from .audio.models import TtsClip
from .audio.tts import QUEUED, READY
from .db import analyze, get_db
from .indexing import index_service
from .schema import init_db


@dataclass
class Restored:
    manifest: dict
    counts: dict[str, int]
    kept: list[Path] = field(default_factory=list)  # what was replaced, kept aside
    speech_requeued: int = 0
    indexed: int = 0
    index_seconds: float = 0.0


def occupied() -> list[str]:
    """What this instance holds that a restore would replace: "403 entries", "2 accounts",
    "5 media files" (empty: nothing)."""
    held = []
    try:
        engine = get_db().engine
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            for label, name in (("entries", "entry"), ("accounts", "user_account")):
                if name in tables:
                    n = conn.scalar(select(func.count()).select_from(table(name)))
                    if n:
                        held.append(f"{n} {label}")
    except SQLAlchemyError as exc:  # a damaged database is what a restore is for (--force)
        held.append(f"a database that cannot be read "
                    f"({type(getattr(exc, 'orig', None) or exc).__name__})")
    media = len(backups.media_files(Path(current_app.instance_path)))
    if media:
        held.append(f"{media} media files")
    return held


def check_only(source: Path) -> dict:
    """Check ``source`` whole (as a restore would) without changing anything; its manifest."""
    app = current_app
    staging = Path(app.instance_path) / f".restore-check-{secrets.token_hex(6)}"
    staging.mkdir(mode=0o700)
    try:
        return backups.unpack(source, staging, staging / "database.copy", staging / "media",
                              app.config["DATABASE_URL"]).manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def restore(source: Path, force: bool = False, say=print, rebuild=None) -> Restored:
    """Restore the backup ``source`` into this instance (see the module's docstring);
    ``rebuild`` builds the search index (the CLI's shows its progress)."""
    app = current_app
    url = app.config["DATABASE_URL"]
    instance = Path(app.instance_path)
    if not source.is_file():
        raise backups.BackupError(f"No file at {source}. Nothing was changed.")
    held = occupied()
    if held and not force:
        raise backups.BackupError(
            f"This instance already holds {', '.join(held)}: a restore would replace them. "
            f"Nothing was changed. Restore into an empty instance, or add --force (what it "
            f"replaces is kept aside; a PostgreSQL database is not: back it up first).")
    kind = _kind(url)
    token = secrets.token_hex(6)
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    # Each part is unpacked on the file system it goes to, so that putting it in place is a
    # rename: the SQLite copy beside the database, the files inside the media folder (which
    # may be a link to another disk), the rest in the instance.
    staging = instance / f".restore-{token}"
    staging.mkdir(mode=0o700)
    media_root = instance / "media"
    made_media_root = not media_root.exists()
    media_root.mkdir(exist_ok=True)
    media_staging = media_root / f".restore-{token}"
    done = False
    copy = (backup_db.sqlite_path(url).parent / f".{backup_db.sqlite_path(url).name}.restore-"
            f"{token}") if kind == "sqlite" else staging / "database.copy"
    try:
        unpacked = backups.unpack(source, staging, copy, media_staging, url)
        say(f"Checked {source}: backup of {unpacked.manifest['created_at']}, schema revision "
            f"{unpacked.manifest['schema_revision']}, {_counts_text(unpacked.manifest['counts'])}.")
        get_db().engine.dispose()  # no pooled connection may outlive the old database
        try:  # the database first: when it fails, nothing was changed
            moved = backup_db.restore(url, copy, _db_aside(url, when))
        except backup_db.DumpError as exc:
            raise backups.BackupError(str(exc)) from exc
        get_db().engine.dispose()
        kept = _swap_files(instance, unpacked, when, keep=bool(held))
        if moved is not None:
            if held:
                kept.insert(0, moved)
            else:
                _remove_sqlite(moved)
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(media_staging, ignore_errors=True)
        copy.unlink(missing_ok=True)
        if not done and made_media_root:
            shutil.rmtree(media_root, ignore_errors=True)
    init_db()  # the backup may come from an older schema: migrate it to this code's
    result = Restored(unpacked.manifest, {}, kept)
    with get_db().transaction() as s:
        result.speech_requeued = _requeue_missing_speech(s)
        outbox.new_epoch(s)  # every machine's index rebuilds: theirs hold other ids
    analyze(get_db().engine)  # a PostgreSQL dump carries no planner statistics
    started = time.perf_counter()
    result.indexed = rebuild() if rebuild else index_service().rebuild()
    result.index_seconds = time.perf_counter() - started
    counts = backup_db.count(url).summary()
    counts["media_files"] = len(backups.media_files(instance))
    result.counts = counts
    return result


def _kind(url: str) -> str:
    try:
        return backup_db.backend(url)
    except backup_db.DumpError as exc:
        raise backups.BackupError(str(exc)) from exc


def _db_aside(url: str, when: str) -> Path:
    if _kind(url) != "sqlite":
        return Path()
    database = backup_db.sqlite_path(url)
    return database.with_name(f"{database.name}.pre-restore-{when}")


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _swap_files(instance: Path, unpacked: backups.Unpacked, when: str, keep: bool) -> list[Path]:
    """The media folders and the bundled-lexicons stamp of the backup replace this
    instance's, and the staged uploads (of the replaced database) go: moved aside when
    ``keep`` (media under ``media/pre-restore-<when>/``, on the media folder's own file
    system; the rest under ``instance/pre-restore-<when>/``), else deleted."""
    moved: list[Path] = []
    media = instance / "media"

    def put_aside(path: Path, aside: Path) -> None:
        if not path.exists():
            return
        if keep:
            aside.mkdir(parents=True, exist_ok=True)
            path.replace(aside / path.name)
            if aside not in moved:
                moved.append(aside)
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()

    for folder in backups.MEDIA_FOLDERS:
        put_aside(media / folder, media / f"pre-restore-{when}")
        if (unpacked.media / folder).is_dir():
            (unpacked.media / folder).replace(media / folder)
    put_aside(instance / "uploads", instance / f"pre-restore-{when}")
    put_aside(instance / "bundled.sha256", instance / f"pre-restore-{when}")
    if unpacked.stamp is not None:
        unpacked.stamp.replace(instance / "bundled.sha256")
    return moved


def _requeue_missing_speech(s) -> int:
    """Cached Vietnamese speech is not in a backup: the clips whose file is not here are
    made again by the audio worker (``flask audio work``), and cached files no clip names
    (left by the replaced database) are deleted."""
    again, named = 0, set()
    for clip in s.scalars(select(TtsClip).where(TtsClip.status == READY)):
        try:
            present = bool(clip.path) and storage.absolute(clip.path).is_file()
        except ValueError:
            present = False
        if present:
            named.add(clip.path)
        else:
            clip.status, clip.path, clip.engine = QUEUED, None, None
            jobs.enqueue(s, "tts", clip.key)
            again += 1
    root = storage.media_root()
    for path in sorted((root / "tts").rglob("*")) if (root / "tts").is_dir() else []:
        if path.is_file() and path.relative_to(root).as_posix() not in named:
            path.unlink()
    return again


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
