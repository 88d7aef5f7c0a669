"""The search outbox across processes and machines: rows in commit order, followed by id.

Every change to an entry leaves its public id in ``index_queue`` in the same transaction
(``indexing``'s flush hook collects the ids; ``write_rows`` inserts them just before the
commit). Each search index (one per machine: processes of one machine share its directory)
applies the rows after the last id it holds and records that id (``SearchIndex.applied``);
a row is deleted only once every index seen recently has applied it (``report``).

Why ids must follow commit order: a follower that has applied id 7 reads ``id > 7``. If a
transaction that took id 6 committed after 7 was applied, row 6 would never be read. So the
rows are inserted at the last moment before the commit, under a lock held until the commit:
on PostgreSQL a transaction-level advisory lock (``pg_advisory_xact_lock``), which makes
the next writer wait for this commit before it takes its ids; on SQLite the database's own
write lock already does (one writer at a time, from its first write to its commit).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import time

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from .db import dialect_insert
from .models import IndexNode, IndexQueue, utcnow

log = logging.getLogger(__name__)

# The advisory lock's key: any constant no other code uses ("tdix").
ADVISORY_KEY = 0x74646978
PENDING = "outbox_ids"  # session.info: public ids touched in this transaction


def collect(session: Session, public_ids) -> None:
    """Remember ``public_ids`` for this transaction's outbox rows (``write_rows``)."""
    if public_ids:
        session.info.setdefault(PENDING, set()).update(public_ids)
        session.info["index_dirty"] = True


def write_rows(session: Session) -> None:
    """``before_commit``: flush what is pending (its hook collects ids), then insert the
    outbox rows under the commit-order lock. Nothing happens for a transaction that touched
    no entry, so reads and other writes never wait for the lock."""
    session.flush()
    ids = session.info.pop(PENDING, None)
    if not ids:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
    conn.execute(insert(IndexQueue), [{"entry_public_id": pid} for pid in sorted(ids)])


def forget(session: Session) -> None:
    """``after_rollback``: the rolled-back transaction leaves no outbox rows."""
    session.info.pop(PENDING, None)
    session.info.pop("index_dirty", None)


def last_id(s: Session) -> int:
    """The highest id given so far (the rows up to it may have been applied and deleted)."""
    return max(s.scalar(select(func.max(IndexQueue.id))) or 0, pruned_through(s))


def pending(s: Session, applied: int) -> int:
    """How many outbox rows an index that holds ``applied`` has still to apply."""
    return s.scalar(select(func.count(IndexQueue.id)).where(IndexQueue.id > applied)) or 0


def pruned_through(s: Session) -> int:
    """The highest id deleted so far: an index that holds less missed rows and must be
    rebuilt."""
    return s.scalar(select(IndexNode.applied).where(IndexNode.node == IndexNode.PRUNED)) or 0


def epoch(s: Session) -> int | None:
    """This database's epoch: the ids of an index built from another epoch (a database
    restored from a backup since) mean nothing here."""
    return s.scalar(select(IndexNode.applied).where(IndexNode.node == IndexNode.EPOCH))


def new_epoch(s: Session) -> int:
    """Start a new epoch (a restore, or the first build): every index built before rebuilds
    when it next looks. The positions other indexes reported are forgotten with it."""
    value = secrets.randbelow(2 ** 31 - 1) + 1
    s.execute(delete(IndexNode).where(IndexNode.node != IndexNode.PRUNED))
    row = dialect_insert(s)(IndexNode).values(node=IndexNode.EPOCH, applied=value,
                                              seen_at=utcnow())
    s.execute(row.on_conflict_do_update(index_elements=[IndexNode.node],
                                        set_={"applied": value}))
    return value


def nodes(s: Session) -> list[tuple[str, int, dt.datetime]]:
    """The indexes following this database: (node, last id applied, last report)."""
    return list(s.execute(select(IndexNode.node, IndexNode.applied, IndexNode.seen_at)
                          .where(IndexNode.node.not_in([IndexNode.PRUNED, IndexNode.EPOCH]))
                          .order_by(IndexNode.node)))


def report(s: Session, node: str, applied: int, stale_after: dt.timedelta) -> int:
    """Record that ``node`` holds the outbox up to ``applied``, then delete the rows every
    node seen within ``stale_after`` holds; returns how many were deleted. A node silent
    for longer no longer holds rows back; when it comes back it finds the rows it needs
    gone (``pruned_through``) and rebuilds. The caller commits."""
    now = utcnow()
    upsert = dialect_insert(s)(IndexNode).values(node=node, applied=applied, seen_at=now)
    s.execute(upsert.on_conflict_do_update(
        index_elements=[IndexNode.node], set_={"applied": applied, "seen_at": now}))
    held = s.scalar(select(func.min(IndexNode.applied)).where(
        IndexNode.node.not_in([IndexNode.PRUNED, IndexNode.EPOCH]),
        IndexNode.seen_at >= now - stale_after)) or 0
    if held <= pruned_through(s):
        return 0
    deleted = s.execute(delete(IndexQueue).where(IndexQueue.id <= held)).rowcount
    floor = dialect_insert(s)(IndexNode).values(node=IndexNode.PRUNED, applied=held, seen_at=now)
    s.execute(floor.on_conflict_do_update(
        index_elements=[IndexNode.node], set_={"applied": held, "seen_at": now}))
    return deleted


def follow(state) -> None:
    """The follower thread of one process (``IndexService.follow`` starts it). Every
    ``follow_seconds``: apply the rows another process or machine committed (one indexed
    ``max(id)`` query when there are none); if a process of this machine holds the writer
    lock, it is applying them, and this one does not wait. Once an hour the node reports
    even when idle, so that rows are kept for it."""
    reported = time.monotonic()
    while state.follower_pid == os.getpid():
        time.sleep(state.follow_seconds)
        try:
            with state.database.Session() as s:
                last = last_id(s)
            if last > state.index.applied():
                state.process_queue(timeout=0)
            elif time.monotonic() - reported > 3600 and state.index.exists():
                state.report(state.index.applied())
                reported = time.monotonic()
        except Exception:  # the follower must outlive a database restart
            log.exception("index follower: will try again")
        finally:
            state.index.close()  # this thread's searcher
