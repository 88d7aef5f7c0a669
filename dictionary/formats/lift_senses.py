"""Reading a LIFT ``<sense>`` for ``lift_in``: its glosses, definition, examples, notes,
relations, pictures and dialect labels, and its subsenses, which become senses of their own
one level deeper (``Sense.level``) in the entry's one ordered list.

Where it sits: the base of ``lift_in``'s reader (which reads the ``<entry>`` around it),
on ``ValueReader``. Each element the model holds is marked as a slot (``lift_values.take``,
``lift_lists``); the rest of the sense is kept as XML in ``Sense.extra["lift"]``, and a
subsense's apart in its own sense, with a ``subsenses`` slot where it stood.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from ..parts_of_speech import fold_label
from .lift_audio import example_audio
from .lift_lists import read_dialects, read_notes, read_pictures, read_relations, read_translations
from .lift_values import ValueReader
from .lift_ws import other_glosses
from .lift_xml import LineElement, choose, integer, is_lang, like_headword, mark, to_xml
from .records import OTHER_GLOSS, VIETNAMESE, ParsedEntry, ParsedSense

SEMANTIC_DOMAINS = ("semantic-domain-ddp4", "semantic-domain")


class SenseReader(ValueReader):
    """Needs from the reader built on it: ``ws`` (``lift_ws.WritingSystems``), ``pos``
    (folded label → part of speech key), ``tally``, ``ids`` (the file's ids → entry keys)
    and ``key`` (the entry being read)."""

    def _senses(self, el: LineElement, entry: ParsedEntry, lang: str | None) -> None:
        """The senses in their ``order``; the entry takes the first sense's part of speech."""
        senses = [c for c in el if c.tag == "sense"]
        if not senses:  # a variant or a form of another entry (FieldWorks writes them)
            self.tally.add("senseless", el)
        else:
            mark(el, senses[0], "senses")
            if all(integer(s.get("order")) is not None for s in senses):
                senses.sort(key=lambda s: integer(s.get("order")))
        keys = []
        for sense in senses:
            el.remove(sense)
            pos = self._sense_tree(sense, entry, lang, 0)
            keys += [pos] if pos else []
        entry.part_of_speech = keys[0] if keys else None
        if len(set(keys)) > 1:
            self.tally.add("mixed-pos", el, ", ".join(dict.fromkeys(keys)))

    def _sense_tree(self, el: ET.Element, entry: ParsedEntry, lang: str | None,
                    level: int) -> str | None:
        """A sense, then its subsenses (taken out of it, each kept apart) one level deeper,
        in one flat list; the sense's part of speech (a subsense's goes with its XML)."""
        subsenses = [c for c in el if c.tag == "subsense"]
        if subsenses:
            mark(el, subsenses[0], "subsenses")
            if all(integer(s.get("order")) is not None for s in subsenses):
                subsenses.sort(key=lambda s: integer(s.get("order")))
        for sub in subsenses:
            el.remove(sub)
        parsed, pos = self.sense(el, lang, len(entry.senses) + 1)
        parsed.level = level
        entry.senses.append(parsed)
        entry.audio += parsed.audio
        for sub in subsenses:
            self._sense_tree(sub, entry, lang, level + 1)
        return pos

    def sense(self, el: ET.Element, lang: str | None, number: int):
        info, pos = el.find("grammatical-info"), None
        if info is not None:
            value = info.get("value") or ""
            pos = self.pos.get(fold_label(value))
            if pos is None and value.strip():
                self.tally.add("unknown-pos", info, value)
            mark(el, info, "pos")
        glosses, before = {}, len(self.problems)
        for box in el.findall("definition") + el.findall("note"):
            self.ws.count(box.tag, box.findall("form"))
        all_glosses = el.findall("gloss")
        self.ws.count("gloss", all_glosses)
        by_role = {"vi": [g for g in all_glosses if self.ws.role(g) == VIETNAMESE],
                   "en": [g for g in all_glosses if self.ws.role(g) == OTHER_GLOSS
                          and is_lang(g, "en")]}
        for code, found in by_role.items():
            glosses[code] = self.value(f"gloss_{code}", found, where="gloss") if found else ""
            for gloss in found:
                mark(el, gloss, f"gloss_{code}")
        others = other_glosses(all_glosses, self.ws)
        gloss_problem = len(self.problems) > before
        traits = {kind: self.take(el, next((t for t in el.findall("trait") if t.get("name") in
                                            names and (t.get("value") or "").strip()), None), kind)
                  for kind, names in (("semantic_field", SEMANTIC_DOMAINS),
                                      ("concept_id", ("concepticon-id",)),
                                      ("concept_gloss", ("concepticon-gloss",)))}
        definition = el.find("definition")
        note = next((n for n in el.findall("note") if n.get("type") == "gloss-note"), None)
        sense = ParsedSense(
            gloss_vi=glosses["vi"], gloss_en=glosses["en"] or None, **traits,
            gloss_note=self.take(note, choose(note.findall("form"), (), True)
                                 if note is not None else None, "gloss_note"),
            definition=self.take(definition, self.ws.definition(definition.findall("form"))
                                 if definition is not None else None, "definition"),
            line=getattr(el, "line", None))
        if not sense.gloss_vi and not sense.gloss_note and not gloss_problem:
            self.tally.add("unglossed", el)
        for example in el.findall("example"):
            self.ws.count("example", example.findall("form"))
            form = next(iter(self.ws.headword_forms(example.findall("form"))), None) \
                if self.ws.mapping else like_headword(example.findall("form"), lang)
            text = self.value("text", [form], where="example") if form is not None else ""
            if not text:
                continue
            boxes = example.findall("translation")
            for box in boxes:
                self.ws.count("translation", box.findall("form"))
            vietnamese = [(b, f) for b in boxes for f in b.findall("form")
                          if self.ws.role(f) == VIETNAMESE]
            box, found = vietnamese[0] if vietnamese else (None, None)
            translation = self.take(box, found, "translation")
            mark(example, form, "text")
            mark(el, example, "example")
            sense.examples.append((text, translation or ""))
            sense.example_translations.append(read_translations(
                example, lambda f: self.ws.role(f) == VIETNAMESE))
            sense.audio += example_audio(example, number, len(sense.examples))
            sense.example_lines.append(getattr(example, "line", None))
        sense.notes, sense.relations = read_notes(el), read_relations(el)
        sense.dialects = read_dialects(el)
        sense.pictures = read_pictures(el)
        for name in ("id", "guid"):
            if el.get(name):
                self.ids.setdefault(el.get(name), self.key)
        sense.extra = {"lift": to_xml(el)}
        if others:
            sense.extra["glosses"] = others
        return sense, pos
