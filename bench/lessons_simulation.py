"""Simulated cohort: do the bundled defaults reach 300 known words by week 8 in < 15 min a day?

Each simulated learner follows the defaults every day (``lessons.review.DEFAULT_LIMITS``: 8
new senses a day, each making a recognition and a production card; at most 120 scheduled
reviews a day; siblings buried: one kind per sense per day) through our own FSRS wrapper
(``lessons.scheduling.make_scheduler`` / ``review``). Forgetting is drawn from the FSRS
model itself: an answer is recalled with probability ``scheduler.get_card_retrievability``
at the moment of the review (seeded random numbers), rated Good if recalled, else Again
(which sends the card back 10 minutes later, as in the app). A lesson's first exposure is
one answer rated Good per card (the intro card shows the answer).

Time per answer: 11.3 s, the median of py-fsrs's shipped one-user log
(``../shared/research/learning.md`` §2). "Known" is the app's definition
(``lessons.stats``): a recognition card with stability ≥ 21 days whose last answer passed.

    .venv/bin/python bench/lessons_simulation.py                 # 50 learners, 56 days
    .venv/bin/python bench/lessons_simulation.py --learners 5 --days 14
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fsrs  # noqa: E402

from lessons.clock import day_start, local_day  # noqa: E402
from lessons.models import LESSON, PRODUCTION, RECOGNITION, SCHEDULED, TIMEZONE  # noqa: E402
from lessons.review import DEFAULT_LIMITS, Limits, is_due  # noqa: E402
from lessons.scheduling import make_scheduler, review, to_card  # noqa: E402
from lessons.stats import KNOWN_STABILITY  # noqa: E402

SECONDS_PER_ANSWER = 11.3
TARGET_KNOWN, TARGET_WEEKS, MAX_MINUTES = 300, 8, 15.0
START = dt.date(2026, 3, 2)
SESSION_AT = dt.timedelta(hours=15)  # 19:00 local: the learner studies after work


@dataclass
class Day:
    reviews: int = 0  # scheduled reviews, relearning included
    lessons: int = 0  # first-exposure answers
    correct: int = 0
    known: int = 0  # at the day's end

    @property
    def review_minutes(self) -> float:
        return self.reviews * SECONDS_PER_ANSWER / 60

    @property
    def minutes(self) -> float:
        return (self.reviews + self.lessons) * SECONDS_PER_ANSWER / 60


@dataclass
class LearnerRun:
    learner_id: int
    days: list[Day] = field(default_factory=list)
    logs: list[dict] = field(default_factory=list)  # rows for ReviewLog
    states: dict = field(default_factory=dict)  # (ref, kind) -> ReviewState


def known(states: dict) -> int:
    return sum(1 for (ref, kind), s in states.items() if kind == RECOGNITION
               and (s.stability or 0) >= KNOWN_STABILITY and (s.last_rating or 0) >= 2)


def simulate_learner(learner_id: int, rng: random.Random, *, days: int, scheduler: fsrs.Scheduler,
                     new_per_day: int = DEFAULT_LIMITS.new_per_day,
                     reviews_per_day: int = DEFAULT_LIMITS.reviews_per_day,
                     start: dt.date = START, timezone: str = TIMEZONE,
                     first_sense: int = 1) -> LearnerRun:
    run = LearnerRun(learner_id)
    next_sense = first_sense

    def answer(key, rating, at, purpose):
        state = run.states.get(key)
        before = state.stability if state else None
        run.states[key] = review(state, learner_id=learner_id, sense_ref=key[0], kind=key[1],
                                 rating=rating, at=at, scheduler=scheduler).state
        run.logs.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                         "learner_id": learner_id, "sense_ref": key[0], "kind": key[1],
                         "rating": rating, "reviewed_at": at, "purpose": purpose,
                         "duration_ms": int(SECONDS_PER_ANSWER * 1000),
                         "stability_before": before, "exercise": "simulated"})

    for d in range(days):
        today = start + dt.timedelta(days=d)
        at = day_start(today, timezone) + SESSION_AT
        end = day_start(today + dt.timedelta(days=1), timezone)
        day = Day()
        touched: dict[str, str] = {}  # sense → the one kind it may show today
        while day.reviews < reviews_per_day:
            # The app's queue rules (``review.due_states``): due today, siblings buried.
            due = sorted((s.due, key) for key, s in run.states.items()
                         if is_due(s, at, end) and touched.get(key[0], key[1]) == key[1])
            picked, senses = [], set()
            for _due, key in due:
                if key[0] not in senses:
                    picked.append(key)
                    senses.add(key[0])
            if not picked:
                later = [s.due for key, s in run.states.items()
                         if at < s.due < end and touched.get(key[0]) == key[1]]
                if not later:
                    break
                at = min(later)  # a relearning card comes back in 10 minutes
                continue
            for key in picked[:reviews_per_day - day.reviews]:
                aware = at.replace(tzinfo=dt.timezone.utc)
                p = scheduler.get_card_retrievability(to_card(run.states[key]), aware)
                recalled = rng.random() < p
                answer(key, 3 if recalled else 1, at, SCHEDULED)
                touched[key[0]] = key[1]
                day.reviews += 1
                day.correct += recalled
                at += dt.timedelta(seconds=SECONDS_PER_ANSWER)
        for _ in range(new_per_day):
            ref = f"zzx-{next_sense:06d}/1"
            next_sense += 1
            for kind in (RECOGNITION, PRODUCTION):
                answer((ref, kind), 3, at, LESSON)
                day.lessons += 1
                at += dt.timedelta(seconds=SECONDS_PER_ANSWER)
        assert local_day(at, timezone) == today, "the session ran past the learner's day"
        day.known = known(run.states)
        run.days.append(day)
    return run


def simulate(learners: int, days: int, seed: int, retention: float = 0.9,
             limits: Limits = DEFAULT_LIMITS) -> list[LearnerRun]:
    scheduler = make_scheduler(desired_retention=retention)
    return [simulate_learner(i + 1, random.Random(f"{seed}:{i}"), days=days, scheduler=scheduler,
                             new_per_day=limits.new_per_day,
                             reviews_per_day=limits.reviews_per_day)
            for i in range(learners)]


def report(runs: list[LearnerRun], limits: Limits = DEFAULT_LIMITS) -> str:
    days = len(runs[0].days)
    lines = [f"Simulated cohort: {len(runs)} learners × {days} days; "
             f"{limits.new_per_day} new senses/day (R + P cards), "
             f"{limits.reviews_per_day} reviews/day cap, {SECONDS_PER_ANSWER} s/answer",
             "",
             f"{'week':>4} {'reviews/day':>11} {'peak':>5} {'review min/day':>14} "
             f"{'peak':>5} {'all min/day':>11} {'peak':>5} {'recall':>6} {'known (mean)':>12} "
             f"{'min':>4} {'max':>4}"]
    for w in range((days + 6) // 7):
        span = range(7 * w, min(7 * w + 7, days))
        cells = [r.days[d] for r in runs for d in span]
        end = [r.days[span[-1]].known for r in runs]
        reviews = sum(c.reviews for c in cells)
        lines.append(
            f"{w + 1:>4} {statistics.mean(c.reviews for c in cells):>11.1f} "
            f"{max(c.reviews for c in cells):>5} "
            f"{statistics.mean(c.review_minutes for c in cells):>14.1f} "
            f"{max(c.review_minutes for c in cells):>5.1f} "
            f"{statistics.mean(c.minutes for c in cells):>11.1f} {max(c.minutes for c in cells):>5.1f} "
            f"{(sum(c.correct for c in cells) / reviews if reviews else 0):>6.3f} "
            f"{statistics.mean(end):>12.1f} {min(end):>4} {max(end):>4}")
    final = [r.days[-1].known for r in runs]
    peak_review = max(c.review_minutes for r in runs for c in r.days)
    peak_all = max(c.minutes for r in runs for c in r.days)
    at_target = sum(k >= TARGET_KNOWN for k in final)
    loads = sorted(c.review_minutes for r in runs for c in r.days)
    over = sum(x >= MAX_MINUTES for x in loads)
    p95 = loads[min(len(loads) - 1, int(0.95 * len(loads)))]
    worst_day = max(statistics.mean(r.days[d].review_minutes for r in runs)
                     for d in range(days))
    lines += [
        "",
        f"known words on day {days}: mean {statistics.mean(final):.1f}, "
        f"{at_target}/{len(runs)} learners at ≥ {TARGET_KNOWN}",
        f"goal {TARGET_KNOWN} known by week {TARGET_WEEKS}: "
        f"{'MET' if days >= 7 * TARGET_WEEKS and statistics.mean(final) >= TARGET_KNOWN else 'NOT MET'}"
        f" (mean learner)",
        f"goal review load < {MAX_MINUTES:g} min/day: "
        f"{'MET' if peak_review < MAX_MINUTES else 'NOT MET'} (peak learner-day {peak_review:.1f} "
        f"min of reviews; {peak_all:.1f} min with the lessons' first exposures)",
        f"  review minutes per learner-day: p95 {p95:.1f}, cohort mean on its worst day "
        f"{worst_day:.1f}; {over}/{len(loads)} learner-days ({over / len(loads):.1%}) at "
        f"≥ {MAX_MINUTES:g} min",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--days", type=int, default=56)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--retention", type=float, default=0.9)
    parser.add_argument("--new-per-day", type=int, default=DEFAULT_LIMITS.new_per_day)
    parser.add_argument("--reviews-per-day", type=int, default=DEFAULT_LIMITS.reviews_per_day)
    args = parser.parse_args(argv)
    limits = Limits(args.new_per_day, args.reviews_per_day)
    print(report(simulate(args.learners, args.days, args.seed, args.retention, limits), limits))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
