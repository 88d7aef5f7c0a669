"""The review queue and the answer path on a real database: answers are recorded once, practice
never moves a card, the cohort's limits hold, siblings wait for tomorrow, leeches are flagged,
"known" means what the issue says, the daily statistics add up, and the log rebuilds the
cards whatever order the answers arrived in."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import event, func, select, text

from dictionary.auth import create_user
from dictionary.db import get_db
from lessons import review
from lessons.models import (LESSON, PLACEMENT, PRACTICE, SCHEDULED, Cohort, CohortMember,
                            Course, DailyStat, Learner, ReviewLog, ReviewState, SchedulerParams)
from lessons.scheduling import FIELDS, LEECH_LAPSES

PASSWORD = "correct horse battery"
# 02:00 UTC = 09:00 in Asia/Ho_Chi_Minh: well inside the learner's day.
DAY0 = dt.datetime(2026, 3, 2, 2, 0)
A, B, C = "zzx-000001/1", "zzx-000002/1", "zzx-000003/1"


@pytest.fixture
def s(app):
    with app.app_context(), get_db().Session() as session:
        yield session


def learner(s, name: str = "l1") -> Learner:
    user = create_user(s, f"{name}@example.test", PASSWORD, "learner")
    s.flush()
    person = Learner(user_id=user.id, language_code="hre")
    s.add(person)
    s.flush()
    return person


def cohort(s, *members: Learner, **settings) -> Cohort:
    course = s.scalar(select(Course).where(Course.key == "zzx-course"))
    if course is None:
        course = Course(key="zzx-course", language_code="hre", title="Synthetic")
        s.add(course)
        s.flush()
    group = Cohort(name="c", course_id=course.id, join_code=uuid.uuid4().hex[:8],
                   starts_on=DAY0.date(), **settings)
    s.add(group)
    s.flush()
    for m in members:
        s.add(CohortMember(cohort_id=group.id, learner_id=m.id))
    s.flush()
    return group


def say(s, who: Learner, ref: str, rating: int, at: dt.datetime, *, kind: str = "R",
        purpose: str = SCHEDULED, log_id: str | None = None, duration_ms: int | None = 5000):
    return review.record_answer(
        s, who, log_id=log_id or str(uuid.uuid4()), sense_ref=ref, kind=kind, rating=rating,
        purpose=purpose, exercise="pick_gloss", answer="x", match=None, at=at,
        duration_ms=duration_ms)


def teach(s, who: Learner, ref: str, at: dt.datetime) -> None:
    """A lesson's first exposure: a recognition and a production card."""
    for kind in ("R", "P"):
        say(s, who, ref, 3, at, kind=kind, purpose=LESSON)


def fields(state: ReviewState) -> tuple:
    return tuple(getattr(state, f) for f in FIELDS)


def test_an_answer_id_is_recorded_once(s):
    me, other = learner(s), learner(s, "l2")
    log_id = str(uuid.uuid4())
    first = say(s, me, A, 3, DAY0, purpose=LESSON, log_id=log_id)
    again = say(s, me, A, 1, DAY0 + dt.timedelta(minutes=1), purpose=LESSON,
                log_id=log_id.upper())
    s.commit()
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.state is first.state and first.state.reps == 1 and first.state.last_rating == 3
    assert s.scalar(select(func.count()).select_from(ReviewLog)) == 1
    assert s.get(DailyStat, (me.id, DAY0.date())).new_cards == 1
    # Another learner cannot reuse (or probe) that id.
    with pytest.raises(review.AnswerError, match="another learner"):
        say(s, other, A, 3, DAY0, log_id=log_id)


