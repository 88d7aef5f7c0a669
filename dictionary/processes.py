"""Serving from several processes forked from one (gunicorn with ``preload_app``).

deploy/gunicorn.conf.py loads the app once in gunicorn's parent process, which builds or
loads the search tables (hundreds of MB at 100,000 entries) and then forks the workers:
they share those pages copy-on-write instead of each building its own. The parent never
serves a request. Its hooks call:

- ``before_fork`` in the parent, before each worker is forked (at start, and whenever a
  worker is replaced): finish the start-up work, bring the tables up to date with the index
  (a rebuild since the last fork), close what must not cross a fork (the thread's Whoosh
  searcher and its open files, the database connections), then ``gc.freeze()``: the
  collector of a worker never walks (and so never writes to) the shared objects. As
  Python's documentation of ``gc.freeze`` advises, the parent runs with the collector off
  (the config file turns it off before the app loads: no collection walks the millions of
  new table objects while they load, nor leaves freed holes in shared pages) and each
  worker turns it on;
- ``after_fork`` in each worker: a connection pool and an import-job worker of its own, and
  a watch on the tables it reads by itself. A worker that had to read the tables of
  ``RECYCLE_AFTER_DOCS`` documents on its own (after a rebuild, or many edits) holds a
  private copy; it ends gracefully after a random pause of up to ``RECYCLE_SPREAD``
  seconds (so that not all of them stop at once; later while its import worker runs a
  job), and its replacement is forked from a parent that has just brought its own tables
  up to date: shared again.
"""
from __future__ import annotations

import gc
import logging
import random
import threading
from collections.abc import Callable

from flask import Flask

log = logging.getLogger(__name__)

RECYCLE_AFTER_DOCS = 10_000
RECYCLE_SPREAD = 30.0  # seconds


def before_fork(app: Flask) -> None:
    """In the parent: leave nothing behind that a worker must not inherit; share the rest."""
    state = app.extensions["dictionary.index"]
    if state.started is not None:
        state.started.join()  # the start-up work (queue drain, table warm-up) is done
    if app.config["INDEX_WARM_UP"] and state.index.exists():
        try:
            state.index.warm_up()  # cheap when nothing changed since the last fork
        except Exception:  # a worker must start even if the index is unreadable
            log.exception("could not load the search tables before forking")
        finally:
            state.index.close()  # no Whoosh file is shared with a worker
    state.ready.set()
    app.extensions["dictionary.db"].engine.dispose()  # no database connection either
    gc.freeze()


def after_fork(app: Flask, recycle: Callable[[], None] | None = None) -> None:
    """In a new worker, right after the fork. ``recycle`` ends this worker gracefully."""
    from .curation import import_jobs

    gc.enable()
    # The parent's pool holds no connection (``before_fork``); a fresh pool all the same,
    # as SQLAlchemy advises for forked processes.
    app.extensions["dictionary.db"].engine.dispose(close=False)
    # Each process its own import-job worker: its token names the lock that tells others
    # whether this process's jobs still run.
    app.extensions.pop("dictionary.import_jobs", None)
    jobs = import_jobs.worker(app)
    state = app.extensions["dictionary.index"]
    ready = state.ready.is_set()
    state.ready = threading.Event()  # nothing of the parent's threads may hold it here
    if ready:
        state.ready.set()
    if recycle is not None:
        state.index.on_tables_read(_Watch(recycle, busy=lambda: jobs.thread is not None))


class _Watch:
    """Counts the documents whose tables this worker read on its own; past the limit,
    schedules one ``recycle`` (put off while ``busy()``: an import job would be cut off)."""

    def __init__(self, recycle: Callable[[], None], busy: Callable[[], bool]) -> None:
        self.recycle, self.busy, self.docs, self.scheduled = recycle, busy, 0, False

    def __call__(self, docs: int) -> None:
        self.docs += docs
        if self.docs >= RECYCLE_AFTER_DOCS and not self.scheduled:
            self.scheduled = True
            pause = random.uniform(0, RECYCLE_SPREAD)
            log.info("this worker read the tables of %d documents on its own: it is "
                     "replaced in %.0f s by one that shares them", self.docs, pause)
            self._later(pause)

    def _later(self, pause: float) -> None:
        timer = threading.Timer(pause, self._fire)
        timer.daemon = True
        timer.start()

    def _fire(self) -> None:
        if self.busy():
            self._later(RECYCLE_SPREAD)
        else:
            self.recycle()
