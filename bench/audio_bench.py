"""Audio processing benchmark: our recipe (``dictionary.audio.pipeline``) against ffmpeg's
one-pass ``loudnorm`` on the same clips, in the same run.

The clips are the good fixtures of ``tests/audio/audio_samples.py``, generated into a temporary
folder (synthetic: espeak-ng reading Vietnamese, lavfi tones and noise; never Hrê or Co).
For each clip and each method it prints the playback copy's size per second of audio, its
integrated loudness and true peak (ffmpeg ``ebur128`` on the decoded MP3, the same meter for
both), and the wall time of the whole job. ``loudnorm`` is the study's rejected alternative
(audio.md §3.3 step 5): single pass, dynamic, upsampling to 192 kHz; it gets the same MP3
settings (V6, 32 kHz, mono) so only the loudness method differs.

Goals (issue 13 §5): playback median ≤ 8 KB/s; |I + 16| ≤ 1 LU unless peak-limited and
≤ −0.5 dBTP for every clip; processing p95 ≤ 2 s per clip on 2 cores. Each goal line says
``ok`` or ``MISSED``. Speed is printed, never asserted (``tests/audio`` asserts loudness).

    .venv/bin/python bench/audio_bench.py                  # 3 rounds, 1 worker
    .venv/bin/python bench/audio_bench.py --rounds 5 --workers 2
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "audio"))

import audio_samples as fixtures  # noqa: E402
from dictionary.audio import ffmpeg  # noqa: E402
from dictionary.audio.pipeline import TARGET_LUFS, TRUE_PEAK_LIMIT, process  # noqa: E402

GOAL_KBPS, GOAL_LU, GOAL_P95 = 8.0, 1.0, 2.0
# loudnorm as one would reach for it: target −16 LUFS, −1.5 dBTP, single pass.
LOUDNORM = "loudnorm=I=-16:TP=-1.5:LRA=11"


@dataclass
class Row:
    clip: str
    method: str
    seconds: float
    lufs_in: float | None
    lufs_out: float
    tp_out: float
    limited: bool
    kb_per_s: float
    duration_ms: int

    @property
    def loudness_ok(self) -> bool:
        return (self.limited or abs(self.lufs_out - TARGET_LUFS) <= GOAL_LU) \
            and self.tp_out <= TRUE_PEAK_LIMIT


def ours(name: str, path: Path, work: Path, word: bool) -> Row:
    started = time.perf_counter()
    done = process(path, work, word=word)
    seconds = time.perf_counter() - started
    return Row(name, "ours", seconds, done.lufs_in, done.lufs_out, done.peak_out,
               done.peak_limited, done.playback_bytes / 1024 / (done.duration_ms / 1000),
               done.duration_ms)


def loudnorm(name: str, path: Path, work: Path) -> Row:
    """The anchor: one ffmpeg run (decode, loudnorm, MP3), then the same meter as ours."""
    work.mkdir(parents=True, exist_ok=True)
    out = work / "loudnorm.mp3"
    started = time.perf_counter()
    ffmpeg.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", str(path),
                "-map", "0:a:0", "-ac", "1", "-af", LOUDNORM, *ffmpeg.MP3_ARGS, "-y", str(out)])
    seconds = time.perf_counter() - started
    measured = ffmpeg.measure(out)
    return Row(name, "loudnorm", seconds, None, measured.integrated, measured.true_peak, False,
               out.stat().st_size / 1024 / (measured.duration_ms / 1000), measured.duration_ms)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def verdict(good: bool) -> str:
    return "ok" if good else "MISSED"


def run_benchmark(args: argparse.Namespace) -> dict[str, list[Row]]:
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="audio-bench-"))
    try:
        started = time.perf_counter()
        clips = fixtures.make_good(folder / "clips")
        made = time.perf_counter() - started
        jobs = [(round_no, name) for round_no in range(args.rounds) for name in fixtures.GOOD]

        def one(job: tuple[int, str]) -> tuple[Row, Row]:
            round_no, name = job
            word = fixtures.GOOD[name][0]
            work = folder / "work" / f"{round_no}-{name}"
            return (ours(name, clips[name], work / "ours", word),
                    loudnorm(name, clips[name], work / "anchor"))

        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            pairs = list(pool.map(one, jobs))
        return {"made": made, "ours": [p[0] for p in pairs], "loudnorm": [p[1] for p in pairs]}
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def report(results: dict, args: argparse.Namespace) -> str:
    lines = []
    version = subprocess.run(["ffmpeg", "-version"], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=10,
                             check=True).stdout.split("\n", 1)[0]
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    lines.append(f"# audio bench: {len(fixtures.GOOD)} clips × {args.rounds} rounds, "
                 f"{args.workers} worker(s), {os.cpu_count()} cores, load {load[0]:.1f}; "
                 f"{platform.python_version()}; {version}")
    lines.append(f"# fixtures generated in {results['made']:.1f} s (synthetic Vietnamese "
                 "speech by espeak-ng, lavfi tones; not Hrê/Co)")
    lines.append("")
    head = (f"{'clip':13} {'kind':8} {'in LUFS':>7} | {'ours LUFS':>9} {'dBTP':>5} {'lim':>3} "
            f"{'KB/s':>5} {'s med':>5} {'ok':>6} | {'loudnorm LUFS':>13} {'dBTP':>5} "
            f"{'KB/s':>5} {'s med':>5} {'ok':>6}")
    lines += [head, "-" * len(head)]
    by_clip: dict[str, dict[str, list[Row]]] = {}
    for method in ("ours", "loudnorm"):
        for row in results[method]:
            by_clip.setdefault(row.clip, {}).setdefault(method, []).append(row)
    for clip, methods in by_clip.items():
        a, b = methods["ours"], methods["loudnorm"]
        first_a, first_b = a[0], b[0]  # the figures are deterministic; times vary
        kind = "word" if fixtures.GOOD[clip][0] else "sentence"
        lines.append(
            f"{clip:13} {kind:8} {first_a.lufs_in:7.1f} | {first_a.lufs_out:9.1f} "
            f"{first_a.tp_out:5.1f} {'yes' if first_a.limited else 'no':>3} "
            f"{first_a.kb_per_s:5.2f} {statistics.median(r.seconds for r in a):5.2f} "
            f"{verdict(all(r.loudness_ok for r in a)):>6} | {first_b.lufs_out:13.1f} "
            f"{first_b.tp_out:5.1f} {first_b.kb_per_s:5.2f} "
            f"{statistics.median(r.seconds for r in b):5.2f} "
            f"{verdict(all(r.loudness_ok for r in b)):>6}")
    lines.append("")
    lines.append(f"{'goal':44} {'ours':>22} {'loudnorm (1 pass)':>22}")
    for label, target, fig in (
            (f"playback median KB/s ≤ {GOAL_KBPS:g}", GOAL_KBPS,
             lambda rows: statistics.median(r.kb_per_s for r in rows)),
            (f"processing p95 s/clip ≤ {GOAL_P95:g}", GOAL_P95,
             lambda rows: p95([r.seconds for r in rows]))):
        cells = []
        for method in ("ours", "loudnorm"):
            value = fig(results[method])
            cells.append(f"{value:.2f} {verdict(value <= target)}")
        lines.append(f"{label:44} {cells[0]:>22} {cells[1]:>22}")
    cells = []
    for method in ("ours", "loudnorm"):
        rows = results[method]
        good = sum(r.loudness_ok for r in rows)
        cells.append(f"{good}/{len(rows)} {verdict(good == len(rows))}")
    label = "|I+16| ≤ 1 LU unless limited, ≤ −0.5 dBTP"
    lines.append(f"{label:44} {cells[0]:>22} {cells[1]:>22}")
    spread = {m: max(r.lufs_out for r in results[m]) - min(r.lufs_out for r in results[m])
              for m in ("ours", "loudnorm")}
    lines.append(f"{'spread of output loudness, LU (info)':44} {spread['ours']:>22.1f} "
                 f"{spread['loudnorm']:>22.1f}")
    errs = {m: statistics.median(abs(r.lufs_out - TARGET_LUFS) for r in results[m])
            for m in ("ours", "loudnorm")}
    lines.append(f"{'median |I+16|, LU (info)':44} {errs['ours']:>22.1f} "
                 f"{errs['loudnorm']:>22.1f}")
    lines.append("")
    lines.append("lim = peak-limited: the −1 dBFS sample-peak cap, not the −16 LUFS target, "
                 "set our gain\n(no limiter: the clip stays undistorted and quieter). "
                 "loudnorm's ok column applies the same\nrule with no clip counted as limited.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="times each clip is processed")
    parser.add_argument("--workers", type=int, default=1, help="jobs at a time (worker threads)")
    parser.add_argument("--keep", help="generate into and keep this folder")
    args = parser.parse_args(argv)
    print(report(run_benchmark(args), args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
