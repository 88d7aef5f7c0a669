"""Keeping the Whoosh index in step with the database: an outbox, applied after commit.

1. ``before_flush``: derived fields are computed (``derive``), new entries get a public id,
   and the public id of every entry touched (directly or through a sense, example or
   variant) is collected; ``before_commit`` writes them to ``index_queue`` in the same
   transaction as the change, in commit order (``outbox``).
2. ``after_commit``: the queue is applied to the index under the index writer lock (for a
   bulk import, when the import returns: ``applies_queue_on_return``). A
   rolled-back transaction takes its queue rows with it, so its edits never reach search; a
   process killed after commit leaves its queue rows, and every process applies whatever
   is queued when it starts (``start_up``), so they never wait for the next curator's edit.
   Each index applies the rows after the last id it holds, so several machines, each with
   its own index, follow one database; a follower thread in every serving process
   (``follow``) applies what other machines committed within ``INDEX_FOLLOW_SECONDS``.
3. ``rebuild`` builds a fresh index from the database and swaps it in; ``update`` repairs
   drift by comparing (id, updated-at); ``check`` reports drift without changing anything.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from search_index import IndexBusy, IndexMissing, SearchIndex, make_document, make_documents
from search_index.rules import Rules

from . import derive, outbox
from .db import Database
from .entry_rows import Row, load_tree, shape
from .models import (
    PUBLISHED,
    Entry,
    Example,
    IndexQueue,
    Language,
    PublicIdCounter,
    Sense,
    Variant,
    utcnow,
)

log = logging.getLogger(__name__)
_follower_lock = threading.Lock()
QUEUE_CHUNK = 5000  # queued entries loaded, made into documents and written at a time
# Columns a search document never reads, left out when the queue loads entries
# (``load_rows``): the source's own data kept as it came (FieldWorks XML, most of a row).
NOT_SEARCHED = frozenset({"extra"})


@dataclass
class IndexService:
    """The search index of one app, kept in step with its database: the outbox queue,
    rebuilds, drift repair, and the rules every document and query is keyed with."""

    index: SearchIndex
    rules: dict[str, Rules]
    database: Database
    timeout: float
    started: threading.Thread | None = None  # the start-up work (``start_up``), if any
    #: Set once this process's search tables are loaded (``start_up``); /healthz 503 until.
    ready: threading.Event = field(default_factory=threading.Event)
    follow_seconds: float = 0.0  # how often a serving process looks for others' commits
    stale_after: dt.timedelta = dt.timedelta(days=7)  # a node silent longer holds no rows
    follower_pid: int | None = None  # the process whose follower thread runs (``follow``)
    follower: threading.Thread | None = None

    # ---- documents ------------------------------------------------------------------------
    def documents(self, entries: list[Entry]) -> list[dict]:
        return [make_document(entry_doc(e), self.rules.get(e.language.code)) for e in entries]

    # ---- the queue ------------------------------------------------------------------------
    def process_queue(self, timeout: float | None = None) -> int:
        """Apply the outbox rows after the last one this index holds; return how many
        entries were written. Leaves the queue to whoever holds the writer lock if it stays
        busy past ``timeout``."""
        done = 0
        try:
            with self.index.write_lock(self.timeout if timeout is None else timeout):
                applied = self.index.applied()
                with self.database.Session() as s:
                    if applied < outbox.pruned_through(s) or \
                            self.index.epoch() != outbox.epoch(s):
                        log.warning("index behind the outbox or restored: rebuilding")
                        return self._rebuild_locked(None)
                while True:
                    with self.database.Session() as s:
                        rows = s.execute(select(IndexQueue.id, IndexQueue.entry_public_id)
                                         .where(IndexQueue.id > applied)
                                         .order_by(IndexQueue.id).limit(QUEUE_CHUNK)).all()
                        if not rows:
                            break
                        ids = {pid for _, pid in rows}
                        entries = load_rows(s, Entry.public_id.in_(ids))
                        self.index.write(self.documents(entries),
                                         ids - {e.public_id for e in entries})
                    applied = rows[-1][0]
                    self.index.mark_applied(applied)
                    done += len(ids)
                if done:
                    self.report(applied)
        except IndexBusy:
            log.info("index writer busy; %d queued changes left for the lock holder", done)
        except IndexMissing:
            log.info("no search index yet; queued changes wait for `search rebuild`")
        return done

    def report(self, applied: int) -> None:
        """Tell the other indexes how far this one is, and delete what all of them hold."""
        with self.database.Session() as s, s.begin():
            outbox.report(s, self.index.node(), applied, self.stale_after)

    def pending(self) -> int:  # outbox rows this index has still to apply
        with self.database.Session() as s:
            return outbox.pending(s, self.index.applied())

    def follow(self) -> None:
        """Start this process's follower thread unless it runs (called on each request: a
        process forked from the one that built the app starts its own, the parent of a
        preforking server never does)."""
        if self.follow_seconds <= 0 or self.follower_pid == os.getpid():
            return
        with _follower_lock:
            if self.follower_pid != os.getpid():
                self.follower_pid = os.getpid()
                self.follower = threading.Thread(target=outbox.follow, args=(self,),
                                                 name="index-follower", daemon=True)
                self.follower.start()

    def stop_following(self) -> None:
        """End this process's follower thread and wait for it (its next look)."""
        self.follower_pid, follower, self.follower = None, self.follower, None
        if follower is not None and follower.ident != threading.get_ident():
            follower.join(self.follow_seconds + self.timeout)

    # ---- whole-index maintenance -----------------------------------------------------------
    def rebuild(self, progress: Callable[[Iterable[Entry]], Iterable[Entry]] | None = None) -> int:
        """Build a new index generation from the database and swap it in. ``progress`` may
        wrap the entries (the CLI passes a progress bar)."""
        with self.index.write_lock(max(self.timeout, 60.0)):
            return self._rebuild_locked(progress)

    def _rebuild_locked(self, progress) -> int:
        with self.database.Session() as s:
            epoch = outbox.epoch(s) or outbox.new_epoch(s)
            s.commit()  # then ``last`` before the entries: later commits have higher ids
            last = outbox.last_id(s)
            entries = _load(s, None)
            wrapped = progress(entries) if progress else entries
            docs = [entry_doc(e) for e in wrapped]
        count = self.index.build(make_documents(docs, self.rules), applied=last, epoch=epoch)
        self.report(last)
        return count

    def compare(self) -> Drift:
        with self.database.Session() as s:
            db = {pid: stamp(t) for pid, t in s.execute(
                select(Entry.public_id, Entry.updated_at).where(Entry.status == PUBLISHED))}
            queued = outbox.pending(s, self.index.applied())
        ix = self.index.stored_versions() if self.index.exists() else {}
        return Drift(
            missing=sorted(set(db) - set(ix)),
            extra=sorted(set(ix) - set(db)),
            stale=sorted(pid for pid in set(db) & set(ix) if db[pid] != ix[pid]),
            queued=queued,
            index_exists=self.index.exists(),
        )

    def update(self) -> Drift:
        """Repair drift in place: rewrite missing/stale documents, delete extra ones."""
        with self.index.write_lock(max(self.timeout, 60.0)):
            drift = self.compare()
            with self.database.Session() as s:
                last = outbox.last_id(s)
                entries = _load(s, Entry.public_id.in_(drift.missing + drift.stale))
                self.index.write(self.documents(entries), drift.extra)
            self.index.mark_applied(last)
            self.report(last)
        return drift


