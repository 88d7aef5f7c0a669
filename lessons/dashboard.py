"""Measured progress of a cohort, for its trainers: the figures behind the dashboard.

Where it sits: reads the caches the review path keeps (``ReviewState``: what is known and
due; ``DailyStat``: activity per learner and local day) and the review log (``ReviewLog``:
true retention and the answers that failed), and hands plain frozen dataclasses to the
trainer pages (``views.trainer``), the charts (``charts``) and the exports (``reports``).
Every figure is one ``GROUP BY`` over the cohort's learners — nine queries per page whatever
the cohort's size, never one per learner (a test counts them) — and the log is scanned once
for retention and once, over four weeks, for difficult words. Measured on SQLite with
10,000 learners (6M review states, 3.1M log rows; 50 learners with 8 weeks of reviews,
150k rows): about 240 ms median for the cohort page on 2 busy cores, 120 ms when the log's
(learner, time) index also covers purpose, stability_before, rating and sense_ref, which
spares a table lookup per answer.

Definitions (``../shared/research/learning.md`` §5):
- known: a recognition or listening card with stability ≥ 21 days whose last answer passed
  (rating ≥ 2), or one the placement test verified, of a sense still in the lexicon (not
  retired) — ``stats.known_condition``, the one definition; a sense counts once whichever
  kinds are known, as ``stats.known_count`` counts for the learner's own page;
- active day: a ``DailyStat`` row exists (``stats.count_answer`` writes one for every
  answer, whatever its purpose); "reviews" are scheduled reviews (``DailyStat.reviews``);
- true retention: the share of passed answers among scheduled reviews of mature cards
  (stability ≥ 21 days just before the answer), over the last 30 days per learner, per ISO
  week for the cohort;
- difficult words: the senses with the most answers rated 1 over the last 28 days (the
  activity chart's days), with their fail rate;
- at risk: inactive for 3 days or more, a backlog larger than one day of reviews
  (``Cohort.reviews_per_day``), or retention below 0.8 over at least 20 mature reviews.

Days are the learners' local days as ``DailyStat`` stores them, in the province's time zone
(``models.TIMEZONE``, days start at 04:00) for the report's own calendar.
"""
from __future__ import annotations

import bisect
import datetime as dt
import statistics
from dataclasses import dataclass, replace

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from dictionary.models import User

from .clock import day_start, local_day
from .models import (
    LESSON,
    PRACTICE,
    SCHEDULED,
    TIMEZONE,
    Cohort,
    CohortMember,
    DailyStat,
    Learner,
    ReviewLog,
    ReviewState,
)
from .stats import KNOWN_STABILITY, known_condition

PASSED = 2  # fsrs.Rating.Hard or better
RETENTION_DAYS = 30
WEEK_DAYS = 7
ACTIVITY_DAYS = 28
MAX_WEEKS = 52
INACTIVE_DAYS = 3
RISK_RETENTION = 0.8
RISK_MIN_MATURE = 20
# Answers that show what a learner can do (placement only confirms what they knew).
ANSWERS = (SCHEDULED, LESSON, PRACTICE)
INACTIVE, BACKLOG, LOW_RETENTION = "inactive", "backlog", "retention"


@dataclass(frozen=True)
class LearnerRow:
    learner_id: int
    name: str
    login: str
    office: str
    known: int
    target: int  # the cohort's target line today
    reviews_7d: int
    minutes_7d: int
    days_active_7d: int
    mature_reviews: int  # over the last RETENTION_DAYS
    mature_passed: int
    backlog: int  # cards due now
    last_active: dt.date | None
    risks: tuple[str, ...]  # INACTIVE, BACKLOG, LOW_RETENTION

    @property
    def retention(self) -> float | None:
        return self.mature_passed / self.mature_reviews if self.mature_reviews else None


