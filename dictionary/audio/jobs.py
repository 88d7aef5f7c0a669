"""The audio worker's outbox: jobs written in the transaction that needs them, run after.

Where it sits: ``intake`` (process a new recording) and ``tts`` (fetch Vietnamese speech)
``enqueue`` a job beside their rows; ``flask audio work`` (``cli``) runs them with the
handler each kind ``register``-ed. A job is claimed by setting ``locked_until`` with one
conditional UPDATE, so two workers never run the same job, and a worker killed mid-job
leaves it to be claimed again once the lock expires. A handler that raises is retried later
with a growing delay; one that finishes (processed, or refused for good and recorded so)
deletes its job. Page requests never wait for a job; with ``AUDIO_SYNC`` (tests, a laptop)
``kick`` runs them right after the request's commit.
"""
from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..db import get_db
from ..models import utcnow
from .models import AudioJob

Handler = Callable[[Session, AudioJob], None]
_handlers: dict[str, Handler] = {}
LOCK = dt.timedelta(minutes=5)
MAX_DELAY = dt.timedelta(hours=1)


def register(kind: str, handler: Handler) -> None:
    _handlers[kind] = handler


def enqueue(session: Session, kind: str, ref: str) -> None:
    """Ask for ``kind`` on ``ref`` (once: an existing job is just made due now)."""
    job = session.scalar(select(AudioJob).where(AudioJob.kind == kind, AudioJob.ref == ref))
    if job is None:
        session.add(AudioJob(kind=kind, ref=ref, run_after=utcnow()))
    else:
        job.run_after = utcnow()


def _claim(session: Session, now: dt.datetime) -> AudioJob | None:
    free = or_(AudioJob.locked_until.is_(None), AudioJob.locked_until < now)
    for job_id in session.scalars(select(AudioJob.id).where(AudioJob.run_after <= now, free)
                                  .order_by(AudioJob.run_after, AudioJob.id).limit(5)):
        taken = session.execute(update(AudioJob).where(AudioJob.id == job_id, free)
                                .values(locked_until=now + LOCK))
        session.commit()
        if taken.rowcount == 1:
            return session.get(AudioJob, job_id)
    return None


def run_one(session: Session) -> bool:
    """Claim and run one due job; False when none is due."""
    job = _claim(session, utcnow())
    if job is None:
        return False
    handler = _handlers.get(job.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for audio jobs of kind {job.kind!r}")
        handler(session, job)
        session.delete(job)
        session.commit()
    except Exception:  # retried later: the job and its error stay for `audio check`
        session.rollback()
        job = session.get(AudioJob, job.id)
        if job is not None:
            job.attempts += 1
            job.last_error = traceback.format_exc(limit=3)[-2000:]
            job.locked_until = None
            job.run_after = utcnow() + min(dt.timedelta(seconds=30 * 2 ** job.attempts), MAX_DELAY)
            session.commit()
        current_app.logger.exception("audio job failed; retried later")
    return True


def run_pending(app: Flask, limit: int | None = None) -> int:
    """Run due jobs until none is left (or ``limit``); returns how many ran."""
    done = 0
    with app.app_context(), get_db().Session() as s:
        while (limit is None or done < limit) and run_one(s):
            done += 1
    return done


def kick() -> None:
    """After a request committed new jobs: run them now under ``AUDIO_SYNC``, else leave
    them to the worker."""
    if current_app.config.get("AUDIO_SYNC"):
        run_pending(current_app._get_current_object())  # type: ignore[attr-defined]
