"""LIFT's list-valued fields the model holds, both ways: notes by type, relations, pictures
and examples' translations in other languages.

Where it sits: ``lift_in`` calls the readers on an ``<entry>`` or ``<sense>`` (or an
``<example>``): each returns the model's items (``revisions.NoteState``, ``RelationState``,
``PictureState``, ``TranslationState``) and marks every element it read with a
``<?slot KIND?>``, so ``lift_fields`` no longer lists it among the "other FieldWorks fields".
``lift_out`` calls ``fill`` with the model's items: a stored element whose items, read the
same way, are the next ones of the model is kept as it was (with its spans, traits and
dates), and any other item gets an element made from the model. An entry exported unchanged
is therefore the same bytes; an edited list changes only the elements that differ.

>>> import xml.etree.ElementTree as ET
>>> sense = ET.fromstring('<sense><note type="usage"><form lang="en"><text>polite</text></form>'
...                       '<form lang="vi"><text>lịch sự</text></form></note>'
...                       '<relation type="synonym" ref="ka_5d2c"/></sense>')
>>> read_notes(sense), read_relations(sense)
([{'type': 'usage', 'lang': 'en', 'text': 'polite'}, {'type': 'usage', 'lang': 'vi', 'text': 'lịch sự'}], [{'type': 'synonym', 'ref': 'ka_5d2c', 'target': None}])
"""
from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable

from .lift_xml import SLOT, is_audio, mark, text_of

# Notes the model holds elsewhere: the untyped note is ``Entry.note``, a gloss note
# ``Sense.gloss_note``.
OWN_NOTES = (None, "", "gloss-note")
NOTES, RELATIONS, PICTURES, TRANSLATIONS = "notes", "relations", "pictures", "translations"
DIALECTS = "dialects"
DIALECT_TRAIT = "dialect-labels"  # FieldWorks 9's dialect labels of an entry or a sense
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)

Items = list[dict]


def _text(el: ET.Element) -> str:
    return unicodedata.normalize("NFC", text_of(el)).strip()


def _forms(el: ET.Element) -> list[ET.Element]:
    return [f for f in el.findall("form") if not is_audio(f) and _text(f)]


# ---- reading ---------------------------------------------------------------------------------
def note_items(note: ET.Element) -> Items:
    return [{"type": note.get("type") or "", "lang": f.get("lang") or "und", "text": _text(f)}
            for f in _forms(note)]


def relation_items(relation: ET.Element) -> Items:
    return [{"type": relation.get("type") or "", "ref": (relation.get("ref") or "").strip(),
             "target": None}]


def picture_items(picture: ET.Element) -> Items:
    label = picture.find("label")
    forms = _forms(label) if label is not None else []
    chosen = next((f for f in forms if (f.get("lang") or "").startswith("vi")),
                  forms[0] if forms else None)
    return [{"href": (picture.get("href") or "").strip(),
             "caption": _text(chosen) if chosen is not None else ""}]


def dialect_items(trait: ET.Element) -> Items:
    value = unicodedata.normalize("NFC", trait.get("value") or "").strip()
    return [{"label": value}] if value else []


def _read(parent: ET.Element, tag: str, kind: str, items: Callable[[ET.Element], Items],
          wanted: Callable[[ET.Element], bool]) -> Items:
    out: Items = []
    for child in [c for c in parent if c.tag == tag and wanted(c)]:
        found = items(child)
        if found:
            mark(parent, child, kind)
            out += found
    return out


def read_notes(parent: ET.Element) -> Items:
    """The typed notes of an entry or sense, one item per language."""
    return _read(parent, "note", NOTES, note_items, lambda n: n.get("type") not in OWN_NOTES)


def read_relations(parent: ET.Element) -> Items:
    """Relations that name their target (``target`` is filled by ``resolve``)."""
    return _read(parent, "relation", RELATIONS, relation_items,
                 lambda r: bool((r.get("ref") or "").strip()))


def read_pictures(sense: ET.Element) -> Items:
    return _read(sense, "illustration", PICTURES, picture_items,
                 lambda p: bool((p.get("href") or "").strip()))


def read_dialects(parent: ET.Element) -> str | None:
    """Dialect labels (one trait each) as the model keeps them: ``"a; b"``."""
    labels = _read(parent, "trait", DIALECTS, dialect_items,
                   lambda t: t.get("name") == DIALECT_TRAIT)
    return "; ".join(item["label"] for item in labels) or None


def dialect_list(value: str | None) -> Items:
    return [{"label": p.strip()} for p in (value or "").split(";") if p.strip()]