@dataclass
class Drift:
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    queued: int = 0
    index_exists: bool = True

    @property
    def clean(self) -> bool:
        return self.index_exists and not (self.missing or self.extra or self.stale or self.queued)


def stamp(t) -> str:
    return t.isoformat(timespec="microseconds") if t else ""


def entry_doc(e: Entry) -> dict:
    """The plain dict that ``search_index`` gets for an entry (never the ORM object)."""
    return {
        "id": e.public_id,
        "lang": e.language.code,
        "headword": e.headword,
        "variants": [v.form for v in e.variants] + ([e.lexeme_form] if e.lexeme_form else []),
        "glosses": [g for s in e.senses for g in s.glosses_vi],
        "examples": [(x.text, x.translation_vi) for s in e.senses for x in s.examples],
        "updated": stamp(e.updated_at),
    }


def load_rows(s: Session, where) -> list[Row]:
    """The published entries ``where`` selects, as ``_load`` gives them (in its order) but
    as plain rows (``entry_rows``): ``entry_doc`` reads them alike, at a fraction of the
    cost of ORM objects (the queue of a 100,000-entry import).

    The status is checked here, not in SQL: beside ``public_id IN (…)`` SQLite picks the
    status index and reads every published row for each chunk of the queue (the rows hold
    the kept XML: 20 s of a 100,000-entry import), and sorts them as ``_load`` would."""
    ids = [i for i, status in s.execute(select(Entry.id, Entry.status).where(where))
           if status == PUBLISHED]
    rows = [row for i in range(0, len(ids), QUEUE_CHUNK) for row in load_tree(
        s, shape(Entry), Entry.id.in_(ids[i:i + QUEUE_CHUNK]), skip=NOT_SEARCHED)]
    # ORDER BY sort_key, homograph, id: bytes compare as SQLite compares BLOBs; NULL first
    rows.sort(key=lambda e: (e.sort_key, e.homograph is not None, e.homograph or 0, e.id))
    return rows


