"""Revisions' authorship through a LIFT backup: who changed each entry, when, how.

Where it sits: the LIFT export (``curation.export``) hands ``lift_out`` the revisions people
made (``people_revisions``), written into each entry as ``<annotation name="tudien-revision"
who=… when=… value=summary>``; ``lift_in`` reads them back (``ParsedEntry.history``) and
``importer.import_lexicon`` calls ``with_history``'s hook before it commits: an entry the
import creates gets those revisions again, after its own "created" revision, in the import's
batch (so reverting the import removes them with the entry), each with the entry's snapshot
as imported (the file has no earlier states), the date and author of the original and a
comment naming the file. An import's own revisions are this instance's bookkeeping, not
authorship, and are not exported: a backup exported, imported into an empty instance and
exported again is the same file.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..formats import ParsedLexicon
from ..models import Entry, Language, Revision
from ..revisions import entry_snapshot
from .import_plan import CREATED

RESTORED = "restored from "  # Revision.comment of a revision an import brought back
WHEN = "%Y-%m-%dT%H:%M:%SZ"


def people_revisions(session: Session, lang: str | None) -> dict[str, list[tuple[str, str, str]]]:
    """public id → (author, when, summary) of the revisions that are not an import's own
    (no batch, or brought back from a file), oldest first."""
    q = (select(Revision.entry_public_id, Revision.author, Revision.created_at,
                Revision.summary)
         .where((Revision.batch_id.is_(None)) | Revision.comment.startswith(RESTORED))
         .order_by(Revision.created_at, Revision.id))
    if lang is not None:
        q = q.join(Entry, Entry.public_id == Revision.entry_public_id).join(Language).where(
            Language.code == lang)
    found: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for public_id, author, when, summary in session.execute(q):
        found[public_id].append((author or "", when.strftime(WHEN) if when else "", summary))
    return found


def _when(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, WHEN)
    except ValueError:
        return None


def with_history(parsed: ParsedLexicon, file_name: str, then=None):
    """The ``on_written`` hook that gives each created entry the revisions its file carries,
    then calls ``then`` (the caller's own hook)."""
    carried = {p.line: p.history for p in parsed.entries if p.history}

    def restore(session: Session, report) -> None:
        lines = {r.public_id: carried[r.line] for r in report.rows
                 if r.action == CREATED and r.line in carried}
        if lines:
            entries = session.scalars(select(Entry).where(Entry.public_id.in_(list(lines))))
            for entry in entries:
                snapshot = entry_snapshot(entry)
                batch = session.scalar(select(Revision.batch_id).where(
                    Revision.entry_public_id == entry.public_id).order_by(Revision.id.desc()))
                for who, when, summary in lines[entry.public_id]:
                    revision = Revision(entry_public_id=entry.public_id, author=who[:120],
                                        summary=summary[:300], batch_id=batch,
                                        comment=f"{RESTORED}{file_name}"[:300],
                                        snapshot=snapshot)
                    if _when(when) is not None:
                        revision.created_at = _when(when)
                    session.add(revision)
        if then is not None:
            then(session, report)
    return restore
