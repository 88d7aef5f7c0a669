"""Review queue at scale: "next card", "submit answer" and the cohort dashboard on SQLite.

Builds a temporary SQLite database (WAL, the app's own migrations) holding 10,000 learners ×
300 senses × 2 kinds of ``ReviewState`` (6 million cards, bulk-inserted), plus one cohort of
50 learners whose 56 days of answers, cards and ``DailyStat`` rows come from the simulated
cohort (``lessons_simulation``: our FSRS wrapper, forgetting drawn from the model). Then,
on random learners, it times the code the pages call:

- next card: ``lessons.review.next_due`` in a fresh session (as one request);
- submit answer: ``lessons.review.record_answer`` + commit;
- floor: the same due-queue query in raw ``sqlite3`` SQL, in the same run, on the same file;
- dashboard: ``lessons.dashboard.cohort_report`` for the 50-learner cohort, if it exists.

Goals (issue 12): next-card p99 ≤ 20 ms, submit p99 ≤ 30 ms, dashboard p95 ≤ 300 ms on 2
cores. Speed is printed, never asserted.

    .venv/bin/python bench/lessons_bench.py                                  # full size
    .venv/bin/python bench/lessons_bench.py --learners 500 --calls 200 --cohort-days 14
"""
from __future__ import annotations

import argparse
import datetime as dt
import inspect
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dictionary import create_app  # noqa: E402
from dictionary.db import get_db  # noqa: E402
from dictionary.schema import init_db  # noqa: E402
from lessons import review  # noqa: E402
from lessons.clock import day_start  # noqa: E402
from lessons.models import SCHEDULED, TIMEZONE, Cohort, Learner  # noqa: E402
from lessons.scheduling import card_id, make_scheduler  # noqa: E402
from lessons_simulation import START, simulate_learner  # noqa: E402

STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime in SQLite
GOALS = {"next card": ("p99", 20.0), "submit answer": ("p99", 30.0), "dashboard": ("p95", 300.0)}
FLOOR_SQL = ("SELECT learner_id, sense_ref, kind, card_id, state, step, stability, difficulty, "
             "due, last_review FROM review_state WHERE learner_id = ? AND due < ? "
             "AND (state = 2 OR due <= ?) AND retired = 0 ORDER BY due LIMIT 1")


def make_bench_app(folder: Path):
    app = create_app({
        "INSTANCE_PATH": str(folder), "DATABASE_URL": f"sqlite:///{folder / 'lessons.sqlite'}",
        "INDEX_DIR": str(folder / "index"), "SECRET_KEY": "bench-only",
        "INDEX_WARM_UP": False, "INDEX_DRAIN_AT_START": False, "TESTING": True})
    with app.app_context():
        init_db()
    return app


