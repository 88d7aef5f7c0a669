"""Undoing a confirmed bulk import as a whole: ``revert_batch``.

Where it sits: ``importer.import_lexicon`` records every confirmed import as an
``ImportBatch`` and signs each revision it writes with the batch id. Reverting reads those
revisions back: an entry the batch created is soft-deleted (status ``deleted``); an entry it
updated (or renumbered as a homograph) gets the content of its revision *before* the batch
back (``revisions.assign_state``). Each gets a new revision "reverted import N". One
transaction, all or nothing; the session hooks of ``indexing`` take the changes to the
search index after commit, as for any edit.

An entry changed again after the batch (a later revision, or a state that no longer matches
the batch's own snapshot) cannot be reverted without throwing that later work away, so the
whole revert is refused and those entries are named with their later revisions. There is
deliberately no "force": the curator decides, entry by entry, what to keep, then reverts.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from .. import signals
from ..models import DELETED, Entry, ImportBatch, Revision, Sense, Source, utcnow
from ..revisions import assign_state, entry_snapshot, record

CREATED = "created"
REVERTED = "reverted import "  # + the batch id: the summary of a revert's revisions


@dataclass
class Conflict:
    """Why one entry of the batch cannot be reverted."""

    public_id: str
    headword: str
    reason: str  # English, like the importer's problems
    # (revision id, when, author, summary) of the changes made after the batch
    later: list[tuple[int, dt.datetime, str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.public_id} ({self.headword}): {self.reason}"
        for rid, when, author, summary in self.later:
            text += f"\n    revision {rid}, {when:%Y-%m-%d %H:%M}, {author or '?'}: {summary}"
        return text


class RevertRefused(Exception):
    """The batch was not reverted; nothing changed. ``conflicts`` names the entries that
    were changed after the batch (empty when the batch itself is the problem)."""

    def __init__(self, message: str, conflicts: list[Conflict] | None = None) -> None:
        self.message = message
        self.conflicts = list(conflicts or [])
        super().__init__("\n".join([message, *(f"  {c}" for c in self.conflicts)]))


@dataclass
class RevertReport:
    batch_id: int
    deleted: list[str] = field(default_factory=list)  # created by the batch, now soft-deleted
    restored: list[str] = field(default_factory=list)  # updated by it, content restored

    def summary(self) -> str:
        return (f"Import {self.batch_id} reverted: {len(self.deleted)} entries it created were "
                f"deleted, {len(self.restored)} entries it changed were restored.")


def revert_batch(session: Session, batch_id: int, user=None, *,
                 author: str | None = None) -> RevertReport:
    """Undo import batch ``batch_id`` in one transaction (commits; rolls back and raises
    ``RevertRefused`` when it cannot). ``user`` is the signed-in ``User``; ``author`` names
    anyone else (the command line)."""
    if session.new or session.dirty or session.deleted:
        raise ValueError("revert_batch needs a session without pending changes")
    who = getattr(user, "email", None) or author or "?"
    try:
        report = _revert(session, batch_id, user, who)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return report


def _revert(session: Session, batch_id: int, user, who: str) -> RevertReport:
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise RevertRefused(f"there is no import {batch_id}")
    # Claim the batch first: a second revert running at the same time waits for this
    # transaction's write lock and then finds the batch reverted (or rolls back with it).
    table = ImportBatch.__table__
    claimed = session.execute(
        update(table).where(table.c.id == batch_id, table.c.reverted_at.is_(None))
        .values(reverted_at=utcnow(), reverted_by=who[:254])).rowcount
    session.refresh(batch)
    if not claimed:
        raise RevertRefused(f"import {batch_id} was already reverted on "
                            f"{batch.reverted_at:%Y-%m-%d %H:%M} by {batch.reverted_by}")
    plan, conflicts = _plan(session, batch_id)
    if conflicts:
        raise RevertRefused(
            f"import {batch_id} cannot be reverted: {len(conflicts)} of its entries were changed "
            "after it; nothing was reverted. Undo or keep those changes by hand first.",
            conflicts)
    sources = {s.key: s for s in session.scalars(select(Source))}
    report = RevertReport(batch_id)
    summary = f"{REVERTED}{batch_id}"
    with session.no_autoflush:
        for entry, previous in plan:
            if previous is None:
                entry.status = DELETED
                # Release the row's identity in its source, so a corrected file imported
                # later creates the entry again instead of updating a deleted one.
                entry.source_key = None
                report.deleted.append(entry.public_id)
            else:
                assign_state(entry, previous, sources.get(previous["source"]))
                for name in ("homograph", "status", "reviewed"):
                    if getattr(entry, name) != previous[name]:
                        setattr(entry, name, previous[name])
                report.restored.append(entry.public_id)
    for entry, _ in plan:
        record(session, entry, summary, user=user, author=None if user else who[:120])
    signals.batch_reverted.send(batch_id, session=session,
                                public_ids=[entry.public_id for entry, _ in plan], user=user)
    return report


def _plan(session: Session, batch_id: int):
    """(entry, snapshot to restore or None to delete) for each entry of the batch, and the
    conflicts that forbid the revert."""
    revisions = session.scalars(select(Revision).where(Revision.batch_id == batch_id)
                                .order_by(Revision.id)).all()
    first: dict[str, Revision] = {}
    last: dict[str, Revision] = {}
    for rev in revisions:
        first.setdefault(rev.entry_public_id, rev)
        last[rev.entry_public_id] = rev
    entries = _load(session, list(first))
    history = _history(session, list(first))
    reverted = set(session.scalars(select(ImportBatch.id).where(
        ImportBatch.reverted_at.is_not(None), ImportBatch.id != batch_id)))
    plan: list[tuple[Entry, int | None]] = []  # (entry, revision to restore; None: delete)
    conflicts: list[Conflict] = []
    for pid, rev in first.items():
        entry = entries.get(pid)
        headword = last[pid].snapshot.get("headword", "")
        if entry is None:
            conflicts.append(Conflict(pid, headword, "the entry no longer exists"))
            continue
        later = [(rid, when, author, summary) for rid, when, author, summary, batch in history[pid]
                 # A later import that was itself reverted (and its revert) left nothing to
                 # keep: reverting newest first, then older, works.
                 if rid > last[pid].id and batch not in reverted
                 and not summary.startswith(REVERTED)]
        if later:
            conflicts.append(Conflict(pid, entry.headword, "changed after the import", later))
            continue
        if entry_snapshot(entry) != last[pid].snapshot:
            conflicts.append(Conflict(pid, entry.headword,
                                      "changed after the import without a revision"))
            continue
        if rev.summary == CREATED:
            plan.append((entry, None))
            continue
        previous = max((rid for rid, *_ in history[pid] if rid < rev.id), default=None)
        if previous is None:
            conflicts.append(Conflict(pid, entry.headword, "no revision from before the import "
                                                           "to restore"))
            continue
        plan.append((entry, previous))
    snapshots = _snapshots(session, [rid for _, rid in plan if rid is not None])
    return [(entry, None if rid is None else snapshots[rid]) for entry, rid in plan], conflicts


def _history(session: Session, public_ids: list[str]) -> dict[str, list[tuple]]:
    """(id, created_at, author, summary, batch_id) of every revision of each entry, oldest
    first: one query per 500 entries, not two per entry (snapshots are read apart)."""
    found: dict[str, list[tuple]] = {pid: [] for pid in public_ids}
    for i in range(0, len(public_ids), 500):
        for pid, *row in session.execute(
                select(Revision.entry_public_id, Revision.id, Revision.created_at,
                       Revision.author, Revision.summary, Revision.batch_id)
                .where(Revision.entry_public_id.in_(public_ids[i:i + 500]))
                .order_by(Revision.id)):
            found[pid].append(tuple(row))
    return found


def _snapshots(session: Session, revision_ids: list[int]) -> dict[int, dict]:
    found: dict[int, dict] = {}
    for i in range(0, len(revision_ids), 500):
        found.update(session.execute(select(Revision.id, Revision.snapshot)
                                     .where(Revision.id.in_(revision_ids[i:i + 500]))).all())
    return found


def _load(session: Session, public_ids: list[str]) -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    for i in range(0, len(public_ids), 500):
        q = (select(Entry).where(Entry.public_id.in_(public_ids[i:i + 500]))
             .options(selectinload(Entry.language), selectinload(Entry.source),
                      selectinload(Entry.variants),
                      selectinload(Entry.senses).selectinload(Sense.examples)))
        found.update((e.public_id, e) for e in session.scalars(q))
    return found


def batch_revisions(session: Session, batch_id: int, limit: int = 500) -> list[Revision]:
    """The revisions a batch wrote (for the batch page), oldest first."""
    return list(session.scalars(select(Revision).where(Revision.batch_id == batch_id)
                                .order_by(Revision.id).limit(limit)))


def list_batches(session: Session, limit: int = 100) -> list[ImportBatch]:
    """The most recent import batches first."""
    return list(session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())
                                .limit(limit)))