def read_translations(example: ET.Element, vietnamese: Callable[[ET.Element], bool]) -> Items:
    """An example's translations in other languages than Vietnamese (each form marked)."""
    out: Items = []
    for box in example.findall("translation"):
        for form in _forms(box):
            if not vietnamese(form):
                mark(box, form, TRANSLATIONS)
                out.append({"lang": form.get("lang") or "und", "text": _text(form)})
    return out


def resolve(relations: Items, ids: dict[str, str], source: str) -> None:
    """Fill each relation's ``target``: the ``source_key`` of the entry its ``ref`` names
    in this file (an entry's or a sense's id), else of an entry of the same source whose
    guid ends the ref (FieldWorks writes ``headword_guid``), which may be in the database."""
    for relation in relations:
        ref = relation["ref"]
        tail = ref.rsplit("_", 1)[-1]
        relation["target"] = ids.get(ref) or (f"{source}:{tail}" if _GUID.fullmatch(tail)
                                              and source else None)


# ---- writing ---------------------------------------------------------------------------------
def _note(items: Items, safe) -> ET.Element:
    el = ET.Element("note", type=safe(items[0]["type"])) if items[0]["type"] else \
        ET.Element("note")
    for item in items:
        form = ET.SubElement(el, "form", lang=safe(item["lang"]))
        ET.SubElement(form, "text").text = safe(item["text"])
    return el


def _relation(items: Items, safe) -> ET.Element:
    # Attributes in name order, as kept XML has them: exported, imported, exported: the same.
    return ET.Element("relation", ref=safe(items[0]["ref"]), type=safe(items[0]["type"]))


def _picture(items: Items, safe) -> ET.Element:
    el = ET.Element("illustration", href=safe(items[0]["href"]))
    if items[0]["caption"]:
        form = ET.SubElement(ET.SubElement(el, "label"), "form", lang="vi")
        ET.SubElement(form, "text").text = safe(items[0]["caption"])
    return el


def _dialect(items: Items, safe) -> ET.Element:
    return ET.Element("trait", name=DIALECT_TRAIT, value=safe(items[0]["label"]))


KINDS = {NOTES: (note_items, _note), RELATIONS: (relation_items, _relation),
         PICTURES: (picture_items, _picture), DIALECTS: (dialect_items, _dialect)}


def _bare(items: Items) -> Items:
    """Items as compared: a relation's target is the import's finding, not the file's."""
    return [{k: v for k, v in item.items() if k != "target"} for item in items]


def fill(parent: ET.Element, kind: str, items: Items, insert, safe) -> None:
    """Write the model's ``items`` of ``kind`` into ``parent`` where its slots are, keeping
    each stored element that still says the next items; ``insert(parent, el, at)`` places a
    new element (``at`` None: where the format's order puts it)."""
    read, make = KINDS[kind]
    children = list(parent)
    slots = [(c, children[i + 1]) for i, c in enumerate(children[:-1])
             if c.tag is ET.PI and (c.text or "").split()[:2] == [SLOT, kind]]
    olds = [(el, _bare(read(el))) for _, el in slots]
    at = children.index(slots[0][0]) if slots else None
    for pi, el in slots:
        parent.remove(pi)
        parent.remove(el)
    want, used, i, made = _bare(items), set(), 0, []
    while i < len(want):
        j = next((j for j, (_, have) in enumerate(olds) if j not in used and have
                  and want[i:i + len(have)] == have), None)
        if j is not None:
            used.add(j)
            made.append(olds[j][0])
            i += len(olds[j][1])
        else:
            group = [items[i]]  # one element per item (a note: per language)
            made.append(make(group, safe))
            i += 1
    for n, el in enumerate(made):
        insert(parent, el, None if at is None else at + n)


def fill_translations(example: ET.Element, items: Items, make_form, order_insert) -> None:
    """An example's other-language translations: stored forms that the model still has stay
    where they are; the others go; new ones join the first translation box (made if none)."""
    want = [(t["lang"], t["text"]) for t in items]
    for box in example.findall("translation"):
        children = list(box)
        for i, c in enumerate(children[:-1]):
            if c.tag is ET.PI and (c.text or "").split()[:2] == [SLOT, TRANSLATIONS]:
                form = children[i + 1]
                box.remove(c)
                key = (form.get("lang") or "und", _text(form))
                if key in want:
                    want.remove(key)
                else:
                    box.remove(form)
    if not want:
        return
    box = example.find("translation")
    if box is None:
        box = ET.Element("translation")
        order_insert(example, box)
    for lang, text in want:
        box.append(make_form(lang)(text, None))
