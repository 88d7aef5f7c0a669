"""The search outbox across processes and machines (``dictionary.outbox``): rows applied in
commit order with no row skipped when writers race, another machine's index follows within
a second, a machine that was away rebuilds, and ``search check`` is clean after an edit
storm by several real processes on two indexes. Real database (SQLite, or PostgreSQL in
`make test`'s second run), real Whoosh indexes, real processes."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, func, select, update

from conftest import get_state_close, make_app
from dictionary import REPO_ROOT, outbox
from dictionary.db import get_db
from dictionary.indexing import index_service
from dictionary.models import Entry, IndexNode, IndexQueue
from test_indexing import add_entry, ids_for


@contextmanager
def second_machine(app, tmp_path: Path, **config) -> Iterator:
    """Another app on the same database with its own index folder, built: another
    machine. Closed (its follower stopped, its engine disposed) at the end."""
    other = make_app(tmp_path / "b", DATABASE_URL=app.config["DATABASE_URL"],
                     INDEX_DIR=str(tmp_path / "b" / "index"), **config)
    try:
        with other.app_context():
            index_service().rebuild()
        yield other
    finally:
        get_state_close(other)


def seeded(app, forms=("zabok", "zimlu", "zupra")):
    with app.app_context():
        index_service().rebuild()
        with get_db().transaction() as s:
            for form in forms:
                add_entry(s, form, "thủy")
    return app


def gloss(app, headword: str, text: str) -> None:
    with app.app_context(), get_db().transaction() as s:
        s.scalar(select(Entry).where(Entry.headword == headword)).senses[0].gloss_vi = text


def test_racing_writers_leave_no_row_behind(app):
    """The first writer has taken its outbox id but not committed when the second commits
    and the index is applied. Unless ids follow commit order, the follower moves past the
    first row before it is visible, and that edit never reaches search."""
    seeded(app)
    db = app.extensions["dictionary.db"]
    taken, go_on = threading.Event(), threading.Event()

    def hold_first(_conn, _cursor, statement, *_):
        if threading.current_thread().name == "first" and "INSERT INTO index_queue" in statement:
            taken.set()
            go_on.wait(20)

    event.listen(db.engine, "after_cursor_execute", hold_first)
    try:
        first = threading.Thread(target=gloss, args=(app, "zabok", "lửa"), name="first")
        second = threading.Thread(target=gloss, args=(app, "zimlu", "đất"), name="second")
        first.start()
        assert taken.wait(20)
        second.start()
        second.join(1.5)  # SQLite's write lock or PostgreSQL's advisory lock holds it
        with app.app_context():
            index_service().process_queue()  # a follower looks while the first is open
        go_on.set()
        first.join(20)
        second.join(20)
    finally:
        go_on.set()
        event.remove(db.engine, "after_cursor_execute", hold_first)
    with app.app_context():
        state = index_service()
        state.process_queue()
        assert ids_for(app, "lua") and ids_for(app, "dat")
        assert state.compare().clean
        with db.Session() as s:
            assert state.index.applied() == s.scalar(select(func.max(IndexQueue.id))) or \
                s.scalar(select(func.count(IndexQueue.id))) == 0


def test_another_machine_follows_within_a_second(app, tmp_path):
    seeded(app)
    with second_machine(app, tmp_path, INDEX_FOLLOW_SECONDS=0.2) as other:
        with other.app_context():
            assert ids_for(other, "lua") == []
            other.test_client().get("/healthz")  # a request starts the follower thread
        gloss(app, "zabok", "lửa")
        committed = time.monotonic()
        with other.app_context():
            while not ids_for(other, "lua") and time.monotonic() - committed < 5:
                time.sleep(0.02)
            seen = time.monotonic() - committed
            assert ids_for(other, "lua"), "the other machine never saw the edit"
            assert index_service().compare().clean
        # 0.2 s between looks; the margin is for a loaded test machine
        assert seen < 2, f"seen after {seen:.2f} s"


def test_rows_stay_until_every_machine_has_them(app, tmp_path):
    seeded(app)
    with second_machine(app, tmp_path) as other:
        gloss(app, "zabok", "lửa")  # applied at once by the machine that made it
        with app.app_context(), get_db().Session() as s:
            assert s.scalar(select(func.count(IndexQueue.id))) == 1  # kept for the other
        with other.app_context():
            assert index_service().pending() == 1
            assert index_service().process_queue() == 1
            assert ids_for(other, "lua")
        with app.app_context(), get_db().Session() as s:
            assert s.scalar(select(func.count(IndexQueue.id))) == 0


def test_a_machine_away_too_long_rebuilds_and_misses_nothing(app, tmp_path):
    seeded(app)
    with second_machine(app, tmp_path) as other:
        with other.app_context():
            node = index_service().index.node()
        with app.app_context(), get_db().transaction() as s:  # silent for eight days
            s.execute(update(IndexNode).where(IndexNode.node == node)
                      .values(seen_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                              - dt.timedelta(days=8)))
        gloss(app, "zabok", "lửa")  # no longer kept for the silent machine: pruned
        with app.app_context(), get_db().Session() as s:
            assert s.scalar(select(func.count(IndexQueue.id))) == 0
            assert outbox.pruned_through(s) > 0
        with other.app_context():
            state = index_service()
            with get_db().Session() as s:
                assert state.index.applied() < outbox.pruned_through(s)
            state.process_queue()  # finds rows it needed gone: rebuilds
            assert ids_for(other, "lua") and state.compare().clean


def test_search_check_is_clean_after_an_edit_storm(app, tmp_path):
    """Four real processes edit at once, three on this machine's index and one on another
    machine's; afterwards both indexes hold exactly what the database holds."""
    seeded(app, forms=[f"zs{i}" for i in range(12)])
    with second_machine(app, tmp_path) as other:
        storm(app, other, tmp_path)


