"""The zero-result log: searches that found nothing, for the linguists (words only).

Where it sits: ``search.lookup`` calls ``record`` for every query that found nothing; the
quality page and the ``zero-results`` command read the table after ``flush``. Anyone on the
internet decides what is recorded, so the log must not be a way to fill the database or
to make every search a write transaction:

- junk is not recorded: a query without letters, or too long to be a word anyone looks up;
- counts are aggregated in memory and written in one transaction per batch (every
  ``ZERO_RESULTS_FLUSH_SIZE`` distinct queries or ``ZERO_RESULTS_FLUSH_SECONDS``, whichever
  comes first, and when the process exits or a curator reads the log);
- at most ``ZERO_RESULTS_MAX_NEW_PER_DAY`` new distinct queries are added per UTC day (a
  query already in the table keeps counting), and at most that many wait in memory;
- once a batch finds the day's budget spent, a query that is neither waiting nor known to
  be in the table (the process remembers up to ``KNOWN_MAX`` of those it wrote or read) is
  dropped in memory until the next UTC day: a flood of distinct junk costs no database
  work at all, not even the reads of a batch.

The counts are an aid for curators, not an audit: a process killed outright loses the
counts of its last batch.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref

from flask import Flask, current_app
from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import SQLAlchemyError

from search_index import normalize
from search_index.documents import MAX_FUZZY_LEN

from .db import Database, dialect_insert
from .models import ZeroResultQuery, utcnow

log = logging.getLogger(__name__)

# Longer queries are not recorded: nobody looks up a 65-character word, and a phrase that
# long is not a gap in the dictionary a linguist can fill.
MAX_CHARS = 64
KNOWN_MAX = 5000  # (query, lang) pairs a process remembers as already in the table
_IN_CLAUSE = 400  # keys per SELECT … IN (…) when a batch is written


def is_junk(key: str) -> bool:
    """Whether a normalised query is not worth a row: no letters, over long, or a word
    longer than any word of these languages.

    >>> is_junk("mặt trời"), is_junk("1234 !!"), is_junk("a" * 40), is_junk("x" * 65)
    (False, True, True, True)
    """
    if len(key) > MAX_CHARS or not any(c.isalpha() for c in key):
        return True
    return any(len(word) > MAX_FUZZY_LEN for word in key.split())


class ZeroResultLog:
    """Counts of queries that found nothing, kept in memory and written in batches."""

    def __init__(self, db: Database, flush_size: int, flush_seconds: float,
                 max_new_per_day: int) -> None:
        self.db = db
        self.flush_size, self.flush_seconds = flush_size, flush_seconds
        self.max_new_per_day = max_new_per_day
        self._pending: dict[tuple[str, str], list] = {}  # (query, lang) → [count, last seen]
        self._since = time.monotonic()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one batch written at a time
        self.dropped = 0  # new queries not kept because the day's cap was reached
        self._known: set[tuple[str, str]] = set()  # pairs seen in the table (bounded)
        self._full_day = None  # the UTC date whose budget a batch found spent

    def record(self, query: str, lang: str) -> None:
        key = normalize.exact_key(query)
        if is_junk(key):
            return
        now = utcnow()
        with self._lock:
            counted = self._pending.get((key, lang))
            if counted is not None:
                counted[0] += 1
                counted[1] = now
            elif self._full_day == now.date() and (key, lang) not in self._known:
                self.dropped += 1
                return
            elif len(self._pending) < self.max_new_per_day:
                self._pending[(key, lang)] = [1, now]
            else:
                self.dropped += 1
            due = (len(self._pending) >= self.flush_size
                   or time.monotonic() - self._since >= self.flush_seconds)
        if due:
            self.flush()

    def flush(self) -> int:
        """Write what is pending in one transaction; return the number of rows written.
        A failure is logged and never reaches the search that triggered it."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, {}
                self._since = time.monotonic()
            if not batch:
                return 0
            try:
                return self._write(batch)
            except SQLAlchemyError:
                log.exception("could not record %d zero-result queries", len(batch))
                return 0

    def _write(self, batch: dict[tuple[str, str], list]) -> int:
        table = ZeroResultQuery.__table__
        now = utcnow()
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        with self.db.transaction() as s:
            keys = list(batch)
            known: set[tuple[str, str]] = set()
            for i in range(0, len(keys), _IN_CLAUSE):
                known.update(s.execute(
                    select(table.c.query, table.c.lang)
                    .where(tuple_(table.c.query, table.c.lang).in_(keys[i:i + _IN_CLAUSE]))).all())
            added_today = s.scalar(select(func.count()).select_from(table)
                                   .where(table.c.first_seen >= day)) or 0
            budget = max(self.max_new_per_day - added_today, 0)
            new = sorted((k for k in keys if k not in known), key=lambda k: -batch[k][0])
            self.dropped += max(len(new) - budget, 0)
            rows = [k for k in keys if k in known] + new[:budget]
            with self._lock:
                if budget <= len(new):
                    self._full_day = day.date()
                room = KNOWN_MAX - len(self._known)
                if room > 0:
                    self._known.update(rows[:room])
            if not rows:
                return 0
            insert = dialect_insert(s)(table)
            stmt = insert.on_conflict_do_update(
                index_elements=[table.c.query, table.c.lang],
                set_={"count": table.c.count + insert.excluded.count,
                      "last_seen": insert.excluded.last_seen})
            s.execute(stmt, [{"query": q, "lang": lang, "count": batch[(q, lang)][0],
                              "last_seen": batch[(q, lang)][1], "first_seen": now}
                             for q, lang in rows])
        return len(rows)


def get_log() -> ZeroResultLog:
    return current_app.extensions["dictionary.zero_results"]


def record(query: str, lang: str) -> None:
    get_log().record(query, lang)


def flush() -> int:
    """Write the pending counts now (before the log is read)."""
    return get_log().flush()


def init_app(app: Flask) -> None:
    cfg = app.config
    zero_log = ZeroResultLog(app.extensions["dictionary.db"], cfg["ZERO_RESULTS_FLUSH_SIZE"],
                             cfg["ZERO_RESULTS_FLUSH_SECONDS"], cfg["ZERO_RESULTS_MAX_NEW_PER_DAY"])
    app.extensions["dictionary.zero_results"] = zero_log
    # The counts of the last batch are written when the process ends normally; a weak
    # reference, so an app that is dropped (tests make hundreds) is not kept alive.
    ref = weakref.ref(zero_log)
    atexit.register(lambda: (z := ref()) is not None and z.flush())
