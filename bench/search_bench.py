"""Search benchmark: our tiered Whoosh search vs SQLite FTS5 vs a plain dict, same data.

Where it sits: a developer tool (``make bench``); it imports ``search_index`` like the
application does and touches nothing outside a temporary directory (or ``--index-dir``).

    .venv/bin/python bench/search_bench.py                      # 100,000 entries, 2,000 queries/kind
    .venv/bin/python bench/search_bench.py --entries 2000 --queries 200   # smoke test, seconds
    .venv/bin/python bench/search_bench.py --json out.json

Goal (issue): at 100k entries our median at or below FTS5's for every kind, p99 <= 5 ms,
build <= 30 s. See bench/README.md for what each engine and query kind does.
"""
from __future__ import annotations

import argparse
import bisect
import gc
import hashlib
import json
import math
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from lexicon_gen import KINDS, LANGS, Query, Vocabulary, generate_lexicon, generate_queries  # noqa: E402
from search_index import SearchIndex, make_documents, normalize, search, snapshot  # noqa: E402
from search_index.collation import sort_key  # noqa: E402
from search_index.orthography import load_rules  # noqa: E402
from search_index.query import Search  # noqa: E402

# search() grew a ``vocabularies`` argument (the process-wide fuzzy maps that
# ``SearchIndex.search`` passes); without it each fuzzy query would rebuild the maps.

LIMIT = 20
WARMUP = 100
GOAL_P99_MS = 5.0
GOAL_BUILD_S = 30.0
NO_FUZZY = {"fts5", "dict"}  # engines without fuzzy matching: their fuzzy row is a plain lookup


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def code_version() -> dict:
    """Which search code this run measured: the search core changes under active work, so
    the commit alone is not enough; the hash is of the search_index sources as imported."""
    pkg = ROOT / "search_index"
    h = hashlib.sha256()
    for f in sorted(pkg.glob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())

    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except OSError:
            return "?"
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "search_index_dirty": bool(git("status", "--porcelain", "--", "search_index")),
            "search_index_sha256": h.hexdigest()[:12]}


CODE = code_version()  # at import time: what this process actually runs


