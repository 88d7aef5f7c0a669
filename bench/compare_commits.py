"""Time the search code of two commits against each other, interleaved in one process.

Where it sits: a developer tool next to ``search_bench.py``. Medians of separate benchmark
runs differ by 15–25 % on the reference machine even for the same code (string hashing and
memory layout differ per process), which hides the effect of most changes. This loads the
``search_index`` package of each commit side by side (``git archive`` into a temporary
directory, imported under two names), opens the same kept index with each, and alternates
them query by query, so both see the same process and the same moment.

    .venv/bin/python bench/search_bench.py --entries 100000 --keep-index /tmp/ix100k
    .venv/bin/python bench/compare_commits.py HEAD~1 HEAD --index-dir /tmp/ix100k
    .venv/bin/python bench/compare_commits.py main WORKTREE exact loose --index-dir /tmp/ix100k

``WORKTREE`` stands for the files on disk (uncommitted changes included). Both commits must
read the kept index's format (``search_index.store.FORMAT``); the tool refuses otherwise.
It also checks that both return the same hits, and says how many queries differ.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import io
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from lexicon_gen import KINDS, LANGS, Vocabulary, generate_lexicon, generate_queries  # noqa: E402
from search_bench import LIMIT, load_project_rules  # noqa: E402

WORKTREE = "WORKTREE"


def extract(rev: str, into: Path, name: str) -> None:
    """The ``search_index`` package of ``rev`` as the package ``name`` under ``into``."""
    target = into / name
    if rev == WORKTREE:
        shutil.copytree(ROOT / "search_index", target, ignore=shutil.ignore_patterns("__pycache__"))
        return
    try:
        tar = subprocess.run(["git", "archive", rev, "search_index"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"cannot read commit {rev!r}: {exc.stderr.decode().strip()}") from None
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    (into / "search_index").rename(target)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("old", help="a commit (or WORKTREE)")
    p.add_argument("new", help="a commit (or WORKTREE)")
    # No ``choices`` here: argparse rejects the empty default of an optional positional
    # list against them (bpo-9625); the kinds are checked below.
    p.add_argument("kinds", nargs="*", metavar="KIND",
                   help=f"query kinds (default: all of {', '.join(KINDS)})")
    p.add_argument("--index-dir", required=True,
                   help="an index kept by search_bench.py --keep-index or profile_search.py --index-dir")
    p.add_argument("--queries", type=int, default=2_000, help="queries per kind")
    p.add_argument("--rounds", type=int, default=3, help="passes over the queries (order alternates)")
    args = p.parse_args(argv)
    unknown = [k for k in args.kinds if k not in KINDS]
    if unknown:
        p.error(f"unknown query kind {unknown[0]!r} (choose from {', '.join(KINDS)})")

    meta_file = Path(args.index_dir) / "bench-meta.json"
    if not meta_file.is_file():
        raise SystemExit(f"{args.index_dir} holds no kept benchmark index (no bench-meta.json)")
    meta = json.loads(meta_file.read_text())
    rules = load_project_rules()
    entries = generate_lexicon(meta["entries"], meta["seed"])
    queries = generate_queries(entries, rules, args.queries, meta["seed"], Vocabulary(entries, rules))

    tmp = Path(tempfile.mkdtemp(prefix="compare-commits-"))
    try:
        sys.path.insert(0, str(tmp))
        engines = {}
        for label, rev in (("old", args.old), ("new", args.new)):
            name = f"search_index_{label}"
            extract(rev, tmp, name)
            pkg = importlib.import_module(name)
            store = importlib.import_module(f"{name}.store")
            ix = pkg.SearchIndex(Path(args.index_dir) / "index")
            if not ix.is_current():
                raise SystemExit(f"{rev}: the index in {args.index_dir} is missing or in another "
                                 f"format than this commit's (format {store.FORMAT})")
            t = time.perf_counter()
            ix.warm_up()
            engines[label] = (rev, pkg.search, ix.view(), ix.vocabularies, time.perf_counter() - t)
        print(f"{meta['entries']:,} entries, {args.queries:,} queries per kind, {args.rounds} rounds; "
              + "; ".join(f"{label} = {rev} (warm-up {s:.1f} s)" for label, (rev, *_, s) in engines.items()))
        print(f"{'kind':<9}{'old med':>9}{'new med':>9}{'change':>8}{'old mean':>10}{'new mean':>10}"
              f"   same hits")
        langs = list(LANGS)
        clock = time.perf_counter_ns
        gc.collect()
        gc.freeze()
        for kind in args.kinds or KINDS:
            times: dict[str, list[int]] = {"old": [], "new": []}
            differ = 0
            order = list(engines.items())
            for rnd in range(args.rounds):
                for q in queries[kind]:
                    ids = []
                    for label, (_, search, view, vocab, _) in (order if rnd % 2 == 0 else order[::-1]):
                        t = clock()
                        res = search(view, q.text, langs, rules, limit=LIMIT, vocabularies=vocab)
                        times[label].append(clock() - t)
                        ids.append([h.id for h in res.hits])
                    differ += ids[0] != ids[1]
            med = {k: statistics.median(v) / 1e3 for k, v in times.items()}
            mean = {k: statistics.fmean(v) / 1e3 for k, v in times.items()}
            n = args.rounds * len(queries[kind])
            print(f"{kind:<9}{med['old']:9.1f}{med['new']:9.1f}{100 * (med['new'] / med['old'] - 1):+7.1f}%"
                  f"{mean['old']:10.1f}{mean['new']:10.1f}   "
                  + ("yes" if not differ else f"NO: {differ} of {n} differ"))
        print("times in µs per query")
        gc.unfreeze()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
