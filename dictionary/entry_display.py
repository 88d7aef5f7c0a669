"""What people see of an entry's notes, links, subsenses, pictures and example translations.

Where it sits: the public entry page (``public.views``), the API (``public.entries``), the
curation pages and the entry form (``curation``) read these fields of ``Entry``, ``Sense``
and ``Example`` (their shapes are ``revisions.NoteState`` …) through the functions here, so
they number, label, order and link them alike:

- senses are one ordered list with a ``level``; ``numbered`` gives 1, 1.1, 1.2, 2 and the
  tree the pages nest;
- notes are grouped by type (labels for FieldWorks' standard types; a project's own type is
  shown as written), Vietnamese notes first;
- a relation names its target by ``target`` (the target's ``source_key``, found by an
  import) or by ``ref``; ``find_links`` resolves all of an entry's relations in ONE query.

Only the names of the standard types pass through gettext; lexicon text never does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from .models import DELETED, PUBLISHED, Entry

# FieldWorks' note types (LIFT ``<note type=…>``), in the order the form offers them.
NOTE_TYPES: dict[str, Any] = {
    "anthropology": _l("Anthropology"),
    "bibliography": _l("Bibliography"),
    "discourse": _l("Discourse"),
    "encyclopedic": _l("Encyclopedic information"),
    "grammar": _l("Grammar"),
    "phonology": _l("Phonology"),
    "questions": _l("Questions"),
    "reference": _l("Reference"),
    "restrictions": _l("Restrictions"),
    "scientific-name": _l("Scientific name"),
    "semantics": _l("Semantics"),
    "sociolinguistics": _l("Sociolinguistics"),
    "source": _l("Source of the data"),
    "usage": _l("Usage"),
}
UNTYPED_NOTE = ("", "general")  # FieldWorks' plain "Note"
# Relation types (LIFT ``<relation type=…>``; FieldWorks names lexical relations as the
# project spells them, "Synonyms", "Antonym", so labels are found case-insensitively and
# a plural "s" is dropped). ``_component-lexeme`` points from a complex form to its parts.
RELATION_TYPES: dict[str, Any] = {
    "synonym": _l("Synonym"),
    "antonym": _l("Antonym"),
    "compare": _l("Compare"),
    "_component-lexeme": _l("Components"),
    "etymological": _l("Related by origin"),
}
# A link typed in the form names its target by public id.
PUBLIC_ID = re.compile(r"[a-z]{2,8}-\d{1,12}")
# FieldWorks names an entry ``headword_guid``: the readable part when it links nowhere.
_FW_REF = re.compile(r"(.+)_[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def note_label(kind: str | None) -> Any:
    kind = (kind or "").strip()
    if kind.casefold() in UNTYPED_NOTE:
        return _l("Note")
    return NOTE_TYPES.get(kind.casefold(), kind)


def relation_key(kind: str | None) -> str | None:
    """The standard relation type that ``kind`` names, if any.

    >>> relation_key("Synonyms"), relation_key(" antonym "), relation_key("Generic")
    ('synonym', 'antonym', None)
    """
    k = (kind or "").strip().casefold()
    if k in RELATION_TYPES:
        return k
    if k.endswith("s") and k[:-1] in RELATION_TYPES:
        return k[:-1]
    return None


def relation_label(kind: str | None) -> Any:
    key = relation_key(kind)
    return RELATION_TYPES[key] if key else ((kind or "").strip() or _l("Related entry"))


def ref_text(ref: str) -> str:
    """How a link that leads nowhere is shown: FieldWorks' ``headword_guid`` as the headword.

    >>> ref_text("bonxa_5d2c0e1a-13fd-4ae0-a32b-b737f413d515"), ref_text("hre-000123")
    ('bonxa', 'hre-000123')
    """
    found = _FW_REF.fullmatch(ref or "")
    return found.group(1) if found else (ref or "")


def vietnamese_first(items: list[dict]) -> list[dict]:
    """Items with a ``lang``: the Vietnamese ones first, the others in their order."""
    return sorted(items, key=lambda x: (x.get("lang") or "") != "vi")


def note_groups(notes: list[dict] | None) -> list[dict]:
    """Notes grouped by type in the order the types first appear; Vietnamese first in each.

    >>> [(g["type"], [n["text"] for n in g["notes"]]) for g in note_groups([
    ...     {"type": "grammar", "lang": "en", "text": "a"}, {"type": "usage", "lang": "vi",
    ...     "text": "b"}, {"type": "grammar", "lang": "vi", "text": "c"}])]
    [('grammar', ['c', 'a']), ('usage', ['b'])]
    """
    groups: dict[str, list[dict]] = {}
    for note in notes or []:
        if (note.get("text") or "").strip():
            groups.setdefault((note.get("type") or "").strip(), []).append(note)
    return [{"type": kind, "label": note_label(kind), "notes": vietnamese_first(items)}
            for kind, items in groups.items()]


# ---- senses ------------------------------------------------------------------------------
@dataclass
class SenseNode:
    index: int  # in ``entry.senses`` (0-based)
    number: str  # "1", "1.2", "2.1.1"
    level: int
    children: list[SenseNode] = field(default_factory=list)


def numbered(levels: list[int | None]) -> tuple[list[str], list[SenseNode]]:
    """The number of each sense from the senses' levels, and the tree the pages nest. A level
    more than one deeper than the sense before it counts as one deeper (and the first sense
    as a sense), so any stored list reads sensibly.

    >>> numbered([0, 1, 1, 0, 1, 2, 0])[0]
    ['1', '1.1', '1.2', '2', '2.1', '2.1.1', '3']
    >>> numbered([2, 0, 3])[0]
    ['1', '2', '2.1']
    """
    numbers: list[str] = []
    roots: list[SenseNode] = []
    path: list[SenseNode] = []
    for i, raw in enumerate(levels):
        level = max(0, min(raw or 0, len(path)))
        del path[level:]
        siblings = path[-1].children if path else roots
        prefix = path[-1].number + "." if path else ""
        node = SenseNode(i, f"{prefix}{len(siblings) + 1}", level)
        siblings.append(node)
        path.append(node)
        numbers.append(node.number)
    return numbers, roots


# ---- links between entries ------------------------------------------------------------------
@dataclass(frozen=True)
class Linked:
    """The entry a relation leads to (only what a link shows)."""

    public_id: str
    headword: str
    homograph: int | None
    form_kind: str
    status: str


def _all_relations(entry: Entry) -> list[dict]:
    return [*(entry.relations or []), *(r for s in entry.senses for r in s.relations or [])]


def find_links(session: Session, entry: Entry, public_only: bool = True,
               relations: list[dict] | None = None) -> dict[tuple[str, str | None], Linked]:
    """The entries the relations lead to, keyed by (ref, target), in one query: ``target``
    is a ``source_key`` of the same language; else a ``ref`` that is a public id. Published
    entries only, unless ``public_only`` is false (curators see drafts, not deleted ones).
    ``relations`` defaults to all of the entry's and its senses'."""
    rows = _all_relations(entry) if relations is None else relations
    keys = {r["target"] for r in rows if r.get("target")}
    ids = {r["ref"] for r in rows if PUBLIC_ID.fullmatch(r.get("ref") or "")}
    if not keys and not ids:
        return {}
    wanted = []
    if keys:
        wanted.append(and_(Entry.language_id == entry.language_id,
                           Entry.source_key.in_(sorted(keys))))
    if ids:
        wanted.append(Entry.public_id.in_(sorted(ids)))
    q = select(Entry.public_id, Entry.headword, Entry.homograph, Entry.form_kind,
               Entry.status, Entry.source_key, Entry.language_id).where(or_(*wanted))
    q = q.where(Entry.status == PUBLISHED) if public_only else q.where(Entry.status != DELETED)
    by_key: dict[str, Linked] = {}
    by_id: dict[str, Linked] = {}
    with session.no_autoflush:
        for row in session.execute(q):
            found = Linked(row.public_id, row.headword, row.homograph, row.form_kind, row.status)
            if row.source_key in keys and row.language_id == entry.language_id:
                by_key[row.source_key] = found
            by_id[row.public_id] = found
    out: dict[tuple[str, str | None], Linked] = {}
    for r in rows:
        target, ref = r.get("target"), r.get("ref") or ""
        hit = by_key.get(target) if target else None
        hit = hit or by_id.get(ref)
        if hit is not None and hit.public_id != entry.public_id:
            out[(ref, target)] = hit
    return out


def relation_rows(relations: list[dict] | None, links: dict) -> list[dict]:
    """Relations as the pages list them: label, the linked entry or the text."""
    out = []
    for r in relations or []:
        ref, target = r.get("ref") or "", r.get("target")
        if not ref and not target:
            continue
        out.append({"type": r.get("type") or "", "label": relation_label(r.get("type")),
                    "entry": links.get((ref, target)), "text": ref_text(ref), "ref": ref})
    return out


def relation_groups(relations: list[dict] | None, links: dict) -> list[dict]:
    """``relation_rows`` grouped by label, in the order the labels first appear."""
    groups: dict[str, dict] = {}
    for row in relation_rows(relations, links):
        key = relation_key(row["type"]) or row["type"]
        groups.setdefault(key, {"label": row["label"], "items": []})["items"].append(row)
    return list(groups.values())


def entry_fields(entry: Entry, links: dict) -> dict:
    """Everything the entry templates need of these fields, computed once per page."""
    numbers, tree = numbered([s.level for s in entry.senses])
    return {
        "notes": note_groups(entry.notes),
        "relations": relation_groups(entry.relations, links),
        "tree": tree,
        "senses": [{"number": n, "notes": note_groups(s.notes),
                    "relations": relation_groups(s.relations, links),
                    "pictures": [p for p in s.pictures or []
                                 if p.get("href") or p.get("caption")]}
                   for n, s in zip(numbers, entry.senses)],
    }