@dataclass(frozen=True)
class WeekRetention:
    start: dt.date  # Monday
    reviews: int
    passed: int

    @property
    def label(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def retention(self) -> float | None:
        return self.passed / self.reviews if self.reviews else None


@dataclass(frozen=True)
class FailedSense:
    ref: str
    answers: int
    failures: int  # answers rated 1 (Again)
    learners: int  # how many learners failed it at least once

    @property
    def fail_rate(self) -> float:
        return self.failures / self.answers if self.answers else 0.0


@dataclass(frozen=True)
class CohortReport:
    cohort_id: int
    name: str
    at: dt.datetime
    today: dt.date
    week: int  # 1 in the cohort's first week, 0 before it starts
    target_now: int
    target_known: int
    target_weeks: int
    reviews_per_day: int
    learners: tuple[LearnerRow, ...]
    weeks: tuple[WeekRetention, ...]
    days: tuple[dt.date, ...]  # the activity matrix's columns, oldest first
    # learner id → (cards: reviews + new + practice, minutes, active) for each of ``days``
    activity: dict[int, tuple[tuple[int, int, bool], ...]]
    difficult: tuple[FailedSense, ...]

    @property
    def at_risk(self) -> list[LearnerRow]:
        return [row for row in self.learners if row.risks]

    @property
    def active_7d(self) -> int:
        return sum(1 for row in self.learners if row.days_active_7d)

    @property
    def median_minutes_per_day(self) -> float:
        return statistics.median(row.minutes_7d / WEEK_DAYS for row in self.learners) \
            if self.learners else 0.0

    @property
    def median_known(self) -> float:
        return statistics.median(row.known for row in self.learners) if self.learners else 0

    @property
    def mature_reviews(self) -> int:
        return sum(row.mature_reviews for row in self.learners)

    @property
    def retention(self) -> float | None:
        """Cohort true retention over the last ``RETENTION_DAYS``."""
        total = self.mature_reviews
        return sum(row.mature_passed for row in self.learners) / total if total else None


def target_on(cohort: Cohort, day: dt.date) -> int:
    """The target line: ``target_known`` reached linearly by the end of week
    ``target_weeks`` after ``starts_on``, flat afterwards.

    >>> c = Cohort(starts_on=dt.date(2026, 3, 2), target_known=300, target_weeks=8)
    >>> [target_on(c, dt.date(2026, 3, 2) + dt.timedelta(days=n)) for n in (-3, 0, 28, 56, 90)]
    [0, 0, 150, 300, 300]
    """
    elapsed = (day - cohort.starts_on).days
    share = min(max(elapsed / (WEEK_DAYS * cohort.target_weeks), 0.0), 1.0) \
        if cohort.target_weeks else 1.0
    return round(cohort.target_known * share)


def week_of(cohort: Cohort, day: dt.date) -> int:
    return (day - cohort.starts_on).days // WEEK_DAYS + 1 if day >= cohort.starts_on else 0


def report_day(at: dt.datetime) -> dt.date:
    return local_day(at, TIMEZONE)


def _members(cohort: Cohort):
    return select(CohortMember.learner_id).where(CohortMember.cohort_id == cohort.id)


def known_counts(session: Session, learner_ids) -> dict[int, int]:
    """Known senses per learner (``learner_ids``: a list or a select of ids)."""
    query = (select(ReviewState.learner_id, func.count(ReviewState.sense_ref.distinct()))
             .where(ReviewState.learner_id.in_(learner_ids), known_condition())
             .group_by(ReviewState.learner_id))
    return dict(session.execute(query).all())


def backlogs(session: Session, learner_ids, at: dt.datetime) -> dict[int, int]:
    query = (select(ReviewState.learner_id, func.count())
             .where(ReviewState.learner_id.in_(learner_ids), ReviewState.due <= at,
                    ReviewState.retired.is_(False))
             .group_by(ReviewState.learner_id))
    return dict(session.execute(query).all())


def mature_by_period(session: Session, learner_ids, bounds: list[dt.datetime],
                     until: dt.datetime) -> dict[tuple[int, int], tuple[int, int]]:
    """(mature scheduled reviews, passed) per learner and period, in one scan of the log:
    period ``i`` runs from ``bounds[i]`` to the next bound (the last one to ``until``);
    each answer falls into its period by a CASE on the bounds (portable SQL, and the
    (learner, time) index of the log does the rest)."""
    passed = func.sum(case((ReviewLog.rating >= PASSED, 1), else_=0))
    period = case(*[(ReviewLog.reviewed_at < b, i) for i, b in enumerate(bounds[1:])],
                  else_=len(bounds) - 1) if len(bounds) > 1 else literal(0)
    query = (select(ReviewLog.learner_id, period, func.count(), passed)
             .where(ReviewLog.learner_id.in_(learner_ids), ReviewLog.reviewed_at >= bounds[0],
                    ReviewLog.reviewed_at <= until, ReviewLog.purpose == SCHEDULED,
                    ReviewLog.stability_before >= KNOWN_STABILITY)
             .group_by(ReviewLog.learner_id, *([period] if len(bounds) > 1 else [])))
    return {(lid, int(i)): (n, int(ok or 0)) for lid, i, n, ok in session.execute(query)}


def mature_retention(session: Session, learner_ids, since: dt.datetime, until: dt.datetime
                     ) -> dict[int, tuple[int, int]]:
    """(mature scheduled reviews, passed) per learner between ``since`` and ``until``."""
    return {lid: counts for (lid, _i), counts in
            mature_by_period(session, learner_ids, [since], until).items()}


def _mondays(cohort: Cohort, today: dt.date) -> list[dt.date]:
    """The local Mondays of the cohort's ISO weeks so far (the last ``MAX_WEEKS``)."""
    if today < cohort.starts_on:
        return []
    first = cohort.starts_on - dt.timedelta(days=cohort.starts_on.weekday())
    this = today - dt.timedelta(days=today.weekday())
    return [first + dt.timedelta(weeks=n)
            for n in range((this - first).days // WEEK_DAYS + 1)][-MAX_WEEKS:]


def retention_figures(session: Session, cohort: Cohort, at: dt.datetime, today: dt.date
                      ) -> tuple[dict[int, tuple[int, int]], tuple[WeekRetention, ...]]:
    """Each learner's mature reviews over the last ``RETENTION_DAYS`` and the cohort's per
    ISO week (Monday 04:00 local to Monday), from a single scan: the periods are the weeks
    cut once more at the 30-day mark."""
    mondays = _mondays(cohort, today)
    weeks = [day_start(monday, TIMEZONE) for monday in mondays]
    cutoff = at - dt.timedelta(days=RETENTION_DAYS)
    bounds = sorted({cutoff, *weeks})
    per_learner: dict[int, tuple[int, int]] = {}
    per_week = [(0, 0)] * len(weeks)
    for (lid, i), (n, ok) in mature_by_period(session, _members(cohort), bounds, at).items():
        if bounds[i] >= cutoff:
            had = per_learner.get(lid, (0, 0))
            per_learner[lid] = (had[0] + n, had[1] + ok)
        if weeks and bounds[i] >= weeks[0]:
            w = bisect.bisect_right(weeks, bounds[i]) - 1
            per_week[w] = (per_week[w][0] + n, per_week[w][1] + ok)
    return per_learner, tuple(WeekRetention(monday, *counts)
                              for monday, counts in zip(mondays, per_week))


def failed_senses(session: Session, *, learner_ids=None, since: dt.datetime | None = None,
                  until: dt.datetime | None = None, limit: int = 20, min_failures: int = 1
                  ) -> tuple[FailedSense, ...]:
    """Senses with the most answers rated 1 (most first), with how often they were answered.

    Two small queries rather than one: the failures first (rating 1 only: a fraction of the
    log), then the answers of just those senses, so the log is never grouped in full."""
    def scoped(query):
        query = query.where(ReviewLog.purpose.in_(ANSWERS))
        if learner_ids is not None:
            query = query.where(ReviewLog.learner_id.in_(learner_ids))
        if since is not None:
            query = query.where(ReviewLog.reviewed_at >= since)
        if until is not None:
            query = query.where(ReviewLog.reviewed_at <= until)
        return query

    fails = func.count()
    worst = session.execute(scoped(
        select(ReviewLog.sense_ref, fails, func.count(ReviewLog.learner_id.distinct()))
        .where(ReviewLog.rating == 1).group_by(ReviewLog.sense_ref)
        .having(fails >= min_failures).order_by(fails.desc(), ReviewLog.sense_ref)
        .limit(limit))).all()
    if not worst:
        return ()
    answers = dict(session.execute(scoped(
        select(ReviewLog.sense_ref, func.count())
        .where(ReviewLog.sense_ref.in_([ref for ref, _n, _w in worst]))
        .group_by(ReviewLog.sense_ref))).all())
    return tuple(FailedSense(ref, answers.get(ref, n), n, who) for ref, n, who in worst)


def most_failed_senses(session: Session, limit: int = 50, *, min_failures: int = 3,
                       since: dt.datetime | None = None) -> tuple[FailedSense, ...]:
    """Across every learner: the senses learners fail most, for the linguists' quality
    list (a gloss that misleads shows up here first). It reads every failed answer in the
    log (or those after ``since``): seconds at the scale of the benchmark's 10,000
    learners on SQLite, so a page showing it should cache it or pass ``since``."""
    return failed_senses(session, since=since, limit=limit, min_failures=min_failures)


Cells = tuple[tuple[int, int, bool], ...]


def learner_rows(session: Session, cohort: Cohort, at: dt.datetime, learner_ids=None,
                 mature: dict[int, tuple[int, int]] | None = None
                 ) -> tuple[list[LearnerRow], dict[int, Cells], tuple[dt.date, ...]]:
    """The table rows of ``cohort`` (or of some of its learners), with each learner's
    activity over the last ``ACTIVITY_DAYS`` and those days."""
    ids = _members(cohort) if learner_ids is None else learner_ids
    today = report_day(at)
    days = tuple(today - dt.timedelta(days=n) for n in range(ACTIVITY_DAYS - 1, -1, -1))
    people = session.execute(
        select(Learner.id, User.name, User.email, Learner.office, CohortMember.joined_at)
        .join(User, User.id == Learner.user_id)
        .join(CohortMember, CohortMember.learner_id == Learner.id)
        .where(CohortMember.cohort_id == cohort.id, Learner.id.in_(ids))).all()
    known = known_counts(session, ids)
    due = backlogs(session, ids, at)
    if mature is None:
        mature = mature_retention(session, ids, at - dt.timedelta(days=RETENTION_DAYS), at)
    last_active = dict(session.execute(
        select(DailyStat.learner_id, func.max(DailyStat.day))
        .where(DailyStat.learner_id.in_(ids), DailyStat.day <= today)
        .group_by(DailyStat.learner_id)).all())
    stats: dict[int, dict[dt.date, DailyStat]] = {}
    for stat in session.scalars(select(DailyStat).where(
            DailyStat.learner_id.in_(ids), DailyStat.day >= days[0], DailyStat.day <= today)):
        stats.setdefault(stat.learner_id, {})[stat.day] = stat
    week = set(days[-WEEK_DAYS:])
    target = target_on(cohort, today)
    rows, activity = [], {}
    for lid, name, login, office, joined_at in people:
        mine = stats.get(lid, {})
        recent = [s for d, s in mine.items() if d in week]
        activity[lid] = tuple(_cell(mine.get(d)) for d in days)
        n_mature, n_passed = mature.get(lid, (0, 0))
        row = LearnerRow(
            learner_id=lid, name=name, login=login, office=office, known=known.get(lid, 0),
            target=target, reviews_7d=sum(s.reviews for s in recent),
            minutes_7d=round(sum(s.milliseconds for s in recent) / 60000),
            days_active_7d=len(recent), mature_reviews=n_mature,
            mature_passed=n_passed, backlog=due.get(lid, 0), last_active=last_active.get(lid),
            risks=())
        rows.append(_with_risks(row, cohort, today, local_day(joined_at, TIMEZONE)))
    rows.sort(key=lambda r: (r.name.casefold(), r.login))
    return rows, activity, days


def _cell(stat: DailyStat | None) -> tuple[int, int, bool]:
    if stat is None:
        return 0, 0, False
    return stat.reviews + stat.new_cards + stat.practice, round(stat.milliseconds / 60000), True


def _with_risks(row: LearnerRow, cohort: Cohort, today: dt.date, joined: dt.date
                ) -> LearnerRow:
    risks = []
    # Never active: counted from when they could have started (joining, or the start).
    since = row.last_active or max(joined, cohort.starts_on)
    if today >= cohort.starts_on and (today - since).days >= INACTIVE_DAYS:
        risks.append(INACTIVE)
    if row.backlog > cohort.reviews_per_day:
        risks.append(BACKLOG)
    if row.mature_reviews >= RISK_MIN_MATURE and (row.retention or 0) < RISK_RETENTION:
        risks.append(LOW_RETENTION)
    return replace(row, risks=tuple(risks))


def cohort_report(session: Session, cohort: Cohort, at: dt.datetime,
                  difficult_limit: int = 15) -> CohortReport:
    """Everything the cohort page shows, as measured at ``at`` (naive UTC)."""
    today = report_day(at)
    mature, weeks = retention_figures(session, cohort, at, today)
    rows, activity, days = learner_rows(session, cohort, at, mature=mature)
    # Difficult words of the last four weeks (the activity chart's days): what the next
    # class can address, and a bounded scan of the log however long the cohort runs.
    since = max(day_start(cohort.starts_on, TIMEZONE), day_start(days[0], TIMEZONE))
    difficult = failed_senses(session, learner_ids=_members(cohort), since=since, until=at,
                              limit=difficult_limit)
    return CohortReport(
        cohort_id=cohort.id, name=cohort.name, at=at, today=today, week=week_of(cohort, today),
        target_now=target_on(cohort, today), target_known=cohort.target_known,
        target_weeks=cohort.target_weeks, reviews_per_day=cohort.reviews_per_day,
        learners=tuple(rows), weeks=weeks, days=days,
        activity=activity, difficult=difficult)