@pytest.mark.parametrize("change, message", [
    ({"rating": 0}, "rating"), ({"rating": 5}, "rating"), ({"rating": True}, "rating"),
    ({"rating": "3"}, "rating"), ({"kind": "X"}, "kind"), ({"purpose": "cram"}, "purpose"),
    ({"log_id": "not-a-uuid"}, "UUID"), ({"sense_ref": "zzx-000001/1/2"}, "not a sense id"),
    ({"sense_ref": "<script>"}, "not a sense id"),
])
def test_malformed_answers_are_refused(s, change, message):
    me = learner(s)
    args = dict(log_id=str(uuid.uuid4()), sense_ref=A, kind="R", rating=3, purpose=SCHEDULED,
                exercise="pick_gloss", answer=None, match=None, at=DAY0) | change
    with pytest.raises(review.AnswerError, match=message):
        review.record_answer(s, me, **args)
    assert s.scalar(select(func.count()).select_from(ReviewLog)) == 0


def test_practice_never_changes_the_schedule(s):
    me = learner(s)
    teach(s, me, A, DAY0)
    card = s.get(ReviewState, (me.id, A, "R"))
    before = fields(card)
    later = DAY0 + dt.timedelta(hours=1)
    result = say(s, me, A, 1, later, purpose=PRACTICE)
    none = say(s, me, B, 1, later, purpose=PRACTICE)  # practice on a sense never taught
    s.commit()
    assert fields(s.get(ReviewState, (me.id, A, "R"))) == before
    assert result.state is card and none.state is None
    assert s.get(ReviewState, (me.id, B, "R")) is None
    assert s.scalar(select(func.count()).where(ReviewLog.purpose == PRACTICE)) == 2
    day = s.get(DailyStat, (me.id, DAY0.date()))
    assert (day.practice, day.reviews, day.new_cards) == (2, 0, 2)


def test_limits_and_scheduler_come_from_the_cohort(s):
    me, alone = learner(s), learner(s, "l2")
    assert review.limits(s, alone) == review.Limits(8, 75)
    assert review.scheduler_for(s, alone).desired_retention == 0.9
    group = cohort(s, me, new_per_day=5, reviews_per_day=3, desired_retention=0.85)
    assert review.limits(s, me) == review.Limits(5, 3)
    scheduler = review.scheduler_for(s, me)
    assert scheduler.desired_retention == 0.85 and scheduler.learning_steps == ()
    # The daily cap counts scheduled reviews.
    for n in range(6):
        teach(s, me, f"zzx-{n + 10:06d}/1", DAY0)
    day5 = DAY0 + dt.timedelta(days=5)  # retention 0.85: first interval 4 days
    for _ in range(3):
        card = review.next_due(s, me, day5)
        assert card is not None
        say(s, me, card.sense_ref, 3, day5, kind=card.kind)
    assert review.next_due(s, me, day5) is None
    assert review.due_states(s, me, day5, 10)  # still due: tomorrow's work
    assert review.next_due(s, me, day5 + dt.timedelta(days=1)) is not None
    # Fitted parameters for the cohort, then for everyone.
    fitted = list(scheduler.parameters)
    fitted[2] = 5.0
    s.add(SchedulerParams(scope=f"cohort:{group.id}", parameters=fitted))
    s.flush()
    assert review.scheduler_for(s, me).parameters[2] == 5.0
    assert review.scheduler_for(s, alone).parameters[2] != 5.0
    fitted[2] = 4.0
    s.add(SchedulerParams(scope="global", parameters=fitted, desired_retention=0.8))
    s.flush()
    assert review.scheduler_for(s, me).parameters[2] == 5.0
    assert review.scheduler_for(s, alone).parameters[2] == 4.0
    assert review.scheduler_for(s, alone).desired_retention == 0.8


