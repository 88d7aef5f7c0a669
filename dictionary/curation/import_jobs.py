"""Large imports off the request thread: jobs kept in the database, run by a worker thread.

Where it sits: ``admin.imports`` turns the dry run or the confirmation of a large upload
(``needs_background``) into an ``ImportJob`` row and hands its id to this process's
``Worker``, a daemon thread that runs one job at a time through the same
``importer.import_lexicon`` as everything else: a confirmed import is still one transaction,
all or nothing. The job's state (queued → running → done | failed), its phase and progress
counts, and its result or error live in the ``import_job`` table, so any process can show
them (``admin.import_status``).

SQLite lets one connection write at a time, and the import holds the write lock from its
first write to its commit: progress is written by a separate connection that gives up at
once when the database is locked, and the counts of the ``saving`` phase are kept in this
process's memory only (its status page shows them; others show "saving"). On PostgreSQL the
import holds the locks of its own rows only: progress is written in every phase.

A process that dies (a restart, ``kill -9``) leaves its jobs "running". Each worker holds
an ``flock`` on ``instance/import-workers/<token>.lock`` for as long as its process lives;
``recover`` (at start, ``init_app``, and whenever a status page looks at a job) marks
failed every queued or running job whose worker's lock is free: its transaction was rolled
back by SQLite, so nothing was imported, and its upload is given back to be confirmed again.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import queue
import secrets
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import (JSON, DateTime, ForeignKey, Integer, String, create_engine, event,
                        inspect, select, update)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.pool import NullPool

from ..db import get_db
from ..models import Base, ImportBatch, User, utcnow
from . import uploads as uploads
from .importer import SAVING, ImportConflict, ImportFailed, problems_summary
from .import_runs import import_upload, upload_summary

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
DRY_RUN, CONFIRM = "dry_run", "confirm"
# Why a job failed (``ImportJob.error["kind"]``); the pages word each one.
INVALID, CONFLICT, INTERRUPTED, CRASHED, GONE = "invalid", "conflict", "interrupted", "error", \
    "gone"
BACKGROUND_BYTES = 256 * 1024  # config IMPORT_BACKGROUND_BYTES overrides
BACKGROUND_LINES = 2000  # config IMPORT_BACKGROUND_ROWS overrides
PROGRESS_INTERVAL = 0.5  # seconds between two progress writes


class ImportJob(Base):
    """One background dry run or import of an upload, as every process sees it."""

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # dry_run | confirm
    state: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    upload_token: Mapped[str] = mapped_column(String(64), default="")
    file_name: Mapped[str] = mapped_column(String(300), default="")
    lang: Mapped[str] = mapped_column(String(8), default="")
    worker: Mapped[str] = mapped_column(String(64), default="")  # the process running it
    phase: Mapped[str] = mapped_column(String(16), default="")  # checking | saving
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


def needs_background(size: int, lines: int) -> bool:
    """Whether an upload of ``size`` bytes and ``lines`` line breaks is checked and imported
    by the worker rather than in the request."""
    config = current_app.config
    return size >= int(config.get("IMPORT_BACKGROUND_BYTES", BACKGROUND_BYTES)) or \
        lines >= int(config.get("IMPORT_BACKGROUND_ROWS", BACKGROUND_LINES))


# ---- the worker of this process ---------------------------------------------------------------
class Worker:
    """Runs the jobs handed to it one after the other in a daemon thread (SQLite has one
    writer anyway); the thread ends when the queue is empty and starts again on demand."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.token = secrets.token_hex(16)
        self.queue: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.mutex = threading.Lock()
        self.thread: threading.Thread | None = None
        self.lock_fd: int | None = None
        self.live: dict[int, tuple[str, int, int]] = {}  # job id → progress in this process

    def lock_path(self, token: str | None = None) -> Path:
        return Path(self.app.instance_path) / "import-workers" / f"{token or self.token}.lock"

    def hold_lock(self) -> None:
        """Take this process's liveness lock (once); the kernel drops it when we die."""
        with self.mutex:
            if self.lock_fd is not None:
                return
            path = self.lock_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.lock_fd = fd
            weakref.finalize(self, os.close, fd)

    def submit(self, job_id: int) -> None:
        with self.mutex:
            self.queue.put(job_id)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="import-worker",
                                               daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            with self.mutex:
                try:
                    job_id = self.queue.get_nowait()
                except queue.Empty:
                    self.thread = None
                    return
            with self.app.app_context():
                try:
                    run_job(job_id, self)
                except Exception:  # never let the thread die with a job in the queue
                    log.exception("import job %s could not be run", job_id)
                finally:
                    self.live.pop(job_id, None)

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait until the queue is done (tests, the CLI); False on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.mutex:
                thread = self.thread
            if thread is None:
                return True
            thread.join(0.05)
        return False


