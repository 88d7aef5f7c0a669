"""A lexicon imported with its recordings: what the archive adds to the dry run and the import.

Builds a synthetic LIFT file of N entries (made-up tokens), every entry naming a sound file
in a zip of N generated tones (nobody's voice), and times, on a fresh SQLite database:

- lexicon only: ``import_lexicon`` dry run and import of the same file, without the archive
  (the anchor: what the recordings add is the difference);
- with the archive: ``import_with_audio`` dry run (matching + one ffprobe per file) and
  import (matching + ``intake.accept`` per file: copy, hash, ffprobe, store, rows);
- floor: one bare ``ffprobe`` per file, in this run, on the same files (what probing costs
  at least, whatever the code around it).

Then the worker processes the recordings (``flask audio work``'s jobs), timed per clip.
Speed is printed, never asserted.

    .venv/bin/python bench/audio_import_bench.py --entries 200
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import wave
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dictionary import REPO_ROOT, create_app  # noqa: E402
from dictionary.audio import jobs  # noqa: E402
from dictionary.audio.models import Consent, Speaker  # noqa: E402
from dictionary.curation.import_runs import import_with_audio  # noqa: E402
from dictionary.curation.importer import import_lexicon  # noqa: E402
from dictionary.db import get_db  # noqa: E402
from dictionary.schema import init_db  # noqa: E402


def tone(seconds: float, hz: int, rate: int = 16000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        pad = b"\0\0" * (rate // 5)
        w.writeframes(pad + b"".join(struct.pack("<h", int(9000 * math.sin(
            2 * math.pi * hz * i / rate))) for i in range(int(rate * seconds))) + pad)
    return buf.getvalue()


def lift(n: int) -> str:
    entries = "".join(
        f'<entry id="e{i}" guid="00000000-0000-4000-8000-{i:012d}">'
        f'<lexical-unit><form lang="hre"><text>zuxo{i}</text></form></lexical-unit>'
        f'<pronunciation><media href="AudioVisual/zuxo{i}.wav"/></pronunciation>'
        f'<sense id="s{i}"><gloss lang="vi"><text>nghĩa {i}</text></gloss></sense></entry>\n'
        for i in range(n))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<lift version="0.13">\n{entries}</lift>\n'


def make_app(folder: Path, data: Path):
    app = create_app({
        "INSTANCE_PATH": str(folder), "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
        "INDEX_DIR": str(folder / "index"), "SECRET_KEY": "bench-only", "DATA_DIR": str(data),
        "INDEX_WARM_UP": False, "INDEX_DRAIN_AT_START": False, "TESTING": True})
    with app.app_context():
        init_db()
        with get_db().Session() as s:
            person = Speaker(public_id="spk-0001", language_code="hre", display_name="Bench")
            person.consents.append(Consent(obtained_at=dt.datetime(2026, 12, 1), obtained_by="bench",
                                           method="signed_form", license="CC-BY-4.0"))
            s.add(person)
            s.commit()
    return app


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(args) -> None:
    with tempfile.TemporaryDirectory(prefix="audio-import-bench-") as tmp:
        root = Path(tmp)
        data = root / "data"
        data.mkdir()
        shutil.copy(REPO_ROOT / "data" / "parts_of_speech.toml", data)
        (data / "languages.toml").write_text(
            (REPO_ROOT / "data" / "languages.toml").read_text(encoding="utf-8")
            + '\n[[source]]\nkey = "bench"\nlicense = "CC0-1.0"\ncitation = "Synthetic."\n',
            encoding="utf-8")
        (root / "words.lift").write_text(lift(args.entries), encoding="utf-8")
        clips = root / "clips"
        clips.mkdir()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for i in range(args.entries):
                body = tone(0.6 + (i % 5) * 0.1, 200 + (i * 37) % 600)
                (clips / f"zuxo{i}.wav").write_bytes(body)
                z.writestr(f"Proj/LinkedFiles/AudioVisual/zuxo{i}.wav", body)
        archive = buf.getvalue()
        n = args.entries
        print(f"# audio import bench: {n} entries, {n} clips ({len(archive) / 1e6:.1f} MB zip), "
              f"{os.cpu_count()} cores; {sys.version.split()[0]}")
        rows = []

        def fresh(name: str):
            return make_app(root / name, data)

        plain = fresh("plain")
        with plain.app_context(), get_db().Session() as s:
            dry, _ = timed(lambda: import_lexicon(s, root / "words.lift", "hre", source="bench",
                                                  dry_run=True, data_dir=data))
        with plain.app_context(), get_db().Session() as s:
            wet, _ = timed(lambda: import_lexicon(s, root / "words.lift", "hre", source="bench",
                                                  data_dir=data))
        rows.append(("lexicon only (anchor)", dry, wet))
        audio = fresh("audio")
        with audio.app_context(), get_db().Session() as s:
            dry, (_, plan) = timed(lambda: import_with_audio(
                s, root / "words.lift", "hre", source="bench", dry_run=True, audio=archive,
                speaker="spk-0001", data_dir=data))
        assert len(plan.matches) == n, plan.summary(3)
        with audio.app_context(), get_db().Session() as s:
            wet, (_, plan) = timed(lambda: import_with_audio(
                s, root / "words.lift", "hre", source="bench", audio=archive,
                speaker="spk-0001", data_dir=data))
        assert plan.recordings == n
        rows.append(("with the archive", dry, wet))
        floor, _ = timed(lambda: [subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=format_name", "-of", "json",
             str(path)], capture_output=True, check=True, timeout=30)
            for path in sorted(clips.iterdir())])
        work, done = timed(lambda: jobs.run_pending(audio))
        assert done == n

        print()
        print(f"{'':<24}{'dry run s':>10}{'import s':>10}{'ms/entry dry':>14}{'ms/entry':>10}")
        for name, d, w in rows:
            print(f"{name:<24}{d:>10.2f}{w:>10.2f}{1000 * d / n:>14.1f}{1000 * w / n:>10.1f}")
        extra_dry = (rows[1][1] - rows[0][1]) / n * 1000
        extra_wet = (rows[1][2] - rows[0][2]) / n * 1000
        print(f"{'recordings add':<24}{'':>10}{'':>10}{extra_dry:>14.1f}{extra_wet:>10.1f}")
        print(f"{'floor: bare ffprobe':<24}{'':>10}{'':>10}{1000 * floor / n:>14.1f}"
              f"{1000 * floor / n:>10.1f}")
        print(f"\nworker afterwards: {n} clips processed in {work:.1f} s "
              f"({1000 * work / n:.0f} ms per clip, one worker)")
        print(f"per file, the archive adds {extra_dry / (1000 * floor / n):.1f}× (dry run) and "
              f"{extra_wet / (1000 * floor / n):.1f}× (import) the bare ffprobe floor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=200)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
