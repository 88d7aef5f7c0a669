"""Where one query's wall time goes, per tier, without cProfile's overhead.

Where it sits: a developer tool next to ``profile_search.py``. It wraps (at run time, in this
process only) ``query._prepare``, the ``_Lookup`` tier methods and the reader's term
lookups with ``perf_counter`` timers and counters; nothing is changed on disk. cProfile
inflates this code ~2.5x because it is made of many tiny calls; these timers add ~1 µs
per wrapped call.

    .venv/bin/python bench/tier_breakdown.py --entries 100000 --index-dir /tmp/bench-ix

Prints, per query kind: mean ms per query in query preparation and in each tier, how often
each tier runs, term lookups per query (and how many found nothing), stored-field reads per
query, prefix-walk terms per query; then the cost of single operations on this index.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections import defaultdict
from contextlib import suppress
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from lexicon_gen import KINDS, LANGS, Vocabulary, generate_lexicon, generate_queries  # noqa: E402
from profile_search import index_for  # noqa: E402
from search_bench import CODE, LIMIT, WARMUP, load_project_rules  # noqa: E402
from search_index import normalize, query  # noqa: E402
from whoosh.reading import TermNotFound  # noqa: E402

clock = time.perf_counter


class Meter:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.depth = 0  # tiers do not nest, but suggestions call fuzzy_candidates-like code

    def timed(self, name: str, fn):
        def wrapper(*a, **kw):
            t = clock()
            try:
                return fn(*a, **kw)
            finally:
                self.seconds[name] += clock() - t
                self.calls[name] += 1
        return wrapper

    def count(self, name: str, n: int = 1) -> None:
        self.calls[name] += n


def instrument(meter: Meter, searcher, reader) -> None:
    L = query._Lookup
    query._prepare = meter.timed("prepare", query._prepare)
    orig_strict = L.strict_tier
    L.strict_tier = lambda self, tier, form: meter.timed(f"tier {tier}", orig_strict)(self, tier, form)
    L.prefix_tier = meter.timed("tier prefix", L.prefix_tier)
    L.fuzzy_tier = meter.timed("tier fuzzy", L.fuzzy_tier)
    L.suggestions = meter.timed("suggestions", L.suggestions)

    orig_postings = reader.postings
    orig_df = reader.doc_frequency
    orig_expand = reader.expand_prefix
    orig_stored = searcher.stored_fields  # the searcher copies the reader's bound method

    def postings(fieldname, text, *a, **kw):
        t = clock()
        try:
            return orig_postings(fieldname, text, *a, **kw)
        except TermNotFound:
            meter.count("term lookups: not found")
            raise
        finally:
            meter.seconds["term lookups"] += clock() - t
            meter.count("term lookups")

    def doc_frequency(fieldname, text):
        t = clock()
        try:
            return orig_df(fieldname, text)
        finally:
            meter.seconds["doc_frequency"] += clock() - t
            meter.count("doc_frequency")

    def expand_prefix(fieldname, prefix):
        for raw in orig_expand(fieldname, prefix):
            meter.count("prefix-walk terms")
            yield raw

    def stored_fields(docnum):
        t = clock()
        try:
            return orig_stored(docnum)
        finally:
            meter.seconds["stored_fields"] += clock() - t
            meter.count("stored_fields")

    reader.postings, reader.doc_frequency = postings, doc_frequency
    reader.expand_prefix, searcher.stored_fields = expand_prefix, stored_fields


def micro(searcher, reader, entries, rules) -> list[str]:
    """Cost of single operations (no wrappers in the way: uses the original bound methods)."""
    out = []

    def per_call(label: str, fn, n: int = 2000) -> None:
        t = clock()
        for i in range(n):
            fn(i)
        out.append(f"  {label:<58}{1e6 * (clock() - t) / n:8.1f} µs")

    r = rules["hre"]
    sample = entries[:2000]
    hw = [(e["lang"], normalize.loose_key(e["headword"], rules[e["lang"]])) for e in sample]

    def missing(i):
        with suppress(TermNotFound):  # the cost of finding out is what is timed
            reader.__class__.postings(reader, "hw_x", f"hre:=zzzq{i}")

    per_call("postings() of a term that does not exist", missing)
    per_call("postings() of an existing whole headword (inline)",
             lambda i: reader.__class__.postings(reader, "hw_l", "%s:=%s" % hw[i % len(hw)]))
    per_call("postings() of the common word 'hre:cai' + first id",
             lambda i: reader.__class__.postings(reader, "vi_l", "hre:cai").id())
    per_call("doc_frequency() of an existing term",
             lambda i: reader.__class__.doc_frequency(reader, "hw_l", "%s:=%s" % hw[i % len(hw)]))
    per_call("stored_fields(docnum)", lambda i: reader.__class__.stored_fields(reader, i * 7 % len(sample)))
    per_call("expand_prefix('vi_l', 'hre:ng'), first 20 terms",
             lambda i: list(zip(range(20), reader.__class__.expand_prefix(reader, "vi_l", "hre:ng"))), 500)
    per_call("normalize.clean('người ta')", lambda i: normalize.clean("người ta"))
    per_call("normalize.keys('người', rules)", lambda i: normalize.keys("người", r))
    per_call("typing_candidates('nguoi ta')", lambda i: query.typing_candidates("nguoi ta"))
    per_call("query._prepare('con chó', both languages) [cached words]",
             lambda i: query._prepare("con chó", list(LANGS), rules))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("kinds", nargs="*", default=list(KINDS), metavar="KIND")
    p.add_argument("--entries", type=int, default=10_000)
    p.add_argument("--queries", type=int, default=2_000, help="queries per kind")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--index-dir", help="keep (and reuse) the index here (as profile_search.py)")
    args = p.parse_args(argv)

    rules = load_project_rules()
    entries = generate_lexicon(args.entries, args.seed)
    ix, tmp = index_for(entries, rules, args, profile_build=False)
    queries = generate_queries(entries, rules, args.queries, args.seed, Vocabulary(entries, rules))
    searcher = ix.searcher()
    reader = searcher.reader()
    extra = {"vocabularies": ix.vocabularies}
    if extra:
        ix.vocabularies()
    langs = list(LANGS)
    print(f"search code: commit {CODE['commit']}{' (dirty)' if CODE['search_index_dirty'] else ''}, "
          f"sha256 {CODE['search_index_sha256']}; {args.entries:,} entries, {args.queries} queries/kind\n")
    micro_lines = micro(searcher, reader, entries, rules)
    meter = Meter()
    instrument(meter, searcher, reader)
    for q in [q for k in KINDS for q in queries[k][:WARMUP // len(KINDS)]]:
        query.search(searcher, q.text, langs, rules, LIMIT, **extra)
    gc.collect()
    gc.freeze()
    parts = ("prepare", "tier exact", "tier tone", "tier loose", "tier prefix", "tier fuzzy", "suggestions")
    head = f"{'kind':<9}{'total':>7}" + "".join(f"{p.replace('tier ', ''):>9}" for p in parts)
    print("mean ms per query (share of queries in which the step ran)")
    print(head + f"{'lookups':>9}{'missed':>8}{'stored':>8}{'walked':>8}")
    for kind in args.kinds:
        meter.seconds.clear()
        meter.calls.clear()
        wall = []
        for q in queries[kind]:
            t = clock()
            query.search(searcher, q.text, langs, rules, LIMIT, **extra)
            wall.append(clock() - t)
        n = len(queries[kind])
        cells = []
        for part in parts:
            ms = 1e3 * meter.seconds.get(part, 0.0) / n
            calls = meter.calls.get(part, 0)
            # A strict tier runs once per form (typed + Telex/VNI readings): cap the share at 100 %.
            cells.append(f"{ms:5.2f}/{min(100, round(100 * calls / n)):>2}" if calls else f"{'-':>8}")
        print(f"{kind:<9}{1e3 * statistics.fmean(wall):7.2f}" + "".join(f"{c:>9}" for c in cells)
              + f"{meter.calls['term lookups'] / n:9.1f}{meter.calls['term lookups: not found'] / n:8.1f}"
              f"{meter.calls['stored_fields'] / n:8.1f}{meter.calls['prefix-walk terms'] / n:8.1f}")
        print(f"{'':<16}term lookups {1e3 * meter.seconds['term lookups'] / n:.2f} ms/query, "
              f"doc_frequency {meter.calls['doc_frequency'] / n:.1f} calls "
              f"{1e3 * meter.seconds['doc_frequency'] / n:.2f} ms, stored_fields "
              f"{1e3 * meter.seconds['stored_fields'] / n:.2f} ms")
    gc.unfreeze()
    print("\n(cells: mean ms per query / % of queries in which the step ran; lookups = postings() "
          "calls per query, missed = of which the term did not exist; stored = stored_fields reads; "
          "walked = terms read by prefix walks)")
    print("\ncost of single operations on this index")
    print("\n".join(micro_lines))
    searcher.close()
    if tmp is not None:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
