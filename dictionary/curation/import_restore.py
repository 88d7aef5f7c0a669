"""What a file says an entry was, restored where it fits: our LIFT export as a backup.

Where it sits: ``import_plan.apply_plan`` asks here when it creates entries. Our own LIFT
export writes every entry's public id and status (and its homograph number as the entry's
``order``, as FieldWorks does); imported into an empty dictionary, the file should give
the same dictionary back, not a renumbered one with everything in draft.

- Public id: a new entry takes the file's when it has this language's form
  (``hre-000123``), no stored entry has it, and no other row of the file claims it; the
  language's counter is moved past it, so later entries never get it again.
- Status: the file's, but never more than the import may give (the ``status`` chosen for
  new entries: a draft import of a published entry makes a draft); and never published
  without a Vietnamese gloss on every sense (``import_plan.glossed``).
"""
from __future__ import annotations

import re

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ..formats.records import ParsedEntry
from ..models import DRAFT, IN_REVIEW, PUBLISHED, Entry, PublicIdCounter

_RANK = {DRAFT: 0, IN_REVIEW: 1, PUBLISHED: 2}


def new_status(p: ParsedEntry, allowed: str, glossed: bool) -> str:
    """The status a new entry is created with."""
    status = allowed
    if p.status in _RANK and _RANK[p.status] < _RANK.get(allowed, 0):
        status = p.status
    return status if glossed else DRAFT


def restorable_ids(session: Session, code: str, rows: list[ParsedEntry]) -> dict[str, str]:
    """Source key → the public id a new row gets back (free, of this language, unique)."""
    shape = re.compile(rf"{re.escape(code)}-(\d{{6}})")
    wanted: dict[str, list[str]] = {}
    for p in rows:
        if p.public_id and shape.fullmatch(p.public_id):
            wanted.setdefault(p.public_id, []).append(p.source_key)
    if not wanted:
        return {}
    taken: set[str] = set()
    ids = list(wanted)
    for i in range(0, len(ids), 500):
        taken.update(session.scalars(select(Entry.public_id).where(
            Entry.public_id.in_(ids[i:i + 500]))))
    return {keys[0]: pid for pid, keys in wanted.items() if pid not in taken and len(keys) == 1}


def reserve(session: Session, code: str, public_ids: list[str]) -> None:
    """Move the language's counter past the restored ids (before new ids are handed out)."""
    if not public_ids:
        return
    highest = max(int(pid.rsplit("-", 1)[1]) for pid in public_ids)
    conn = session.connection()
    moved = conn.execute(update(PublicIdCounter).where(
        PublicIdCounter.lang == code, PublicIdCounter.last < highest).values(last=highest))
    if not moved.rowcount and session.get(PublicIdCounter, code) is None:
        conn.execute(insert(PublicIdCounter).values(lang=code, last=highest))