def build(path: Path, args, now: dt.datetime) -> dict:
    """Fill the database; returns what was made and how long it took."""
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")  # loading only; the timed part uses the app's pragmas
    stamp = now.strftime(STAMP)
    con.executemany(
        "INSERT INTO user_account (id, email, name, password_hash, role, active, session_token, "
        "created_at) VALUES (?, ?, '', 'x', 'learner', 1, ?, ?)",
        ((i, f"bench{i}@example.test", uuid.UUID(int=rng.getrandbits(128)).hex, stamp)
         for i in range(1, args.learners + 1)))
    con.executemany(
        "INSERT INTO learner (id, user_id, office, language_code, daily_minutes, timezone, "
        "created_at) VALUES (?, ?, '', 'hre', 15, ?, ?)",
        ((i, i, TIMEZONE, stamp) for i in range(1, args.learners + 1)))
    con.execute("INSERT INTO course (id, key, language_code, title, description, phonetic, "
                "license, content_hash, active, imported_at) VALUES "
                "(1, 'bench', 'hre', 'Bench', '', 1, '', '', 1, ?)", (stamp,))
    con.execute("INSERT INTO cohort (id, name, course_id, join_code, starts_on, target_known, "
                "target_weeks, new_per_day, reviews_per_day, desired_retention, active, "
                "created_at) VALUES (1, 'bench', 1, 'BENCH001', ?, 300, 8, 8, 120, 0.9, 1, ?)",
                (START.isoformat(), stamp))
    cohort = list(range(1, min(args.cohort, args.learners) + 1))
    con.executemany("INSERT INTO cohort_member (cohort_id, learner_id, joined_at) VALUES (1, ?, ?)",
                    ((i, stamp) for i in cohort))
    # Secondary indexes are built once after the load (faster than 6M random index inserts).
    con.execute("DROP INDEX ix_review_state_due")
    con.execute("DROP INDEX ix_review_state_sense_ref")
    # Cards of the crowd: mostly in review, due from 3 days ago to 120 days on (a few due
    # today per learner), a fifth of them not yet mature.
    minute = dt.timedelta(minutes=1)
    dues = [(now + rng.randrange(-3 * 1440, 120 * 1440) * minute).strftime(STAMP)
            for _ in range(50_000)]
    lasts = [(now - rng.randrange(1440, 60 * 1440) * minute).strftime(STAMP)
             for _ in range(50_000)]
    refs = [f"zzx-{n:06d}/1" for n in range(1, args.senses + 1)]

    def crowd():
        for learner in range(len(cohort) + 1, args.learners + 1):
            for ref in refs:
                for kind in ("P", "R"):
                    s = rng.lognormvariate(2.5, 1.0)
                    yield (learner, ref, kind, card_id(learner, ref, kind), 2, None, s,
                           rng.uniform(1, 10), dues[rng.randrange(50_000)],
                           lasts[rng.randrange(50_000)], 3, rng.randrange(1, 9), 0, 0, 0)

    insert_state = ("INSERT INTO review_state (learner_id, sense_ref, kind, card_id, state, step, "
                    "stability, difficulty, due, last_review, last_rating, reps, lapses, leech, "
                    "retired) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    con.executemany(insert_state, crowd())
    con.commit()
    t_crowd = time.perf_counter() - t0
    # The cohort: simulated answers up to "now", their cards and their days.
    scheduler, logs, days = make_scheduler(), 0, 0
    for learner in cohort:
        run = simulate_learner(learner, random.Random(f"{args.seed}:{learner}"),
                               days=args.cohort_days, scheduler=scheduler, start=START)
        con.executemany(insert_state, (
            (learner, ref, kind, st.card_id, st.state, st.step, st.stability, st.difficulty,
             st.due.strftime(STAMP), st.last_review.strftime(STAMP), st.last_rating, st.reps,
             st.lapses, int(st.leech), 0) for (ref, kind), st in run.states.items()))
        con.executemany(
            "INSERT INTO review_log (id, learner_id, sense_ref, kind, rating, reviewed_at, "
            "received_at, duration_ms, exercise, stability_before, purpose, course_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            ((x["id"], learner, x["sense_ref"], x["kind"], x["rating"],
              x["reviewed_at"].strftime(STAMP), x["reviewed_at"].strftime(STAMP),
              x["duration_ms"], x["exercise"], x["stability_before"], x["purpose"])
             for x in run.logs))
        con.executemany(
            "INSERT INTO daily_stat (learner_id, day, reviews, correct, new_cards, practice, "
            "milliseconds, known) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
            ((learner, (START + dt.timedelta(days=d)).isoformat(), day.reviews, day.correct,
              day.lessons, int(day.minutes * 60_000), day.known) for d, day in enumerate(run.days)))
        logs += len(run.logs)
        days += len(run.days)
    con.commit()
    t_cohort = time.perf_counter() - t0 - t_crowd
    con.execute("CREATE INDEX ix_review_state_due ON review_state (learner_id, due)")
    con.execute("CREATE INDEX ix_review_state_sense_ref ON review_state (sense_ref)")
    con.execute("ANALYZE")
    con.commit()
    cards = con.execute("SELECT count(*) FROM review_state").fetchone()[0]
    con.close()
    return {"cards": cards, "logs": logs, "days": days, "load_s": t_crowd,
            "cohort_s": t_cohort, "total_s": time.perf_counter() - t0,
            "size_mb": path.stat().st_size / 2**20}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(app, path: Path, args, now: dt.datetime) -> dict[str, list[float] | str]:
    rng = random.Random(args.seed + 1)
    results: dict[str, list[float] | str] = {}
    learners = [rng.randrange(1, args.learners + 1) for _ in range(args.calls)]
    end = day_start(START + dt.timedelta(days=args.cohort_days + 1), TIMEZONE)
    with app.app_context():
        db = get_db()
        # Floor: the due-queue query alone, raw SQL on its own connection.
        con = sqlite3.connect(path)
        floor = []
        for learner in learners:
            t = time.perf_counter()
            con.execute(FLOOR_SQL, (learner, end.strftime(STAMP), now.strftime(STAMP))).fetchall()
            floor.append((time.perf_counter() - t) * 1000)
        con.close()
        results["floor: due query, raw SQL"] = floor
        nxt, submit, found = [], [], 0
        for i, learner_id in enumerate(learners):
            t = time.perf_counter()
            with db.Session() as s:
                learner = s.get(Learner, learner_id)
                card = review.next_due(s, learner, now)
            nxt.append((time.perf_counter() - t) * 1000)
            found += card is not None
            with db.Session() as s:
                learner = s.get(Learner, learner_id)
                ref, kind = ((card.sense_ref, card.kind) if card else
                             (f"zzx-{rng.randrange(1, args.senses + 1):06d}/1", "R"))
                t = time.perf_counter()
                review.record_answer(s, learner, log_id=str(uuid.uuid4()), sense_ref=ref,
                                     kind=kind, rating=rng.choice((1, 3, 3, 3, 4)),
                                     purpose=SCHEDULED, exercise="pick_gloss", answer="x",
                                     match=None, at=now + dt.timedelta(milliseconds=i),
                                     duration_ms=8000)
                s.commit()
                submit.append((time.perf_counter() - t) * 1000)
        results["next card"] = nxt
        results["submit answer"] = submit
        results["_found"] = f"{found}/{len(learners)} next-card calls found a due card"
        try:
            from lessons import dashboard
            report_fn = dashboard.cohort_report
        except (ImportError, AttributeError) as exc:
            results["dashboard"] = f"skipped: lessons.dashboard.cohort_report missing ({exc})"
            return results
        takes_at = "at" in inspect.signature(report_fn).parameters
        times = []
        for _ in range(args.dashboard_calls):
            t = time.perf_counter()
            with db.Session() as s:
                cohort = s.get(Cohort, 1)
                report_fn(s, cohort, now) if takes_at else report_fn(s, cohort)
            times.append((time.perf_counter() - t) * 1000)
        results["dashboard"] = times
    return results


