"""Reading LIFT 0.13 lexicons (what FieldWorks Language Explorer exports) into ParsedEntry rows.

Where it sits: the LIFT branch of the second import step (``importer.import_lexicon`` →
``parse_lexicon``, beside the CSV formats of ``formats``); ``lift_out`` is the
way back. Bytes → a defused SAX parse (``lift_xml``: no DTD, no entity, no external
reference; every element with its line) → one element tree per ``<entry>`` → a
``ParsedEntry`` whose text is in storage form, so the importer can compare it with the
database. Every problem is
collected and raised together as ``ImportFailed``; nothing here touches the database.

Nothing the model does not hold is dropped. The ``<entry>`` element, without its senses, is
kept as canonical XML in ``Entry.extra["lift"]``, each ``<sense>`` in ``Sense.extra["lift"]``.
A processing instruction ``<?slot KIND?>`` stands in front of each element whose value the
model holds (the headword form, the Vietnamese glosses, an example …): ``lift_out`` puts
the stored element back while the model still says the same, and one made from the model
once the value was edited. Traits the exporter adds are read back as what they are:
``source`` names the entry's source; ``license`` and ``public-id`` come from the database
and are not kept. The file's ``<header>`` (range and field definitions of the FieldWorks
project) is not entry data and is not kept; a warning says so.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .. import limits as entry_limits
from ..models import ORTHOGRAPHIC, PHONETIC
from ..parts_of_speech import PartOfSpeech, fold_label
from .checks import empty_headword, entry_problems
from .lift_xml import (
    SLOT,
    LineElement,
    Refused,
    Tree,
    choose,
    integer,
    is_audio,
    is_ipa,
    like_headword,
    looks_like_lift,
    mark,
    text_of,
    read_lift,
    to_xml,
    value_of,
    variant_kind_label,
)
from .lift_audio import entry_audio
from .lift_header import read_sources
from .lift_lists import read_dialects, read_notes, read_relations, resolve
from .lift_senses import SenseReader
from .lift_values import LIMITS
from .lift_tally import Tally
from .lift_ws import WritingSystems
from .records import ImportFailed, ImportMapping, ImportProblem, ParsedEntry

__all__ = ["looks_like_lift", "parse_lift"]  # (looks_like_lift lives in lift_xml)
EXPORT_TRAITS = ("source", "license", "public-id", "status")  # lift_out writes them
HISTORY = "tudien-revision"  # lift_out's annotation for a revision (curation.import_history)
LABEL_LIMIT = LIMITS["variant_label"]


def parse_lift(data: bytes, *, source: str | None, sources: dict[str, dict],
               parts_of_speech: list[PartOfSpeech], vernacular: str | None = None,
               warnings: list[ImportProblem] | None = None,
               limits: entry_limits.Limits | None = None,
               mapping: ImportMapping | None = None,
               writing_systems_out: list[dict] | None = None,
               skip_invalid: bool = False,
               sources_out: list[dict] | None = None) -> list[ParsedEntry]:
    """Read and check a whole LIFT file; ``ImportFailed`` lists every problem found.

    ``source``: the source key of entries that do not name one (in a ``source`` trait, as
    ``lift_out`` writes); ``sources``: the ``[[source]]`` tables of data/languages.toml
    by key; ``vernacular``: the language code of the headwords (the lexical-unit form in
    that language is the headword; without it, the first form). What stops nothing but is
    worth telling (an unknown grammatical-info, a skipped deleted entry) goes to ``warnings``.
    ``limits`` (default ``limits.current()``): a file with more entries than
    ``limits.file_rows`` is refused as soon as the parse reaches the first one too many;
    entries holding more than the limits allow are reported with their XML lines.
    ``mapping.ws``: the roles of the file's writing systems (``lift_ws``); the writing
    systems found, with counts and roles, are added to ``writing_systems_out`` (and, when
    the file cannot be imported, set on the ``ImportFailed`` as ``writing_systems``).
    Entries with a problem of their own make the file fail (``ImportFailed.skippable`` and
    ``valid`` then say how many are wrong and right), unless ``skip_invalid``: they are then
    left out and their problems become warnings, as long as the file itself is sound.
    Sources declared in the header of our own export and unknown here are added to
    ``sources_out`` (the importer writes them).
    """
    if not data.strip():
        raise ImportFailed("the file is empty")
    if source is not None and source not in sources:
        raise ImportFailed(_unknown_source(source, sources))
    limits = limits or entry_limits.current()
    reader = _Reader(source, sources, parts_of_speech, vernacular, mapping)
    reader.max_entries = limits.file_rows
    tree = Tree(reader.child)
    problems = read_lift(data, tree)  # the file's own problems; the entries' are apart
    if reader.too_many is not None:
        raise ImportFailed(errors=[reader.too_many])
    problems.extend(entry_problems(reader.entries, limits))
    reader.resolve()
    version = tree.root.get("version") if tree.root is not None else "0.13"
    if version != "0.13":
        problems.append(ImportProblem(1, "lift", f'LIFT version {version or "(none)"}; this '
                                                 'importer reads version="0.13" (what FieldWorks '
                                                 "and WeSay write)"))
    if reader.sourceless:
        problems.append(ImportProblem(reader.sourceless[0], "source", (
            f"{len(reader.sourceless)} entries name no source (a source trait); choose one "
            f"for the file from data/languages.toml ({', '.join(sorted(sources))})")))
    if not problems and not reader.entries and not reader.problems:
        problems.append(ImportProblem(None, None, "the file has no entries"))
    skipping = skip_invalid and not problems and bool(reader.entries)
    if warnings is not None:
        warnings.extend(reader.ws.warnings() + reader.warnings + reader.tally.warnings())
        if skipping and reader.problems:
            warnings.append(ImportProblem(None, None, (
                f"{len(reader.rejected)} entries with the problems below are skipped; the "
                f"other {len(reader.entries)} are imported")))
            warnings.extend(reader.problems)
    writing_systems = reader.ws.table()
    if writing_systems_out is not None:
        writing_systems_out.extend(writing_systems)
    if sources_out is not None:
        sources_out.extend(reader.declared)
    if problems or (reader.problems and not skipping):
        failed = ImportFailed(errors=sorted(problems + reader.problems,
                                            key=lambda p: p.line or 0))
        failed.writing_systems = writing_systems
        if not problems and reader.entries:  # only entries are wrong: the rest may go in
            failed.skippable, failed.valid = len(reader.rejected), len(reader.entries)
        raise failed
    return reader.entries


def _unknown_source(key: str, sources: dict[str, dict]) -> str:
    known = ", ".join(sorted(sources)) or "none yet"
    return (f'unknown source "{key}"; use a source key from data/languages.toml ({known}), or '
            "add one there as a [[source]] table with key, license and citation")


# ---- entries ---------------------------------------------------------------------------------
class _Reader(SenseReader):
    def __init__(self, source, sources, parts_of_speech, vernacular, mapping=None) -> None:
        super().__init__()
        self.source, self.sources, self.vernacular = source, sources, vernacular
        self.ws = WritingSystems(vernacular, mapping.ws if mapping else None)
        self.guessed = False  # the headword's writing system was looked for (first entry)
        self.tally = Tally()  # what is told once for the whole file
        self.pos: dict[str, str] = {}
        for p in parts_of_speech:
            for label in (p.key, p.vi, p.en, *p.aliases):
                self.pos.setdefault(fold_label(label), p.key)
        self.entries: list[ParsedEntry] = []
        self.rejected: list[ParsedEntry] = []  # entries with a problem of their own
        self.declared: list[dict] = []  # sources the file's header brings (our export)
        self.restored: tuple[str | None, str | None] = (None, None)  # public id, status
        self.history: list[tuple[str, str, str]] = []  # revisions our export carried
        self.keys: dict[str, int | None] = {}
        self.ids: dict[str, str] = {}  # the file's entry and sense ids → the entry's key
        self.sourceless: list[int | None] = []  # lines of entries that name no source
        self.max_entries: int | None = None
        self.seen = 0  # <entry> elements read so far
        self.too_many: ImportProblem | None = None

    def child(self, el: LineElement, root: LineElement) -> None:
        if el.tag == "entry":
            self.seen += 1
            if self.max_entries is not None and self.seen > self.max_entries:
                self.too_many = ImportProblem(el.line, None, entry_limits.too_many_rows(
                    self.max_entries, "entries"))
                raise Refused(el.line, self.too_many.message)  # stops the parse here
            for name, uri in root.items():  # prefixes declared on <lift> go with the entry
                if name.startswith("xmlns:"):
                    el.attrib.setdefault(name, uri)
            self.entry(el)
        elif el.tag == "header" and read_sources(el):
            for declared in read_sources(el):  # our own export: its sources come with it
                if declared["key"] not in self.sources and declared["license"]:
                    self.sources[declared["key"]] = declared
                    self.declared.append(declared)
        elif el.tag == "header":
            self.warn(el, "the header (range and field definitions) is not kept; entries keep "
                          "their values")
        else:
            self.warn(el, f"<{el.tag}> is not part of LIFT; ignored")

    def entry(self, el: LineElement) -> None:
        if el.get("dateDeleted"):
            return self.tally.add("deleted", el)
        before = len(self.problems)
        source, key = self._key(el)
        form, headword, lang = self._headword(el)
        sound = el.find("pronunciation")
        note = next((n for n in el.findall("note") if n.get("type") is None), None)
        for context, boxes in (("pronunciation", el.findall("pronunciation")),
                               ("note", el.findall("note")), ("variant", el.findall("variant"))):
            self.ws.count(context, [f for box in boxes for f in box.findall("form")])
        entry = ParsedEntry(
            line=el.line or 0, source_key=key, source=source or "", headword=headword,
            form_kind=PHONETIC if form is not None and is_ipa(form) else ORTHOGRAPHIC,
            pronunciation=self.take(sound, sound.find("form") if sound is not None else None,
                                    "pronunciation"),
            variety=self.take(el, next((t for t in el.findall("trait")
                                        if t.get("name") == "variety"), None), "variety"),
            note=self.take(note, choose(note.findall("form"), ("vi", "en"), True)
                           if note is not None else None, "note"),
            license=(self.sources.get(source) or {}).get("license", ""))
        # Our own export says what the entry was (public id, status); FieldWorks and our
        # export give the homograph number as the entry's order.
        entry.public_id, entry.status = self.restored
        entry.history = self.history
        if any(t.get("name") == "do-not-publish-in" for t in el.findall("trait")):
            entry.status = "draft"  # FieldWorks says so: it waits for a person's decision
            self.tally.add("unpublished", el)
        entry.homograph = integer(el.get("order"))
        entry.lexeme_form = self.lexeme_form(el, form, headword)
        entry.notes, entry.relations = read_notes(el), read_relations(el)
        entry.dialects = read_dialects(el)
        for ident in (el.get("id"), el.get("guid"), entry.public_id):  # what links name
            if ident:
                self.ids.setdefault(ident, key)
        self.key = key
        entry.audio = entry_audio(el)
        self.variants(el, entry, lang)
        self._senses(el, entry, lang)
        el.insert(0, ET.PI(SLOT, f"pos {entry.part_of_speech or ''}".strip()))
        entry.extra = {"lift": to_xml(el)}
        (self.rejected if len(self.problems) > before else self.entries).append(entry)

    def _key(self, el: LineElement) -> tuple[str | None, str]:
        """The entry's source and its stable key (``source:guid``), checked. The traits our
        own export writes are taken out of the kept XML: they are read, not kept."""
        ours = [c for c in el if c.tag == "trait" and c.get("name") in EXPORT_TRAITS]
        said = {c.get("name"): (c.get("value") or "").strip() for c in ours}
        history = [c for c in el if c.tag == "annotation" and c.get("name") == HISTORY]
        self.history = [(c.get("who") or "", c.get("when") or "", c.get("value") or "")
                        for c in history]
        ours += history
        source = said.get("source") or self.source
        self.restored = (said.get("public-id") or None, said.get("status") or None)
        for trait in ours:
            el.remove(trait)
        if source and source not in self.sources:
            self.problem(el, _unknown_source(source, self.sources), "source")
        elif not source:  # told once, after the file was read
            self.sourceless.append(el.line)
        ident = el.get("guid") or el.get("id")  # FieldWorks ids change with the headword
        key = f"{source}:{ident}"
        if not ident:
            self.problem(el, "no id or guid: a later import could not find the entry again")
        elif len(key) > LIMITS["source_key"]:
            self.problem(el, f"the key {key!r} is longer than {LIMITS['source_key']} characters")
        elif key in self.keys:
            self.problem(el, f'duplicate entry "{ident}" (also on line {self.keys[key]})')
        self.keys.setdefault(key, el.line)
        return source, key

    def _headword(self, el: LineElement) -> tuple[ET.Element | None, str, str | None]:
        """The headword: a lexical-unit form in the headword's writing system (orthographic
        before phonetic), else the citation form (FieldWorks' citation-only entries); the
        form it was read from, and its writing system."""
        unit, citation = el.find("lexical-unit"), el.find("citation")
        boxes = [b for b in (unit, citation) if b is not None]
        for box in boxes:
            self.ws.count(box.tag, box.findall("form"))
        if not self.guessed and boxes:
            self.ws.infer(boxes)
            self.guessed = True
        forms = [f for f in unit.findall("form") if not is_audio(f)] if unit is not None else []
        cited = [f for f in citation.findall("form") if not is_audio(f)] \
            if citation is not None else []
        box, form = citation, next(iter(self.ws.headword_forms(cited)), None)
        if form is None:  # FieldWorks' headword is the citation form, when there is one
            box = unit
            form = (forms[0] if forms else None) if self.vernacular is None else next(
                iter(self.ws.headword_forms(forms)), None)
        headword, lang = "", self.vernacular
        if form is None:
            have = sorted({self.ws.code(f) for b in boxes for f in b.findall("form")
                           if not is_audio(f)})
            self.problem(box if box is not None else el, (
                f'no headword in "{self.vernacular}" (the lexical unit has: '
                f'{", ".join(have)}); say which writing system holds the headwords: '
                f"--ws {have[0]}=headword") if have else
                "no headword (no <lexical-unit> or <citation> form)", "lexical-unit")
        else:
            before, lang = len(self.problems), form.get("lang")
            headword = self.take(box, form, "headword") or ""
            if not headword and len(self.problems) == before:
                self.problem(form, empty_headword(text_of(form)), "lexical-unit")
        return form, headword, lang

    def lexeme_form(self, el: ET.Element, cited: ET.Element | None, headword: str) -> str | None:
        """FieldWorks' lexeme form, when the headword was read from a citation form that
        differs from it: the lexical unit's form in the headword's writing system."""
        unit = el.find("lexical-unit")
        if cited is None or unit is None or cited in list(unit):
            return None
        form = next((f for f in unit.findall("form") if f.get("lang") == cited.get("lang")),
                    None)
        if form is None or value_of("lexeme_form", [form]) in ("", headword):
            return None
        return self.take(unit, form, "lexeme_form")

    def resolve(self) -> None:
        """Relations point at the entries they name, now that the whole file was read."""
        for entry in self.entries:
            resolve(entry.relations, self.ids, entry.source)
            for sense in entry.senses:
                resolve(sense.relations, self.ids, entry.source)

    def variants(self, el: ET.Element, entry: ParsedEntry, lang: str | None) -> None:
        """``<variant>``s with a vernacular form become Variants; others (a reference or a
        pronunciation only, or a repeated form) are kept as they are."""
        for variant in el.findall("variant"):
            traits = {t.get("name") for t in variant.findall("trait")}
            if traits & {"environment", "morph-type"} and "variant-type" not in traits:
                self.tally.add("allomorph", variant)  # FieldWorks' allomorph: not a spelling
                continue
            form = like_headword(variant.findall("form"), lang)
            text = self.value("form", [form], "variant_form", "variant") if form is not None else ""
            if not text or any(text == v[0] for v in entry.variants):
                continue
            kind, label = variant_kind_label(variant)
            if label and len(label) > LABEL_LIMIT:
                self.problem(variant, f"the label has {len(label)} characters; at most "
                                      f"{LABEL_LIMIT} fit")
            mark(variant, form, "form")
            mark(el, variant, "variant")
            entry.variants.append((text, kind, label))
            entry.variant_lines.append(getattr(variant, "line", None))
