"""Entry history: every change leaves a ``Revision`` with a snapshot of the entry after it.

Where it sits: forms, the review workflow, imports and reverts all call ``record`` after they
change an entry (in the same transaction). A revision's snapshot is the whole entry as
JSON; the previous revision's snapshot is the state before the change, so a field diff
needs no more data and "restore this version" applies a snapshot back (``apply_state``).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from .models import Entry, Revision


def entry_state(e: Entry) -> dict[str, Any]:
    """The imported content of a stored entry (not its id, status, review flag or dates)."""
    return {
        "headword": e.headword, "part_of_speech": e.part_of_speech, "form_kind": e.form_kind,
        "pronunciation": e.pronunciation, "variety": e.variety, "note": e.note,
        "license": e.license, "source": e.source.key if e.source else None,
        "extra": dict(e.extra or {}),
        "senses": [{"gloss_vi": s.gloss_vi, "gloss_en": s.gloss_en, "definition": s.definition,
                    "semantic_field": s.semantic_field, "concept_id": s.concept_id,
                    "concept_gloss": s.concept_gloss, "gloss_note": s.gloss_note,
                    "extra": dict(s.extra or {}),
                    "examples": [{"text": x.text, "translation_vi": x.translation_vi}
                                 for x in s.examples]}
                   for s in e.senses],
        "variants": [{"form": v.form, "kind": v.kind, "label": v.label} for v in e.variants],
    }


def entry_snapshot(e: Entry) -> dict[str, Any]:
    """A JSON-able copy of an entry for its ``Revision`` (enough to restore it)."""
    return {
        "public_id": e.public_id, "lang": e.language.code, "homograph": e.homograph,
        "status": e.status, "reviewed": e.reviewed, "source_key": e.source_key,
        **entry_state(e),
    }


def record(session: Session, entry: Entry, summary: str, *, user=None, author: str | None = None,
           comment: str | None = None, batch_id: int | None = None) -> Revision:
    """Add the revision for a change just made to ``entry`` (flushes, so a new entry has its
    public id). ``user`` is the signed-in ``User``; ``author`` names anything else (an
    import file)."""
    session.flush()
    revision = Revision(entry_public_id=entry.public_id, summary=summary, comment=comment,
                        user_id=getattr(user, "id", None),
                        author=author if author is not None else getattr(user, "email", ""),
                        batch_id=batch_id, snapshot=entry_snapshot(entry))
    session.add(revision)
    return revision
