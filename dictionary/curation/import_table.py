"""What a curated table's rows mean for the stored entries: the relations they name are found,
and what the table cannot say is kept.

Where it sits: ``import_plan.Plan`` calls both for a curated CSV/TSV or XLSX file (ours,
from ``formats.table_out``, or a linguist's) before it compares the rows with the database:

- ``link_relations`` fills each relation's ``target`` (the ``source_key`` of the entry it
  points at): an ``id`` of the same sheet, else the public id of a stored entry of the
  language (our export writes resolved relations so), else FieldWorks' ``headword_guid``
  form (``formats.lift_lists.resolve``, as a LIFT import finds it).
- ``keep_stored`` gives a row that updates a stored entry what the table cannot say
  (``ParsedLexicon.unsaid``: pronunciation, definitions, the kept FieldWorks data in
  ``extra``…, and the list columns the header lacks) from that entry, and a relation that
  points at the same target as a stored one keeps the stored one's ``ref``. So our own
  export, imported into the database it came from, changes nothing, and an older sheet
  without the new columns takes nothing away.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..formats.lift_lists import resolve
from ..formats.records import ParsedEntry, ParsedSense
from ..models import Entry, Language

PUBLIC_ID_BATCH = 500


def _relations(p: ParsedEntry) -> Iterator[list[dict]]:
    yield p.relations
    for sense in p.senses:
        yield sense.relations


def link_relations(session: Session, language: Language | None, entries: list[ParsedEntry],
                   keyless: Collection[str] = ()) -> None:
    """Fill the ``target`` of every relation the rows name (after the rows that are our own
    export took their stored entries' keys). ``keyless``: the keys of rows that stand for
    stored entries without a key (made in the forms), which a target cannot name (the
    relation keeps the public id as its ``ref``)."""
    ids = {p.row_id: p.source_key for p in entries if p.row_id and p.source_key not in keyless}
    refs = {r["ref"] for p in entries for items in _relations(p) for r in items
            if r["ref"] not in ids}
    if refs and language is not None:
        wanted = sorted(refs)
        for i in range(0, len(wanted), PUBLIC_ID_BATCH):
            ids.update((public_id, key) for public_id, key in session.execute(
                select(Entry.public_id, Entry.source_key).where(
                    Entry.language_id == language.id,
                    Entry.public_id.in_(wanted[i:i + PUBLIC_ID_BATCH])))
                if key and public_id not in ids)
    for p in entries:
        for items in _relations(p):
            resolve(items, ids, p.source)


def keep_stored(p: ParsedEntry, entry: Entry, unsaid: frozenset[str]) -> None:
    """Give the row ``p`` what it cannot say from the stored ``entry`` it updates."""
    for name in ("pronunciation", "variety", "form_kind", "lexeme_form"):
        if name in unsaid:
            setattr(p, name, getattr(entry, name))
    if "license" in unsaid and entry.source is not None and entry.source.key == p.source:
        p.license = entry.license  # (another source: that source's licence)
    if "extra" in unsaid:
        p.extra = dict(entry.extra or {})
    for name in ("notes", "relations"):
        if name in unsaid:
            setattr(p, name, [dict(item) for item in getattr(entry, name) or []])
    p.relations = _same_refs(p.relations, entry.relations)
    if any(name.startswith("variant.") for name in unsaid):
        stored = {v.form: v for v in entry.variants}
        p.variants = [(form, stored[form].kind, stored[form].label) if form in stored
                      else (form, kind, label) for form, kind, label in p.variants]
    for sense, old in _pairs(p.senses, list(entry.senses), lambda s: s.gloss_vi):
        _keep_sense(sense, old, unsaid)


def _keep_sense(sense: ParsedSense, old, unsaid: frozenset[str]) -> None:
    for name in ("definition", "concept_gloss", "gloss_note", "level"):
        if f"sense.{name}" in unsaid:
            setattr(sense, name, getattr(old, name))
    if "sense.extra" in unsaid:
        sense.extra = dict(old.extra or {})
    for name in ("notes", "relations", "pictures"):
        if f"sense.{name}" in unsaid:
            setattr(sense, name, [dict(item) for item in getattr(old, name) or []])
    sense.relations = _same_refs(sense.relations, old.relations)
    if "example.translations" in unsaid:
        translations = sense.example_translations
        translations += [[] for _ in range(len(sense.examples) - len(translations))]
        examples = list(enumerate(sense.examples))
        for (j, _), x in _pairs(examples, list(old.examples), lambda e: e[1][0], "text"):
            translations[j] = [dict(t) for t in x.translations or []]


def _same_refs(relations: list[dict], stored: list[dict] | None) -> list[dict]:
    """The relations, each pointing where a stored one points (same type and target)
    taking that one's ``ref``: our export writes the target's public id, not the ref the
    source file had."""
    kept = {(r.get("type"), r.get("target")): r.get("ref") for r in stored or []
            if r.get("target")}
    return [{**r, "ref": kept.get((r.get("type"), r.get("target")), r["ref"])}
            if r.get("target") else r for r in relations]


def _pairs(new: list, old: list, key, old_key: str = "gloss_vi") -> Iterator[tuple]:
    """(new item, stored item) pairs: the same place and the same text first, then the same
    text elsewhere, then the same place when the counts agree (a text edited in place)."""
    used: set[int] = set()
    matched: dict[int, int] = {}
    for i, item in enumerate(new):
        if i < len(old) and key(item) == getattr(old[i], old_key):
            matched[i] = i
            used.add(i)
    for i, item in enumerate(new):
        if i not in matched:
            j = next((j for j, o in enumerate(old)
                      if j not in used and getattr(o, old_key) == key(item)), None)
            if j is not None:
                matched[i] = j
                used.add(j)
    if len(new) == len(old):
        for i in range(len(new)):
            if i not in matched and i not in used:
                matched[i] = i
                used.add(i)
    for i, j in sorted(matched.items()):
        yield new[i], old[j]
