"""How long ``backup``, ``restore --check`` and ``restore`` take, and how large a backup is.

Each command runs as an operator runs it (``flask --app dictionary …`` in a child process,
start-up included; ``start-up`` is ``flask db current`` alone, to subtract), on a throw-away
copy in a temporary folder, never on the project's instance (``of it index s``: the search
index rebuild inside the restore, as it reports it):

- default: a fresh instance made by ``flask setup`` (the bundled lexicons, 403 entries);
- ``--from-instance DIR``: the SQLite database of an existing instance (e.g. the 100,000-entry
  one ``bench/http_bench.py`` keeps in ``bench/out/http/instance-100000``), copied with the
  online backup API, with its media folder and stamp; migrated to the newest schema first.

SQLite only (``DICTIONARY_DATABASE_URL`` is ignored): PostgreSQL timings come from
``pg_dump``/``pg_restore`` themselves. Speed is printed, never asserted.

    .venv/bin/python bench/backup_bench.py
    .venv/bin/python bench/backup_bench.py --from-instance bench/out/http/instance-100000
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def flask(instance: Path, *args: str) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DICTIONARY_")}
    env.update(DICTIONARY_INSTANCE_PATH=str(instance), DICTIONARY_INDEX_WARM_UP="false",
               DICTIONARY_INDEX_DRAIN_AT_START="false", PYTHONUNBUFFERED="1")
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "-m", "flask", "--app", "dictionary", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return took, done.stdout


def copy_instance(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    src = sqlite3.connect(f"file:{source / 'dictionary.sqlite'}?mode=ro", uri=True)
    dst = sqlite3.connect(target / "dictionary.sqlite")
    src.backup(dst)
    dst.close()
    src.close()
    for name in ("media", "bundled.sha256"):
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name)
        elif (source / name).is_file():
            shutil.copy(source / name, target / name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--from-instance", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="backup-bench-") as tmp:
        work = Path(tmp)
        source, restored, out = work / "source", work / "restored", work / "backup.tar.gz"
        if args.from_instance:
            copy_instance(args.from_instance.resolve(), source)
            flask(source, "db", "upgrade")
        else:
            flask(source, "setup")
        startup = min(flask(source, "db", "current")[0] for _ in range(3))
        database = (source / "dictionary.sqlite").stat().st_size
        backup = flask(source, "backup", str(out))[0]
        check = flask(source, "restore", "--check", str(out))[0]
        restore, said = flask(restored, "restore", str(out))
        index = float(re.search(r"indexed in (\d+) s", said).group(1))
        with tarfile.open(out) as tar:
            manifest = json.loads(tar.extractfile("manifest.json").read())
        load = os.getloadavg()
        print(f"# backup bench: {manifest['counts']['entries']:,} entries, "
              f"{manifest['counts']['media_files']} media files; {os.cpu_count()} cores, "
              f"load {load[0]:.1f}; every time includes the command's start-up")
        print(f"{'database MB':>12} {'backup MB':>10} {'start-up s':>11} {'backup s':>9} "
              f"{'check s':>8} {'restore s':>10} {'of it index s':>14}")
        print(f"{database / 1e6:12.1f} {out.stat().st_size / 1e6:10.2f} {startup:11.2f} "
              f"{backup:9.2f} {check:8.2f} {restore:10.2f} {index:14.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
