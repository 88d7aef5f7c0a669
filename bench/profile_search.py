"""cProfile over one query kind (or over the index build) of the search benchmark.

Where it sits: a developer tool next to ``search_bench.py``; same generator, same seed, so
the queries are the ones the benchmark timed.

    .venv/bin/python bench/profile_search.py fuzzy --entries 10000
    .venv/bin/python bench/profile_search.py exact prefix multi --entries 100000 --index-dir /tmp/bench-ix
    .venv/bin/python bench/profile_search.py build --entries 5000

``--index-dir`` keeps the built index and reuses it on the next run with the same
``--entries``/``--seed`` (a 100k build takes minutes). Prints the top functions by
cumulative time, then the same functions per query: calls per query and cost per call.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import shutil
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from lexicon_gen import KINDS, LANGS, Vocabulary, generate_lexicon, generate_queries  # noqa: E402
from search_bench import CODE, LIMIT, WARMUP, build_ours, load_project_rules  # noqa: E402
from search_index import SearchIndex, search  # noqa: E402

META = "bench-meta.json"


def index_for(entries: list[dict], rules: dict, args, profile_build: bool):
    """(SearchIndex, temp dir to delete or None); reuses ``--index-dir`` when it matches."""
    meta = {"entries": args.entries, "seed": args.seed}
    if args.index_dir and not profile_build:
        d = Path(args.index_dir)
        with suppress(OSError, ValueError):  # no or unreadable metadata: build anew
            if json.loads((d / META).read_text()) == meta and SearchIndex(d / "index").exists():
                print(f"reusing index in {d}", file=sys.stderr)
                return SearchIndex(d / "index"), None
    d = Path(args.index_dir) if args.index_dir else Path(tempfile.mkdtemp(prefix="search-prof-"))
    if args.index_dir:
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    profiler = cProfile.Profile() if profile_build else None
    if profiler:
        profiler.enable()
    ix, stats = build_ours(entries, rules, d / "index")
    if profiler:
        profiler.disable()
        print(f"build (under the profiler): {stats.seconds:.1f} s, parts "
              + ", ".join(f"{k} {v:.1f} s" for k, v in stats.parts.items()))
        show(profiler, args.top, args.sort, per=len(entries), unit="entry")
    else:
        print(f"built in {stats.seconds:.1f} s", file=sys.stderr)
    if args.index_dir:
        (d / META).write_text(json.dumps(meta))
        return ix, None
    return ix, d


def show(profiler: cProfile.Profile, top: int, sort: str, per: int, unit: str) -> None:
    st = pstats.Stats(profiler)
    st.sort_stats(sort).print_stats(top)
    # Same ranking, but per query (or per entry): how often each function runs and what one call costs.
    rows = sorted(st.stats.items(), key=lambda kv: -kv[1][3 if sort == "cumulative" else 2])[:top]
    print(f"{'calls/' + unit:>12}{'µs/call cum':>13}{'µs/call own':>13}{'ms/' + unit + ' cum':>12}  function")
    for (file, line, name), (_cc, nc, tt, ct, _callers) in rows:
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if line else file
        print(f"{nc / per:12.1f}{1e6 * ct / nc:13.1f}{1e6 * tt / nc:13.1f}{1e3 * ct / per:12.3f}"
              f"  {name} ({where})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("kinds", nargs="+", choices=(*KINDS, "build"), metavar="KIND",
                   help=f"one or more of {', '.join(KINDS)}, build")
    p.add_argument("--entries", type=int, default=10_000)
    p.add_argument("--queries", type=int, default=2_000, help="queries per kind")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--index-dir", help="keep (and reuse) the index here")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime"))
    args = p.parse_args(argv)

    rules = load_project_rules()
    entries = generate_lexicon(args.entries, args.seed)
    ix, tmp = index_for(entries, rules, args, profile_build="build" in args.kinds)
    try:
        kinds = [k for k in args.kinds if k != "build"]
        if not kinds:
            return 0
        all_queries = generate_queries(entries, rules, args.queries, args.seed, Vocabulary(entries, rules))
        view = ix.view()
        langs = list(LANGS)
        extra = {"vocabularies": ix.vocabularies}
        t0 = time.perf_counter()
        if extra:
            ix.vocabularies()  # the per-process fuzzy maps, as SearchIndex.search uses them
        startup = time.perf_counter() - t0
        print(f"search code: commit {CODE['commit']}{' (dirty)' if CODE['search_index_dirty'] else ''}, "
              f"sha256 {CODE['search_index_sha256']}; fuzzy maps built in {startup:.2f} s")
        for kind in kinds:
            queries = all_queries[kind]
            for q in queries[:WARMUP]:
                search(view, q.text, langs, rules, limit=LIMIT, **extra)
            gc.collect()
            gc.freeze()
            times = []
            for q in queries:
                t = time.perf_counter()
                search(view, q.text, langs, rules, limit=LIMIT, **extra)
                times.append(time.perf_counter() - t)
            profiler = cProfile.Profile()
            profiler.enable()
            for q in queries:
                search(view, q.text, langs, rules, limit=LIMIT, **extra)
            profiler.disable()
            gc.unfreeze()
            slow = sorted(zip(times, (q.text for q in queries)), reverse=True)[:5]
            times.sort()
            print(f"\n=== {kind}: {len(queries)} queries on {args.entries:,} entries; without the profiler: "
                  f"mean {1e3 * sum(times) / len(times):.3f} ms, median {1e3 * times[len(times) // 2]:.3f} ms, "
                  f"p99 {1e3 * times[max(0, int(0.99 * len(times)) - 1)]:.3f} ms")
            print("slowest: " + "   ".join(f"{1e3 * t:.2f} ms {text!r}" for t, text in slow))
            show(profiler, args.top, args.sort, per=len(queries), unit="query")
        ix.close()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
