"""Who learns and who trains: cohorts, join codes, learner accounts, trainers' reach.

Where it sits: between ``dictionary.auth`` (accounts, argon2, the password policy) and the
learning pages. The join page (``views.join``) calls ``register_learner`` and ``join``; the
trainer pages (``views.trainer``) call ``create_cohort``, ``create_learner_by_trainer`` and,
on every request, ``cohort_for_trainer`` / ``can_see_learner``, so a trainer's reach is
enforced in the query itself, not only by the route guard. Nothing here commits: the caller
does, so a failed step leaves no half-made account behind.

A join code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), drawn
with ``secrets``: 31⁸ ≈ 8.5·10¹¹ codes, so guessing one is hopeless even before the join
page throttles wrong codes. Codes are read back forgiving case, spaces and dashes.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from dictionary.auth import create_user, is_phone, normalize_login
from dictionary.models import ADMIN, LEARNER, TRAINER, User

from .models import Cohort, CohortMember, CohortTrainer, Course, Learner

JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8
TRAINER_ROLES = (TRAINER, ADMIN)


class CohortError(ValueError):
    """A join code or a cohort change is refused. ``reason`` is a stable code the pages
    translate: ``malformed`` (not a code at all), ``unknown`` (no such cohort),
    ``inactive`` (the cohort or its course is closed), ``member`` (already in it),
    ``not_learner`` (the account is not a learner's), ``not_trainer`` (the account may not
    run cohorts), ``name`` (no name given), ``login`` (not an e-mail address or phone
    number), ``taken`` (the login already has an account)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


# ---- join codes -----------------------------------------------------------------------------
def new_join_code() -> str:
    """A fresh random code (uniqueness is checked by ``create_cohort``).

    >>> code = new_join_code()
    >>> len(code) == JOIN_CODE_LENGTH and set(code) <= set(JOIN_ALPHABET)
    True
    """
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalize_code(typed: str) -> str:
    """The code as stored, from what a person typed: case, spaces and dashes do not matter.

    >>> normalize_code(" abcd-efgh "), normalize_code("AB CD EF GH")
    ('ABCDEFGH', 'ABCDEFGH')
    """
    return "".join(c for c in (typed or "").upper() if not c.isspace() and c != "-")


def format_code(code: str) -> str:
    """The code as shown: two groups of four, easier to read aloud in a classroom.

    >>> format_code("ABCDEFGH")
    'ABCD-EFGH'
    """
    return f"{code[:4]}-{code[4:]}" if len(code) == JOIN_CODE_LENGTH else code


def cohort_by_code(session: Session, typed: str) -> Cohort:
    """The open cohort a typed code names; ``CohortError`` (malformed, unknown, inactive)."""
    code = normalize_code(typed)
    if len(code) != JOIN_CODE_LENGTH or not set(code) <= set(JOIN_ALPHABET):
        raise CohortError("malformed")
    cohort = session.scalar(select(Cohort).where(Cohort.join_code == code))
    if cohort is None:
        raise CohortError("unknown")
    if not cohort.active or not cohort.course.active:
        raise CohortError("inactive")
    return cohort


# ---- cohorts and trainers -------------------------------------------------------------------
def create_cohort(session: Session, *, name: str, course: Course, trainers: Iterable[User],
                  starts_on: dt.date, target_known: int = 300, target_weeks: int = 8,
                  new_per_day: int = 8, reviews_per_day: int = 75,
                  desired_retention: float = 0.9) -> Cohort:
    """A new cohort with a fresh join code, run by ``trainers`` (trainer or admin accounts)."""
    name = (name or "").strip()
    if not name:
        raise CohortError("name")
    trainers = list(trainers)
    for user in trainers:
        _check_trainer(user)
    code = new_join_code()
    while session.scalar(select(Cohort.id).where(Cohort.join_code == code)) is not None:
        code = new_join_code()  # about one chance in 10¹¹ per existing cohort
    cohort = Cohort(name=name, course=course, join_code=code, starts_on=starts_on,
                    target_known=target_known, target_weeks=target_weeks,
                    new_per_day=new_per_day, reviews_per_day=reviews_per_day,
                    desired_retention=desired_retention)
    session.add(cohort)
    cohort.trainers.extend(CohortTrainer(user=user) for user in trainers)
    session.flush()
    return cohort


def _check_trainer(user: User) -> None:
    if user.role not in TRAINER_ROLES or user.active is False:  # None: not flushed yet
        raise CohortError("not_trainer", f"{user.email} may not run cohorts")


def add_trainer(session: Session, cohort: Cohort, user: User) -> None:
    """``user`` runs ``cohort`` too (nothing happens when they already do)."""
    _check_trainer(user)
    if user.id is None or session.get(CohortTrainer, (cohort.id, user.id)) is None:
        cohort.trainers.append(CohortTrainer(user=user))
        session.flush()


def remove_trainer(session: Session, cohort: Cohort, user: User) -> None:
    """``user`` no longer runs ``cohort`` (administrators still see every cohort)."""
    link = session.get(CohortTrainer, (cohort.id, user.id))
    if link is not None:
        cohort.trainers.remove(link)
        session.flush()