def report(info: dict, results: dict, args) -> str:
    lines = [f"Lessons bench: {args.learners:,} learners × {args.senses} senses × 2 kinds; "
             f"{info['cards']:,} review states ({info['size_mb']:.0f} MB SQLite, WAL); cohort "
             f"of {min(args.cohort, args.learners)} with {info['logs']:,} logs over "
             f"{args.cohort_days} days ({info['days']:,} DailyStat rows)",
             f"build: crowd {info['load_s']:.1f} s, cohort {info['cohort_s']:.1f} s, "
             f"total {info['total_s']:.1f} s",
             "",
             f"{'measure':<28} {'calls':>6} {'median ms':>10} {'p95 ms':>8} {'p99 ms':>8} "
             f"{'goal':>12} {'':>6}"]
    for name in ("floor: due query, raw SQL", "next card", "submit answer", "dashboard"):
        values = results.get(name)
        if isinstance(values, str) or values is None:
            lines.append(f"{name:<28} {values or 'not measured'}")
            continue
        goal, verdict = "", ""
        if name in GOALS:
            which, limit = GOALS[name]
            got = pct(values, 0.95 if which == "p95" else 0.99)
            goal, verdict = f"{which} ≤ {limit:g}", "ok" if got <= limit else "MISSED"
        lines.append(f"{name:<28} {len(values):>6} {statistics.median(values):>10.3f} "
                     f"{pct(values, 0.95):>8.3f} {pct(values, 0.99):>8.3f} {goal:>12} {verdict:>6}")
    lines += ["", results["_found"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--senses", type=int, default=300)
    parser.add_argument("--cohort", type=int, default=50)
    parser.add_argument("--cohort-days", type=int, default=56)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--dashboard-calls", type=int, default=40)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--dir", help="build the database here and keep it (default: a temporary "
                                      "directory, removed afterwards)")
    args = parser.parse_args(argv)
    # "Now" is the evening after the cohort's last simulated day.
    now = day_start(START + dt.timedelta(days=args.cohort_days), TIMEZONE) + dt.timedelta(hours=15)
    with tempfile.TemporaryDirectory(prefix="lessons-bench-") as tmp:
        folder = Path(args.dir) if args.dir else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        app = make_bench_app(folder)
        path = folder / "lessons.sqlite"
        with app.app_context():
            get_db().engine.dispose()
        info = build(path, args, now)
        results = measure(app, path, args, now)
        with app.app_context():
            get_db().engine.dispose()
        print(report(info, results, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
