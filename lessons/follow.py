"""Lesson items follow the lexicon: edits, deletes and merges of entries reach them at once.

Where it sits: receivers of the dictionary's signals (``dictionary.signals``), connected by
``lessons.init_app``. Each runs inside the transaction that changes the entry, through its
session, and never commits. An item whose sense or example stops resolving to a published,
glossed sense is *retired* (hidden from lessons, with the reason, listed by
``flask lessons check``), and every learner's review state for that sense is kept but set
aside (``ReviewState.retired``); the same check brings both back when the sense returns. A
merge re-points items, review states and their log from the merged entries' sense ids to
the kept entry's (the ``refs`` map the merge sends).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import and_, select, tuple_, update
from sqlalchemy.orm import Session, selectinload

import dictionary.sense_ids as sense_ids
import dictionary.signals as signals
from dictionary.models import PUBLISHED, Entry, Sense

from .clock import now
from .models import DialogueLine, LessonItem, ReviewLog, ReviewState


def why_unusable(entry: Entry | None, ref: str, senses: Iterable[Sense] | None = None
                 ) -> str | None:
    """Why ``ref`` cannot be taught from ``entry`` as it stands now, or None if it can
    (``senses``: the entry's senses as stored, when its collection may be stale)."""
    if entry is None:
        return "the entry does not exist"
    if entry.status != PUBLISHED:
        return f"the entry is {entry.status}"
    r = sense_ids.parse(ref)
    sense = next((s for s in (entry.senses if senses is None else senses)
                  if s.position + 1 == r.sense), None)
    if sense is None:
        return f"the entry has no sense {r.sense}"
    if not sense.gloss_vi.strip():
        return f"sense {r.sense} has no Vietnamese gloss"
    if r.example is not None and not any(x.position + 1 == r.example for x in sense.examples):
        return f"sense {r.sense} has no example {r.example}"
    return None


def recheck(session: Session, entry: Entry) -> None:
    """Retire or bring back the items that point into ``entry``, by how it stands now."""
    items = session.scalars(select(LessonItem).where(
        LessonItem.entry_public_id == entry.public_id)).all()
    if not items:
        return
    # Read from the database: inside the saving transaction, after a flush, the entry's
    # replaced ``senses`` collection can be stale.
    senses = session.scalars(select(Sense).where(Sense.entry_id == entry.id)
                             .options(selectinload(Sense.examples))).all()
    flipped: dict[str, bool] = {}
    moment = now()
    for item in items:
        reason = why_unusable(entry, item.ref, senses)
        if reason and item.retired_at is None:
            item.retired_at, item.retired_reason = moment, reason
            flipped[item.ref] = True
        elif reason:
            item.retired_reason = reason
        elif item.retired_at is not None:
            item.retired_at, item.retired_reason = None, None
            flipped[item.ref] = False
    for retired in (True, False):
        refs = [ref for ref, value in flipped.items() if value is retired and ref.count("/") == 1]
        if refs:
            session.execute(update(ReviewState).where(ReviewState.sense_ref.in_(refs))
                            .values(retired=retired))


def repoint(session: Session, refs: Mapping[str, str]) -> None:
    """Move items, dialogue lines, review states and log rows from old sense/example ids to
    new ones. A learner who already has a card for the new sense keeps it; the card of the
    old one stays under its old id, set aside (its log too), so no progress is thrown away."""
    for old, new in refs.items():
        new_entry = sense_ids.parse(new).public_id
        for model in (LessonItem, DialogueLine):
            session.execute(update(model).where(model.ref == old)
                            .values(ref=new, entry_public_id=new_entry))
        if old.count("/") != 1:
            continue
        taken = select(ReviewState.learner_id, ReviewState.kind).where(
            ReviewState.sense_ref == new)
        clash = {tuple(row) for row in session.execute(taken)}
        movable = ReviewState.sense_ref == old
        if clash:
            movable = and_(movable,
                           tuple_(ReviewState.learner_id, ReviewState.kind).not_in(list(clash)))
        session.execute(update(ReviewState).where(movable).values(sense_ref=new))
        logs = ReviewLog.sense_ref == old
        if clash:
            logs = and_(logs, tuple_(ReviewLog.learner_id, ReviewLog.kind).not_in(list(clash)))
        session.execute(update(ReviewLog).where(logs).values(sense_ref=new))
        session.execute(update(ReviewState).where(ReviewState.sense_ref == old)
                        .values(retired=True))


def _on_saved(entry: Entry, *, session: Session, **_kw) -> None:
    # An import announces thousands of entries: one query for all of them says which have
    # items, instead of one query each (``signals.announcing``).
    current = signals.run(session)
    if current is not None and entry.public_id in current.public_ids:
        taught = current.scratch.get(__name__)
        if taught is None:
            taught = current.scratch[__name__] = _taught(session, sorted(current.public_ids))
        if entry.public_id not in taught:
            return
    recheck(session, entry)


def _taught(session: Session, public_ids: list[str]) -> set[str]:
    """The entries among ``public_ids`` that lesson items point into."""
    found: set[str] = set()
    for i in range(0, len(public_ids), 500):
        found.update(session.scalars(select(LessonItem.entry_public_id).where(
            LessonItem.entry_public_id.in_(public_ids[i:i + 500]))))
    return found


def _on_merged(keep: Entry, *, session: Session, refs: Mapping[str, str] | None = None,
               merged: Iterable[Entry] = (), **_kw) -> None:
    if refs:
        session.flush()
        repoint(session, refs)
    recheck(session, keep)
    for other in merged:
        recheck(session, other)


def connect() -> None:
    """Connect the receivers (idempotent: blinker keeps one connection per receiver)."""
    signals.entry_saved.connect(_on_saved)
    signals.entry_deleted.connect(_on_saved)
    signals.entries_merged.connect(_on_merged)

