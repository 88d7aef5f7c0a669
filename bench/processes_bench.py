"""Start-up time and memory of the server's worker processes: shared tables vs one each.

Starts gunicorn on an existing instance (``--instance``, e.g. the HTTP benchmark's cached
``bench/out/http/instance-100000``, or a temporary copy of the bundled data made with
``flask setup``) in two modes, with 1 and N workers:

- ``shared``: deploy/gunicorn.conf.py as it is: the parent loads the app and the search
  tables (from the files saved beside the index segments, ``search_index/snapshot.py``)
  and forks the workers, which share them;
- ``per-process``: what the server did before: every worker loads the app and builds its
  own tables in its start-up thread, no saved tables (waitress ran one such process).

Ready = from starting gunicorn to ``/healthz`` 200 from every worker (503 while tables load);
``cpu s`` = the CPU time the parent and the slowest worker spent until then: on a shared
machine, the ready time without the other load.
Memory from ``/proc/PID/smaps_rollup`` of each worker once ready, and again after a burst
of searches (pages the workers write become their own): RSS, PSS (shared pages divided
among the processes that map them) and USS (private pages). The sum of the workers' PSS is
what they cost together. Measured, never asserted.

With ``--new-generation`` the shared server with N workers then sees a new index generation
(a copy of the live one swapped in, as ``search rebuild`` swaps one in; removed afterwards):
the workers' PSS sum over 75 s of searches, the slowest search meanwhile, and which workers
were replaced (``dictionary/processes.py``: a worker that read large tables on its own).

    .venv/bin/python bench/processes_bench.py --instance bench/out/http/instance-100000
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
CONF = ROOT / "deploy" / "gunicorn.conf.py"
QUERIES = ["nuoc", "nước", "con cho", "mat troi", "tieng", "nha", "ca", "ăn cơm", "đi", "hoa binh",
           "tiegn", "nguoi", "cái", "lam viec", "sông", "zabok", "k", "th", "moi", "đen"]
PER_PROCESS = """
bind = "{bind}"
workers = {workers}
worker_class = "gthread"
threads = 4
control_socket_disable = True
import search_index.snapshot as _snapshot
_snapshot.SAVE_MIN_DOCS = 10 ** 12  # no saved tables: every worker builds its own
"""


def memory(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":")
        fields[name] = int(value.split()[0]) / 1024
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "uss": fields["Private_Clean"] + fields["Private_Dirty"]}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (on a shared machine, the part of the
    ready time that is this server's own work)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def new_generation(server: subprocess.Popen, base: str, instance: Path) -> dict:
    index = instance / "index"
    old = (index / "CURRENT").read_text().strip()
    new = f"gen-9{old[4:]}"  # sorts after the live one, as a newer generation does
    shutil.copytree(index / old, index / new)
    (index / "CURRENT.tmp").write_text(new)
    os.replace(index / "CURRENT.tmp", index / "CURRENT")
    start, slowest, timeline, pids = time.monotonic(), 0.0, [], set()
    try:
        while (elapsed := time.monotonic() - start) < 75:
            t = time.monotonic()
            status(f"{base}/api/v1/search?q=nuoc")
            slowest = max(slowest, time.monotonic() - t)
            if not timeline or elapsed - timeline[-1][0] >= 5:
                workers = children(server.pid)
                pids.update(workers)
                timeline.append((round(elapsed, 1), round(sum(memory(p)["pss"] for p in workers))))
    finally:
        (index / "CURRENT.tmp").write_text(old)
        os.replace(index / "CURRENT.tmp", index / "CURRENT")
        shutil.rmtree(index / new)
    return {"slowest_search_s": round(slowest, 2), "workers_pss_over_time": timeline,
            "worker_pids_seen": len(pids)}


def run(instance: Path, mode: str, workers: int, port: int, searches: int,
        regenerate: bool = False) -> dict:
    env = {**os.environ, "DICTIONARY_INSTANCE_PATH": str(instance), "HOST": "127.0.0.1",
           "PORT": str(port), "WORKERS": str(workers), "THREADS": "4"}
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as conf:
        conf.write(PER_PROCESS.format(bind=f"127.0.0.1:{port}", workers=workers))
    config = str(CONF) if mode == "shared" else conf.name
    base = f"http://127.0.0.1:{port}"
    start = time.monotonic()
    server = subprocess.Popen([str(GUNICORN), "-c", config, "dictionary:create_app()"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Every worker must answer 200: poll until `workers` answers in a row are 200.
        ok = 0
        while ok < 4 * workers:
            if time.monotonic() - start > 600:
                raise RuntimeError("not ready after 600 s")
            ok = ok + 1 if status(f"{base}/healthz") == 200 else 0
            if not ok:
                time.sleep(0.05)
        ready = time.monotonic() - start
        pids = children(server.pid)
        cpu = cpu_seconds(server.pid) + max(cpu_seconds(p) for p in pids)
        before = [memory(p) for p in pids]
        for i in range(searches):
            status(f"{base}/api/v1/search?q={urllib.request.quote(QUERIES[i % len(QUERIES)])}")
        after = [memory(p) for p in pids]
        result = {"mode": mode, "workers": workers, "ready_s": round(ready, 2),
                  "ready_cpu_s": round(cpu, 2),
                  "parent": memory(server.pid), "ready": before, "after_searches": after}
        if regenerate:
            result["new_generation"] = new_generation(server, base, instance)
        return result
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        os.unlink(conf.name)


def row(r: dict, key: str) -> str:
    ws = r[key]
    total = {k: sum(w[k] for w in ws) for k in ("rss", "pss", "uss")}
    per = " ".join(f"{w['rss']:.0f}/{w['pss']:.0f}/{w['uss']:.0f}" for w in ws)
    return (f"{r['mode']:<12} {r['workers']:>2} {r['ready_s']:>7.1f} {r['ready_cpu_s']:>6.1f}  {key:<15} "
            f"{total['rss']:>7.0f} {total['pss']:>7.0f} {total['uss']:>7.0f}   {per}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--instance", type=Path, required=True)
    p.add_argument("--workers", default=f"1,{os.cpu_count() or 1}")
    p.add_argument("--modes", default="per-process,shared")
    p.add_argument("--searches", type=int, default=500)
    p.add_argument("--port", type=int, default=5091)
    p.add_argument("--json", type=Path)
    p.add_argument("--new-generation", action="store_true",
                   help="then swap in a new index generation under the shared server")
    args = p.parse_args()
    results = []
    print(f"# {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    print("mode         N  ready s  cpu s  memory when     sum RSS sum PSS sum USS   per worker RSS/PSS/USS MB")
    for mode in args.modes.split(","):
        for n in sorted({int(x) for x in args.workers.split(",")}):
            regenerate = args.new_generation and mode == "shared" and n == max(
                int(x) for x in args.workers.split(","))
            r = run(args.instance.resolve(), mode, n, args.port, args.searches, regenerate)
            results.append(r)
            print(row(r, "ready"))
            print(row(r, "after_searches"))
            if regenerate:
                g = r["new_generation"]
                print(f"  new generation: workers' PSS sum over time (s, MB) "
                      f"{g['workers_pss_over_time']}; slowest search {g['slowest_search_s']} s; "
                      f"{g['worker_pids_seen']} worker processes seen")
            sys.stdout.flush()
    print(f"# load average {os.getloadavg()[0]:.1f} at the end")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
