"""Our search over HTTP against Datasette on the same rows (issue 15 §1), under the same load.

For each lexicon size (``bundled``: the two starter lexicons, 403 entries; ``100000``: those
plus a synthetic LIFT of 100,000 entries imported through the real importer) it

1. makes (or reuses, under ``--cache-dir``) an instance with ``flask setup`` and the import,
   and a Datasette database of the same published rows (public id, language, headword,
   homograph, form kind, Vietnamese and English glosses) with an FTS5 index;
2. starts our server as production does (gunicorn, ``deploy/gunicorn.conf.py`` when it is
   there, one worker per core) and Datasette (its own virtualenv, ``bench/.venv-datasette``,
   made with pip on first use; never one of the app's requirements), timing each from
   process start to ``/healthz`` 200 (ours) or the first 200 of a search (Datasette);
3. drives ``/api/v1/search``, Datasette's JSON search (``_search``, ``_shape=array``, no count,
   no facets) and our results page ``/search`` with ``wrk`` (Debian's, installed when
   missing), loopback only, a fixed duration, each connection count, the same query mix
   (``bench/http_mix.lua``: headwords and Vietnamese gloss words from the data, with and
   without tone marks, and misses), interleaved (ours, theirs, page, ours, theirs, page…);
4. reads the resident memory (RSS and PSS, ``/proc/PID/smaps_rollup``) of every server
   process after the load.

    .venv/bin/python bench/http_bench.py                    # `make bench-http`
    .venv/bin/python bench/http_bench.py --sizes bundled --conns 8 --duration 5 --rounds 1
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
DATASETTE_VENV = HERE / ".venv-datasette"
DATASETTE = "datasette==0.65.5"
LUA = HERE / "http_mix.lua"
SEED = 15
MISSES = ("qzxv", "khongcoday", "wxyzq", "bzzt", "grrf", "xqlo", "phqj", "zzkkt")
DS_ARGS = "&_shape=array&_size=20&_nocount=1&_nofacet=1&_nosuggest=1"


# ---- instances ------------------------------------------------------------------------------
def env_for(instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DICTIONARY_")}
    env.update(DICTIONARY_INSTANCE_PATH=str(instance), DICTIONARY_IMPORT_MAX_ROWS="1000000",
               PYTHONUNBUFFERED="1")
    return env


def flask(instance: Path, *args: str) -> None:
    subprocess.run([PYTHON, "-m", "flask", "--app", "dictionary", *args], cwd=ROOT,
                   env=env_for(instance), check=True, stdout=subprocess.DEVNULL)


def make_instance(size: str, cache: Path) -> Path:
    """The instance of one size: made once, then only brought up to date by ``setup``."""
    instance = cache.resolve() / f"instance-{size}"
    done = instance / "bench-ready"
    if not done.exists():
        shutil.rmtree(instance, ignore_errors=True)
        instance.mkdir(parents=True)
        flask(instance, "setup")
        if size != "bundled":
            started = time.monotonic()
            subprocess.run([PYTHON, __file__, "--import-into", str(instance), "--entries", size],
                           cwd=ROOT, env=env_for(instance), check=True)
            print(f"# imported {size} synthetic entries in {time.monotonic() - started:.0f} s",
                  flush=True)
        done.write_text(size)
    flask(instance, "setup")  # as `make run` does before serving
    return instance


def import_synthetic(instance: Path, entries: int) -> None:
    """Child process: a synthetic LIFT through ``import_lexicon`` (published), outbox applied."""
    sys.path[:0] = [str(ROOT), str(HERE)]
    import import_bench
    from dictionary import create_app
    from dictionary.curation.import_sources import NewSource
    from dictionary.curation.importer import import_lexicon
    from dictionary.db import get_db
    from dictionary.formats.records import ImportMapping

    lift = instance / "synthetic.lift"
    import_bench.synthetic(entries, lift)
    app = create_app({"INDEX_WARM_UP": False})
    with app.app_context(), get_db().Session() as s:
        report = import_lexicon(s, lift, "hre", data_dir=Path(app.config["DATA_DIR"]),
                                mapping=ImportMapping(ws=import_bench.SYNTHETIC_WS),
                                new_source=NewSource(*import_bench.SOURCE), status="published",
                                skip_invalid=True)
    lift.unlink()
    print(f"# {report.created} entries created", flush=True)


def export_for_datasette(instance: Path) -> Path:
    """The published rows as Datasette serves them: one table and its FTS5 index."""
    target = instance / "datasette" / "dictionary.db"
    source = instance / "dictionary.sqlite"
    if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    target.parent.mkdir(exist_ok=True)
    target.unlink(missing_ok=True)
    db = sqlite3.connect(target)
    db.execute(f"ATTACH DATABASE '{source}' AS src")
    db.executescript("""
        CREATE TABLE entries (id INTEGER PRIMARY KEY, public_id TEXT, lang TEXT, headword TEXT,
                              homograph INTEGER, form_kind TEXT, glosses_vi TEXT, glosses_en TEXT);
        INSERT INTO entries
          SELECT e.id, e.public_id, l.code, e.headword, e.homograph, e.form_kind,
                 (SELECT group_concat(gloss_vi, ' | ') FROM (SELECT gloss_vi FROM src.sense
                    WHERE entry_id = e.id ORDER BY position)),
                 (SELECT group_concat(gloss_en, ' | ') FROM (SELECT gloss_en FROM src.sense
                    WHERE entry_id = e.id ORDER BY position))
          FROM src.entry e JOIN src.language l ON l.id = e.language_id
          WHERE e.status = 'published' ORDER BY e.sort_key;
        CREATE VIRTUAL TABLE entries_fts USING fts5(headword, glosses_vi, glosses_en,
                                                   content="entries", content_rowid="id");
        INSERT INTO entries_fts(entries_fts) VALUES ('rebuild');
    """)
    db.commit()
    db.execute("DETACH DATABASE src")
    db.close()
    return target


# ---- the query mix --------------------------------------------------------------------------
def toneless(text: str) -> str:
    return unicodedata.normalize("NFC", "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)))


def query_mix(db: Path, n: int = 400) -> list[str]:
    """Headwords and gloss words of the data, a third without marks, and one in six a miss."""
    rng = random.Random(SEED)
    con = sqlite3.connect(db)
    heads = [h for (h,) in con.execute("SELECT headword FROM entries ORDER BY random() LIMIT 2000")]
    glosses = [g for (g,) in con.execute("SELECT glosses_vi FROM entries WHERE glosses_vi != '' "
                                         "ORDER BY random() LIMIT 2000")]
    con.close()
    words = [w for g in glosses for w in g.replace("|", " ").replace(";", " ").split()
             if w.isalpha()]
    out = []
    for i in range(n):
        if i % 6 == 5:
            out.append(MISSES[i // 6 % len(MISSES)])
            continue
        q = rng.choice(heads).split()[0] if i % 2 else rng.choice(words)
        out.append(toneless(q) if i % 3 == 0 else q)
    return out


def write_paths(queries: list[str], kind: str, folder: Path) -> Path:
    quote = urllib.parse.quote
    paths = {"api": [f"/api/v1/search?q={quote(q)}" for q in queries],
             "page": [f"/search?q={quote(q)}" for q in queries],
             "datasette": [f"/dictionary/entries.json?_search={quote(q)}{DS_ARGS}" for q in queries]}
    path = folder / f"paths-{kind}.txt"
    path.write_text("\n".join(paths[kind]) + "\n")
    return path


# ---- servers --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_tools() -> None:
    if shutil.which("wrk") is None:
        print("# installing wrk (Debian)", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not (DATASETTE_VENV / "bin" / "datasette").exists():
        print(f"# installing {DATASETTE} into {DATASETTE_VENV}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(DATASETTE_VENV)], check=True)
        subprocess.run([str(DATASETTE_VENV / "bin" / "python"), "-m", "pip", "install", "-q",
                        DATASETTE], check=True)


def workers() -> int:
    return os.cpu_count() or 1


def start_ours(instance: Path, port: int, log) -> subprocess.Popen:
    env = {**env_for(instance), "PORT": str(port), "HOST": "127.0.0.1",
           "WEB_CONCURRENCY": str(workers())}
    conf = ROOT / "deploy" / "gunicorn.conf.py"
    cmd = [str(ROOT / ".venv" / "bin" / "gunicorn")]
    if conf.exists():
        cmd += ["-c", str(conf), "--bind", f"127.0.0.1:{port}", "--workers", str(workers())]
    else:  # before deploy/ had its config: the same shape by hand
        cmd += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers()), "--preload"]
    cmd.append("dictionary:create_app()")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)


def start_datasette(db: Path, port: int, log) -> subprocess.Popen:
    return subprocess.Popen([str(DATASETTE_VENV / "bin" / "datasette"), "serve", "-i", str(db),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=log)


def wait_ready(proc: subprocess.Popen, url: str, started: float, timeout: float = 300) -> float:
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.02)
    raise SystemExit(f"{url} not ready after {timeout} s")


def process_tree(pid: int) -> list[int]:
    out = [pid]
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            children = Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            out += process_tree(int(child))
    return out


def memory(pid: int) -> list[dict]:
    rows = []
    for p in process_tree(pid):
        fields = {}
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()[1:]:
                name, value = line.split(":", 1)
                fields[name] = int(value.split()[0]) / 1024
        except OSError:
            continue
        rows.append({"pid": p, "rss": fields.get("Rss", 0.0), "pss": fields.get("Pss", 0.0)})
    return rows


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---- load -----------------------------------------------------------------------------------
def drive(port: int, paths: Path, conns: int, duration: float) -> dict:
    threads = min(conns, workers())
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{conns}", f"-d{max(1, round(duration))}s", "--timeout", "10s",
         "-s", str(LUA), f"http://127.0.0.1:{port}", "--", str(paths)],
        capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("JSON "))
    r = json.loads(line[5:])
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return {"rps": r["requests"] / (r["duration_us"] / 1e6), "p50": r["p50_us"] / 1000,
            "p99": r["p99_us"] / 1000, "errors": errors, "requests": r["requests"]}


def median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def run_size(size: str, args, log) -> dict:
    instance = make_instance(size, Path(args.cache_dir))
    db = export_for_datasette(instance)
    entries = sqlite3.connect(db).execute("SELECT count(*) FROM entries").fetchone()[0]
    mix = query_mix(db)
    files = {kind: write_paths(mix, kind, instance) for kind in ("api", "page", "datasette")}
    ours_port, ds_port = free_port(), free_port()
    started = time.monotonic()
    ours = start_ours(instance, ours_port, log)
    result = {"size": size, "entries": entries, "workers": workers(), "runs": {}}
    try:
        result["start_ours"] = wait_ready(ours, f"http://127.0.0.1:{ours_port}/healthz", started)
        started = time.monotonic()
        ds = start_datasette(db, ds_port, log)
        try:
            first = urllib.parse.quote(mix[0])
            result["start_datasette"] = wait_ready(
                ds, f"http://127.0.0.1:{ds_port}/dictionary/entries.json?_search={first}{DS_ARGS}",
                started)
            targets = [("ours api", ours_port, files["api"]),
                       ("datasette", ds_port, files["datasette"]),
                       ("ours page", ours_port, files["page"])]
            for _, port, paths in targets:  # warm up every worker thread: caches, searchers
                drive(port, paths, max(args.conns), args.warmup)
            for conns in args.conns:
                for _ in range(args.rounds):
                    for name, port, paths in targets:
                        run = drive(port, paths, conns, args.duration)
                        result["runs"].setdefault(f"{conns}|{name}", []).append(run)
                        print(f"# {size} c={conns} {name}: {run['rps']:.0f} req/s "
                              f"p50 {run['p50']:.1f} p99 {run['p99']:.1f} ms "
                              f"errors {run['errors']}", flush=True)
            result["memory_ours"] = memory(ours.pid)
            result["memory_datasette"] = memory(ds.pid)
        finally:
            stop(ds)
    finally:
        stop(ours)
    return result


def summary(result: dict) -> dict[str, dict]:
    """conns|server → median req/s, p50, p99 over the rounds, errors summed."""
    return {key: {"rps": median([r["rps"] for r in runs]), "p50": median([r["p50"] for r in runs]),
                  "p99": median([r["p99"] for r in runs]), "errors": sum(r["errors"] for r in runs)}
            for key, runs in result["runs"].items()}


def report(results: list[dict], load: tuple[list[float], list[float]]) -> str:
    lines = [f"machine: {workers()} cores; load average before {load[0][0]:.2f} "
             f"{load[0][1]:.2f}, after {load[1][0]:.2f} {load[1][1]:.2f}", "",
             f"{'entries':>8} {'conns':>5} {'server':<10} {'req/s':>7} {'p50 ms':>7} "
             f"{'p99 ms':>7} {'errors':>6} {'× datasette':>11}"]
    for res in results:
        figures = summary(res)
        for key, fig in figures.items():
            conns, name = key.split("|")
            anchor = figures.get(f"{conns}|datasette", {}).get("rps") or 0
            ratio = f"{fig['rps'] / anchor:.2f}" if anchor else "-"
            lines.append(f"{res['entries']:>8} {conns:>5} {name:<10} {fig['rps']:>7.0f} "
                         f"{fig['p50']:>7.1f} {fig['p99']:>7.1f} {fig['errors']:>6} {ratio:>11}")
    lines += ["", f"{'entries':>8} {'server':<10} {'start s':>7} {'processes':>9} "
              f"{'RSS MB each':<24} {'PSS MB total':>12}"]
    for res in results:
        for name, key in (("ours", "ours"), ("datasette", "datasette")):
            mem = res.get(f"memory_{key}", [])
            each = " ".join(f"{m['rss']:.0f}" for m in mem)
            lines.append(f"{res['entries']:>8} {name:<10} {res.get(f'start_{key}', 0):>7.2f} "
                         f"{len(mem):>9} {each:<24} {sum(m['pss'] for m in mem):>12.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="bundled,100000",
                        help="comma-separated: bundled, or a number of synthetic entries")
    parser.add_argument("--conns", default="8,32")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds of load on each target before the timed runs")
    parser.add_argument("--cache-dir", default=str(HERE / "out" / "http"),
                        help="instances made here are reused by the next run")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--import-into", help=argparse.SUPPRESS)
    parser.add_argument("--entries", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.import_into:
        import_synthetic(Path(args.import_into), args.entries)
        return 0
    args.conns = [int(c) for c in args.conns.split(",")]
    ensure_tools()
    Path(args.cache_dir).mkdir(parents=True, exist_ok=True)
    before = list(os.getloadavg())
    with open(Path(args.cache_dir) / "servers.log", "a") as log:
        results = [run_size(size, args, log) for size in args.sizes.split(",")]
    text = report(results, (before, list(os.getloadavg())))
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "report": text}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
