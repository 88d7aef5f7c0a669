"""Writing entries as LIFT 0.13 (for FieldWorks, WeSay or another import): the way back of
``lift_in``.

Where it sits: reads Entry ORM objects (language, source, senses with their examples and
variants loaded) and streams a LIFT file, one ``<entry>`` at a time. An entry that came from
LIFT is rebuilt from the XML ``lift_in`` kept in ``extra["lift"]`` (its own and its
senses'): every ``<?slot KIND?>`` there is filled from the model, keeping the stored element
while the model still says the same (so spans, annotations and other languages' forms
survive) and making a new one when the value was edited; everything else is written back
where it was. Other entries are written from the model alone, their ``extra`` columns as
``<field>``s. Every entry also gets ``source``, ``license`` and ``public-id`` traits.

Handed recordings (``media``, the ``lift-media`` export: ``lift_media_out``), the entry's go
into its pronunciation and each example's into the example, in place of the sound-file
references kept from an imported LIFT file (``lift_media`` says how and why); without
(``media=None``, plain LIFT), not a byte of the output changes.

>>> from dictionary.models import Entry, Language, Sense, Source
>>> e = Entry(public_id="hre-000007", headword="zatok", form_kind="orthographic",
...           language=Language(code="hre"), source=Source(key="nhomthu"), license="CC-BY-4.0",
...           senses=[Sense(gloss_vi="nhà; căn nhà", gloss_en="house")])
>>> print(b"".join(export_lift([e])).decode())
<?xml version="1.0" encoding="UTF-8"?>
<lift version="0.13" producer="tu-dien-hre-co">
  <entry id="hre-000007">
    <lexical-unit>
      <form lang="hre"><text>zatok</text></form>
    </lexical-unit>
    <sense>
      <gloss lang="vi"><text>nhà; căn nhà</text></gloss>
      <gloss lang="en"><text>house</text></gloss>
    </sense>
    <trait name="source" value="nhomthu" />
    <trait name="license" value="CC-BY-4.0" />
    <trait name="public-id" value="hre-000007" />
  </entry>
</lift>
<BLANKLINE>
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from functools import partial

from ..models import PHONETIC, Entry, Sense
from ..sense_ids import example_id
from . import lift_lists, lift_media
from .lift_header import sources_header
from .lift_slots import (
    INNER_ORDER,
    Make,
    fill,
    fill_box,
    fill_list,
    insert,
    remove,
    slots_of,
    strip_slots,
)
from .lift_xml import is_label, load_kept, variant_kind_label
from .media import Media, MediaUse

PRODUCER = "tu-dien-hre-co"
HISTORY = "tudien-revision"  # a revision people made: who, when, summary (import_history)
History = dict[str, list[tuple[str, str, str]]]  # public id → (author, when, summary)
GLOSSES = "glosses"  # Sense.extra: other languages' glosses, code → text (``lift_ws``)
# Where a new element goes among its siblings (LIFT does not fix an order; this is FLEx's).
ENTRY_ORDER = ("lexical-unit", "citation", "pronunciation", "variant", "sense", "note",
               "relation", "etymology", "field", "trait")
SENSE_ORDER = ("grammatical-info", "gloss", "definition", "relation", "note", "example",
               "reversal", "illustration", "subsense", "field", "trait")
VARIANT_TYPES = {"dialect": "Dialectal Variant"}  # spelling is what a variant is by default
LABEL_TRAITS = {"dialect": "dialect", "spelling": "location"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")



def export_lift(entries: Iterable[Entry], media: Media | MediaUse | None = None,
                sources: list[dict] | None = None,
                history: History | None = None) -> Iterator[bytes]:
    """The LIFT document, in UTF-8 pieces: the prologue, one piece per entry, the end.
    ``media`` (target → recordings) adds references to ``audio/<uuid>.mp3`` files; a
    ``MediaUse`` also tells the caller which files were named. ``sources`` (dicts: key,
    citation, license, url) go into the header (``lift_header``), so the file restores them;
    ``history`` (public id → revisions people made) into each entry as annotations."""
    refs = media if isinstance(media, MediaUse) or media is None else MediaUse(media)
    yield (f'<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<lift version="0.13" producer="{PRODUCER}">\n').encode()
    if sources:
        header = sources_header(sources)
        _indent(header, 1)
        yield b"  " + ET.tostring(header, encoding="unicode").encode() + b"\n"
    for entry in entries:
        el = entry_element(entry, refs, history)
        _indent(el, 1)
        yield b"  " + ET.tostring(el, encoding="unicode").encode() + b"\n"
    yield b"</lift>\n"


def entry_element(e: Entry, refs: MediaUse | None = None,
                  history: History | None = None) -> ET.Element:
    """One ``<entry>``: the stored LIFT XML with its slots filled, or one made from the model;
    with ``refs``, its recordings and its examples'."""
    stored = (e.extra or {}).get("lift")
    el = _kept(e, stored) if isinstance(stored, str) else ET.Element("entry", _attrs(e))
    record = slots_of(el, "pos")  # the part of speech the entry had when it was imported
    remove(el, record, keep=True)
    recorded = " ".join(record[0][0].text.split()[2:]) or None if record else None
    pos_changed = not record or recorded != e.part_of_speech
    code = e.language.code
    # The headword's slot is in the citation when it was read from there (FieldWorks), or
    # goes there when the entry has a lexeme form, which the lexical unit holds.
    unit = next((c for c in el if c.tag == "citation" and slots_of(c, "headword")), None) or \
        next((c for c in el if c.tag == "lexical-unit"), None)
    old = slots_of(unit, "headword") if unit is not None else []
    lang = old[0][1].get("lang") if old else code + ("-fonipa" if e.form_kind == PHONETIC else "")
    tag = unit.tag if unit is not None else "lexical-unit"
    if e.lexeme_form and tag == "lexical-unit":
        remove(unit, old, keep=False) if unit is not None else None
        tag = "citation"
    fill_box(el, ENTRY_ORDER, tag, {}, "headword", e.headword, _form(lang))
    fill_box(el, ENTRY_ORDER, "lexical-unit", {}, "lexeme_form", e.lexeme_form, _form(lang))
    if refs is not None:  # before the IPA: a new pronunciation holds both
        _entry_media(el, refs.of(e.public_id))
    fill_box(el, ENTRY_ORDER, "pronunciation", {}, "pronunciation", e.pronunciation,
              _form(f"{code}-fonipa"))
    fill_list(el, ENTRY_ORDER, "variant", e.variants, lambda v: v.form,
               partial(_variant, lang=lang))
    fill_box(el, ENTRY_ORDER, "note", {}, "note", e.note, _form("vi"))
    _lists(el, ENTRY_ORDER, e.notes, e.relations)
    _dialects(el, ENTRY_ORDER, e.dialects)
    fill(el, ENTRY_ORDER, "variety", e.variety, _trait("variety"))
    senses = _nest([_sense(s, e, lang, pos_changed, refs, i) for i, s in enumerate(e.senses)],
                   [s.level or 0 for s in e.senses])
    orders = [s.get("order") for s in senses]
    if all(o is not None and o.lstrip("-").isdigit() for o in orders):
        numbers = [int(o) for o in orders]
        if numbers != sorted(numbers):  # reordered since the import: LIFT sorts on it
            for i, sense in enumerate(senses):
                sense.set("order", str(i))
    at = remove(el, slots_of(el, "senses"), keep=True)
    for i, sense in enumerate(senses):
        insert(el, ENTRY_ORDER, sense, None if at is None else at + i)
    _fields(el, ENTRY_ORDER, e.extra)
    for name, value in (("source", e.source.key if e.source else None), ("license", e.license),
                        ("public-id", e.public_id), ("status", e.status)):
        if value:
            el.append(ET.Element("trait", name=name, value=_safe(value)))
    for who, when, summary in (history or {}).get(e.public_id, []):
        el.append(ET.Element("annotation", name=HISTORY, value=_safe(summary), when=when,
                             who=_safe(who)))
    strip_slots(el)
    return el


