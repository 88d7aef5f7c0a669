"""Lesson items follow the lexicon (``lessons.follow``): an item whose sense leaves the public
lexicon is retired with its reason and learners' cards are set aside, not deleted; they come
back with the sense; a merge re-points items, cards and the log to the kept entry."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dictionary import sense_ids
from dictionary.auth import create_user
from dictionary.curation import quality, workflow
from dictionary.db import get_db
from dictionary.models import Language, User
from lessons.models import (
    Course,
    Learner,
    Lesson,
    LessonItem,
    ReviewLog,
    ReviewState,
    Unit,
)

T0 = dt.datetime(2026, 12, 1, 3, 0)


@pytest.fixture
def db(app, users):
    with app.app_context(), get_db().Session() as s:
        yield s


def person(s, role: str) -> User:
    return s.scalar(select(User).where(User.email == f"{role}@example.test"))


def published(s, headword: str, glosses: list[str], examples=()) -> object:
    admin = person(s, "admin")
    hre = s.scalar(select(Language).where(Language.code == "hre"))
    senses = [{"gloss_vi": g, "examples": [{"text": x, "translation_vi": "câu-thử"}
                                           for x in examples]} for g in glosses]
    entry = workflow.create_entry(s, admin, hre, {"headword": headword, "senses": senses,
                                                  "variants": []})
    workflow.submit(s, admin, entry)
    workflow.publish(s, admin, entry)
    return entry


def course_with(s, refs: list[str]) -> Lesson:
    course = Course(key="thu", language_code="hre", title="Khoá thử")
    unit = Unit(course=course, key="u1", title="Bài thử", position=0)
    lesson = Lesson(unit=unit, key="l1", title="Bài 1", course=course)
    s.add_all([course, unit, lesson])
    s.flush()
    for i, ref in enumerate(refs):
        s.add(LessonItem(lesson=lesson, key=ref, ref=ref, position=i,
                         entry_public_id=sense_ids.parse(ref).public_id))
    return lesson


def learner_with_card(s, ref: str) -> Learner:
    user = create_user(s, f"hoc-{ref.replace('/', '-')}@example.test", "correct horse battery",
                       "learner")
    learner = Learner(user=user, language_code="hre")
    s.add(learner)
    s.flush()
    s.add(ReviewState(learner_id=learner.id, sense_ref=ref, kind="R", card_id=1, state=2,
                      stability=30.0, difficulty=5.0, due=T0, last_review=T0, last_rating=3))
    s.add(ReviewLog(id=f"00000000-0000-4000-8000-{learner.id:012d}", learner_id=learner.id,
                    sense_ref=ref, kind="R", rating=3, reviewed_at=T0, purpose="lesson"))
    return learner


def item(s, key: str) -> LessonItem:
    return s.scalar(select(LessonItem).where(LessonItem.key == key))


def test_a_deleted_entry_retires_its_items_and_sets_cards_aside_then_both_come_back(db):
    zatok = published(db, "zatok", ["gậy-thử"])
    ref = f"{zatok.public_id}/1"
    course_with(db, [ref])
    learner = learner_with_card(db, ref)
    db.commit()

    workflow.delete(db, person(db, "admin"), zatok)
    db.commit()
    assert item(db, ref).retired_at is not None
    assert item(db, ref).retired_reason == "the entry is deleted"
    state = db.get(ReviewState, (learner.id, ref, "R"))
    assert state.retired and state.stability == 30.0  # progress kept

    workflow.undelete(db, person(db, "admin"), zatok)
    db.commit()
    db.expire_all()
    assert item(db, ref).retired_at is None and item(db, ref).retired_reason is None
    assert not db.get(ReviewState, (learner.id, ref, "R")).retired


def test_an_edit_that_removes_a_sense_or_its_gloss_retires_the_item(db):
    zatok = published(db, "zatok", ["gậy-thử", "chạy-thử"])
    course_with(db, [f"{zatok.public_id}/1", f"{zatok.public_id}/2"])
    db.commit()
    admin = person(db, "admin")
    workflow.save_entry(db, admin, zatok, {"headword": "zatok", "senses": [
        {"gloss_vi": "", "gloss_en": "stick"}], "variants": []}, zatok.version)
    db.commit()
    assert item(db, f"{zatok.public_id}/1").retired_reason == "sense 1 has no Vietnamese gloss"
    assert item(db, f"{zatok.public_id}/2").retired_reason == "the entry has no sense 2"


def test_a_merge_repoints_items_cards_and_the_log(db):
    keep = published(db, "zatok", ["gậy-thử"])
    other = published(db, "zatọk", ["gậy-thử", "chạy-thử"])
    folded, moved = f"{other.public_id}/1", f"{other.public_id}/2"
    course_with(db, [folded, moved])
    learner = learner_with_card(db, moved)
    both = learner_with_card(db, folded)
    db.add(ReviewState(learner_id=both.id, sense_ref=f"{keep.public_id}/1", kind="R",
                       card_id=2, state=2, stability=3.0, difficulty=5.0, due=T0))
    db.commit()

    quality.merge_entries(db, keep, [other], user=person(db, "reviewer"))
    db.commit()
    db.expire_all()
    assert item(db, folded).ref == f"{keep.public_id}/1"
    assert item(db, moved).ref == f"{keep.public_id}/2"
    assert item(db, folded).retired_at is None and item(db, moved).retired_at is None
    assert item(db, moved).entry_public_id == keep.public_id
    # The learner's card and log follow the sense to its new id.
    assert db.get(ReviewState, (learner.id, f"{keep.public_id}/2", "R")).stability == 30.0
    assert db.scalar(select(ReviewLog.sense_ref).where(ReviewLog.learner_id == learner.id)) \
        == f"{keep.public_id}/2"
    # A learner who had cards for both: the kept sense's card stays, the other is set aside.
    assert db.get(ReviewState, (both.id, f"{keep.public_id}/1", "R")).stability == 3.0
    aside = db.get(ReviewState, (both.id, folded, "R"))
    assert aside.retired and aside.stability == 30.0


def test_items_of_other_entries_are_left_alone(db):
    zatok = published(db, "zatok", ["gậy-thử"])
    other = published(db, "bơ̆nxa", ["đi-thử"])
    course_with(db, [f"{zatok.public_id}/1", f"{other.public_id}/1"])
    db.commit()
    workflow.delete(db, person(db, "admin"), zatok)
    db.commit()
    assert item(db, f"{other.public_id}/1").retired_at is None

