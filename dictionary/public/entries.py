"""Reading entries for display: the JSON shape, cross-language links, labels.

Shared by the pages and the API so both show the same data.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db import session
from ..entry_display import find_links, note_groups, numbered, vietnamese_first
from ..formats.lift_fields import other_fields
from ..models import PHONETIC, PUBLISHED, Entry, Sense

# Shown next to every headword of the phonetic starter data (not the practical spelling).
PHONETIC_LABEL = {"vi": "phiên âm ngữ âm", "en": "phonetic transcription"}
UNREVIEWED_LABEL = {"vi": "dữ liệu nguồn chưa được duyệt", "en": "unreviewed source data"}


def _relations_json(relations: list[dict] | None, links: dict) -> list[dict]:
    """Each link with ``entry``: the public id of the published entry it leads to, or None."""
    out = []
    for r in relations or []:
        ref, target = r.get("ref") or "", r.get("target")
        found = links.get((ref, target))
        out.append({"type": r.get("type") or "", "ref": ref, "target": target,
                    "entry": found.public_id if found else None})
    return out


def _notes_json(notes: list[dict] | None) -> list[dict]:
    return [{"type": n.get("type") or "", "lang": n.get("lang") or "", "text": n.get("text") or ""}
            for g in note_groups(notes) for n in g["notes"]]


def entry_json(e: Entry, links: dict | None = None) -> dict:
    """The entry as the API returns it; ``links`` (``entry_display.find_links``, published
    entries only) resolves its relations, looked up here when not given."""
    source = e.source
    if links is None:
        links = find_links(session(), e)
    numbers, _tree = numbered([s.level for s in e.senses])
    return {
        "id": e.public_id,
        "lang": e.language.code,
        "language": {"vi": e.language.name_vi, "en": e.language.name_en},
        "headword": e.headword,
        "homograph": e.homograph,
        "form_kind": e.form_kind,
        "headword_note": PHONETIC_LABEL if e.form_kind == PHONETIC else None,
        "part_of_speech": e.part_of_speech,
        "lexeme_form": e.lexeme_form,
        "pronunciation": e.pronunciation,
        "variety": e.variety,
        "dialects": e.dialects,
        "note": e.note,
        "notes": _notes_json(e.notes),
        "relations": _relations_json(e.relations, links),
        "status": e.status,
        "reviewed": e.reviewed,
        "review_note": None if e.reviewed else UNREVIEWED_LABEL,
        "senses": [
            {
                "number": number,
                "level": s.level or 0,
                "vi": s.gloss_vi,
                "en": s.gloss_en,
                "definition": s.definition,
                "semantic_field": s.semantic_field,
                "concept_id": s.concept_id,
                "concept": s.concept_gloss,
                "gloss_note": s.gloss_note,
                "dialects": s.dialects,
                "notes": _notes_json(s.notes),
                "relations": _relations_json(s.relations, links),
                "pictures": [{"href": p.get("href") or "", "caption": p.get("caption") or ""}
                             for p in s.pictures or []],
                "examples": [{"text": x.text, "vi": x.translation_vi,
                              "translations": [{"lang": t.get("lang") or "",
                                                "text": t.get("text") or ""}
                                               for t in vietnamese_first(x.translations or [])]}
                             for x in s.examples],
            }
            for number, s in zip(numbers, e.senses)
        ],
        "variants": [{"form": v.form, "kind": v.kind, "label": v.label} for v in e.variants],
        "source": {
            "key": source.key,
            "citation": source.citation,
            "license": source.license,
            "url": source.url,
            "row": e.source_key,
        } if source else None,
        "license": e.license,
        "updated": e.updated_at.isoformat(timespec="seconds") if e.updated_at else None,
    }


def related_by_concept(entry: Entry) -> list[Entry]:
    """Published entries of OTHER languages that share a concept id with this entry
    (Hrê ↔ Co through the Concepticon concept, Vietnamese as the pivot)."""
    concepts = {s.concept_id for s in entry.senses if s.concept_id}
    if not concepts:
        return []
    # A subquery, not DISTINCT over a join: PostgreSQL cannot compare ``json`` columns.
    sharing = select(Sense.entry_id).where(Sense.concept_id.in_(concepts))
    q = (select(Entry)
         .where(Entry.id.in_(sharing), Entry.status == PUBLISHED,
                Entry.language_id != entry.language_id)
         .options(selectinload(Entry.language), selectinload(Entry.senses))
         .order_by(Entry.language_id, Entry.sort_key, Entry.homograph))
    return list(session().scalars(q))


def other_fields_of(entry: Entry) -> list[dict]:
    """What the entry's source file (FieldWorks LIFT) holds beyond our model, as labelled
    text (``formats.lift_fields``); a relation to an entry imported from the same source
    comes with that entry's public id, for a link (published ones only, unless it is a
    curator who looks)."""
    found = other_fields((entry.extra or {}).get("lift"),
                         [(s.extra or {}).get("lift") for s in entry.senses], entry.headword)
    refs = {f.ref.rsplit("_", 1)[-1]: f.ref for f in found if f.ref}
    linked: dict[str, str] = {}
    if refs and entry.source is not None:
        keys = {f"{entry.source.key}:{guid}": ref for guid, ref in refs.items()}
        for key, public_id in session().execute(
                select(Entry.source_key, Entry.public_id).where(
                    Entry.source_key.in_(list(keys)), Entry.status == PUBLISHED)):
            linked[keys[key]] = public_id
    return [{"sense": f.where, "kind": f.kind, "label": f.label, "value": f.value,
             "entry": linked.get(f.ref) if f.ref else None} for f in found]
