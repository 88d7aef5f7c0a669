"""The trainers' figures on a constructed cohort: known words, activity, true retention
(per learner and per ISO week, local days), backlog, learners at risk, difficult words, the
linguists' most-failed list, the certificate, the exports and the charts — with review data
written straight into ``ReviewState``/``ReviewLog``/``DailyStat``, the way the answer path
leaves it. The helpers here are shared with ``test_trainer_views``."""
from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import event, select

from dictionary.auth import create_user
from dictionary.db import get_db
from dictionary.models import User
from lessons import accounts, charts, dashboard, reports
from lessons.models import (LESSON, PRACTICE, SCHEDULED, CohortMember, Course, DailyStat,
                            Learner, ReviewLog, ReviewState)

PASSWORD = "correct horse battery"
START = dt.date(2026, 3, 2)  # a Monday
NOW = dt.datetime(2026, 3, 20, 5, 0)  # 12:00 on Friday 20 March in Asia/Ho_Chi_Minh
TODAY = dt.date(2026, 3, 20)


def ref(n: int) -> str:
    return f"zzx-{n:06d}/1"


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def make_cohort(s, trainer_login: str = "t1@example.test", **settings):
    trainer = s.scalar(select(User).where(User.email == trainer_login)) \
        or create_user(s, trainer_login, PASSWORD, "trainer", name="Trainer")
    course = s.scalar(select(Course).where(Course.key == "zzx-course"))
    if course is None:
        course = Course(key="zzx-course", language_code="hre", title="Khoá thử zuxo")
        s.add(course)
    s.flush()
    return accounts.create_cohort(s, name=settings.pop("name", "Nhóm thử"), course=course,
                                  trainers=[trainer], starts_on=START, **settings)


def add_learner(s, cohort, name: str, office: str = "Sở thử", joined: dt.date = START
                ) -> Learner:
    user = accounts.register_learner(s, login=f"{uuid.uuid4().hex[:10]}@example.test",
                                     password=PASSWORD, name=name, code=cohort.join_code,
                                     office=office)
    learner = accounts.learner_of(s, user)
    s.get(CohortMember, (cohort.id, learner.id)).joined_at = \
        dt.datetime.combine(joined, dt.time(3, 0))
    s.flush()
    return learner


def card(s, learner, n: int, *, kind: str = "R", stability: float = 30.0, rating: int = 3,
         due: dt.datetime | None = None, retired: bool = False, leech: bool = False) -> None:
    s.add(ReviewState(learner_id=learner.id, sense_ref=ref(n), kind=kind, card_id=n, state=2,
                      stability=stability, difficulty=5.0, due=due or NOW + dt.timedelta(days=9),
                      last_review=NOW - dt.timedelta(days=2), last_rating=rating, reps=3,
                      lapses=0, leech=leech, retired=retired))


def answer(s, learner, n: int, rating: int, at: dt.datetime, *, before: float | None = 30.0,
           purpose: str = SCHEDULED, times: int = 1, sense: str | None = None) -> None:
    for _ in range(times):
        s.add(ReviewLog(id=str(uuid.uuid4()), learner_id=learner.id, sense_ref=sense or ref(n),
                        kind="R",
                        rating=rating, reviewed_at=at, stability_before=before,
                        purpose=purpose))


def day(s, learner, d: dt.date, reviews: int = 10, minutes: int = 5, **more) -> None:
    s.add(DailyStat(learner_id=learner.id, day=d, reviews=reviews, correct=reviews,
                    milliseconds=minutes * 60000, **more))