def test_siblings_wait_until_tomorrow(s):
    me = learner(s)
    teach(s, me, A, DAY0)
    teach(s, me, B, DAY0)
    day3 = DAY0 + dt.timedelta(days=3)
    due = review.due_states(s, me, day3, 10)
    assert sorted(x.sense_ref for x in due) == [A, B]  # one kind per sense
    first = review.next_due(s, me, day3)
    say(s, me, first.sense_ref, 1, day3, kind=first.kind)  # a lapse: back in 10 minutes
    sibling = "P" if first.kind == "R" else "R"
    soon = day3 + dt.timedelta(minutes=15)
    due = review.due_states(s, me, soon, 10)
    assert (first.sense_ref, first.kind) in {(x.sense_ref, x.kind) for x in due}
    assert (first.sense_ref, sibling) not in {(x.sense_ref, x.kind) for x in due}
    say(s, me, first.sense_ref, 3, soon, kind=first.kind)
    # Late evening (03:30 the next morning, local) is still the same learner's day.
    night = dt.datetime(2026, 3, 5, 20, 30)
    assert review.due_states(s, me, night, 10)[0].sense_ref != first.sense_ref
    tomorrow = dt.datetime(2026, 3, 5, 21, 30)  # 04:30 local: a new day
    assert (first.sense_ref, sibling) in {
        (x.sense_ref, x.kind) for x in review.due_states(s, me, tomorrow, 10)}


def test_the_due_query_reads_the_due_index(app, s):
    me = learner(s)
    teach(s, me, A, DAY0)
    s.commit()
    seen: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM review_state" in statement:
            seen.append((statement, parameters))

    engine = get_db().engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        review.due_states(s, me, DAY0 + dt.timedelta(days=3), 5)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert len(seen) == 1
    statement, parameters = seen[0]
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # A handful of rows: the planner would rather read the whole table; told not to,
            # it must find the index, in the order asked (no Sort node).
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(row[0] for row in conn.exec_driver_sql(
                "EXPLAIN " + statement, parameters))
            assert "ix_review_state_due" in plan and "Sort" not in plan, plan
        else:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))
            assert "ix_review_state_due" in plan and "TEMP B-TREE" not in plan, plan


def test_a_leech_is_flagged_at_eight_lapses(s):
    me, other = learner(s), learner(s, "l2")
    at = DAY0
    say(s, me, A, 3, at, purpose=LESSON)
    flags = []
    for _ in range(LEECH_LAPSES + 1):
        at = s.get(ReviewState, (me.id, A, "R")).due
        flags.append(say(s, me, A, 1, at).leech_now)  # a lapse
        at += dt.timedelta(minutes=10)
        say(s, me, A, 3, at)  # relearned
    s.commit()
    card = s.get(ReviewState, (me.id, A, "R"))
    assert card.lapses == LEECH_LAPSES + 1 and card.leech
    assert flags == [False] * (LEECH_LAPSES - 1) + [True, False]
    assert review.leeches(s) == [card]
    assert review.leeches(s, [me.id]) == [card] and review.leeches(s, [other.id]) == []


def test_known_means_a_mature_recognition_card_last_passed(s):
    me = learner(s)
    say(s, me, A, 3, DAY0, purpose=LESSON)
    assert review.known_refs(s, me.id) == set()
    at = DAY0
    for _ in range(2):  # stability 2.3 → 11 → 46 days
        at = s.get(ReviewState, (me.id, A, "R")).due
        say(s, me, A, 3, at)
    assert s.get(ReviewState, (me.id, A, "R")).stability >= 21
    assert review.known_refs(s, me.id) == {A}
    rows = {
        B: dict(kind="P", stability=40.0, last_rating=3),  # production: not receptive
        C: dict(kind="R", stability=20.9, last_rating=3),  # not mature
        "zzx-000004/1": dict(kind="R", stability=30.0, last_rating=1),  # last review failed
        "zzx-000005/1": dict(kind="R", stability=30.0, last_rating=3, retired=True),
        "zzx-000006/1": dict(kind="L", stability=21.0, last_rating=2),  # listening counts
    }
    for ref, values in rows.items():
        s.add(ReviewState(learner_id=me.id, sense_ref=ref, card_id=1, state=2, due=at,
                          **values))
    s.flush()
    assert review.known_refs(s, me.id) == {A, "zzx-000006/1"}
    # A lapse makes the word unknown again.
    say(s, me, A, 1, s.get(ReviewState, (me.id, A, "R")).due)
    assert review.known_refs(s, me.id) == {"zzx-000006/1"}


