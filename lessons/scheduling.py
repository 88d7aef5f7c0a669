"""FSRS through the ``fsrs`` package (py-fsrs, pinned): our cards in, our cards out.

Where it sits: ``review`` (answers from the pages) and ``placement`` call ``review`` here to
move one card; ``review.rebuild`` (``flask lessons replay``) calls ``replay`` to rebuild every
``ReviewState`` from ``ReviewLog``, the source of truth. This module never touches a
session: it converts ``ReviewState`` rows (naive UTC, as every table stores times) to and
from ``fsrs.Card`` (aware UTC, which py-fsrs insists on) and keeps our counters (reps,
lapses, the leech flag, the last rating) beside FSRS's own fields.

Fuzz is off, so the same log always gives the same states, on the server or on a phone
replaying it offline. With no learning steps the lesson is the first exposure and the
first review is a day or more later; a lapse comes back after 10 minutes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple, Protocol

import fsrs
from fsrs.scheduler import DEFAULT_PARAMETERS

from .models import PRACTICE, ReviewState

RELEARNING_STEPS = (dt.timedelta(minutes=10),)
MAXIMUM_INTERVAL = 365  # days: a year without seeing a word is long enough for a learner
LEECH_LAPSES = 8  # Anki's threshold: the card is flagged for the trainer and the linguists

Key = tuple[int, str, str]  # (learner_id, sense_ref, kind)


def make_scheduler(parameters: Sequence[float] | None = None, desired_retention: float = 0.9,
                   *, learning_steps: Sequence[dt.timedelta] = (),
                   relearning_steps: Sequence[dt.timedelta] = RELEARNING_STEPS,
                   maximum_interval: int = MAXIMUM_INTERVAL) -> fsrs.Scheduler:
    """The scheduler every card uses: ``parameters`` (21 FSRS-6 weights) default to
    py-fsrs's, fuzz is always off. The step and interval keywords exist so a test can build
    py-fsrs's own reference scheduler through this function; production keeps the defaults."""
    return fsrs.Scheduler(
        parameters=tuple(parameters) if parameters is not None else DEFAULT_PARAMETERS,
        desired_retention=desired_retention,
        learning_steps=tuple(learning_steps),
        relearning_steps=tuple(relearning_steps),
        maximum_interval=maximum_interval,
        enable_fuzzing=False,
    )


def card_id(learner_id: int, sense_ref: str, kind: str) -> int:
    """A stable id for the card, the same on every machine (``fsrs.Card()`` without one
    would use the clock, and sleep a millisecond to keep it unique).

    >>> card_id(1, "hre-000001/1", "R") == card_id(1, "hre-000001/1", "R")
    True
    >>> 0 < card_id(1, "hre-000001/1", "R") < 2**63
    True
    """
    digest = hashlib.blake2b(f"{learner_id}\x1f{sense_ref}\x1f{kind}".encode(),
                             digest_size=8).digest()
    return (int.from_bytes(digest, "big") >> 1) or 1  # 63 bits: fits a signed BIGINT


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.replace(tzinfo=dt.timezone.utc)


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as the tables store it: naive UTC (an aware time is converted first)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def new_card(learner_id: int, sense_ref: str, kind: str, at: dt.datetime) -> fsrs.Card:
    return fsrs.Card(card_id=card_id(learner_id, sense_ref, kind), due=_aware(naive_utc(at)))


def to_card(state: ReviewState) -> fsrs.Card:
    return fsrs.Card(card_id=state.card_id, state=fsrs.State(state.state), step=state.step,
                     stability=state.stability, difficulty=state.difficulty,
                     due=_aware(state.due), last_review=_aware(state.last_review))


def apply_card(state: ReviewState, card: fsrs.Card) -> ReviewState:
    """Copy the FSRS fields of ``card`` onto ``state`` (times back to naive UTC)."""
    state.card_id = card.card_id
    state.state = int(card.state)
    state.step = card.step
    state.stability = card.stability
    state.difficulty = card.difficulty
    state.due = naive_utc(card.due)
    state.last_review = None if card.last_review is None else naive_utc(card.last_review)
    return state