def build(s):
    """The constructed cohort: An keeps up, Binh stopped, Chi is behind and forgets, Dung
    joined yesterday and has not started; an outsider in another cohort fails a lot."""
    cohort = make_cohort(s, reviews_per_day=5)
    an, binh = add_learner(s, cohort, "An"), add_learner(s, cohort, "Binh")
    chi = add_learner(s, cohort, "Chi", office="")
    dung = add_learner(s, cohort, "Dung", joined=days_ago(1))
    # An knows 1, 2, 3 (R), 4 (L only), 1 again as L (counted once): 4 known words.
    for n in (1, 2, 3):
        card(s, an, n)
    card(s, an, 1, kind="L")
    card(s, an, 4, kind="L", stability=21.0, rating=2)
    card(s, an, 5, stability=20.9, due=NOW - dt.timedelta(hours=1))  # young: not known, due
    card(s, an, 6, rating=1)  # last answer failed
    card(s, an, 7, kind="P", stability=80)  # production is not "known"
    card(s, an, 8, retired=True, due=NOW - dt.timedelta(days=1))  # gone from the lexicon
    for d, reviews in ((0, 10), (1, 20), (2, 30), (5, 40), (10, 50)):
        day(s, an, days_ago(d), reviews=reviews)
    # True retention: 24 of 25 mature scheduled reviews passed in the last 30 days.
    answer(s, an, 1, 3, dt.datetime(2026, 3, 10, 2), times=10)  # week 2
    answer(s, an, 2, 3, dt.datetime(2026, 3, 17, 2), times=14)  # week 3
    answer(s, an, 2, 1, dt.datetime(2026, 3, 17, 3))
    # Not counted: young cards, practice, lessons, and a review 40 days ago.
    answer(s, an, 6, 1, dt.datetime(2026, 3, 18, 2), before=5.0, times=3)
    answer(s, an, 6, 1, dt.datetime(2026, 3, 18, 2), purpose=PRACTICE)
    answer(s, an, 6, 1, dt.datetime(2026, 3, 18, 2), purpose=LESSON, before=None)
    answer(s, an, 1, 1, NOW - dt.timedelta(days=40))
    # Binh: last active four days ago.
    day(s, binh, days_ago(4))
    card(s, binh, 1, stability=3)
    # Chi: 15 of 25 mature reviews passed (one on Monday 03:30 local, still Sunday's day,
    # so week 2), and 6 known cards due with a cap of 5 a day.
    answer(s, chi, 3, 3, dt.datetime(2026, 3, 15, 20, 30))
    answer(s, chi, 3, 3, dt.datetime(2026, 3, 18, 2), times=14)
    answer(s, chi, 6, 1, dt.datetime(2026, 3, 18, 2), times=10)
    for n in range(10, 16):
        card(s, chi, n, stability=25, due=NOW - dt.timedelta(days=1))
    day(s, chi, TODAY, reviews=25, minutes=12, practice=3, new_cards=2)
    # Someone else's cohort: nothing of theirs may show.
    other = make_cohort(s, "t2@example.test", name="Nhóm khác")
    outsider = add_learner(s, other, "Ngoài")
    answer(s, outsider, 9, 1, dt.datetime(2026, 3, 18, 2), times=30)
    day(s, outsider, TODAY, reviews=99)
    for n in range(1, 30):
        card(s, outsider, 100 + n)
    s.commit()
    return cohort, {"an": an, "binh": binh, "chi": chi, "dung": dung, "outsider": outsider}


@pytest.fixture
def s(app):
    # The figures are checked against the English interface (Vietnamese is the default).
    with app.app_context(), app.test_request_context(), force_locale("en"), \
            get_db().Session() as session:
        yield session


def test_learner_figures(s):
    cohort, people = build(s)
    report = dashboard.cohort_report(s, cohort, NOW)
    rows = {row.name: row for row in report.learners}
    assert list(rows) == ["An", "Binh", "Chi", "Dung"]
    an, binh, chi, dung = rows["An"], rows["Binh"], rows["Chi"], rows["Dung"]
    assert (report.today, report.week, report.target_now) == (TODAY, 3, round(300 * 18 / 56))
    assert (an.known, an.reviews_7d, an.minutes_7d, an.days_active_7d) == (4, 100, 20, 4)
    assert (an.mature_reviews, an.mature_passed, an.backlog) == (25, 24, 1)
    assert an.retention == pytest.approx(0.96)
    assert (an.last_active, an.risks) == (TODAY, ())
    assert (binh.last_active, binh.days_active_7d, binh.risks) == (days_ago(4), 1, ("inactive",))
    assert (chi.mature_reviews, chi.mature_passed, chi.backlog) == (25, 15, 6)
    assert chi.risks == ("backlog", "retention") and (chi.known, chi.minutes_7d) == (6, 12)
    assert (dung.known, dung.last_active, dung.risks) == (0, None, ())
    assert [r.name for r in report.at_risk] == ["Binh", "Chi"]
    # Tiles.
    assert report.active_7d == 3
    assert report.median_known == 2.0  # 0, 0, 4, 6
    assert report.median_minutes_per_day == pytest.approx((5 + 12) / 2 / 7)
    assert report.retention == pytest.approx(39 / 50)
    # The activity matrix: 28 days ending today, cells (cards, minutes, active).
    assert report.days[0] == days_ago(27) and report.days[-1] == TODAY
    assert report.activity[chi.learner_id][-1] == (30, 12, True)
    assert report.activity[an.learner_id][-11] == (50, 5, True)
    assert report.activity[dung.learner_id] == ((0, 0, False),) * 28
    assert people["outsider"].id not in report.activity


def test_a_learner_never_active_is_at_risk_three_days_after_joining(s):
    cohort = make_cohort(s)
    add_learner(s, cohort, "Mới", joined=days_ago(3))
    add_learner(s, cohort, "Mới hơn", joined=days_ago(2))
    s.commit()
    rows = dashboard.cohort_report(s, cohort, NOW).learners
    assert [(r.name, r.risks) for r in rows] == [("Mới", ("inactive",)), ("Mới hơn", ())]


