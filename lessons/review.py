"""The review queue and the answer path: which card comes next, and what an answer changes.

Where it sits: the study pages (``views``) ask ``next_due`` for a card and post each answer
to ``record_answer``, which writes the ``ReviewLog`` row (the source of truth), moves the
card through ``scheduling`` and counts the answer in ``DailyStat`` (``stats``). Limits and
FSRS settings come from the learner's cohort. ``rebuild`` replays the whole log into
``review_state`` (``flask lessons replay``). Nothing here commits: the caller does.

The queue reads ``review_state`` through its index ``ix_review_state_due`` (learner, due), a
few rows per request, so it stays fast at millions of cards. Siblings are buried: once one
kind of a sense (recognition, listening, production) has been answered on a local day, the
other kinds of that sense wait for the next day, since they would mostly test what the
learner just saw.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import NamedTuple

import fsrs
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

import dictionary.sense_ids as sense_ids

from . import stats
from .clock import day_start, local_day, now
from .models import (KINDS, PRACTICE, PURPOSES, Cohort, CohortMember, Learner, ReviewLog,
                     ReviewState, SchedulerParams)
from .scheduling import (copy_card, make_scheduler, naive_utc, replay,
                         review, same_card)
from .stats import forecast, known_refs, new_today, streak

__all__ = ["Limits", "Recorded", "AnswerError", "Rebuilt", "scheduler_for", "limits",
           "due_states", "next_due", "record_answer", "known_refs", "new_today", "forecast",
           "streak", "leeches", "rebuild"]


class Limits(NamedTuple):
    new_per_day: int  # senses (each makes a recognition and a production card)
    reviews_per_day: int  # scheduled reviews


DEFAULT_LIMITS = Limits(new_per_day=8, reviews_per_day=75)  # see Cohort.reviews_per_day


def cohort_of(session: Session, learner_id: int) -> Cohort | None:
    """The cohort whose settings apply: the learner's active cohort joined last."""
    return session.scalars(
        select(Cohort).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.learner_id == learner_id)
        .order_by(Cohort.active.desc(), CohortMember.joined_at.desc(), Cohort.id.desc())
        .limit(1)).first()


def scheduler_for(session: Session, learner: Learner | int) -> fsrs.Scheduler:
    """The learner's scheduler: the cohort's fitted parameters (``cohort:<id>``), else the
    global ones, else py-fsrs's defaults; the cohort's desired retention."""
    learner_id = learner if isinstance(learner, int) else learner.id
    cohort = cohort_of(session, learner_id)
    scopes = ([f"cohort:{cohort.id}"] if cohort else []) + ["global"]
    fitted = {p.scope: p for p in session.scalars(
        select(SchedulerParams).where(SchedulerParams.scope.in_(scopes)))}
    params = next((fitted[s] for s in scopes if s in fitted), None)
    retention = (cohort.desired_retention if cohort else
                 params.desired_retention if params else 0.9)
    return make_scheduler(params.parameters if params else None, retention)


def limits(session: Session, learner: Learner) -> Limits:
    cohort = cohort_of(session, learner.id)
    if cohort is None:
        return DEFAULT_LIMITS
    return Limits(cohort.new_per_day, cohort.reviews_per_day)


def _answered_today(session: Session, learner: Learner, at: dt.datetime) -> dict[str, set[str]]:
    """sense ref → the kinds answered on the learner's local day of ``at`` (practice aside)."""
    start = day_start(local_day(at, learner.timezone), learner.timezone)
    kinds: dict[str, set[str]] = {}
    for ref, kind in session.execute(select(ReviewLog.sense_ref, ReviewLog.kind).where(
            ReviewLog.learner_id == learner.id, ReviewLog.reviewed_at >= start,
            ReviewLog.purpose != PRACTICE)):
        kinds.setdefault(ref, set()).add(kind)
    return kinds


def day_end(learner: Learner, at: dt.datetime) -> dt.datetime:
    """Naive UTC end of the learner's local day of ``at`` (04:00 the next morning)."""
    return day_start(local_day(at, learner.timezone) + dt.timedelta(days=1), learner.timezone)


def is_due(state: ReviewState, at: dt.datetime, end: dt.datetime) -> bool:
    """A card in the Review state is due for the whole local day it falls on (its interval
    is in days: a learner who studies in the morning sees the cards answered last evening
    two days ago); a card relearning after a lapse is due at its time, 10 minutes on."""
    return state.due <= at or (state.state == fsrs.State.Review and state.due < end)