def storm(app, other, tmp_path: Path) -> None:
    url = app.config["DATABASE_URL"]
    here, there = app.config["INDEX_DIR"], other.config["INDEX_DIR"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    writers = [subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "tests" / "outbox_writer.py"),
         str(tmp_path / f"w{n}"), url, index_dir, str(n), "25"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for n, index_dir in enumerate([here, here, here, there])]
    try:
        for w in writers:
            out, _ = w.communicate(timeout=240)
            assert w.returncode == 0, out
            counts = re.search(r"^edits (\d+) conflicts (\d+)$", out, re.M)
            assert counts, out
            done, conflicts = map(int, counts.groups())
            assert done == 25 and conflicts < done // 2, out  # most edits did happen
        for each in (app, other):
            with each.app_context():
                state = index_service()
                state.process_queue()
                drift = state.compare()
                assert drift.clean, drift
        with app.app_context(), get_db().Session() as s:
            assert s.scalar(select(func.count(IndexQueue.id))) == 0  # both have them all
            assert s.scalar(select(func.count(Entry.id))) > 12  # the storm did add entries
        result = other.test_cli_runner().invoke(args=["search", "check"])
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert lines[-1] == "Index and database agree."
        assert len([line for line in lines if line.startswith("Index ")
                    and "has the outbox up to" in line]) == 2
        assert sum("(this machine)" in line for line in lines) == 1
    finally:
        for w in writers:
            w.kill()


def test_a_restored_database_makes_every_index_rebuild(app, tmp_path):
    """A restore puts back older ids: an index that holds ids of the database before would
    skip the restored database's new rows, so the restore starts a new epoch."""
    seeded(app)
    with second_machine(app, tmp_path) as other:
        with other.app_context():
            before = index_service().index.epoch()
        with app.app_context(), get_db().transaction() as s:
            assert outbox.epoch(s) == before
            outbox.new_epoch(s)  # what `restore` does
        gloss(app, "zabok", "lửa")  # this machine rebuilds when it applies the queue
        with other.app_context():
            state = index_service()
            assert state.index.epoch() == before
            state.process_queue()
            assert state.index.epoch() != before and ids_for(other, "lua")
            assert state.compare().clean