def test_weekly_retention_uses_local_iso_weeks(s):
    cohort, _people = build(s)
    weeks = dashboard.cohort_report(s, cohort, NOW).weeks
    assert [w.label for w in weeks] == ["2026-W10", "2026-W11", "2026-W12"]
    assert [(w.reviews, w.passed) for w in weeks] == [(0, 0), (11, 11), (39, 28)]
    assert weeks[0].retention is None and weeks[2].retention == pytest.approx(28 / 39)


def test_difficult_words_are_the_cohorts_and_the_linguists_list_is_everyones(s):
    cohort, _people = build(s)
    difficult = dashboard.cohort_report(s, cohort, NOW).difficult
    assert [(d.ref, d.failures, d.answers, d.learners) for d in difficult] == [
        (ref(6), 15, 15, 2), (ref(2), 1, 15, 1)]  # ref(1) failed before the start
    everyone = dashboard.most_failed_senses(s, limit=2)
    assert [(d.ref, d.failures) for d in everyone] == [(ref(9), 30), (ref(6), 15)]
    assert everyone[0].fail_rate == 1.0


def test_no_query_per_learner(s, app):
    """The page costs the same number of queries for 2 learners as for 12."""
    counts = []
    for size in (2, 12):
        cohort = make_cohort(s, name=f"n{size}")
        for i in range(size):
            learner = add_learner(s, cohort, f"L{i}")
            day(s, learner, TODAY)
            card(s, learner, 1)
            answer(s, learner, 1, 3, NOW - dt.timedelta(days=1))
        s.commit()
        statements = []
        engine = s.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            report = dashboard.cohort_report(s, cohort, NOW)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert len(report.learners) == size
        counts.append(len(statements))
    assert counts[0] == counts[1] < 10, counts


def test_exports_print_the_tables_cells(s):
    cohort, _people = build(s)
    report = dashboard.cohort_report(s, cohort, NOW)
    header, rows = reports.table(report)
    assert rows[0][:10] == ["An", "Sở thử", 4, 96, 100, 20, 4, "96%", 25, 1]
    assert rows[2][-1] == "backlog over a day of reviews; retention below 80%"
    text = reports.to_csv(report).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [header] + [[str(c) for c in r] for r in rows]
    book = load_workbook(io.BytesIO(reports.to_xlsx(report)))
    sheet = [[c if c is not None else "" for c in r] for r in book.worksheets[0].values]
    assert sheet == [header] + rows
    assert [r[0] for r in book.worksheets[1].values] == ["Week", "2026-W10", "2026-W11",
                                                         "2026-W12"]


def test_exports_never_carry_a_formula(s):
    cohort = make_cohort(s)
    add_learner(s, cohort, "=HYPERLINK(\"http://x\")", office="@SUM(A1)")
    s.commit()
    report = dashboard.cohort_report(s, cohort, NOW)
    line = reports.to_csv(report).decode("utf-8-sig").splitlines()[1]
    assert line.startswith('"\'=HYPERLINK') and ",'@SUM(A1)," in line
    cell = load_workbook(io.BytesIO(reports.to_xlsx(report))).worksheets[0]["A2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")


def test_certificate_figures(s):
    cohort, people = build(s)
    cert = reports.certificate(s, cohort, people["an"], NOW)
    assert (cert.name, cert.first_day, cert.last_day) == ("An", START, TODAY)
    assert (cert.known, cert.reviews, cert.days_active, cert.minutes) == (4, 150, 5, 25)
    assert (cert.mature_reviews, cert.mature_passed) == (25, 24)  # the one 40 days ago: before


def test_charts_escape_names_and_describe_themselves(s):
    cohort = make_cohort(s)
    evil = add_learner(s, cohort, '<script>alert("x")</script>')
    day(s, evil, TODAY)
    s.commit()
    report = dashboard.cohort_report(s, cohort, NOW)
    bars = charts.known_bars([(r.name, r.known) for r in report.learners], report.target_now,
                             300, report.week)
    heat = charts.heatmap(report.days, [(r.name, report.activity[r.learner_id])
                                        for r in report.learners])
    for svg in (bars, heat):
        assert "<script" not in svg and "&lt;script&gt;" in svg
        assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="' in svg
        assert 'width="100%"' in svg and "viewBox=" in svg and "<title>" in svg
        assert " style=" not in svg  # the CSP allows no inline styles
    line = charts.retention_line([("2026-W10", None, 0), ("2026-W11", 0.9, 40)], 0.9)
    assert "2026-W11: 90% of 40 mature reviews passed" in line
