"""Cohorts, join codes and learner accounts on a real database: codes are random, unique and
forgiving to type; self-registration makes a learner on the cohort's course; bad, unknown
and closed codes are refused with a reason; a trainer reaches only the cohorts they run."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from dictionary.auth import WeakPassword, create_user, verify_login
from dictionary.db import get_db
from dictionary.models import User
from lessons import accounts
from lessons.accounts import JOIN_ALPHABET, CohortError
from lessons.models import Cohort, CohortMember, CohortTrainer, Course, Learner

PASSWORD = "correct horse battery"
START = dt.date(2026, 3, 2)


@pytest.fixture
def s(app):
    with app.app_context(), get_db().Session() as session:
        yield session


def course(s, key: str = "zuxo-hre", language: str = "hre") -> Course:
    found = s.scalar(select(Course).where(Course.key == key))
    if found is None:
        found = Course(key=key, language_code=language, title=f"Khoá thử {key}", phonetic=True)
        s.add(found)
        s.flush()
    return found


def account(s, name: str, role: str) -> User:
    user = create_user(s, f"{name}@example.test", PASSWORD, role, name=name)
    s.flush()
    return user


def group(s, trainer: User, name: str = "Nhóm thử", key: str = "zuxo-hre",
          language: str = "hre") -> Cohort:
    return accounts.create_cohort(s, name=name, course=course(s, key, language),
                                  trainers=[trainer], starts_on=START)


def test_join_codes_are_random_unique_and_unambiguous(s):
    trainer = account(s, "t1", "trainer")
    codes = [group(s, trainer, f"c{n}").join_code for n in range(40)]
    assert len(set(codes)) == 40
    for code in codes:
        assert len(code) == 8 and set(code) <= set(JOIN_ALPHABET)
    assert not set("0O1IL") & set(JOIN_ALPHABET)
    first = s.scalar(select(Cohort).where(Cohort.join_code == codes[0]))
    assert [t.user_id for t in first.trainers] == [trainer.id]
    assert (first.target_known, first.target_weeks, first.reviews_per_day) == (300, 8, 75)


def test_only_trainers_and_admins_run_cohorts(s):
    learner_user = account(s, "l1", "learner")
    editor = account(s, "e1", "editor")
    for user in (learner_user, editor):
        with pytest.raises(CohortError) as refused:
            group(s, user)
        assert refused.value.reason == "not_trainer"
    with pytest.raises(CohortError) as nameless:
        accounts.create_cohort(s, name="  ", course=course(s), trainers=[], starts_on=START)
    assert nameless.value.reason == "name"
    admin = account(s, "a1", "admin")
    assert group(s, admin).trainers[0].user_id == admin.id


def test_self_registration_makes_a_learner_on_the_cohorts_course(s, app):
    trainer = account(s, "t1", "trainer")
    cohort = group(s, trainer, key="zuxo-cua", language="cua")
    typed = f"  {cohort.join_code[:4].lower()}-{cohort.join_code[4:].lower()} "
    user = accounts.register_learner(s, login="0905.123.456", password=PASSWORD,
                                     name=" Nguyễn Thử ", code=typed, office="Sở thử")
    s.commit()
    assert (user.email, user.role, user.name) == ("+84905123456", "learner", "Nguyễn Thử")
    assert user.password_hash.startswith("$argon2id$")
    learner = accounts.learner_of(s, user)
    assert (learner.language_code, learner.course_id, learner.office) == \
        ("cua", cohort.course_id, "Sở thử")
    assert s.get(CohortMember, (cohort.id, learner.id)) is not None
    assert verify_login(s, "+84 905 123 456", PASSWORD).id == user.id
    # An e-mail login works the same way, case-folded.
    other = accounts.register_learner(s, login="Thu.Hai@Example.VN", password=PASSWORD,
                                      name="Hai", code=cohort.join_code)
    assert other.email == "thu.hai@example.vn"


@pytest.mark.parametrize("change, reason", [
    ({"code": "ABC"}, "malformed"), ({"code": "ABCDEFG0"}, "malformed"),
    ({"code": "ABCDEFGH"}, "unknown"), ({"name": "   "}, "name"),
    ({"login": "not a login"}, "login"), ({"login": "t1@example.test"}, "taken"),
])
def test_registration_refusals_name_their_reason(s, change, reason):
    trainer = account(s, "t1", "trainer")
    cohort = group(s, trainer)
    args = dict(login="new@example.test", password=PASSWORD, name="Thử", code=cohort.join_code,
                office="") | change
    if args["code"] == "ABCDEFGH" and cohort.join_code == "ABCDEFGH":
        pytest.fail("the random code hit the test's unknown code")
    with pytest.raises(CohortError) as refused:
        accounts.register_learner(s, **args)
    assert refused.value.reason == reason
    assert s.scalar(select(func.count()).select_from(Learner)) == 0


@pytest.mark.parametrize("password, reason", [("short", "short"), ("password1234", "common"),
                                              ("new@example.test", "email")])
def test_registration_applies_the_password_policy(s, password, reason):
    cohort = group(s, account(s, "t1", "trainer"))
    with pytest.raises(WeakPassword) as weak:
        accounts.register_learner(s, login="new@example.test", password=password, name="Thử",
                                  code=cohort.join_code)
    assert weak.value.reason == reason
    assert s.scalar(select(User).where(User.email == "new@example.test")) is None


def test_closed_cohorts_and_courses_refuse_their_code(s):
    trainer = account(s, "t1", "trainer")
    closed, course_gone = group(s, trainer, "a"), group(s, trainer, "b", key="zuxo-old")
    closed.active = False
    course_gone.course.active = False
    for cohort in (closed, course_gone):
        with pytest.raises(CohortError) as refused:
            accounts.register_learner(s, login="x@example.test", password=PASSWORD,
                                      name="X", code=cohort.join_code)
        assert refused.value.reason == "inactive"


def test_a_learner_joins_another_cohort_and_switches_course(s):
    trainer = account(s, "t1", "trainer")
    hre, cua = group(s, trainer, "hre"), group(s, trainer, "cua", key="zuxo-cua",
                                                language="cua")
    user = accounts.register_learner(s, login="l@example.test", password=PASSWORD,
                                     name="L", code=hre.join_code)
    membership = accounts.join(s, user, cua.join_code.lower())
    learner = accounts.learner_of(s, user)
    assert membership.cohort is cua
    assert (learner.course_id, learner.language_code) == (cua.course_id, "cua")
    assert {m.cohort_id for m in s.scalars(select(CohortMember).where(
        CohortMember.learner_id == learner.id))} == {hre.id, cua.id}
    with pytest.raises(CohortError) as again:
        accounts.join(s, learner, cua.join_code)
    assert again.value.reason == "member"
    for nobody in (None, trainer):
        with pytest.raises(CohortError) as refused:
            accounts.join(s, nobody, hre.join_code)
        assert refused.value.reason == "not_learner"


def test_a_trainer_reaches_only_their_cohorts(s):
    t1, t2 = account(s, "t1", "trainer"), account(s, "t2", "trainer")
    admin, editor = account(s, "a1", "admin"), account(s, "e1", "editor")
    mine, theirs = group(s, t1, "mine"), group(s, t2, "theirs")
    learner_user = accounts.create_learner_by_trainer(s, t1, mine, "0912345678", "Học viên",
                                                      "Phòng thử", PASSWORD)
    learner = accounts.learner_of(s, learner_user)
    with pytest.raises(CohortError) as refused:
        accounts.create_learner_by_trainer(s, t1, theirs, "x@example.test", "X", "", PASSWORD)
    assert refused.value.reason == "not_trainer"
    assert accounts.cohorts_of_trainer(s, t1) == [mine]
    assert set(accounts.cohorts_of_trainer(s, admin)) == {mine, theirs}
    assert accounts.cohorts_of_trainer(s, editor) == []
    assert accounts.cohorts_of_trainer(s, learner_user) == []
    assert accounts.cohort_for_trainer(s, t1, mine.id) is mine
    assert accounts.cohort_for_trainer(s, t1, theirs.id) is None
    assert accounts.cohort_for_trainer(s, admin, theirs.id) is theirs
    assert [accounts.can_see_learner(s, u, learner) for u in (t1, t2, admin, editor,
                                                               learner_user)] == \
        [True, False, True, False, False]
    assert accounts.member_of(s, mine, learner.id) is learner
    assert accounts.member_of(s, theirs, learner.id) is None
    # A deactivated trainer reaches nothing.
    t1.active = False
    assert not accounts.runs_cohort(s, t1, mine.id)
    assert not accounts.can_see_learner(s, t1, learner)
    assert accounts.cohorts_of_trainer(s, t1) == []


def test_trainers_are_added_and_removed(s):
    t1, t2 = account(s, "t1", "trainer"), account(s, "t2", "trainer")
    cohort = group(s, t1)
    accounts.add_trainer(s, cohort, t2)
    accounts.add_trainer(s, cohort, t2)  # twice: once
    assert s.scalar(select(func.count()).select_from(CohortTrainer)) == 2
    assert accounts.runs_cohort(s, t2, cohort.id)
    accounts.remove_trainer(s, cohort, t1)
    s.commit()
    assert not accounts.runs_cohort(s, t1, cohort.id)
    assert accounts.cohorts_of_trainer(s, t2) == [cohort]
    with pytest.raises(CohortError):
        accounts.add_trainer(s, cohort, account(s, "l1", "learner"))