def due_states(session: Session, learner: Learner, at: dt.datetime, limit: int
               ) -> list[ReviewState]:
    """Up to ``limit`` cards due at ``at`` (``is_due``), most overdue first, with siblings
    buried: at most one kind per sense, and none of a kind other than those already
    answered today."""
    at = naive_utc(at)
    today = _answered_today(session, learner, at)
    picked: list[ReviewState] = []
    refs: set[str] = set()
    # Buried rows are skipped in Python; read in pages sized so one page usually suffices.
    page, offset = 2 * limit + 2 * len(today), 0
    query = (select(ReviewState)
             .where(ReviewState.learner_id == learner.id,
                    ReviewState.due < day_end(learner, at),
                    or_(ReviewState.state == fsrs.State.Review, ReviewState.due <= at),
                    ReviewState.retired.is_(False))
             .order_by(ReviewState.due))
    while len(picked) < limit:
        rows = session.scalars(query.limit(page).offset(offset)).all()
        for state in rows:
            kinds = today.get(state.sense_ref)
            if state.sense_ref in refs or (kinds and state.kind not in kinds):
                continue
            picked.append(state)
            refs.add(state.sense_ref)
            if len(picked) == limit:
                break
        if len(rows) < page:
            break
        offset += page
    return picked


def next_due(session: Session, learner: Learner, at: dt.datetime) -> ReviewState | None:
    """The next card to review, or None when nothing is due or today's cap is reached."""
    if stats.reviews_on(session, learner, naive_utc(at)) >= limits(session, learner).reviews_per_day:
        return None
    found = due_states(session, learner, at, 1)
    return found[0] if found else None


class Recorded(NamedTuple):
    duplicate: bool  # this answer id was already recorded; nothing changed
    state: ReviewState | None  # the card after the answer (None: practice on no card)
    leech_now: bool  # this answer made the card a leech


class AnswerError(ValueError):
    """An answer that cannot be recorded (a forged or malformed post)."""


def _checked_id(log_id: str) -> str:
    try:
        return str(uuid.UUID(str(log_id)))
    except ValueError:
        raise AnswerError(f"{log_id!r} is not a UUID") from None


def _check(sense_ref: str, kind: str, rating: int, purpose: str) -> None:
    if kind not in KINDS:
        raise AnswerError(f"unknown card kind {kind!r}")
    if purpose not in PURPOSES:
        raise AnswerError(f"unknown purpose {purpose!r}")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 4:
        raise AnswerError(f"rating must be 1–4, not {rating!r}")
    try:
        ref = sense_ids.parse(sense_ref)
    except ValueError as e:
        raise AnswerError(str(e)) from None
    if ref.example is not None or str(ref) != sense_ref:
        raise AnswerError(f"{sense_ref!r} is not a sense id")


def record_answer(session: Session, learner: Learner, *, log_id: str, sense_ref: str,
                  kind: str, rating: int, purpose: str, exercise: str, answer: str | None,
                  match: str | None, at: dt.datetime, duration_ms: int | None = None,
                  course_id: int | None = None) -> Recorded:
    """Record one answer once: the same ``log_id`` again (a retried post, an offline
    re-sync) returns ``duplicate=True`` and changes nothing. Practice is logged and counted
    but never moves a card; every other purpose reviews the card, making it if needed.
    An answer older than the card's last review (synced late from a phone) rebuilds the
    card from its log, so the order answers arrive in never matters."""
    log_id = _checked_id(log_id)
    _check(sense_ref, kind, rating, purpose)
    existing = session.get(ReviewLog, log_id)
    if existing is not None:
        if existing.learner_id != learner.id:
            raise AnswerError("this answer id belongs to another learner")
        return Recorded(True, session.get(ReviewState, (learner.id, existing.sense_ref,
                                                        existing.kind)), False)
    at = naive_utc(at)
    if duration_ms is not None:
        duration_ms = max(int(duration_ms), 0)
    state = session.get(ReviewState, (learner.id, sense_ref, kind))
    log = ReviewLog(id=log_id, learner_id=learner.id, sense_ref=sense_ref, kind=kind,
                    rating=rating, reviewed_at=at, received_at=now(), duration_ms=duration_ms,
                    exercise=exercise, answer=answer, match=match, purpose=purpose,
                    course_id=course_id, stability_before=state.stability if state else None)
    created = leech_now = False
    if purpose != PRACTICE:
        scheduler = scheduler_for(session, learner)
        if state is not None and state.last_review is not None and at <= state.last_review:
            log.stability_before, leech_now = _rebuild_card(session, state, log, scheduler)
        else:
            outcome = review(state, learner_id=learner.id, sense_ref=sense_ref, kind=kind,
                             rating=rating, at=at, scheduler=scheduler)
            created, leech_now, state = outcome.created, outcome.leech_now, outcome.state
            if created:
                session.add(state)
    session.add(log)
    session.flush()
    stats.count_answer(session, learner, at=at, purpose=purpose, rating=rating,
                       created=created, duration_ms=duration_ms)
    return Recorded(False, state, leech_now)