def worker(app: Flask | None = None) -> Worker:
    app = app or current_app._get_current_object()
    found = app.extensions.get("dictionary.import_jobs")
    if found is None:
        found = app.extensions.setdefault("dictionary.import_jobs", Worker(app))
    return found


def start_job(session: Session, kind: str, upload: uploads.Upload, user_id: int) -> ImportJob:
    """Queue a job for ``upload`` (the caller's session commits it here) and hand it over."""
    runner = worker()
    runner.hold_lock()
    job = ImportJob(kind=kind, state=QUEUED, user_id=user_id, upload_token=upload.token,
                    file_name=upload.file_name, lang=upload.lang, worker=runner.token)
    session.add(job)
    session.commit()
    runner.submit(job.id)
    return job


# ---- running one job ------------------------------------------------------------------------
class _Progress:
    """``progress(phase, done, total)`` of ``import_lexicon``: kept in memory, and written to
    the job's row at most every ``PROGRESS_INTERVAL`` by a connection that does not wait for
    a locked database (this job's own import may hold the lock)."""

    def __init__(self, job_id: int, runner: Worker) -> None:
        self.job_id, self.runner = job_id, runner
        url = current_app.config["DATABASE_URL"]
        self.sqlite = url.startswith("sqlite")
        # Never wait for a lock: 50 ms, then the memory copy does (PostgreSQL: lock_timeout).
        args = {"timeout": 0.05} if self.sqlite else {"options": "-c lock_timeout=50"}
        self.engine = create_engine(url, poolclass=NullPool, connect_args=args)
        self.last = (0.0, "")

    def __call__(self, phase: str, done: int, total: int) -> None:
        self.runner.live[self.job_id] = (phase, done, total)
        now = time.monotonic()
        if phase == SAVING and done > 0 and self.sqlite:
            return  # our own transaction holds the write lock now (PostgreSQL: its rows only)
        if phase == self.last[1] and now - self.last[0] < PROGRESS_INTERVAL and done < total:
            return
        self.last = (now, phase)
        try:
            with self.engine.begin() as conn:
                conn.execute(update(ImportJob).where(ImportJob.id == self.job_id)
                             .values(phase=phase, done=done, total=total))
        except OperationalError:  # locked: the memory copy will do until the next call
            pass

    def close(self) -> None:
        self.engine.dispose()


def run_job(job_id: int, runner: Worker) -> None:
    """Run one queued job to its end state (in an app context)."""
    database = get_db()
    with database.Session() as s:
        job = s.get(ImportJob, job_id)
        if job is None or job.state != QUEUED:
            return
        job.state, job.started_at = RUNNING, utcnow()
        s.commit()
        user = s.get(User, job.user_id) if job.user_id is not None else None
        kind, token = job.kind, job.upload_token
    progress = _Progress(job_id, runner)
    try:
        if kind == CONFIRM:
            state, payload = _confirm(token, user, progress)
        else:
            state, payload = _check(token, user, progress)
    except Exception:
        log.exception("import job %s failed", job_id)
        state, payload = FAILED, {"kind": CRASHED}
    finally:
        progress.close()
    _finish(job_id, state, payload)


def _finish(job_id: int, state: str, payload: dict[str, Any]) -> None:
    with get_db().Session() as s:
        job = s.get(ImportJob, job_id)
        job.state, job.finished_at = state, utcnow()
        if state == DONE:
            job.result = payload
            job.done = job.total = payload.get("entries", job.total)
        else:
            job.error = payload
        s.commit()


def _done_in_the_same_transaction(job_id: int):
    """A ``before_commit`` hook for the import's session: the job is marked done, with its
    batch, in the import's own transaction, so a process killed right after the commit
    cannot leave a job that says "interrupted, nothing imported" next to a real batch."""
    def mark(session: Session) -> None:
        batch = next((o for o in session.identity_map.values() if isinstance(o, ImportBatch)),
                     None)
        if batch is not None:
            counts = dict(batch.counts or {})
            session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
                state=DONE, finished_at=utcnow(), result={"batch_id": batch.id, **counts},
                done=counts.get("entries", 0), total=counts.get("entries", 0)))

    return mark


