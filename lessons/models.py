"""The learning system as stored: courses that point into the lexicon, learners, cohorts,
and the review log from which every card's schedule is rebuilt.

Where it sits: ``lessons`` is built on ``dictionary`` and declares its tables on the same
``Base`` (so one Alembic history carries both). Nothing here copies lexicon text: a lesson
item names a sense (``hre-000123/1``) or an example (``hre-000123/1/2``) by the public id of
``dictionary.sense_ids``, and every page reads the form and gloss from the dictionary at the
time it is shown, so a linguist's correction reaches every lesson at once.

``ReviewLog`` is the source of truth for scheduling (one row per answer, keyed by a UUID the
client makes, so a retried post is recorded once); ``ReviewState`` is its cache, one FSRS
card per learner × sense × kind, rebuilt exactly by replaying the log (``scheduling.replay``).
``DailyStat`` is a second cache, per learner and local day, so dashboards read a few hundred
rows instead of the whole log.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dictionary.models import Base, User, utcnow

# Card kinds per sense: recognition (form → meaning), listening (audio → meaning, only where
# an approved recording exists), production (meaning → form).
RECOGNITION, LISTENING, PRODUCTION = "R", "L", "P"
KINDS = (RECOGNITION, LISTENING, PRODUCTION)

# Why an answer was given: a scheduled review and a lesson's first exposure move the FSRS
# card; practice never does; placement marks what the learner already knows.
SCHEDULED, LESSON, PRACTICE, PLACEMENT = "scheduled", "lesson", "practice", "placement"
PURPOSES = (SCHEDULED, LESSON, PRACTICE, PLACEMENT)

# How a typed answer matched (``grading``): exact, "almost" (other tones, loose letters or a
# listed variant, with the difference shown) or wrong; choices are right or wrong.
TIMEZONE = "Asia/Ho_Chi_Minh"


class Course(Base):
    """A course read from ``data/lessons/<key>/`` (``course_files``). ``content_hash`` is the
    hash of the files last imported: importing the same files again changes nothing."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    language_code: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The headwords are a linguist's phonetic transcription (the starter data): every page
    # of the course says so.
    phonetic: Mapped[bool] = mapped_column(Boolean, default=False)
    license: Mapped[str] = mapped_column(String(64), default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    units: Mapped[list[Unit]] = relationship(
        back_populates="course", order_by="Unit.position", cascade="all, delete-orphan")


class Unit(Base):
    __tablename__ = "course_unit"
    __table_args__ = (UniqueConstraint("course_id", "key", name="uq_unit_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(Text, default="")
    semantic_field: Mapped[str | None] = mapped_column(String(80))
    # A unit no longer in the files keeps its row (and learners' placement) but is hidden.
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    course: Mapped[Course] = relationship(back_populates="units")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="unit", order_by="Lesson.position", cascade="all, delete-orphan")


class Lesson(Base):
    __tablename__ = "lesson"
    # Keys are unique in a course, not only in a unit: a lesson moved to another unit keeps
    # its key, and with it every learner's record of having done it.
    __table_args__ = (UniqueConstraint("course_id", "key", name="uq_lesson_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("course_unit.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    unit: Mapped[Unit] = relationship(back_populates="lessons")
    course: Mapped[Course] = relationship()
    items: Mapped[list[LessonItem]] = relationship(
        back_populates="lesson", order_by="LessonItem.position", cascade="all, delete-orphan")
    dialogue: Mapped[list[DialogueLine]] = relationship(
        back_populates="lesson", order_by="DialogueLine.position", cascade="all, delete-orphan")


class LessonItem(Base):
    """One sense taught by a lesson, or one example practised in it. ``key`` is the stable
    identity (the reference as first authored); ``ref`` is where it points now (a merge of
    entries moves it). ``retired_at`` is set when the reference stops resolving to a
    published sense with a Vietnamese gloss (entry deleted, unpublished or sense removed);
    learners' review states are kept, and the item comes back if the sense does."""

    __tablename__ = "lesson_item"
    __table_args__ = (UniqueConstraint("lesson_id", "key", name="uq_lesson_item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    ref: Mapped[str] = mapped_column(String(40), index=True)
    entry_public_id: Mapped[str] = mapped_column(String(16), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    retired_reason: Mapped[str | None] = mapped_column(String(200))

    lesson: Mapped[Lesson] = relationship(back_populates="items")

    @property
    def is_example(self) -> bool:
        return self.ref.count("/") == 2


class DialogueLine(Base):
    """A line of a lesson's dialogue: who speaks (authored, in Vietnamese) and the example
    that holds the words (by reference, like items)."""

    __tablename__ = "dialogue_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    speaker: Mapped[str] = mapped_column(String(80), default="")
    ref: Mapped[str] = mapped_column(String(40))
    entry_public_id: Mapped[str] = mapped_column(String(16), index=True)

    lesson: Mapped[Lesson] = relationship(back_populates="dialogue")


class Learner(Base):
    """The learning profile of an account whose role is ``learner``."""

    __tablename__ = "learner"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    office: Mapped[str] = mapped_column(String(200), default="")
    language_code: Mapped[str] = mapped_column(String(8))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"))
    daily_minutes: Mapped[int] = mapped_column(Integer, default=15)
    timezone: Mapped[str] = mapped_column(String(64), default=TIMEZONE)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship()
    course: Mapped[Course | None] = relationship()


class Cohort(Base):
    """A group of learners run by trainers, with its daily limits and its goal."""

    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    target_known: Mapped[int] = mapped_column(Integer, default=300)
    target_weeks: Mapped[int] = mapped_column(Integer, default=8)
    new_per_day: Mapped[int] = mapped_column(Integer, default=8)
    # 75 × 11.3 s ≈ 14 min: the simulated cohort (bench/lessons_simulation.py) keeps every
    # day under 15 minutes of review and still reaches 300 known words by week 8.
    reviews_per_day: Mapped[int] = mapped_column(Integer, default=75)
    desired_retention: Mapped[float] = mapped_column(Float, default=0.9)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    course: Mapped[Course] = relationship()
    members: Mapped[list[CohortMember]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan")
    trainers: Mapped[list[CohortTrainer]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan")


class CohortMember(Base):
    __tablename__ = "cohort_member"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), primary_key=True,
                                            index=True)
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    learner: Mapped[Learner] = relationship()


class CohortTrainer(Base):
    __tablename__ = "cohort_trainer"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True,
                                         index=True)

    cohort: Mapped[Cohort] = relationship(back_populates="trainers")
    user: Mapped[User] = relationship()


class ReviewState(Base):
    """One FSRS card: the fields of ``fsrs.Card`` plus counters. A cache of the log."""

    __tablename__ = "review_state"
    __table_args__ = (Index("ix_review_state_due", "learner_id", "due"),)

    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), primary_key=True)
    sense_ref: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    card_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[int] = mapped_column(Integer)  # fsrs.State: 1 learning, 2 review, 3 relearning
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[dt.datetime] = mapped_column(DateTime)
    last_review: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_rating: Mapped[int | None] = mapped_column(Integer)
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    leech: Mapped[bool] = mapped_column(Boolean, default=False)
    # The sense is gone from the public lexicon (``LessonItem.retired_at``): kept, not shown.
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class ReviewLog(Base):
    """One answer. ``id`` is the UUID the page (or the offline app) generated for it."""

    __tablename__ = "review_log"
    # Covering the dashboards' per-learner scans (activity, retention on mature reviews,
    # failures per sense), so they never read the table's rows: 235 → 120 ms for a cohort
    # of 50 in a log of 3 million answers.
    __table_args__ = (Index("ix_review_log_learner_time", "learner_id", "reviewed_at", "purpose",
                            "stability_before", "rating", "sense_ref"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"))
    sense_ref: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(1))
    rating: Mapped[int] = mapped_column(Integer)  # fsrs.Rating 1–4
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, naive
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    exercise: Mapped[str] = mapped_column(String(24), default="")
    answer: Mapped[str | None] = mapped_column(Text)  # what was typed or chosen
    match: Mapped[str | None] = mapped_column(String(16))
    # The card's stability just before this answer: "mature" reviews (≥ 21 days) give the
    # true retention the trainers' dashboard shows.
    stability_before: Mapped[float | None] = mapped_column(Float)
    purpose: Mapped[str] = mapped_column(String(16), default=SCHEDULED)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"))


class LessonDone(Base):
    """A learner finished a lesson (by key, so reordering or retitling keeps it)."""

    __tablename__ = "lesson_done"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), primary_key=True)
    done_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SchedulerParams(Base):
    """FSRS parameters for a scope: ``global`` or ``cohort:<id>`` (defaults until fitted)."""

    __tablename__ = "scheduler_params"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(32), unique=True)
    parameters: Mapped[list[float]] = mapped_column(JSON)
    desired_retention: Mapped[float] = mapped_column(Float, default=0.9)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    fitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PlacementResult(Base):
    __tablename__ = "placement_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    taken_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("course_unit.id"))  # placed here
    claimed: Mapped[int] = mapped_column(Integer, default=0)
    verified: Mapped[int] = mapped_column(Integer, default=0)
    # Per unit key: {"asked": n, "verified": n}; the yes/no answers with their refs.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DailyStat(Base):
    """Per learner and local day (``Learner.timezone``, days start at 04:00)."""

    __tablename__ = "daily_stat"

    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    new_cards: Mapped[int] = mapped_column(Integer, default=0)
    practice: Mapped[int] = mapped_column(Integer, default=0)
    milliseconds: Mapped[int] = mapped_column(BigInteger, default=0)
    known: Mapped[int] = mapped_column(Integer, default=0)  # known senses at the day's end