def _card_logs(session: Session, state: ReviewState) -> list[ReviewLog]:
    return list(session.scalars(select(ReviewLog).where(
        ReviewLog.learner_id == state.learner_id, ReviewLog.sense_ref == state.sense_ref,
        ReviewLog.kind == state.kind, ReviewLog.purpose != PRACTICE)))


def _rebuild_card(session: Session, state: ReviewState, log: ReviewLog,
                  scheduler: fsrs.Scheduler) -> tuple[float | None, bool]:
    """Replay one card with a late answer in its place, correcting the stability each
    later answer was given at; returns (stability before this answer, leech now)."""
    logs = _card_logs(session, state) + [log]
    before: dict[str, float | None] = {}
    rebuilt = replay(logs, lambda _id: scheduler, before=before)
    for other in logs:
        other.stability_before = before[other.id]
    was_leech = state.leech
    copy_card(state, rebuilt[(state.learner_id, state.sense_ref, state.kind)])
    return before[log.id], bool(state.leech and not was_leech)


def leeches(session: Session, learner_ids: Iterable[int] | None = None) -> list[ReviewState]:
    """Cards failed ``LEECH_LAPSES`` times (for trainers, and the linguists' quality
    list: a sense many learners fail may have a wrong gloss or recording)."""
    query = select(ReviewState).where(ReviewState.leech.is_(True),
                                      ReviewState.retired.is_(False))
    if learner_ids is not None:
        query = query.where(ReviewState.learner_id.in_(list(learner_ids)))
    return list(session.scalars(query.order_by(ReviewState.sense_ref, ReviewState.learner_id,
                                               ReviewState.kind)))


class Rebuilt(NamedTuple):
    cards: int  # cards the log makes
    changed: int  # rows written because they differed from the log (new rows included)
    removed: int  # rows with no answer in the log, deleted
    logs: int = 0  # answers whose ``stability_before`` was corrected


def rebuild(session: Session, learner_id: int | None = None) -> Rebuilt:
    """Replay the log into ``review_state`` (one learner, or all), learner by learner, and
    correct each answer's ``stability_before``. The ``retired`` flag is kept: it follows
    the lexicon, not the log. Does not commit."""
    if learner_id is None:
        ids = sorted(set(session.scalars(select(ReviewLog.learner_id).distinct()))
                     | set(session.scalars(select(ReviewState.learner_id).distinct())))
    else:
        ids = [learner_id]
    cards = changed = removed = fixed = 0
    for lid in ids:
        scheduler = scheduler_for(session, lid)
        logs = session.scalars(select(ReviewLog).where(ReviewLog.learner_id == lid)).all()
        before: dict[str, float | None] = {}
        rebuilt = replay(logs, lambda _id: scheduler, before=before)
        for log in logs:
            if log.id in before and log.stability_before != before[log.id]:
                log.stability_before = before[log.id]
                fixed += 1
        stored = {(s.learner_id, s.sense_ref, s.kind): s for s in session.scalars(
            select(ReviewState).where(ReviewState.learner_id == lid))}
        for key, state in rebuilt.items():
            row = stored.pop(key, None)
            if row is None:
                session.add(state)
                changed += 1
            elif not same_card(row, state):
                copy_card(row, state)
                changed += 1
        for row in stored.values():
            session.delete(row)
        removed += len(stored)
        cards += len(rebuilt)
    session.flush()
    return Rebuilt(cards, changed, removed, fixed)

