"""The search benchmark runs end to end on a small synthetic lexicon (speed is measured by
``make bench``, never asserted here): its engines answer, its stage pass reproduces the hits
of the timed run, and the report shows every table."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import compare_commits  # noqa: E402
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


def test_two_versions_of_the_search_code_are_timed_side_by_side(tmp_path, capsys):
    kept = tmp_path / "kept"
    search_bench.run_benchmark(argparse.Namespace(entries=300, queries=10, seed=5, slowest=1,
                                                  keep_index=str(kept)))
    capsys.readouterr()
    assert compare_commits.main(["WORKTREE", "WORKTREE", "exact", "fuzzy", "--index-dir", str(kept),
                                 "--queries", "15", "--rounds", "2"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()}
    for kind in ("exact", "fuzzy"):
        old_med, new_med = float(rows[kind][1]), float(rows[kind][2])
        assert old_med > 0 and new_med > 0
        assert rows[kind][-1] == "yes"  # the same code gives the same hits

    # A commit's package is read from git, under the name it is imported by.
    compare_commits.extract("HEAD", tmp_path, "search_index_old")
    assert (tmp_path / "search_index_old" / "query.py").is_file()
    assert (tmp_path / "search_index_old" / "store.py").read_text().count("FORMAT") >= 1


def test_comparing_needs_a_kept_index(tmp_path):
    with pytest.raises(SystemExit, match="no kept benchmark index"):
        compare_commits.main(["HEAD", "WORKTREE", "--index-dir", str(tmp_path)])
