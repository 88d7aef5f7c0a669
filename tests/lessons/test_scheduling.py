"""Our FSRS wrapper gives py-fsrs's own reference figures, keeps its cards exactly, counts
lapses and leeches, and rebuilds the same cards from a log in any order."""
from __future__ import annotations

import datetime as dt
import random
import uuid

import fsrs
import pytest

from lessons.models import LESSON, PRACTICE, SCHEDULED, ReviewLog, ReviewState
from lessons.scheduling import (FIELDS, LEECH_LAPSES, apply_card, blank_state, card_id,
                                make_scheduler, replay, review, to_card)

START = dt.datetime(2022, 11, 29, 12, 30)  # naive UTC, as the tables store it
GOOD_AGAIN = [3] * 6 + [1, 1] + [3] * 5


def package_test_scheduler() -> fsrs.Scheduler:
    """py-fsrs's tests/test_basic.py runs ``Scheduler(enable_fuzzing=False)``: its default
    steps (1 and 10 minutes to learn, 10 minutes to relearn), 36,500-day cap, retention 0.9.
    Built here through our wrapper's keywords."""
    return make_scheduler(learning_steps=(dt.timedelta(minutes=1), dt.timedelta(minutes=10)),
                          relearning_steps=(dt.timedelta(minutes=10),),
                          maximum_interval=36500, desired_retention=0.9)


def answer(state, rating, at, scheduler, learner_id=1, ref="zzx-000001/1", kind="R"):
    return review(state, learner_id=learner_id, sense_ref=ref, kind=kind, rating=rating,
                  at=at, scheduler=scheduler)


def test_the_package_reference_intervals_through_our_wrapper():
    # py-fsrs test_review_card: G×6, A×2, G×5, each answer when the card falls due.
    scheduler, state, at, intervals = package_test_scheduler(), None, START, []
    for rating in GOOD_AGAIN:
        state = answer(state, rating, at, scheduler).state
        intervals.append((state.due - state.last_review).days)
        at = state.due
    assert intervals == [0, 2, 11, 46, 163, 498, 0, 0, 2, 4, 7, 12, 21]


def test_the_package_reference_memory_state_through_our_wrapper():
    # py-fsrs test_memo_state: A,G,G,G,G,G at day offsets 0,0,1,3,8,21.
    scheduler, state, at = package_test_scheduler(), None, START
    for rating, days in zip([1, 3, 3, 3, 3, 3], [0, 0, 1, 3, 8, 21]):
        at += dt.timedelta(days=days)
        state = answer(state, rating, at, scheduler).state
    assert state.stability == pytest.approx(53.62691, abs=1e-4)
    assert state.difficulty == pytest.approx(6.3574867, abs=1e-4)


def test_the_production_scheduler():
    scheduler = make_scheduler(desired_retention=0.85)
    assert scheduler.enable_fuzzing is False
    assert scheduler.learning_steps == ()
    assert scheduler.relearning_steps == (dt.timedelta(minutes=10),)
    assert scheduler.maximum_interval == 365
    assert scheduler.desired_retention == 0.85
    # No learning steps: the lesson is the first exposure, the first review days later.
    first = answer(None, 3, START, make_scheduler()).state
    assert first.state == fsrs.State.Review and first.due - START == dt.timedelta(days=2)
    # A lapse comes back after ten minutes, and no interval passes a year.
    state, at = first, first.due
    for _ in range(12):
        state = answer(state, 3, at, scheduler).state
        assert (state.due - at).days <= 365
        at = state.due
    lapsed = answer(state, 1, at, scheduler).state
    assert lapsed.state == fsrs.State.Relearning and lapsed.due - at == dt.timedelta(minutes=10)
    # Fitted parameters are used as given.
    params = list(fsrs.scheduler.DEFAULT_PARAMETERS)
    params[2] = 5.0
    assert answer(None, 3, START, make_scheduler(params)).state.stability == 5.0


def test_card_ids_are_deterministic_and_fit_a_bigint():
    ids = {card_id(learner, f"zzx-{n:06d}/1", kind)
           for learner in range(1, 30) for n in range(1, 60) for kind in "RLP"}
    assert len(ids) == 29 * 59 * 3
    assert all(0 < i < 2**63 for i in ids)
    assert card_id(7, "zzx-000001/1", "P") == card_id(7, "zzx-000001/1", "P")
    # The card made by a first answer carries that id, never the clock's.
    state = answer(None, 3, START, make_scheduler(), learner_id=7, kind="P").state
    assert state.card_id == card_id(7, "zzx-000001/1", "P")