def _sense(s: Sense, e: Entry, lang: str, pos_changed: bool, refs: MediaUse | None = None,
           number: int = 0) -> ET.Element:
    stored = (s.extra or {}).get("lift")
    el = _kept(e, stored) if isinstance(stored, str) else ET.Element("sense")
    # Part of speech is the entry's in the model, each sense's in LIFT: the stored value
    # stays until the entry's is edited.
    regenerate = pos_changed or not isinstance(stored, str)
    at = remove(el, slots_of(el, "pos"), keep=not regenerate)
    if regenerate and e.part_of_speech:
        insert(el, SENSE_ORDER, ET.Element("grammatical-info", value=e.part_of_speech), at)
    fill(el, SENSE_ORDER, "gloss_vi", s.gloss_vi, _gloss("vi"))
    fill(el, SENSE_ORDER, "gloss_en", s.gloss_en, _gloss("en"))
    fill_box(el, SENSE_ORDER, "definition", {}, "definition", s.definition, _form("vi"))
    fill_box(el, SENSE_ORDER, "note", {"type": "gloss-note"}, "gloss_note", s.gloss_note,
              _form("en"))
    fill_list(el, SENSE_ORDER, "example", s.examples, lambda x: x.text,
               partial(_example, lang=lang, audio=None if refs is None else partial(
                   _example_media, refs=refs, code=e.language.code, public_id=e.public_id,
                   sense=_position(s, number), examples=s.examples)))
    fill(el, SENSE_ORDER, "semantic_field", s.semantic_field, _trait("semantic-domain-ddp4"))
    fill(el, SENSE_ORDER, "concept_id", s.concept_id, _trait("concepticon-id"))
    fill(el, SENSE_ORDER, "concept_gloss", s.concept_gloss, _trait("concepticon-gloss"))
    _lists(el, SENSE_ORDER, s.notes, s.relations)
    _dialects(el, SENSE_ORDER, s.dialects)
    lift_lists.fill(el, lift_lists.PICTURES, s.pictures or [], _inserter(SENSE_ORDER), _safe)
    if not isinstance(stored, str):  # (a kept sense holds its other glosses in its XML)
        for code, text in ((s.extra or {}).get(GLOSSES) or {}).items():
            insert(el, SENSE_ORDER, _gloss(code)(text, None))
    _fields(el, SENSE_ORDER, s.extra)
    return el


