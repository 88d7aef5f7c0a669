"""The placement test: where in a course a learner who already knows some words starts.

Where it sits: the placement pages (``views``) ask ``plan`` for at most 30 senses, sampled a
few per unit in course order; the learner says yes or no to each ("do you know this
word?"), then proves each yes on a multiple-choice question (``exercises``). ``score``
turns the answers into a ``PlacementResult``: the learner starts at the first unit where
fewer than 80 % of the senses asked were verified (Oahpa's threshold), and each verified
sense gets a recognition card answered "Easy" (``review.record_answer``, purpose
``placement``), which the first scheduled review a week or so later confirms.
"""
from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import (PLACEMENT, RECOGNITION, Course, Learner, Lesson, LessonItem,
                     PlacementResult, Unit)
from .review import record_answer
from .scheduling import naive_utc

MAX_ITEMS = 30
MAX_PER_UNIT = 5  # 5 asked: 4 verified is exactly the 80 % that passes a unit
MIN_PER_UNIT = 2
PASS = 0.8
_NAMESPACE = uuid.UUID("5d6f1c8e-2a4b-4c1e-9f7a-0c3b8e1d2a47")  # placement answer ids


def course_senses(session: Session, course: Course) -> list[tuple[Unit, list[str]]]:
    """Each live unit of the course in order, with the senses its live lessons teach (in
    lesson and item order, each sense once in the whole course: where it is first taught)."""
    rows = session.execute(
        select(Unit, LessonItem.ref)
        .join(Lesson, Lesson.unit_id == Unit.id)
        .join(LessonItem, LessonItem.lesson_id == Lesson.id)
        .where(Unit.course_id == course.id, Unit.retired.is_(False),
               Lesson.retired.is_(False), LessonItem.retired_at.is_(None))
        .order_by(Unit.position, Unit.id, Lesson.position, Lesson.id, LessonItem.position,
                  LessonItem.id)).all()
    units: dict[int, tuple[Unit, list[str]]] = {}
    seen: set[str] = set()
    for unit, ref in rows:
        entry = units.setdefault(unit.id, (unit, []))
        if ref.count("/") == 1 and ref not in seen:  # senses only: examples are not asked
            seen.add(ref)
            entry[1].append(ref)
    return [u for u in units.values() if u[1]]


def _per_unit(units: int) -> int:
    return max(MIN_PER_UNIT, min(MAX_PER_UNIT, MAX_ITEMS // max(units, 1)))


def plan(session: Session, learner: Learner, course: Course, seed: int | str) -> list[str]:
    """At most 30 senses to ask, a few per unit in course order (the same for the same
    ``seed``); within a unit they keep the course's order. A long course is sampled from
    its first units only: a learner who passes all of them starts after them."""
    units = course_senses(session, course)
    per_unit = _per_unit(len(units))
    asked: list[str] = []
    for unit, refs in units:
        if len(asked) >= MAX_ITEMS:
            break
        take = min(per_unit, len(refs), MAX_ITEMS - len(asked))
        rng = random.Random(f"{seed}:{learner.id}:{course.key}:{unit.key}")
        chosen = set(rng.sample(refs, take))
        asked.extend(r for r in refs if r in chosen)
    return asked


def score(session: Session, learner: Learner, course: Course, claimed: set[str],
          verified: set[str], at: dt.datetime, *, asked: Sequence[str]) -> PlacementResult:
    """Score a finished test: ``asked`` is the ``plan`` the learner saw, ``claimed`` the
    senses they said they knew, ``verified`` those they then answered right. Refs outside
    ``asked`` are ignored (a forged post cannot mark a whole course known), and a sense
    verified without being claimed does not count. Adds the result (not committed)."""
    at = naive_utc(at)
    asked_set = set(asked)
    claimed = set(claimed) & asked_set
    verified = set(verified) & claimed
    units = course_senses(session, course)
    unit_of = {ref: unit for unit, refs in units for ref in refs}
    detail_units: dict[str, dict[str, int | float]] = {}
    placed: Unit | None = None
    for unit, refs in units:
        here = [r for r in refs if r in asked_set]
        if not here:
            # Not sampled (a long course): a learner who passed every unit before it
            # starts here.
            if placed is None:
                placed = unit
            continue
        good = sum(r in verified for r in here)
        fraction = good / len(here)
        detail_units[unit.key] = {"asked": len(here), "claimed": sum(r in claimed for r in here),
                                  "verified": good, "fraction": round(fraction, 3)}
        if placed is None and fraction < PASS:
            placed = unit
    if placed is None and units:
        placed = units[-1][0]  # passed everything asked: the last unit
    answers = {ref: {"unit": unit_of[ref].key if ref in unit_of else None,
                     "claimed": ref in claimed, "verified": ref in verified}
               for ref in asked}
    _mark_known(session, learner, course, sorted(verified & set(unit_of)), at)
    result = PlacementResult(learner_id=learner.id, course_id=course.id, taken_at=at,
                             unit_id=placed.id if placed else None, claimed=len(claimed),
                             verified=len(verified),
                             detail={"units": detail_units, "answers": answers,
                                     "placed": placed.key if placed else None})
    session.add(result)
    session.flush()
    return result


def _mark_known(session: Session, learner: Learner, course: Course, refs: Iterable[str],
                at: dt.datetime) -> None:
    """Each verified sense: a recognition card answered "Easy". The answer ids come from
    the learner, the course, the moment and the sense, so scoring the same test twice (a
    double post) records each answer once."""
    for ref in refs:
        log_id = uuid.uuid5(_NAMESPACE, f"{learner.id}|{course.id}|{at.isoformat()}|{ref}")
        record_answer(session, learner, log_id=str(log_id), sense_ref=ref, kind=RECOGNITION,
                      rating=4, purpose=PLACEMENT, exercise="placement", answer=None,
                      match=None, at=at, course_id=course.id)