def _load(s: Session, where) -> list[Entry]:
    q = (select(Entry)
         .where(Entry.status == PUBLISHED)
         .options(selectinload(Entry.language), selectinload(Entry.variants),
                  selectinload(Entry.senses).selectinload(Sense.examples))
         .order_by(Entry.sort_key, Entry.homograph, Entry.id))
    if where is not None:
        q = q.where(where)
    return list(s.scalars(q))


# ---- session hooks ---------------------------------------------------------------------------
_PUBLIC_ID = re.compile(r"^[a-z]{2,8}-(\d+)$")


def _owner(obj: object) -> Entry | None:
    if isinstance(obj, Entry):
        return obj
    if isinstance(obj, (Sense, Variant)):
        return obj.entry
    if isinstance(obj, Example):
        return obj.sense.entry if obj.sense is not None else None
    return None


def last_public_number(conn, code: str) -> int:
    ids = conn.execute(select(Entry.public_id).where(Entry.public_id.like(f"{code}-%")))
    return max((int(m.group(1)) for m in (_PUBLIC_ID.match(i) for (i,) in ids) if m), default=0)


def next_public_ids(session: Session, code: str, count: int = 1) -> list[str]:
    """The next ``count`` public ids of language ``code``, taken from its counter in one
    statement (a bulk import's flush numbers thousands of new entries at once)."""
    conn = session.connection()  # core statements: no autoflush inside the flush hook
    last = conn.execute(update(PublicIdCounter).where(PublicIdCounter.lang == code)
                        .values(last=PublicIdCounter.last + count)
                        .returning(PublicIdCounter.last)).scalar()
    if last is None:  # a language the catalog did not create a counter for
        last = last_public_number(conn, code) + count
        conn.execute(insert(PublicIdCounter).values(lang=code, last=last))
    return [f"{code}-{n:06d}" for n in range(last - count + 1, last + 1)]


def _before_flush(session: Session, _ctx, _instances) -> None:
    state: IndexService | None = session.info.get("index_state")
    touched: dict[int, Entry] = {}
    deleted: set[str] = set()
    changed = [o for o in session.dirty if session.is_modified(o)]
    # ``session.new`` and ``session.deleted`` are rebuilt on every access: read them once (a
    # bulk import flushes thousands of entries at a time). Lists keep the order in which
    # new entries get their public ids.
    new, gone = list(session.new), list(session.deleted)
    is_new, is_gone = set(new), set(gone)
    for obj in [*new, *changed, *gone]:
        derive.clean_text_fields(obj)
        entry = _owner(obj)
        if entry is None:
            continue
        if entry in is_gone:
            if entry.public_id:
                deleted.add(entry.public_id)
            continue
        touched[id(entry)] = entry
    numbered: dict[str, list[Entry]] = {}  # language code → new entries, in flush order
    for entry in touched.values():
        with session.no_autoflush:
            language = entry.language or session.get(Language, entry.language_id)
        rules = state.rules.get(language.code) if state else None
        derive.derive_entry(entry, rules)
        if not entry.public_id:
            numbered.setdefault(language.code, []).append(entry)
        if entry not in is_new:
            entry.updated_at = utcnow()  # a sense edit is an entry edit (diff repair, locking)
    for code, entries in numbered.items():
        for entry, public_id in zip(entries, next_public_ids(session, code, len(entries))):
            entry.public_id = public_id
    queue_entries(session, sorted({e.public_id for e in touched.values()} | deleted))