def rss_bytes() -> int:
    """Resident memory of this process (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def load_project_rules() -> dict:
    return load_rules(ROOT / "data" / "orthography")


# ---- our search ---------------------------------------------------------------------------------
@dataclass
class BuildStats:
    seconds: float
    size_bytes: int
    parts: dict[str, float] = field(default_factory=dict)


def build_ours(entries: list[dict], rules: dict, path: Path) -> tuple[SearchIndex, BuildStats]:
    """Sort in ICU display order, make the documents and write one Whoosh generation, as
    the app's rebuild does (``make_documents``: in a worker process from 10,000 entries on,
    overlapped with the writing)."""
    t0 = time.perf_counter()
    order = sorted(range(len(entries)),
                   key=lambda i: (sort_key(entries[i]["headword"], rules[entries[i]["lang"]]),
                                  entries[i]["id"]))
    t_sort = time.perf_counter() - t0
    ix = SearchIndex(path)
    with ix.write_lock(60):
        ix.build(make_documents([entries[i] for i in order], rules))
    total = time.perf_counter() - t0
    return ix, BuildStats(total, ix.size_bytes(), {
        "icu_sort": t_sort, "documents_and_write": total - t_sort})


# ---- SQLite FTS5 --------------------------------------------------------------------------------
def build_fts5(entries: list[dict], path: Path) -> tuple[sqlite3.Connection, BuildStats]:
    t0 = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute('CREATE VIRTUAL TABLE lex USING fts5(headword, glosses, '
                'tokenize="unicode61 remove_diacritics 2")')
    with con:
        con.executemany("INSERT INTO lex(rowid, headword, glosses) VALUES (?, ?, ?)",
                        ((i + 1, "\n".join([e["headword"], *e["variants"]]), "\n".join(e["glosses"]))
                         for i, e in enumerate(entries)))
    with con:
        con.execute("INSERT INTO lex(lex) VALUES ('optimize')")
    seconds = time.perf_counter() - t0
    return con, BuildStats(seconds, os.path.getsize(path))


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def fts5_match(q: Query) -> str:
    """The natural FTS5 query for a kind (query text is always quoted: no operators)."""
    tokens = q.text.split()
    if q.kind == "prefix":
        return " ".join([_quoted(t) for t in tokens[:-1]] + [_quoted(tokens[-1]) + "*"])
    if q.kind == "multi":
        return " ".join(_quoted(t) for t in tokens)  # all words, like ours (not adjacency)
    return _quoted(q.text)  # exact/toneless/loose: phrase; fuzzy: plain term (no fuzzy in FTS5)


# ---- plain dict on the loose key ---------------------------------------------------------------
class DictIndex:
    def __init__(self, entries: list[dict], rules: dict) -> None:
        t0 = time.perf_counter()
        self.rules = rules["hre"]  # hre and cua share their search equivalences
        d: dict[str, list[int]] = {}
        for i, e in enumerate(entries):
            r = rules[e["lang"]]
            for text in (e["headword"], *e["variants"], *e["glosses"]):
                ids = d.setdefault(normalize.loose_key(text, r), [])
                if not ids or ids[-1] != i:
                    ids.append(i)
        self.map = d
        self.keys = sorted(d)
        self.stats = BuildStats(time.perf_counter() - t0, 0)

    def lookup(self, text: str) -> list[int]:
        return self.map.get(normalize.loose_key(text, self.rules), [])[:LIMIT]

    def prefix(self, text: str) -> list[int]:
        key = normalize.loose_key(text, self.rules)
        out: list[int] = []
        j = bisect.bisect_left(self.keys, key)
        while j < len(self.keys) and len(out) < LIMIT and self.keys[j].startswith(key):
            out.extend(self.map[self.keys[j]][: LIMIT - len(out)])
            j += 1
        return out


# ---- running ------------------------------------------------------------------------------------
@dataclass
class Run:
    times_ns: list[int] = field(default_factory=list)
    hits: list[list[int]] = field(default_factory=list)  # entry indexes, in result order
    tiers: list[list[str]] = field(default_factory=list)  # ours only


def run_ours(view, rules, queries: list[Query], id_to_index: dict[str, int],
             vocabularies=None) -> Run:
    run = Run()
    langs = list(LANGS)
    clock = time.perf_counter_ns
    for q in queries:
        t = clock()
        res = search(view, q.text, langs, rules, limit=LIMIT, vocabularies=vocabularies)
        run.times_ns.append(clock() - t)
        run.hits.append([id_to_index[h.id] for h in res.hits])
        run.tiers.append([h.tier for h in res.hits])
    return run


def run_stages(view, queries: list[Query], rules, id_to_index: dict[str, int],
               vocabularies=None) -> tuple[dict[str, list[int]], list[list[int]]]:
    """Our search again, each stage of ``Search.STAGES`` timed on its own: (ns per stage per
    query, hits per query). The hits must equal those of ``run_ours``: the same code ran."""
    times: dict[str, list[int]] = {stage: [] for stage in Search.STAGES}
    hits = []
    langs = list(LANGS)
    clock = time.perf_counter_ns
    for q in queries:
        run = Search(view, q.text, langs, rules, LIMIT, vocabularies)
        for stage in Search.STAGES:
            t = clock()
            getattr(run, stage)()
            times[stage].append(clock() - t)
        hits.append([id_to_index[h.id] for h in run.results.hits])
    return times, hits


def run_fts5(con: sqlite3.Connection, queries: list[Query]) -> Run:
    run = Run()
    sql = "SELECT rowid FROM lex WHERE lex MATCH ? LIMIT %d" % LIMIT
    clock = time.perf_counter_ns
    for q in queries:
        t = clock()
        rows = con.execute(sql, (fts5_match(q),)).fetchall()
        run.times_ns.append(clock() - t)
        run.hits.append([r[0] - 1 for r in rows])
    return run


def run_dict(dix: DictIndex, queries: list[Query]) -> Run:
    run = Run()
    clock = time.perf_counter_ns
    for q in queries:
        t = clock()
        ids = dix.prefix(q.text) if q.kind == "prefix" else dix.lookup(q.text)
        run.times_ns.append(clock() - t)
        run.hits.append(ids)
    return run


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)]


def summarize(run: Run, queries: list[Query], vocab: Vocabulary | None) -> dict:
    ms = sorted(t / 1e6 for t in run.times_ns)
    hit = [q.expected in h for q, h in zip(queries, run.hits)]
    out = {
        "n": len(ms), "median_ms": statistics.median(ms), "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99), "max_ms": ms[-1], "mean_ms": statistics.fmean(ms),
        "hit_at_20": sum(hit) / len(hit), "answered": sum(bool(h) for h in run.hits) / len(hit),
    }
    if vocab is not None and queries[0].words:
        # Queries whose words are shared by <= 20 entries: every entry that can rank ahead of
        # the expected one contains those words, so a miss here is a real miss.
        must = [ok for q, ok in zip(queries, hit) if vocab.sharing(q.words) <= LIMIT]
        out["must_hit_n"] = len(must)
        out["must_hit"] = sum(must) / len(must) if must else None
    if run.tiers:
        out["top_tier"] = dict(Counter(t[0] if t else "none" for t in run.tiers))
    return out


def warm_up(queries: dict[str, list[Query]]) -> list[Query]:
    per = max(1, WARMUP // len(KINDS))
    return [q for k in KINDS for q in queries[k][-per:]][:WARMUP]


def run_benchmark(args) -> dict:
    rules = load_project_rules()
    t0 = time.perf_counter()
    entries = generate_lexicon(args.entries, args.seed)
    vocab = Vocabulary(entries, rules)
    queries = generate_queries(entries, rules, args.queries, args.seed, vocab)
    gen_s = time.perf_counter() - t0
    id_to_index = {e["id"]: i for i, e in enumerate(entries)}
    print(f"generated {len(entries):,} entries and {args.queries:,} queries/kind in {gen_s:.1f} s",
          file=sys.stderr, flush=True)

    tmp = Path(args.keep_index) if args.keep_index else Path(tempfile.mkdtemp(prefix="search-bench-"))
    if args.keep_index:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    try:
        gc.collect()
        ix, ours_build = build_ours(entries, rules, tmp / "index")
        print(f"ours built in {ours_build.seconds:.1f} s", file=sys.stderr, flush=True)
        con, fts_build = build_fts5(entries, tmp / "fts5.sqlite")
        dix = DictIndex(entries, rules)
        # The lookup tables and fuzzy maps are built once per process (and index
        # generation), as the app does through SearchIndex.search; their start-up cost is
        # reported, not counted per query.
        gc.collect()
        rss, t = rss_bytes(), time.perf_counter()
        view = ix.view()  # ONE view (searcher and tables), reused for every query
        ix.warm_up()  # as the server does at start: also the sorted keys and the fuzzy maps
        ours_build.parts["tables_at_startup"] = time.perf_counter() - t
        vocab_fn = ix.vocabularies  # the app's shared fuzzy maps (SearchIndex.search does the same)
        ours_build.parts["memory_at_startup"] = rss_bytes() - rss
        # The build saved the tables and maps beside the index (search_index/snapshot.py),
        # so the start above loaded them; what building them from the index costs (every
        # process before issue 15), without those files:
        saved_min, snapshot.SAVE_MIN_DOCS = snapshot.SAVE_MIN_DOCS, math.inf
        other, t = SearchIndex(tmp / "index"), time.perf_counter()
        other.warm_up()
        ours_build.parts["tables_built"] = time.perf_counter() - t
        snapshot.SAVE_MIN_DOCS = saved_min
        other.close()
        del other
        gc.collect()
        # The generator's data (entries, vocabulary, queries) would not live in a web worker:
        # keep the cyclic GC from rescanning it during timing.
        gc.collect()
        gc.freeze()
        warm = warm_up(queries)
        run_ours(view, rules, warm, id_to_index, vocab_fn)
        run_fts5(con, warm)
        run_dict(dix, warm)
        results: dict[str, dict] = {"ours": {}, "fts5": {}, "dict": {}, "stages": {}}
        slowest: dict[str, list[tuple[float, str]]] = {}
        for kind in KINDS:
            qs = queries[kind]
            r = run_ours(view, rules, qs, id_to_index, vocab_fn)
            results["ours"][kind] = summarize(r, qs, vocab)
            slowest[kind] = sorted(((t / 1e6, q.text) for t, q in zip(r.times_ns, qs)),
                                   reverse=True)[: args.slowest]
            results["fts5"][kind] = summarize(run_fts5(con, qs), qs, vocab)
            results["dict"][kind] = summarize(run_dict(dix, qs), qs, vocab)
            times, hits = run_stages(view, qs, rules, id_to_index, vocab_fn)
            results["stages"][kind] = {stage: statistics.median(ns) / 1e3 for stage, ns in times.items()}
            results["stages"][kind]["same_hits"] = hits == r.hits
            print(f"  {kind}: ours median {results['ours'][kind]['median_ms']:.3f} ms",
                  file=sys.stderr, flush=True)
        gc.unfreeze()
        ix.close()
        con.close()
    finally:
        if args.keep_index:
            (tmp / "bench-meta.json").write_text(json.dumps({"entries": args.entries, "seed": args.seed}))
            (tmp / "fts5.sqlite").unlink(missing_ok=True)
            print(f"index kept in {tmp} (reuse: profile_search.py --index-dir {tmp})", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    now = code_version()
    return {
        "code": CODE, "code_changed_during_run": now["search_index_sha256"] != CODE["search_index_sha256"],
        "entries": len(entries), "queries_per_kind": args.queries, "seed": args.seed,
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "whoosh": _version("whoosh3"), "cpus": os.cpu_count(),
        "platform": platform.platform(), "generate_s": gen_s,
        "build": {"ours": vars(ours_build), "fts5": vars(fts_build), "dict": vars(dix.stats)},
        "results": results, "slowest_ours": slowest,
    }


# ---- report -------------------------------------------------------------------------------------
def _cell(value: float, engine: str, kind: str) -> str:
    mark = "†" if kind == "fuzzy" and engine in NO_FUZZY else " "
    return f"{value:9.3f}{mark}"


def _rate(s: dict, key: str = "hit_at_20") -> str:
    v = s.get(key)
    return "      -" if v is None else f"{100 * v:6.1f}%"


def report(fig: dict) -> str:
    b, res = fig["build"], fig["results"]
    mb = 1024 * 1024
    lines = [
        f"entries {fig['entries']:,}   queries/kind {fig['queries_per_kind']:,}   seed {fig['seed']}   "
        f"Python {fig['python']}   SQLite {fig['sqlite']}   Whoosh {fig['whoosh']}   cpus {fig['cpus']}",
        f"search code: commit {fig['code']['commit']}"
        f"{' + uncommitted search_index changes' if fig['code']['search_index_dirty'] else ''}, "
        f"search_index sha256 {fig['code']['search_index_sha256']}"
        f"{'   WARNING: search_index changed on disk during the run' if fig['code_changed_during_run'] else ''}",
        "",
        f"build   ours  {b['ours']['seconds']:7.1f} s  (ICU sort {b['ours']['parts']['icu_sort']:.1f} s, "
        f"documents and Whoosh write {b['ours']['parts']['documents_and_write']:.1f} s)"
        f"   index {b['ours']['size_bytes'] / mb:.1f} MB"
        f"   [goal <= {GOAL_BUILD_S:.0f} s: {'ok' if b['ours']['seconds'] <= GOAL_BUILD_S else 'MISSED'}]",
        f"        ours  at process start (SearchIndex.warm_up: lookup tables and fuzzy maps loaded "
        f"from the files the build saved) {b['ours']['parts'].get('tables_at_startup', 0):.1f} s, "
        f"+{b['ours']['parts'].get('memory_at_startup', 0) / mb:.0f} MB resident",
        f"        ours  the same built from the index without those files (each process before "
        f"issue 15) {b['ours']['parts'].get('tables_built', 0):.1f} s",
        f"        fts5  {b['fts5']['seconds']:7.1f} s   database {b['fts5']['size_bytes'] / mb:.1f} MB",
        f"        dict  {b['dict']['seconds']:7.1f} s",
        "",
        "time per query (ms)",
        f"{'kind':<9}{'ours med':>10}{'ours p99':>11}{'fts5 med':>11}{'fts5 p99':>11}"
        f"{'dict med':>11}{'dict p99':>11}   goal (med <= fts5, p99 <= 5 ms)",
    ]
    for kind in KINDS:
        o, f, d = res["ours"][kind], res["fts5"][kind], res["dict"][kind]
        ok = o["median_ms"] <= f["median_ms"] and o["p99_ms"] <= GOAL_P99_MS
        why = [] if ok else (["median > fts5"] if o["median_ms"] > f["median_ms"] else []) + (
            ["p99 > 5 ms"] if o["p99_ms"] > GOAL_P99_MS else [])
        lines.append(
            f"{kind:<9}{_cell(o['median_ms'], 'ours', kind)}{_cell(o['p99_ms'], 'ours', kind)}"
            f"{_cell(f['median_ms'], 'fts5', kind)}{_cell(f['p99_ms'], 'fts5', kind)}"
            f"{_cell(d['median_ms'], 'dict', kind)}{_cell(d['p99_ms'], 'dict', kind)}"
            f"   {'ok' if ok else 'MISSED: ' + ', '.join(why)}")
    lines += [
        "† FTS5 and the dict have no fuzzy matching: the fuzzy row times a plain lookup of the typo.",
        "",
        "correctness: hit@20 = expected entry in the top 20; must-hit = hit@20 on queries whose",
        "words <= 20 entries share (nothing else can outrank the expected one); answered = >= 1 hit",
        f"{'kind':<9}{'ours hit':>9}{'must-hit':>9}{'(n)':>7}{'answered':>9}{'fts5 hit':>10}"
        f"{'dict hit':>10}   ours: tier of the top hit",
    ]
    for kind in KINDS:
        o, f, d = res["ours"][kind], res["fts5"][kind], res["dict"][kind]
        n = o.get("must_hit_n")
        fts_hit = " n/a(no fuzzy)" if kind == "fuzzy" else f"{_rate(f):>10}"
        dict_hit = "  n/a" if kind == "fuzzy" else f"{_rate(d):>10}"
        tiers = ", ".join(f"{t} {100 * c / o['n']:.0f}%" for t, c in
                          sorted(o["top_tier"].items(), key=lambda kv: -kv[1]))
        lines.append(f"{kind:<9}{_rate(o):>9}{_rate(o, 'must_hit'):>9}"
                     f"{'' if n is None else n:>7}{_rate(o, 'answered'):>9}{fts_hit}{dict_hit}   {tiers}")
    lines += [
        "",
        "where ours spends its time: median µs of each stage (Search.STAGES), timed apart in a",
        "second pass over the same queries; fts5 = FTS5's median for the whole query",
        f"{'kind':<9}" + "".join(f"{stage:>9}" for stage in Search.STAGES) + f"{'fts5':>9}",
    ]
    for kind in KINDS:
        st = res["stages"][kind]
        lines.append(f"{kind:<9}" + "".join(f"{st[stage]:9.1f}" for stage in Search.STAGES)
                     + f"{1e3 * res['fts5'][kind]['median_ms']:9.1f}"
                     + ("" if st["same_hits"] else "   WARNING: hits differ from the timed run"))
    lines += ["", "slowest queries (ours)"]
    for kind, rows in fig["slowest_ours"].items():
        lines.append(f"  {kind:<9}" + "   ".join(f"{ms:.2f} ms {text!r}" for ms, text in rows))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--entries", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=2_000, help="queries per kind")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.add_argument("--slowest", type=int, default=3, help="slowest queries of ours to list per kind")
    p.add_argument("--keep-index", metavar="DIR",
                   help="build the index in DIR (emptied first) and keep it for profile_search.py")
    args = p.parse_args(argv)
    fig = run_benchmark(args)
    print(report(fig))
    if args.json:
        args.json.write_text(json.dumps(fig, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
