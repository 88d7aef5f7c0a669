"""The placement test asks at most 30 senses a few per unit in course order, places the learner
at the first unit below 80 % verified, and gives each verified sense an "Easy" recognition
card. The course is built here directly from the models, with synthetic references."""
from __future__ import annotations

import datetime as dt

import fsrs
import pytest
from sqlalchemy import func, select

from dictionary.auth import create_user
from dictionary.db import get_db
from lessons import placement
from lessons.models import (PLACEMENT, Course, DailyStat, Learner, Lesson, LessonItem,
                            PlacementResult, ReviewLog, ReviewState, Unit)

AT = dt.datetime(2026, 3, 2, 2, 0)


@pytest.fixture
def s(app):
    with app.app_context(), get_db().Session() as session:
        yield session


def learner(s, name: str = "l1") -> Learner:
    user = create_user(s, f"{name}@example.test", "correct horse battery", "learner")
    s.flush()
    person = Learner(user_id=user.id, language_code="hre")
    s.add(person)
    s.flush()
    return person


def build_course(s, units: int, senses_per_unit: int, key: str = "zzx") -> Course:
    """``units`` units of two lessons each; sense refs numbered in course order."""
    course = Course(key=key, language_code="hre", title="Synthetic course")
    s.add(course)
    s.flush()
    n = 0
    for u in range(units):
        unit = Unit(course_id=course.id, key=f"u{u + 1}", position=u, title=f"Unit {u + 1}")
        s.add(unit)
        s.flush()
        for part in range(2):
            lesson = Lesson(course_id=course.id, unit_id=unit.id, key=f"u{u + 1}l{part}",
                            position=part, title="Lesson")
            s.add(lesson)
            s.flush()
            count = senses_per_unit // 2 + (senses_per_unit % 2 if part else 0)
            for i in range(count):
                n += 1
                ref = f"zzx-{n:06d}/1"
                s.add(LessonItem(lesson_id=lesson.id, key=ref, position=i, ref=ref,
                                 entry_public_id=ref.split("/")[0]))
    s.flush()
    return course


def unit_refs(s, course: Course) -> dict[str, list[str]]:
    return {unit.key: refs for unit, refs in placement.course_senses(s, course)}


def test_the_plan_samples_a_few_senses_per_unit_in_course_order(s):
    me, other = learner(s), learner(s, "l2")
    course = build_course(s, units=4, senses_per_unit=9)
    by_unit = unit_refs(s, course)
    order = [ref for refs in by_unit.values() for ref in refs]
    asked = placement.plan(s, me, course, seed=7)
    assert len(asked) == 20  # 5 of each unit's 9
    assert asked == sorted(asked, key=order.index)  # course order
    for refs in by_unit.values():
        assert len(set(asked) & set(refs)) == 5
    assert placement.plan(s, me, course, seed=7) == asked
    assert placement.plan(s, me, course, seed=8) != asked
    assert placement.plan(s, other, course, seed=7) != asked


def test_the_plan_never_passes_30_and_skips_what_is_not_taught(s):
    me = learner(s)
    course = build_course(s, units=20, senses_per_unit=6)
    asked = placement.plan(s, me, course, seed=1)
    assert len(asked) == 30
    by_unit = unit_refs(s, course)
    assert [len(set(asked) & set(by_unit[f"u{u}"])) for u in range(1, 21)] == [2] * 15 + [0] * 5
    # Retired units, lessons and items, examples and a sense taught twice are not asked.
    small = build_course(s, units=3, senses_per_unit=4, key="small")
    units = {u.key: u for u in s.scalars(select(Unit).where(Unit.course_id == small.id))}
    units["u2"].retired = True
    first = s.scalars(select(Lesson).where(Lesson.unit_id == units["u1"].id)
                      .order_by(Lesson.position)).first()
    first.items[0].retired_at = AT
    s.add(LessonItem(lesson_id=first.id, key="ex", position=9, ref="zzx-000001/1/1",
                     entry_public_id="zzx-000001"))
    third = s.scalars(select(Lesson).where(Lesson.unit_id == units["u3"].id)).first()
    s.add(LessonItem(lesson_id=third.id, key="again", position=9, ref=first.items[1].ref,
                     entry_public_id="zzx-000002"))
    s.flush()
    asked = placement.plan(s, me, small, seed=1)
    live = unit_refs(s, small)
    assert list(live) == ["u1", "u3"]
    assert live["u1"] == [f"zzx-{n:06d}/1" for n in (2, 3, 4)]
    assert live["u3"] == [f"zzx-{n:06d}/1" for n in (9, 10, 11, 12)]
    assert asked == live["u1"] + live["u3"]  # two units left: all of each is asked
    assert first.items[0].ref not in asked and "zzx-000001/1/1" not in asked
    assert asked.count(first.items[1].ref) == 1
    assert not set(asked) & {i.ref for le in units["u2"].lessons for i in le.items}


