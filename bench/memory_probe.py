"""Resident memory of a real server under a stream of unique long queries.

The outside probe of issue 10 sent searches for new random 200-letter words, one after the
other, and watched the server grow by 5.6 MB a request. This script does the same to a
waitress server it starts on the bundled data (a temporary instance), reading the server
process's resident set size (``VmRSS``) from ``/proc`` before and after. The anchor, in the
same run, is the same number of requests for one repeated real word.

    .venv/bin/python bench/memory_probe.py                  # this checkout
    .venv/bin/python bench/memory_probe.py --code /tmp/old  # another checkout (git worktree)

Only 127.0.0.1 is contacted.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(base: str, query: str) -> dict:
    url = f"{base}/api/v1/search?" + urllib.parse.urlencode({"q": query})
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def probe(code: Path, queries: int, length: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code), "DICTIONARY_INSTANCE_PATH": "",
           "DICTIONARY_INDEX_WARM_UP": "true"}
    with tempfile.TemporaryDirectory() as tmp:
        env["DICTIONARY_INSTANCE_PATH"] = tmp
        subprocess.run([sys.executable, "-m", "flask", "--app", "dictionary", "setup"],
                       cwd=code, env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=4",
             "--call", "dictionary:create_app"], cwd=code, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    get(base, "tro")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            rng = random.Random(10)
            word = lambda: "".join(rng.choices(string.ascii_lowercase, k=length))  # noqa: E731
            for _ in range(50):  # one-time allocations (first requests, thread pools)
                get(base, word())
            time.sleep(1)
            start = rss_mb(server.pid)
            t0 = time.perf_counter()
            for _ in range(queries):  # the anchor: one real word, again and again
                get(base, "mặt trời")
            repeated = rss_mb(server.pid)
            t1 = time.perf_counter()
            for _ in range(queries):
                get(base, word())
            unique = rss_mb(server.pid)
            t2 = time.perf_counter()
        finally:
            server.terminate()
            server.wait(10)
    return {"start": start, "repeated": repeated, "unique": unique,
            "ms_repeated": (t1 - t0) / queries * 1000, "ms_unique": (t2 - t1) / queries * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=HERE, help="checkout to serve")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--length", type=int, default=200)
    args = parser.parse_args()
    r = probe(args.code.resolve(), args.queries, args.length)
    print(f"server RSS (MB), {args.queries} requests each, code at {args.code}")
    print(f"{'after warm-up':>28} {r['start']:8.1f}")
    print(f"{'+ same real word (anchor)':>28} {r['repeated']:8.1f}   "
          f"{(r['repeated'] - r['start']) * 1024 / args.queries:7.1f} kB/request   "
          f"{r['ms_repeated']:.2f} ms/request")
    print(f"{f'+ unique {args.length}-letter words':>28} {r['unique']:8.1f}   "
          f"{(r['unique'] - r['repeated']) * 1024 / args.queries:7.1f} kB/request   "
          f"{r['ms_unique']:.2f} ms/request")


if __name__ == "__main__":
    main()