def runs_cohort(session: Session, user: User, cohort_id: int) -> bool:
    """Whether ``user`` may open cohort ``cohort_id``: an administrator, or one of its
    trainers (an active account either way)."""
    if not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if user.role == ADMIN:
        return True
    if user.role != TRAINER:
        return False
    return session.get(CohortTrainer, (cohort_id, user.id)) is not None


def cohort_for_trainer(session: Session, user: User, cohort_id: int) -> Cohort | None:
    """The cohort if ``user`` runs it (or is an administrator), else None: the pages answer
    404 either way, so a trainer cannot tell someone else's cohort from a missing one."""
    if not runs_cohort(session, user, cohort_id):
        return None
    return session.get(Cohort, cohort_id)


def cohorts_of_trainer(session: Session, user: User) -> list[Cohort]:
    """The cohorts ``user`` runs, newest first; every cohort for an administrator."""
    if not getattr(user, "is_authenticated", False) or not user.active \
            or user.role not in TRAINER_ROLES:
        return []
    query = select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.name, Cohort.id)
    if user.role != ADMIN:
        query = query.join(CohortTrainer).where(CohortTrainer.user_id == user.id)
    return list(session.scalars(query))


def can_see_learner(session: Session, trainer_user: User, learner: Learner) -> bool:
    """Whether ``trainer_user`` runs a cohort ``learner`` is in (administrators: always)."""
    if not getattr(trainer_user, "is_authenticated", False) or not trainer_user.active:
        return False
    if trainer_user.role == ADMIN:
        return True
    if trainer_user.role != TRAINER:
        return False
    return bool(session.scalar(select(exists().where(
        CohortMember.learner_id == learner.id,
        CohortMember.cohort_id == CohortTrainer.cohort_id,
        CohortTrainer.user_id == trainer_user.id))))


def member_of(session: Session, cohort: Cohort, learner_id: int) -> Learner | None:
    """Learner ``learner_id`` if they are in ``cohort``, else None (pages answer 404)."""
    return session.scalar(select(Learner).join(CohortMember).where(
        CohortMember.cohort_id == cohort.id, Learner.id == learner_id))


# ---- learners -------------------------------------------------------------------------------
def learner_of(session: Session, user: User | None) -> Learner | None:
    """The learning profile of ``user`` (None for anyone without one)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return session.scalar(select(Learner).where(Learner.user_id == user.id))


def _new_learner(session: Session, cohort: Cohort, *, login: str, password: str, name: str,
                 office: str) -> User:
    name = (name or "").strip()
    if not name:
        raise CohortError("name")
    stored = normalize_login(login or "")
    if not is_phone(stored) and ("@" not in stored or stored.startswith("@")
                                 or stored.endswith("@") or len(stored) > 254
                                 or any(c.isspace() for c in stored)):
        raise CohortError("login")
    if session.scalar(select(User.id).where(User.email == stored)) is not None:
        raise CohortError("taken")
    # create_user applies the curators' password policy (``WeakPassword`` with a reason)
    # and hashes with argon2id.
    user = create_user(session, stored, password, LEARNER, name=name)
    learner = Learner(user=user, office=(office or "").strip(),
                      language_code=cohort.course.language_code, course_id=cohort.course_id)
    session.add(learner)
    session.add(CohortMember(cohort=cohort, learner=learner))
    session.flush()
    return user


def register_learner(session: Session, *, login: str, password: str, name: str, code: str,
                     office: str = "") -> User:
    """Self-registration with a join code: a learner account (login: e-mail address or
    phone number), its profile on the cohort's course, and the membership.

    ``CohortError`` for a bad code, name or login; ``dictionary.auth.WeakPassword`` for a
    password the policy refuses."""
    cohort = cohort_by_code(session, code)
    return _new_learner(session, cohort, login=login, password=password, name=name,
                        office=office)


def create_learner_by_trainer(session: Session, trainer_user: User, cohort: Cohort, login: str,
                              name: str, office: str, password: str) -> User:
    """A trainer makes the account of a learner in a cohort they run (the trainer hands the
    password over; the policy applies as for everyone)."""
    if not runs_cohort(session, trainer_user, cohort.id):
        raise CohortError("not_trainer")
    return _new_learner(session, cohort, login=login, password=password, name=name,
                        office=office)


def join(session: Session, who: User | Learner | None, code: str) -> CohortMember:
    """An existing learner joins another cohort by its code. The learner's course becomes
    that cohort's course (their review history is per sense, so nothing is lost).

    ``CohortError``: ``not_learner`` for anyone without a learner profile (including
    nobody), else the reasons of ``cohort_by_code`` or ``member``."""
    learner = who if isinstance(who, Learner) else learner_of(session, who)
    if learner is None or learner.user.role != LEARNER:
        raise CohortError("not_learner")
    cohort = cohort_by_code(session, code)
    if session.get(CohortMember, (cohort.id, learner.id)) is not None:
        raise CohortError("member")
    membership = CohortMember(cohort=cohort, learner=learner)
    session.add(membership)
    learner.course_id = cohort.course_id
    learner.language_code = cohort.course.language_code
    session.flush()
    return membership

