"""The HTTP benchmark runs end to end on the bundled lexicons (speed is measured by
``make bench-http``, never asserted here): both servers start and answer the same query
mix under wrk, and the report has every figure."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import http_bench  # noqa: E402


def test_the_http_benchmark_drives_both_servers(tmp_path):
    out = tmp_path / "figures.json"
    assert http_bench.main(["--sizes", "bundled", "--conns", "2", "--duration", "1",
                            "--rounds", "1", "--warmup", "1", "--cache-dir", str(tmp_path / "cache"),
                            "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    (result,) = figures["results"]
    assert result["entries"] == 403
    assert set(result["runs"]) == {"2|ours api", "2|datasette", "2|ours page"}
    for (run,) in result["runs"].values():
        assert run["requests"] > 0 and run["errors"] == 0
        assert 0 < run["p50"] <= run["p99"]
    assert result["start_ours"] > 0 and result["start_datasette"] > 0
    assert len(result["memory_ours"]) == 1 + result["workers"]  # gunicorn's parent + workers
    assert len(result["memory_datasette"]) == 1
    assert all(m["rss"] > 0 and m["pss"] > 0 for m in result["memory_ours"])
    lines = figures["report"].splitlines()
    assert any(line.split()[:4] == ["403", "2", "ours", "api"] for line in lines)
    assert any(line.split()[:2] == ["403", "datasette"] for line in lines)