def _lists(el: ET.Element, order, notes, relations) -> None:
    """Notes by type and relations (``lift_lists``): stored elements that still say the
    same stay as they were."""
    lift_lists.fill(el, lift_lists.NOTES, notes or [], _inserter(order), _safe)
    lift_lists.fill(el, lift_lists.RELATIONS, relations or [], _inserter(order), _safe)


def _dialects(el: ET.Element, order, value: str | None) -> None:
    lift_lists.fill(el, lift_lists.DIALECTS, lift_lists.dialect_list(value), _inserter(order),
                    _safe)


def _inserter(order):
    return lambda parent, el, at: insert(parent, order, el, at)


def _nest(senses: list[ET.Element], levels: list[int]) -> list[ET.Element]:
    """Subsenses into the sense before them with a lower level (where the ``subsenses``
    slot is, else where LIFT puts them); the top-level senses, in order."""
    top: list[ET.Element] = []
    parents: list[tuple[int, ET.Element]] = []  # the open senses, outermost first
    for el, level in zip(senses, levels):
        while parents and parents[-1][0] >= level:
            parents.pop()
        el.tag = "subsense" if parents else "sense"
        if parents:
            parent = parents[-1][1]
            slot = slots_of(parent, "subsenses")
            children = list(parent)
            if slot:  # before the slot: the subsenses keep their order there
                insert(parent, SENSE_ORDER, el, children.index(slot[0][0]))
            else:
                insert(parent, SENSE_ORDER, el)
        else:
            top.append(el)
        parents.append((level, el))
    return top


def _variant(v, old: ET.Element | None, lang: str) -> ET.Element:
    el = old if old is not None else ET.Element("variant")
    fill(el, INNER_ORDER, "form", v.form, _form(lang))
    if old is None or variant_kind_label(el) != (v.kind, v.label):
        for child in [c for c in el if is_label(c)]:
            el.remove(child)
        for name, value in (("variant-type", VARIANT_TYPES.get(v.kind)),
                            (LABEL_TRAITS.get(v.kind, "location"), v.label)):
            if value:
                insert(el, INNER_ORDER, ET.Element("trait", name=name, value=_safe(value)))
    return el