def test_placement_at_the_first_unit_below_80_percent(s):
    me = learner(s)
    course = build_course(s, units=4, senses_per_unit=5)
    asked = placement.plan(s, me, course, seed=3)
    by_unit = unit_refs(s, course)
    assert len(asked) == 20
    verified = set(by_unit["u1"]) | set(by_unit["u2"][:4]) | set(by_unit["u3"][:3]) | \
        set(by_unit["u4"])
    claimed = verified | {by_unit["u2"][4]}
    forged = {"zzx-999999/1"}  # never asked: ignored
    result = placement.score(s, me, course, claimed | forged, verified | forged, AT, asked=asked)
    s.commit()
    assert s.get(Unit, result.unit_id).key == "u3"  # u2 at exactly 80 % passes
    assert (result.claimed, result.verified) == (18, 17)
    assert result.detail["units"]["u2"] == {"asked": 5, "claimed": 5, "verified": 4,
                                            "fraction": 0.8}
    assert result.detail["units"]["u3"]["fraction"] == 0.6
    assert result.detail["placed"] == "u3"
    assert result.detail["answers"][by_unit["u2"][4]] == {"unit": "u2", "claimed": True,
                                                          "verified": False}
    # Each verified sense got an "Easy" recognition card, logged as placement.
    cards = s.scalars(select(ReviewState).where(ReviewState.learner_id == me.id)).all()
    assert {c.sense_ref for c in cards} == verified
    assert all(c.kind == "R" and c.last_rating == 4 and c.state == fsrs.State.Review
               and c.reps == 1 for c in cards)
    logs = s.scalars(select(ReviewLog)).all()
    assert len(logs) == 17 and {x.purpose for x in logs} == {PLACEMENT}
    # Not new work: the day's new-card count stays at zero.
    assert s.get(DailyStat, (me.id, AT.date())).new_cards == 0
    # The same test posted twice records each answer once.
    placement.score(s, me, course, claimed, verified, AT, asked=asked)
    s.commit()
    assert s.scalar(select(func.count()).select_from(ReviewLog)) == 17
    assert s.scalar(select(func.count()).select_from(PlacementResult)) == 2


def test_a_verified_sense_not_claimed_does_not_count(s):
    me = learner(s)
    course = build_course(s, units=2, senses_per_unit=4)
    asked = placement.plan(s, me, course, seed=1)
    result = placement.score(s, me, course, set(), set(asked), AT, asked=asked)
    assert result.verified == 0 and s.get(Unit, result.unit_id).key == "u1"
    assert s.scalar(select(func.count()).select_from(ReviewState)) == 0


def test_passing_everything_places_at_the_last_unit_or_the_first_not_asked(s):
    me = learner(s)
    course = build_course(s, units=3, senses_per_unit=4)
    asked = placement.plan(s, me, course, seed=2)
    result = placement.score(s, me, course, set(asked), set(asked), AT, asked=asked)
    assert s.get(Unit, result.unit_id).key == "u3"
    long = build_course(s, units=18, senses_per_unit=4, key="long")
    asked = placement.plan(s, me, long, seed=2)
    result = placement.score(s, me, long, set(asked), set(asked), AT, asked=asked)
    assert s.get(Unit, result.unit_id).key == "u16"  # units 1–15 were asked and passed