def test_review_state_and_card_round_trip():
    scheduler, at = make_scheduler(), START
    states = [blank_state(3, "zzx-000002/1", "R", at)]
    state = None
    for rating in (3, 3, 1, 1, 3, 4, 2):
        state = answer(state, rating, at, scheduler).state
        snapshot = ReviewState(learner_id=3, sense_ref="zzx-000002/1", kind="R")
        for f in FIELDS:
            setattr(snapshot, f, getattr(state, f))
        states.append(snapshot)
        at = state.due
    kinds = {s.state for s in states}
    assert kinds == {fsrs.State.Learning, fsrs.State.Review, fsrs.State.Relearning}
    for s in states:
        card = to_card(s)
        assert card.due.tzinfo == dt.timezone.utc
        back = apply_card(ReviewState(), card)
        assert {f: getattr(back, f) for f in FIELDS[:7]} == {f: getattr(s, f) for f in FIELDS[:7]}
        assert back.due.tzinfo is None
        assert to_card(back).to_dict() == card.to_dict()


def test_lapses_count_failures_of_learned_cards_and_flag_a_leech_once():
    scheduler, at = make_scheduler(), START
    state = answer(None, 1, at, scheduler).state  # a new card failed: not a lapse
    assert (state.lapses, state.reps, state.last_rating) == (0, 1, 1)
    leech_answers = []
    for n in range(1, LEECH_LAPSES + 2):
        state = answer(state, 3, state.due, scheduler).state  # back to Review
        assert state.state == fsrs.State.Review
        at = state.due
        outcome = answer(state, 1, at, scheduler)  # a lapse
        state = outcome.state
        assert state.lapses == n
        leech_answers.append(outcome.leech_now)
        # Failing again while relearning is not another lapse.
        state = answer(state, 1, state.due, scheduler).state
        assert state.lapses == n
        assert state.leech is (n >= LEECH_LAPSES)
    assert leech_answers == [False] * (LEECH_LAPSES - 1) + [True, False]
    assert state.last_rating == 1


def make_logs(rng: random.Random) -> list[ReviewLog]:
    """Answers of 4 learners on 5 senses × 2 kinds, over 60 days, with equal times on
    purpose (order then comes from the UUID) and practice answers mixed in."""
    logs = []
    for learner in range(1, 5):
        for n in range(1, 6):
            for kind in ("R", "P"):
                at = START + dt.timedelta(hours=rng.randrange(48))
                for i in range(rng.randrange(3, 12)):
                    purpose = LESSON if i == 0 else rng.choice([SCHEDULED] * 4 + [PRACTICE])
                    logs.append(ReviewLog(
                        id=str(uuid.UUID(int=rng.getrandbits(128))), learner_id=learner,
                        sense_ref=f"zzx-{n:06d}/1", kind=kind, rating=rng.choice([1, 2, 3, 3, 4]),
                        reviewed_at=at, purpose=purpose))
                    if rng.random() < 0.8:  # else the next answer has the same time
                        at += dt.timedelta(minutes=rng.choice([10, 600, 1440 * rng.randrange(1, 9)]))
    return logs


def snapshot(states: dict) -> dict:
    return {key: tuple(getattr(s, f) for f in FIELDS) for key, s in states.items()}


def test_replaying_shuffled_logs_gives_identical_states():
    rng = random.Random(12)
    logs = make_logs(rng)
    scheduler = make_scheduler()
    # The states as answered one by one, in time order (ties by id).
    expected: dict = {}
    for log in sorted(logs, key=lambda x: (x.reviewed_at, x.id)):
        if log.purpose == PRACTICE:
            continue
        key = (log.learner_id, log.sense_ref, log.kind)
        expected[key] = answer(expected.get(key), log.rating, log.reviewed_at, scheduler,
                               learner_id=key[0], ref=key[1], kind=key[2]).state
    assert len(expected) == 40 and any(s.lapses for s in expected.values())
    reference = snapshot(expected)
    for _ in range(20):
        shuffled = logs[:]
        rng.shuffle(shuffled)
        assert snapshot(replay(shuffled, lambda _id: scheduler)) == reference
    # Practice never moves a card: dropping it changes nothing.
    kept = [x for x in logs if x.purpose != PRACTICE]
    assert snapshot(replay(kept, lambda _id: scheduler)) == reference
    # Each learner's scheduler is used for that learner's cards.
    strict = make_scheduler(desired_retention=0.97)
    mixed = replay(logs, lambda lid: strict if lid == 2 else scheduler)
    assert snapshot({k: v for k, v in mixed.items() if k[0] != 2}) == \
        {k: v for k, v in reference.items() if k[0] != 2}
    assert snapshot({k: v for k, v in mixed.items() if k[0] == 2}) != \
        {k: v for k, v in reference.items() if k[0] == 2}
