"""What a learner has achieved, read from the review states and the daily statistics.

Where it sits: ``review.record_answer`` calls ``count_answer`` for every answer, which keeps
one ``DailyStat`` row per learner and local day (``clock.local_day``: days start at 04:00 in
the learner's time zone) so the learner's home page and the trainers' dashboard read a few
rows instead of the log. The learner's home page reads ``known_refs``, ``new_today``,
``forecast`` and ``streak`` (re-exported by ``review``, where callers look for them).

What a ``DailyStat`` row counts:
- ``reviews`` / ``correct``: scheduled reviews (the daily review cap counts these), and those
  rated Hard or better;
- ``new_cards``: cards created by a lesson or a review (placement's cards are not new work);
- ``practice``: "practice more" answers, which never move a card;
- ``milliseconds``: time spent answering, every purpose, each answer capped at a minute
  (Anki's default: a phone left on the table is not an hour of study);
- ``known``: known senses (``known_refs``) after the last answer counted for that day.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.orm import Session

from dictionary.db import dialect_insert

from .clock import day_start, local_day
from .models import (LESSON, LISTENING, PLACEMENT, PRACTICE, RECOGNITION, SCHEDULED, DailyStat,
                     Learner, ReviewLog, ReviewState)

KNOWN_STABILITY = 21.0  # days: Anki's "mature"; a known word is a mature receptive card
KNOWN_KINDS = (RECOGNITION, LISTENING)
ANSWER_CAP_MS = 60_000


EASY = 4  # the rating only the placement test gives (answers are graded Good at best)


def known_condition():
    """What makes a card a known word, as SQL: a recognition (or listening) card with a
    stability of at least 21 days whose last review passed, or one the placement test
    verified (rated Easy) and not reviewed since. Senses gone from the lexicon do not
    count. The one definition for the learner's page and the trainers' dashboard."""
    return and_(ReviewState.kind.in_(KNOWN_KINDS), ReviewState.retired.is_(False),
                or_(and_(ReviewState.stability >= KNOWN_STABILITY, ReviewState.last_rating >= 2),
                    ReviewState.last_rating == EASY))


def _known_clause(learner_id: int):
    return (ReviewState.learner_id == learner_id, known_condition())


def known_refs(session: Session, learner_id: int) -> set[str]:
    """Senses the learner knows (``known_condition``)."""
    return set(session.scalars(select(ReviewState.sense_ref).where(*_known_clause(learner_id))))


def known_count(session: Session, learner_id: int) -> int:
    return session.scalar(select(func.count(distinct(ReviewState.sense_ref)))
                          .where(*_known_clause(learner_id))) or 0


def count_answer(session: Session, learner: Learner, *, at: dt.datetime, purpose: str,
                 rating: int, created: bool, duration_ms: int | None) -> None:
    """Add one answer to the learner's ``DailyStat`` for the local day of ``at``: one
    upsert, so two answers posted at once both count."""
    scheduled = purpose == SCHEDULED
    values = {
        "reviews": int(scheduled),
        "correct": int(scheduled and rating >= 2),
        "new_cards": int(created and purpose != PLACEMENT),
        "practice": int(purpose == PRACTICE),
        "milliseconds": min(max(duration_ms or 0, 0), ANSWER_CAP_MS),
    }
    insert = dialect_insert(session)(DailyStat).values(
        learner_id=learner.id, day=local_day(at, learner.timezone),
        known=known_count(session, learner.id), **values)
    bumped = {name: getattr(DailyStat, name) + getattr(insert.excluded, name) for name in values}
    session.execute(insert.on_conflict_do_update(
        index_elements=[DailyStat.learner_id, DailyStat.day],
        set_={**bumped, "known": insert.excluded.known}))


def reviews_on(session: Session, learner: Learner, at: dt.datetime) -> int:
    """Scheduled reviews on the local day of ``at`` (read from the table, never from a
    session's cached row: ``count_answer`` bumps it behind the ORM's back)."""
    return session.scalar(select(DailyStat.reviews).where(
        DailyStat.learner_id == learner.id,
        DailyStat.day == local_day(at, learner.timezone))) or 0


def new_today(session: Session, learner: Learner, at: dt.datetime) -> int:
    """Senses first taught today (a lesson answer today, no answer before today): what
    the cohort's ``new_per_day`` limits."""
    start = day_start(local_day(at, learner.timezone), learner.timezone)
    today = set(session.scalars(select(ReviewLog.sense_ref).where(
        ReviewLog.learner_id == learner.id, ReviewLog.reviewed_at >= start,
        ReviewLog.purpose == LESSON)))
    if not today:
        return 0
    earlier = set(session.scalars(select(ReviewLog.sense_ref).distinct().where(
        ReviewLog.learner_id == learner.id, ReviewLog.reviewed_at < start,
        ReviewLog.sense_ref.in_(today), ReviewLog.purpose != PRACTICE)))
    return len(today - earlier)


def forecast(session: Session, learner: Learner, at: dt.datetime, days: int = 7
             ) -> list[tuple[dt.date, int]]:
    """Cards falling due on each of the next ``days`` local days, today first (today's
    count includes everything overdue)."""
    today = local_day(at, learner.timezone)
    end = day_start(today + dt.timedelta(days=days), learner.timezone)
    counts = dict.fromkeys((today + dt.timedelta(days=i) for i in range(days)), 0)
    for (due,) in session.execute(select(ReviewState.due).where(
            ReviewState.learner_id == learner.id, ReviewState.due < end,
            ReviewState.retired.is_(False))):
        day = max(local_day(due, learner.timezone), today)
        counts[day] += 1
    return list(counts.items())


def streak(session: Session, learner: Learner, at: dt.datetime) -> int:
    """Local days in a row with at least one answer, ending today; a day not yet begun
    does not break it (the streak then ends yesterday)."""
    today = local_day(at, learner.timezone)
    days: Sequence[dt.date] = session.scalars(
        select(DailyStat.day).where(DailyStat.learner_id == learner.id, DailyStat.day <= today)
        .order_by(DailyStat.day.desc()).limit(3660)).all()
    expected = today if days and days[0] == today else today - dt.timedelta(days=1)
    run = 0
    for day in days:
        if day != expected:
            break
        run += 1
        expected -= dt.timedelta(days=1)
    return run
