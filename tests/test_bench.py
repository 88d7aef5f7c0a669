"""The search benchmark runs end to end on a small synthetic lexicon (speed is measured by
``make bench``, never asserted here): its engines answer, its stage pass reproduces the hits
of the timed run, and the report shows every table."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import search_bench  # noqa: E402
from lexicon_gen import KINDS  # noqa: E402
from search_index.query import Search  # noqa: E402


def test_the_benchmark_times_each_stage_of_the_same_search(tmp_path):
    args = argparse.Namespace(entries=400, queries=40, seed=3, slowest=1,
                              keep_index=str(tmp_path / "kept"))
    fig = search_bench.run_benchmark(args)

    res = fig["results"]
    for kind in KINDS:
        stages = res["stages"][kind]
        # The stage pass ran the same code on the same queries: the same hits, in order.
        assert stages["same_hits"], kind
        assert all(stages[s] > 0 for s in Search.STAGES), stages
        assert res["ours"][kind]["n"] == res["fts5"][kind]["n"] == 40
        assert res["ours"][kind]["answered"] > 0.5, kind
    assert res["ours"]["exact"]["hit_at_20"] > 0.9

    text = search_bench.report(fig)
    assert "where ours spends its time" in text
    header = next(line for line in text.splitlines() if line.split()[:1] == ["kind"]
                  and "prepare" in line)
    assert header.split()[1:] == [*Search.STAGES, "fts5"]
    assert "WARNING" not in text
    # The kept index is reusable by the profiler.
    assert (tmp_path / "kept" / "bench-meta.json").is_file()