def _check(token: str, user, progress: _Progress) -> tuple[str, dict[str, Any]]:
    """A dry run of a stored upload; on success the upload may be confirmed."""
    upload = uploads.load_upload(token)
    data = upload.read() if upload is not None else None
    if upload is None or data is None:
        return FAILED, {"kind": GONE}
    try:
        with get_db().Session() as s:
            report, plan = import_upload(s, upload, data, dry_run=True, user=user,
                                         progress=progress)
    except ImportFailed as exc:
        if not (exc.writing_systems or exc.skippable or exc.markers):  # no other way: gone
            uploads.discard(upload.directory)
        return FAILED, {"kind": INVALID, **problems_summary(exc)}
    try:
        upload.save_versions(report.versions)
        upload.mark_checked()
    except OSError:  # confirmed (claimed) or discarded meanwhile: this check is moot
        return FAILED, {"kind": GONE}
    return DONE, upload_summary(report, plan)


def _confirm(token: str, user, progress: _Progress) -> tuple[str, dict[str, Any]]:
    """The import of an upload the view has claimed (``<token>.importing``)."""
    claimed = uploads.uploads_dir() / (token + uploads.CLAIMED)
    upload = uploads.load_upload(token, claimed)
    data = upload.read(claimed) if upload is not None else None
    if upload is None or data is None:
        uploads.discard(claimed)
        return FAILED, {"kind": GONE}
    try:
        with get_db().Session() as s:
            event.listen(s, "before_commit", _done_in_the_same_transaction(progress.job_id))
            report, plan = import_upload(s, upload, data, directory=claimed, user=user,
                                         expected=upload.versions(claimed), progress=progress)
    except ImportConflict as exc:
        uploads.release(upload)  # nothing was imported: check it again, then confirm
        return FAILED, {"kind": CONFLICT, **problems_summary(exc)}
    except ImportFailed as exc:
        uploads.discard(claimed)
        return FAILED, {"kind": INVALID, **problems_summary(exc)}
    except Exception:
        uploads.release(upload)  # e.g. the database was busy: let them try again
        raise
    uploads.discard(claimed)
    return DONE, upload_summary(report, plan, rows=0)


# ---- jobs of processes that died ------------------------------------------------------------
def worker_alive(app: Flask, token: str) -> bool:
    """Whether the process whose worker is ``token`` still runs (holds its lock)."""
    own = app.extensions.get("dictionary.import_jobs")
    if own is not None and own.token == token and own.lock_fd is not None:
        return True
    if not token or not token.isalnum():
        return False
    try:
        fd = os.open(worker(app).lock_path(token), os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # (closing also releases a lock we just took)
    return False


def recover(app: Flask, session: Session, jobs: list[ImportJob] | None = None) -> int:
    """Mark failed the queued or running ``jobs`` (default: all) whose process is gone; give
    their claimed uploads back. Commits; returns how many were marked."""
    if jobs is None:
        jobs = list(session.scalars(select(ImportJob).where(
            ImportJob.state.in_((QUEUED, RUNNING)))))
    marked = 0
    for job in jobs:
        if job.state not in (QUEUED, RUNNING) or worker_alive(app, job.worker):
            continue
        job.state, job.finished_at = FAILED, utcnow()
        job.error = {"kind": INTERRUPTED}
        if job.kind == CONFIRM:
            upload = uploads.load_upload(job.upload_token,
                                         uploads.uploads_dir() / (job.upload_token
                                                                  + uploads.CLAIMED))
            if upload is not None:
                uploads.release(upload)
        marked += 1
    if marked:
        session.commit()
        log.warning("%d import jobs were interrupted by the end of their process; marked "
                    "failed (nothing of them was imported)", marked)
    return marked


def _clean_locks(app: Flask, older_than: float = 3600.0) -> None:
    folder = Path(app.instance_path) / "import-workers"
    if not folder.is_dir():
        return
    for path in folder.glob("*.lock"):
        try:
            if time.time() - path.stat().st_mtime > older_than and \
                    not worker_alive(app, path.stem):
                path.unlink()
        except OSError:
            pass


def init_app(app: Flask) -> None:
    """At process start: jobs left by dead processes marked failed."""
    database = app.extensions["dictionary.db"]
    if not inspect(database.engine).has_table(ImportJob.__tablename__):
        return  # a database not migrated yet (``init-db`` creates the table): no job
    worker(app)
    with app.app_context(), database.Session() as s:
        recover(app, s)
    _clean_locks(app)
