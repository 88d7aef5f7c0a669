"""The import benchmark (issue 14 §6) runs end to end on small inputs (speed is measured by
``bench/import_bench.py`` at 100,000 entries, never asserted here): every input has its row
(dry run, import, floors) and its phases, every run imported what its file holds. And the
command line shows its progress bars when a person watches (standard error is a terminal)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

from realdata import REALDATA

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import import_bench  # noqa: E402


def test_the_import_bench_runs_every_input_in_quick_mode(capsys):
    args = argparse.Namespace(quick=True, entries=100_000, inputs=",".join(import_bench.INPUTS),
                              profile=False, memory=False, profile_input="synthetic",
                              profile_out=None, json=None)
    rows = import_bench.run(args)
    out = capsys.readouterr().out

    expected = ["synthetic"] + [name for name, (file, _) in import_bench.REAL.items()
                                if (REALDATA / file).exists()]
    assert sorted(r["input"] for r in rows) == sorted(expected)
    assert (REALDATA / "Sena.lift.gz").exists()  # CI has the real files beside the clone
    lines = out.splitlines()
    for row in rows:
        n = row["entries"]
        assert n == import_bench.QUICK
        assert row["dry"]["rows"] == n and row["import"]["created"] == n
        assert row["parse_floor"]["counts"]["entry"] == n
        assert row["insert_floor"]["rows"] >= 3 * n
        for kind in ("dry", "import", "parse_floor", "insert_floor"):
            assert row[kind]["seconds"] > 0 and row[kind]["peak_mb"] > 0
        table = [line for line in lines if line.split()[:2] == [row["input"], f"{n:,}"]]
        assert len(table) == 1 and table[0].rstrip().endswith("(small N); (small N)")
        phases = [line.split()[1] for line in lines if line.split()[:1] == [row["input"]]
                  and line.split()[1] in ("dry", "import")]
        assert phases == ["dry", "import"]
    synthetic = next(r for r in rows if r["input"] == "synthetic")
    assert synthetic["import"]["outbox"] > 0  # published: the index was written after commit


def test_the_synthetic_lift_is_well_formed_and_scaling_gives_fresh_ids(tmp_path):
    import xml.etree.ElementTree as ET

    assert import_bench.synthetic(50, tmp_path / "s.lift") == 50
    entries = ET.parse(tmp_path / "s.lift").getroot().findall("entry")
    assert len({e.get("guid") for e in entries}) == 50
    data = (tmp_path / "s.lift").read_bytes()
    assert import_bench.scaled(data, 120, tmp_path / "x.lift") == 120
    scaled = ET.parse(tmp_path / "x.lift").getroot().findall("entry")
    assert len({e.get("guid") for e in scaled}) == len({e.get("id") for e in scaled}) == 120
    assert import_bench.scaled(data, 20, tmp_path / "y.lift") == 20


@pytest.mark.parametrize("terminal", [True, False])
def test_import_lexicon_shows_progress_bars_on_a_terminal_only(app, tmp_path, monkeypatch,
                                                                terminal):
    from dictionary.cli import lexicon

    monkeypatch.setattr(lexicon, "_stderr_is_a_terminal", lambda: terminal)
    import_bench.synthetic(30, tmp_path / "words.lift")
    runner = FlaskCliRunner(app, mix_stderr=False)
    ws = [x for code, role in import_bench.SYNTHETIC_WS.items() for x in ("--ws", f"{code}={role}")]
    with app.app_context():
        result = runner.invoke(args=["import-lexicon", str(tmp_path / "words.lift"), "--lang",
                                     "hre", "--source", "bench", "--source-citation", "Synthetic.",
                                     "--source-license", "CC0-1.0", *ws])
    assert result.exit_code == 0, result.output + result.stderr
    assert result.output.splitlines()[-2].endswith("30 entries; 30 created, 0 updated, 0 unchanged")
    # (off a terminal, click prints a bar's label alone; on one, the bar redraws in place)
    shown = [x in result.stderr for x in ("Reading words.lift", "Checking", "Saving",
                                          "Committing and writing")]
    assert shown == [terminal] * 4