def queue_entries(session: Session, public_ids: list[str]) -> None:
    """Queue ``public_ids`` for the search index (the flush hook's, and the bulk import's,
    which writes rows without a flush): their outbox rows are written just before the commit
    (``outbox.write_rows``) and applied after it."""
    outbox.collect(session, public_ids)


def language_rules(session: Session, code: str) -> Rules | None:
    """The orthography rules the flush hook derives keys of language ``code`` with."""
    state: IndexService | None = session.info.get("index_state")
    return state.rules.get(code) if state else None


def _after_commit(session: Session) -> None:
    if session.info.get("index_deferred"):
        return  # applied when the deferring call returns (``applies_queue_on_return``)
    if session.info.pop("index_dirty", False):
        state: IndexService | None = session.info.get("index_state")
        if state is not None:
            state.process_queue()




def applies_queue_on_return(fn):
    """Decorate a function of a session (its first argument) that commits a large write:
    the queue its commit leaves is applied when the function returns (or raises), after
    its own data is let go (a parsed 100,000-entry file), not from inside the commit."""
    @functools.wraps(fn)
    def wrapper(session: Session, *args, **kwargs):
        session.info["index_deferred"] = True
        try:
            return fn(session, *args, **kwargs)
        finally:
            session.info.pop("index_deferred", None)
            _after_commit(session)
    return wrapper


def init_app(app: Flask, database: Database) -> IndexService:
    rules = derive.rules_in(app.config["ORTHOGRAPHY_DIR"])
    state = IndexService(SearchIndex(app.config["INDEX_DIR"]), rules, database,
                         float(app.config["INDEX_WRITE_TIMEOUT"]),
                         follow_seconds=float(app.config["INDEX_FOLLOW_SECONDS"]),
                         stale_after=dt.timedelta(days=float(app.config["INDEX_NODE_STALE_DAYS"])))
    database.Session.configure(info={"index_state": state})
    event.listen(database.Session, "before_flush", _before_flush)
    event.listen(database.Session, "before_commit", outbox.write_rows)
    event.listen(database.Session, "after_commit", _after_commit)
    event.listen(database.Session, "after_rollback", outbox.forget)
    app.before_request(state.follow)
    app.extensions["dictionary.index"] = state
    drain, warm = app.config["INDEX_DRAIN_AT_START"], app.config["INDEX_WARM_UP"]
    if (drain or warm) and state.index.exists():
        state.started = threading.Thread(target=start_up, args=(state, drain, warm),
                                         name="index-start-up", daemon=True)
        state.started.start()
    if not (warm and state.started):
        state.ready.set()  # nothing to load (a missing index is reported as such)
    return state


def start_up(state: IndexService, drain: bool = True, warm: bool = True) -> None:
    """What a process does once, in the background, when it starts: apply the changes left
    queued by a process that died after its commit (or by a bulk write that could not take
    the writer lock), then load (or build) the lookup tables and fuzzy maps before the first
    query needs them (seconds on a large lexicon). With several processes, whichever holds the
    writer lock applies the queue; the others leave it to that one."""
    try:
        if drain:
            done = state.process_queue()
            if done:
                log.info("applied %d changes left queued at start", done)
        if warm:
            state.index.warm_up()
    except Exception:  # a server must start even if the index is unreadable: /healthz says so
        log.exception("could not start the search index")
    finally:
        state.index.close()  # this thread's searcher; the request threads open their own
        state.ready.set()


def index_service() -> IndexService:
    """The current app's index service: the search index, the orthography rules, the outbox."""
    return current_app.extensions["dictionary.index"]