def blank_state(learner_id: int, sense_ref: str, kind: str, at: dt.datetime) -> ReviewState:
    """A card never reviewed, due at ``at`` (not added to any session)."""
    state = ReviewState(learner_id=learner_id, sense_ref=sense_ref, kind=kind, reps=0,
                        lapses=0, leech=False, retired=False, last_rating=None)
    return apply_card(state, new_card(learner_id, sense_ref, kind, at))


class Reviewed(NamedTuple):
    state: ReviewState
    created: bool  # the card did not exist before this answer
    stability_before: float | None
    leech_now: bool  # this answer made the card a leech


def review(state: ReviewState | None, *, learner_id: int, sense_ref: str, kind: str,
           rating: int, at: dt.datetime, scheduler: fsrs.Scheduler) -> Reviewed:
    """Apply one answer to the card (``None``: a new card, made here, not added to any
    session). A lapse is "Again" on a card in the Review state (a failure while relearning
    is not another lapse, as in Anki); at ``LEECH_LAPSES`` the card is flagged, once."""
    created = state is None
    if state is None:
        state = blank_state(learner_id, sense_ref, kind, at)
    before = state.stability
    card, _log = scheduler.review_card(to_card(state), fsrs.Rating(rating),
                                       review_datetime=_aware(naive_utc(at)))
    lapsed = rating == fsrs.Rating.Again and state.state == fsrs.State.Review
    apply_card(state, card)
    state.reps = (state.reps or 0) + 1
    state.lapses = (state.lapses or 0) + int(lapsed)
    state.last_rating = int(rating)
    leech_now = lapsed and not state.leech and state.lapses >= LEECH_LAPSES
    state.leech = bool(state.leech) or state.lapses >= LEECH_LAPSES
    return Reviewed(state, created, before, leech_now)


class LogLike(Protocol):
    """What ``replay`` reads of a log: ``ReviewLog`` rows, or anything shaped like them."""
    id: str
    learner_id: int
    sense_ref: str
    kind: str
    rating: int
    reviewed_at: dt.datetime
    purpose: str


def log_order(log: LogLike) -> tuple[dt.datetime, str]:
    """The order answers are applied in: by time, ties broken by the log's UUID, so every
    replay (whatever order the rows arrive in) makes the same cards."""
    return (naive_utc(log.reviewed_at), log.id)


def replay(logs: Iterable[LogLike], scheduler_for: Callable[[int], fsrs.Scheduler], *,
           before: dict[str, float | None] | None = None) -> dict[Key, ReviewState]:
    """Every card rebuilt from its answers (``practice`` answers never move a card).
    ``scheduler_for(learner_id)`` gives each learner's scheduler; the states returned are
    new objects, in no session, with ``retired`` false (that flag follows the lexicon, not
    the log: ``review.rebuild`` keeps it). ``before``, if given, receives each log id's
    stability just before that answer (``ReviewLog.stability_before``)."""
    states: dict[Key, ReviewState] = {}
    schedulers: dict[int, fsrs.Scheduler] = {}
    for log in sorted((x for x in logs if x.purpose != PRACTICE), key=log_order):
        key = (log.learner_id, log.sense_ref, log.kind)
        if log.learner_id not in schedulers:
            schedulers[log.learner_id] = scheduler_for(log.learner_id)
        if before is not None:
            before[log.id] = states[key].stability if key in states else None
        outcome = review(states.get(key), learner_id=log.learner_id, sense_ref=log.sense_ref,
                         kind=log.kind, rating=log.rating, at=log.reviewed_at,
                         scheduler=schedulers[log.learner_id])
        states[key] = outcome.state
    return states


FIELDS = ("card_id", "state", "step", "stability", "difficulty", "due", "last_review",
          "last_rating", "reps", "lapses", "leech")


def same_card(a: ReviewState, b: ReviewState) -> bool:
    """The two rows schedule the card identically (``retired`` aside)."""
    return all(getattr(a, f) == getattr(b, f) for f in FIELDS)


def copy_card(target: ReviewState, source: ReviewState) -> None:
    for f in FIELDS:
        setattr(target, f, getattr(source, f))