def test_daily_statistics_per_local_day(s):
    me = learner(s)
    say(s, me, A, 3, DAY0, purpose=LESSON, duration_ms=4000)
    say(s, me, A, 3, DAY0, kind="P", purpose=LESSON, duration_ms=600_000)  # capped at 60 s
    say(s, me, B, 4, DAY0, purpose=PLACEMENT, duration_ms=None)  # a card, not new work
    say(s, me, A, 1, DAY0, purpose=PRACTICE, duration_ms=1000)
    day2 = DAY0 + dt.timedelta(days=2)
    say(s, me, A, 3, day2)
    say(s, me, A, 3, day2, kind="P")
    # 03:30 local on the next calendar day: still the learner's day2.
    late = dt.datetime(2026, 3, 4, 20, 30)
    say(s, me, A, 1, late)
    s.commit()
    first = s.get(DailyStat, (me.id, DAY0.date()))
    assert (first.reviews, first.correct, first.new_cards, first.practice,
            first.milliseconds, first.known) == (0, 0, 2, 1, 65_000, 1)  # B: placement
    second = s.get(DailyStat, (me.id, day2.date()))
    assert (second.reviews, second.correct, second.new_cards) == (3, 2, 0)
    assert s.scalar(select(func.count()).select_from(DailyStat)) == 2
    stability = s.get(ReviewState, (me.id, A, "R")).stability
    assert stability < 21 and second.known == 1  # only B, verified by the placement test


def test_a_word_the_placement_test_verified_is_known_until_it_is_reviewed(s):
    me = learner(s)
    say(s, me, B, 4, DAY0, purpose=PLACEMENT)
    s.commit()
    assert review.known_refs(s, me.id) == {B}  # stability 8 days, but verified: known
    due = s.get(ReviewState, (me.id, B, "R")).due
    say(s, me, B, 1, due)  # forgotten at its first review: no longer known
    s.commit()
    assert review.known_refs(s, me.id) == set()


def test_known_is_stored_with_the_day(s):
    me = learner(s)
    say(s, me, A, 3, DAY0, purpose=LESSON)
    for _ in range(2):
        due = s.get(ReviewState, (me.id, A, "R")).due
        say(s, me, A, 3, due)
    s.commit()
    last = s.scalar(select(DailyStat).order_by(DailyStat.day.desc()))
    assert last.known == 1 and last.reviews == 1


def test_new_today_forecast_and_streak(s):
    me = learner(s)
    assert review.streak(s, me, DAY0) == 0
    teach(s, me, A, DAY0)
    teach(s, me, B, DAY0)
    assert review.new_today(s, me, DAY0) == 2
    day1 = DAY0 + dt.timedelta(days=1)
    teach(s, me, A, day1)  # taught again: not new
    teach(s, me, C, day1)
    assert review.new_today(s, me, day1) == 1
    forecast = review.forecast(s, me, day1, days=4)
    assert [d for d, _ in forecast] == [day1.date() + dt.timedelta(days=i) for i in range(4)]
    # C was first answered on day1 (due day3), B on day0 (due day2); A, answered again a
    # day after its first lesson, is due later.
    due_a = s.get(ReviewState, (me.id, A, "R")).due
    assert (due_a - day1).days > 3
    assert [n for _, n in forecast] == [0, 2, 2, 0]
    assert review.forecast(s, me, due_a, days=2)[0][1] == 6  # today holds what is overdue
    assert review.streak(s, me, day1) == 2
    assert review.streak(s, me, day1 + dt.timedelta(days=1)) == 2  # today not begun yet
    assert review.streak(s, me, day1 + dt.timedelta(days=2)) == 0