def _example(x, old: ET.Element | None, lang: str, audio=None) -> ET.Element:
    el = old if old is not None else ET.Element("example")
    fill(el, INNER_ORDER, "text", x.text, _form(lang))
    fill_box(el, INNER_ORDER, "translation", {}, "translation", x.translation_vi, _form("vi"))
    lift_lists.fill_translations(el, x.translations or [], _form,
                                 lambda parent, box: insert(parent, INNER_ORDER, box))
    if audio is not None:
        audio(el, x)
    return el


# ---- recordings (lift_media) ----------------------------------------------------------------
def _entry_media(el: ET.Element, files) -> None:
    lift_media.drop_entry_refs(el)
    if not files:
        return
    box = lift_media.pronunciation_box(el)
    if box is None:
        box = ET.Element("pronunciation")
        insert(el, ENTRY_ORDER, box)
    for file in files:
        insert(box, INNER_ORDER, lift_media.media_element(file, _safe))


def _example_media(el: ET.Element, x, *, refs: MediaUse, code: str, public_id: str,
                   sense: int, examples) -> None:
    lift_media.drop_example_refs(el)
    number = next(i for i, other in enumerate(examples) if other is x)
    for file in refs.of(example_id(public_id, sense, _position(x, number))):
        insert(el, INNER_ORDER, lift_media.audio_form(file, code))


def _position(row, number: int) -> int:
    """A sense's or example's position (0-based, what its public id counts from); its place
    in the list for objects not saved yet."""
    return row.position if row.position is not None else number


# ---- making elements -------------------------------------------------------------------------
def _form(lang: str) -> Make:
    def make(value: str, old: ET.Element | None) -> ET.Element:
        el = ET.Element("form", lang=old.get("lang") if old is not None else lang)
        ET.SubElement(el, "text").text = _safe(value)
        return el
    return make


def _gloss(lang: str) -> Make:
    def make(value: str, old: ET.Element | None) -> ET.Element:
        el = _form(lang)(value, old)
        el.tag = "gloss"
        return el
    return make


def _trait(name: str) -> Make:
    return lambda value, old: ET.Element("trait", name=old.get("name") if old is not None
                                         else name, value=_safe(value))


def _fields(el: ET.Element, order, extra: dict | None) -> None:
    """Source columns kept in ``extra`` (not LIFT's own XML) as ``<field type=column>``."""
    for name, value in (extra or {}).items():
        if name in ("lift", GLOSSES) or value in (None, ""):
            continue
        field = ET.Element("field", type=_safe(name))
        form = ET.SubElement(field, "form", lang="und")
        ET.SubElement(form, "text").text = _safe(
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        insert(el, order, field)


def _attrs(e: Entry) -> dict[str, str]:
    attrs = {"id": e.public_id}
    for name, when in (("dateCreated", e.created_at), ("dateModified", e.updated_at)):
        if when is not None:
            attrs[name] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if e.homograph:
        attrs["order"] = str(e.homograph)
    # In name order, as ``lift_in`` keeps an imported entry (canonical XML): an export
    # imported and exported again is the same file.
    return {k: attrs[k] for k in sorted(attrs) if attrs[k]}


def _kept(e: Entry, xml: str) -> ET.Element:
    try:
        return load_kept(xml)
    except Exception as exc:  # only a hand-edited database gets here
        raise ValueError(f"{e.public_id}: the LIFT XML kept in extra is broken ({exc})") from exc


def _safe(text: str) -> str:
    """Text XML 1.0 can carry: characters it forbids are dropped."""
    return _NOT_XML.sub("", str(text))


def _indent(el: ET.Element, level: int) -> None:
    """Pretty-print, a form on one line; never inside ``<text>`` or other mixed content,
    where white space is text."""
    if el.tag in ("text", "form", "gloss") or not len(el) or (el.text or "").strip() or any(
            (c.tail or "").strip() for c in el):
        return
    pad = "\n" + "  " * (level + 1)
    el.text = pad
    for child in el:
        _indent(child, level + 1)
        child.tail = pad
    el[-1].tail = "\n" + "  " * level
