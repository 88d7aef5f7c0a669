"""Several server processes: /healthz readiness while a process loads its search tables, and
the real gunicorn with deploy/gunicorn.conf.py (preload, two workers) on a temporary copy
of the bundled data."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from dictionary import REPO_ROOT, create_app
from dictionary.db import get_db
from dictionary.indexing import index_service
from search_index.store import CHECK_INTERVAL
from test_indexing import add_entry

CONFIG = REPO_ROOT / "deploy" / "gunicorn.conf.py"


def test_healthz_answers_503_until_the_tables_are_loaded(bundled_copy):
    """The start-up work first applies what is queued, under the index writer lock, then
    loads the tables: while we hold the lock it cannot have loaded them."""
    config = {**bundled_copy.config, "INDEX_WARM_UP": True, "INDEX_DRAIN_AT_START": True,
              "INDEX_WRITE_TIMEOUT": 60}
    with bundled_copy.app_context():
        crashed = get_db().Session(info={"index_state": None})  # commits, never indexes
        with crashed, crashed.begin():
            add_entry(crashed, "zabok", "hòa bình")
        with index_service().index.write_lock(1):
            starting = create_app(config)
            with starting.app_context():
                state = index_service()
                answer = starting.test_client().get("/healthz")
                assert answer.status_code == 503 and not state.ready.is_set()
                body = answer.get_json()
                assert body["index"]["state"] == "warming" and "loading" in body["reason"]
    state.started.join(60)  # the lock is free: the start-up work ends
    assert state.ready.is_set()
    answer = starting.test_client().get("/healthz")
    assert answer.status_code == 200 and answer.get_json()["status"] == "ok"
    state.index.close()
    starting.extensions["dictionary.db"].engine.dispose()  # its request's session is closed


def test_a_worker_that_reads_large_tables_alone_asks_to_be_replaced(bundled_copy, monkeypatch):
    """After the fork a worker counts the documents whose tables it reads by itself (a new
    generation, many edits); past the limit it asks once to be replaced."""
    from dictionary import processes

    monkeypatch.setattr(processes, "RECYCLE_AFTER_DOCS", 300)
    monkeypatch.setattr(processes, "RECYCLE_SPREAD", 0.0)
    asked = []
    done = threading.Event()
    with bundled_copy.app_context():
        get_db().engine.dispose()  # after_fork drops the pool's connections without closing
    processes.after_fork(bundled_copy, recycle=lambda: (asked.append(1), done.set()))
    with bundled_copy.app_context():
        assert index_service().ready.is_set()
        bundled_copy.test_client().get("/api/v1/search?q=nuoc")  # reads the 403 entries' tables
        assert done.wait(10) and asked == [1]
        with get_db().transaction() as s:  # more tables read: no second request
            add_entry(s, "zabok", "hòa bình")
        bundled_copy.test_client().get("/api/v1/search?q=zabok")
        assert asked == [1]


def test_no_worker_is_replaced_while_it_runs_an_import_job(monkeypatch):
    from dictionary import processes

    monkeypatch.setattr(processes, "RECYCLE_SPREAD", 0.05)
    importing, replaced = threading.Event(), threading.Event()
    importing.set()
    watch = processes._Watch(replaced.set, busy=importing.is_set)
    watch(processes.RECYCLE_AFTER_DOCS)
    assert not replaced.wait(0.5)  # put off, again and again, while the job runs
    importing.clear()
    assert replaced.wait(10)


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _found(base: str, query: str) -> list[str]:
    status, body = _get(f"{base}/api/v1/search?q={urllib.request.quote(query)}")
    assert status == 200, body
    return [hit["id"] for hit in body["results"]]


def test_gunicorn_serves_with_two_workers_and_sees_edits(bundled_copy, tmp_path):
    app = bundled_copy
    port = _free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WORKERS": "2", "THREADS": "2",
           "DICTIONARY_INSTANCE_PATH": app.config["INSTANCE_PATH"],
           "DICTIONARY_DATABASE_URL": app.config["DATABASE_URL"],
           "DICTIONARY_INDEX_DIR": app.config["INDEX_DIR"],
           "DICTIONARY_SECRET_KEY": "test-secret-not-for-production"}
    log = open(tmp_path / "gunicorn.log", "w+")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(CONFIG),
                               "dictionary:create_app()"],
                              cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        seen, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"{base}/healthz")
            except OSError:  # not listening yet
                status = None
            seen.append(status)
            if status == 200:
                break
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.05)
        assert status == 200, (seen[-5:], (tmp_path / "gunicorn.log").read_text())
        assert set(seen) <= {None, 503, 200}
        assert body["index"]["state"] == "fresh"
        while len(_children(server.pid)) < 2:  # the second may still be being forked
            assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.05)
        assert len(_children(server.pid)) == 2  # the parent serves nothing itself
        assert "cua-000287" in _found(base, "nuoc")  # "nước" in the Co lexicon

        # An edit committed by another process (this test's app) reaches every worker.
        assert _found(base, "zabok") == []
        with app.app_context(), get_db().transaction() as s:
            entry = add_entry(s, "zabok", "hòa bình")
        start = time.monotonic()
        while entry.public_id not in _found(base, "zabok"):
            assert time.monotonic() - start < 5, "the edit did not reach the server"
            time.sleep(0.02)
        assert time.monotonic() - start < 2
        # Every thread of every worker looks at the disk at most CHECK_INTERVAL after its
        # last look: past that, all of them answer with the edit (the kernel spreads the
        # connections over both workers).
        time.sleep(CHECK_INTERVAL + 0.05)
        for _ in range(20):
            assert _found(base, "zabok") == [entry.public_id]
    finally:
        server.terminate()
        server.wait(60)
        log.close()
    assert server.returncode == 0, (tmp_path / "gunicorn.log").read_text()
