"""What a FieldWorks entry holds beyond our model, read out of its kept LIFT data for people.

Where it sits: ``lift_in`` keeps every ``<entry>`` and ``<sense>`` it imports as XML in
``extra["lift"]``, with a ``<?slot?>`` instruction before each element the model holds.
Everything else (a citation form that differs from the lexeme, notes of every type,
relations to other entries, etymologies, custom fields, traits, pictures, sound files,
allomorphs, subsenses, reversals, glosses and example translations in other languages)
would be invisible on the pages, the API and the exports; ``other_fields`` lists it as
labelled text, so the entry page shows it under "Other FieldWorks fields" and the API
returns it. A relation keeps the FieldWorks id it points to (``ref``), which the page turns
into a link when that entry was imported too. Plain data: no Flask, no database.

>>> xml = ('<entry><?slot headword?><lexical-unit><form lang="hre"><text>zatok</text></form>'
...        '</lexical-unit><citation><form lang="hre"><text>mwa-zatok</text></form></citation>'
...        '<note type="bibliography"><form lang="en"><text>Notes, p. 12</text></form></note>'
...        '<relation type="synonym" ref="bonxa_5d2c"/></entry>')
>>> [(f.kind, f.label, f.value, f.ref) for f in other_fields(xml, [])]
[('citation', 'citation form', 'mwa-zatok', None), ('note', 'bibliography', 'Notes, p. 12', None), ('relation', 'synonym', 'bonxa_5d2c', 'bonxa_5d2c')]
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .lift_xml import SLOT, is_audio, load_kept, text_of

# Traits that say nothing to a reader (FieldWorks' bookkeeping) or that we write ourselves.
QUIET_TRAITS = ("morph-type", "source", "license", "public-id", "status")


@dataclass(frozen=True)
class OtherField:
    where: int | None  # None: the entry; n: its n-th sense (1-based)
    kind: str  # citation, note, relation, etymology, field, trait, picture, sound, …
    label: str  # the note's or relation's type, the field's name, a language code
    value: str
    ref: str | None = None  # a relation's FieldWorks entry id


def _unslotted(parent: ET.Element):
    """The children of ``parent`` that no ``<?slot?>`` marks (the model does not hold)."""
    slotted = False
    for child in parent:
        if child.tag is ET.ProcessingInstruction:
            slotted = slotted or (child.text or "").split(" ")[0] == SLOT
            continue
        if not slotted:
            yield child
        slotted = False


def _forms(el: ET.Element) -> str:
    return " / ".join(t for t in (text_of(f).strip() for f in el.findall("form")
                                  if not is_audio(f)) if t)


def _boxed(el: ET.Element) -> bool:
    """Whether ``el`` holds a modelled value (a slot inside: a note, a definition…)."""
    return any(c.tag is ET.ProcessingInstruction and (c.text or "").split(" ")[0] == SLOT
               for c in el)


def _other_forms(box: ET.Element, where: int | None, kind: str, out: list[OtherField]) -> None:
    """The forms of a modelled box that the model does not hold (other languages)."""
    for form in _unslotted(box):
        if form.tag == "form" and not is_audio(form):
            out.append(OtherField(where, kind, form.get("lang") or "und", text_of(form)))


def _read(el: ET.Element, where: int | None, headword: str, out: list[OtherField]) -> None:
    for child in _unslotted(el):
        tag, kind = child.tag, child.get("type") or child.get("name") or ""
        if tag in ("note", "definition") and _boxed(child):
            _other_forms(child, where, kind if tag == "note" and kind else tag, out)
        elif tag in ("citation", "lexical-unit") and _boxed(child):  # headword, lexeme form
            _other_forms(child, where, "citation" if tag == "citation" else "lexeme", out)
        elif tag in ("citation", "lexical-unit") and _forms(child) == headword:
            continue
        elif tag == "citation":
            out.append(OtherField(where, "citation", "citation form", _forms(child)))
        elif tag == "lexical-unit":
            out.append(OtherField(where, "lexeme", "lexeme form", _forms(child)))
        elif tag in ("note", "field"):
            out.append(OtherField(where, tag, kind or tag, _forms(child)))
        elif tag == "relation":
            out.append(OtherField(where, "relation", kind or "relation", child.get("ref") or "",
                                  child.get("ref") or None))
        elif tag == "etymology":
            glosses = "; ".join(text_of(g) for g in child.findall("gloss"))
            value = " – ".join(x for x in (_forms(child), glosses) if x)
            out.append(OtherField(where, "etymology", child.get("source") or kind, value))
        elif tag == "trait" and kind not in QUIET_TRAITS:
            out.append(OtherField(where, "trait", kind, child.get("value") or ""))
        elif tag == "illustration":
            out.append(OtherField(where, "picture", _forms(child.find("label") or child)
                                  or "picture", child.get("href") or ""))
        elif tag == "pronunciation":
            for media in child.findall("media"):
                out.append(OtherField(where, "sound", "sound file", media.get("href") or ""))
        elif tag == "variant":
            out.append(OtherField(where, "allomorph", "allomorph", _forms(child)))
        elif tag == "gloss":
            out.append(OtherField(where, "gloss", child.get("lang") or "und", text_of(child)))
        elif tag in ("subsense", "reversal"):
            glosses = "; ".join(text_of(g) for g in child.iter("gloss"))
            out.append(OtherField(where, tag, tag, glosses or _forms(child)))
        elif tag == "definition":
            out.append(OtherField(where, "definition", "definition", _forms(child)))
    for box in el.findall("example/translation"):  # (examples are modelled: their
        _other_forms(box, where, "translation", out)  # other languages' translations)


def other_fields(entry_xml: str | None, sense_xmls: list[str | None],
                 headword: str = "") -> list[OtherField]:
    """The entry's fields the model does not hold, then each sense's, as labelled text (a
    citation or lexeme form that is the ``headword`` itself is not repeated)."""
    found: list[OtherField] = []
    for where, xml in [(None, entry_xml), *enumerate(sense_xmls, 1)]:
        if isinstance(xml, str) and xml:
            _read(load_kept(xml), where, headword, found)
    return [f for f in found if f.value.strip()]