def test_answers_arriving_late_are_put_in_their_place(s):
    me, twin = learner(s), learner(s, "l2")
    times = [DAY0, DAY0 + dt.timedelta(days=2), DAY0 + dt.timedelta(days=5),
             DAY0 + dt.timedelta(days=9)]
    ratings = [3, 1, 3, 3]
    for at, rating in zip(times, ratings):  # in order
        say(s, twin, A, rating, at, purpose=SCHEDULED)
    for i in (0, 2, 3, 1):  # the day-2 lapse synced last, from a phone
        result = say(s, me, A, ratings[i], times[i], purpose=SCHEDULED)
    assert not result.leech_now
    s.commit()
    mine, theirs = s.get(ReviewState, (me.id, A, "R")), s.get(ReviewState, (twin.id, A, "R"))
    assert fields(mine)[1:] == fields(theirs)[1:] and mine.lapses == 1
    logs = {x.reviewed_at: x.stability_before for x in s.scalars(
        select(ReviewLog).where(ReviewLog.learner_id == me.id))}
    twins = {x.reviewed_at: x.stability_before for x in s.scalars(
        select(ReviewLog).where(ReviewLog.learner_id == twin.id))}
    assert logs == twins


def test_rebuild_replays_the_log_into_the_cards(s):
    me, other = learner(s), learner(s, "l2")
    cohort(s, other, desired_retention=0.8)
    for who in (me, other):
        teach(s, who, A, DAY0)
        teach(s, who, B, DAY0)
        at = DAY0
        for rating in (3, 1, 3, 4):
            at = s.get(ReviewState, (who.id, A, "R")).due
            say(s, who, A, rating, at)
        say(s, who, B, 1, at, purpose=PRACTICE)
    s.commit()
    assert review.rebuild(s) == review.Rebuilt(cards=8, changed=0, removed=0)
    kept = {(x.learner_id, x.sense_ref, x.kind): fields(x) for x in s.scalars(select(ReviewState))}
    # A damaged card, a retired one and a row the log knows nothing of.
    s.execute(text("UPDATE review_state SET stability = 99, reps = 0 WHERE sense_ref = :a"),
              {"a": A})
    s.execute(text("UPDATE review_state SET retired = :yes WHERE sense_ref = :b AND kind = 'P'"),
              {"b": B, "yes": True})
    s.add(ReviewState(learner_id=me.id, sense_ref=C, kind="R", card_id=1, state=2, due=DAY0))
    s.commit()
    s.expire_all()
    assert review.rebuild(s, me.id) == review.Rebuilt(cards=4, changed=2, removed=1)
    assert review.rebuild(s) == review.Rebuilt(cards=8, changed=2, removed=0)
    s.commit()
    s.expire_all()
    rows = s.scalars(select(ReviewState)).all()
    assert {(x.learner_id, x.sense_ref, x.kind): fields(x) for x in rows} == kept
    assert sum(x.retired for x in rows) == 2  # the lexicon's flag is kept
    # The other learner's cohort retention was used for their cards.
    assert s.get(ReviewState, (other.id, A, "R")).due != s.get(ReviewState, (me.id, A, "R")).due


def test_a_review_card_is_due_all_its_local_day_a_relearning_card_at_its_time(s):
    me = learner(s)
    say(s, me, A, 3, DAY0, purpose=LESSON)  # 09:00 local: due in two days at 09:00
    due = s.get(ReviewState, (me.id, A, "R")).due
    assert due == DAY0 + dt.timedelta(days=2)
    morning = dt.datetime(2026, 3, 3, 23, 0)  # 06:00 local on the day it falls due
    night_before = dt.datetime(2026, 3, 3, 20, 30)  # 03:30 local: still the day before
    assert [x.sense_ref for x in review.due_states(s, me, morning, 5)] == [A]
    assert review.due_states(s, me, night_before, 5) == []
    say(s, me, A, 1, morning)  # a lapse: relearning, back at 06:10
    assert review.due_states(s, me, morning + dt.timedelta(minutes=5), 5) == []
    assert review.next_due(s, me, morning + dt.timedelta(minutes=10)).sense_ref == A
