r"""Reading a Toolbox / MDF (Multi-Dictionary Formatter) lexicon into ``ParsedEntry`` rows.

Second step of an import for Toolbox databases, beside ``formats`` for tables: the
text that ``text.decode_lexicon`` decoded (UTF-8, or the Windows-1252 code page Toolbox
writes Latin text in, line by line) is split into fields (``\marker value``, with
continuation lines), fields into records (each starts at ``\lx``), and every record becomes
a ``ParsedEntry`` in storage form (``normalize.clean``) that ``importer.import_lexicon``
compares with the database and writes, exactly like a row of the curated format. Every
problem is collected with its line and marker and raised together as ``ImportFailed``;
what does not stop the import goes to ``warnings``, told once per file with counts and
first lines (``mdf_records.Findings``). The markers found, with counts, a sample and the
meaning each got, go to the dry run (``mdf_found``). Nothing here touches the database.

What each marker holds is ``mdf_markers``' business: by default standard MDF (Coward &
Grimes, *Making Dictionaries*, SIL 2000) with Vietnamese as the national language, and the
linguist's ``ImportMapping.markers`` over it (``gn = "gloss:id"`` for an Indonesian one):

=========  ========================================================================
``\lx``    headword; starts a record (``form_kind`` orthographic)
``\hm``    homograph number: part of the stable key ``source:lx#hm``
``\ps``    part of speech (data/parts_of_speech.toml) of the senses that follow it; the
           entry takes the first, a sense with another keeps its own (``extra["ps"]``);
           one not in the list is kept as written, with a warning
``\sn``    starts the next sense; a sense with nothing in it (a template) is dropped
``\gn``    Vietnamese gloss; ``\ge`` English gloss (a sense without ``\gn`` makes its entry
           a draft)
``\dn``    definition (``\de``, the English one, is used when there is no ``\dn``)
``\xv``    example; ``\xn`` its Vietnamese translation, ``\xe`` its English one
``\va``    variant form; ``\ve`` a comment on it (its label)
``\ph``    phonetic transcription: the entry's pronunciation
``\sd``    semantic domain; ``\nt`` note; ``\dt`` date of the last edit (the record's)
``\se``    subentry: an entry of its own, with the fields up to the next ``\se`` or the
           end of the record, keyed ``source:lx#hm/se:subentry``; the main entry lists
           them in ``extra["subentries"]``, each names it in ``extra["subentry_of"]``
=========  ========================================================================

``\_sh`` and other ``\_`` header lines before the first record are skipped. Any other
marker is kept, in order, in the entry's ``extra["mdf"]`` as ``[marker, value]`` pairs
(the marker without its backslash), so nothing in the file is silently dropped; so are a
second ``\sd`` of a sense, a second ``\ph`` and a ``\ve`` comment too long for a label.
Control and invisible characters in a value are removed, with a warning.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from search_index import normalize

from .. import limits as entry_limits
from ..models import ORTHOGRAPHIC
from ..parts_of_speech import PartOfSpeech, fold_label
from .checks import empty_headword, entry_problems, only_marks
from .mdf_markers import (
    DATE, DEFINITION, EXAMPLE, GLOSS, HEADWORD, HOMOGRAPH, IGNORE, KEPT, NOTE, PHONETIC, POS,
    SEMANTIC_FIELD, SENSE, SUBENTRY, TRANSLATION, VARIANT, VARIANT_LABEL, Meaning,
    marker_meanings, markers_for)
from .mdf_found import MarkerTally
from .mdf_records import EntryDraft, Example, Findings, Pos, SenseDraft, strip_stray
from .records import ImportFailed, ImportMapping, ImportProblem, ParsedEntry
from .table_in import LIMITS
from .text import bad_character

MDF = "mdf"
_FIELD = re.compile(r"\\(\S+)(?:[ \t]+(.*))?$")
_START = re.compile(r"\\(_sh|lx)(\s|$)")
_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")
_LABEL_LIMIT = LIMITS["variant_label"]
# Longest value of a field by what it holds (the column it goes into); else unbounded here.
_VALUE_LIMITS = {HEADWORD: LIMITS["headword"], SUBENTRY: LIMITS["headword"],
                 VARIANT: LIMITS["variant_form"]}


def looks_like_mdf(text: str) -> bool:
    r"""Whether the first non-blank line opens a Toolbox/MDF file (``\_sh`` or ``\lx``).

    >>> looks_like_mdf("\n\\_sh v3.0  400  MDF 4.0\n\\lx zatok"), looks_like_mdf("headword,x")
    (True, False)
    """
    for line in _lines(text.lstrip("\ufeff")):  # (not splitlines: the text may be huge)
        if line.strip():
            return bool(_START.match(line))
    return False


@dataclass
class MdfField:
    line: int
    marker: str  # without the backslash: "lx", "gn", "_sh"
    value: str  # continuation lines joined with a space, not yet cleaned


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one by one (``\\r\\n``, ``\\r`` or ``\\n``), never all at once."""
    end = len(text)
    for match in _LINE.finditer(text):
        yield match[1]
        if match.end() >= end:
            return


def read_fields(text: str) -> Iterator[MdfField]:
    r"""The fields of an MDF text, as they are read: a line starting with a backslash opens
    a field, any other non-blank line continues the previous one.

    >>> [(f.line, f.marker, f.value) for f in read_fields("\\lx za\n  tok\n\n\\gn nhà")]
    [(1, 'lx', 'za tok'), (4, 'gn', 'nhà')]
    """
    last: MdfField | None = None
    for number, line in enumerate(_lines(text.lstrip("\ufeff")), 1):
        match = _FIELD.match(line) if line.startswith("\\") else None
        if match:
            if last is not None:
                yield last
            last = MdfField(number, match[1], (match[2] or "").strip())
        elif line.strip() and last is not None:
            last.value = f"{last.value} {line.strip()}".strip()
    if last is not None:
        yield last


def parse_mdf(text: str, *, source: str, sources: dict[str, dict],
              parts_of_speech: list[PartOfSpeech],
              limits: entry_limits.Limits | None = None,
              mapping: ImportMapping | None = None,
              warnings: list[ImportProblem] | None = None,
              markers_out: list[dict] | None = None) -> list[ParsedEntry]:
    """Every record of an MDF text as ``ParsedEntry`` rows (the entry, then its subentries);
    ``ImportFailed`` lists every problem, each with its line and marker. ``source`` is the
    key (in data/languages.toml, given as ``sources``) all records come from: an MDF file
    names none itself. ``mapping.markers``: what the file's markers hold, over the MDF
    defaults (``mdf_markers``). What does not stop the import is added to ``warnings``.
    More records than ``limits.file_rows`` stop the reading at the first one too many.
    The markers found, with counts and meanings (``mdf_found``), are added to
    ``markers_out`` (and set on the ``ImportFailed`` as ``markers``)."""
    if source not in sources:
        known = ", ".join(sorted(sources)) or "none yet"
        raise ImportFailed(f'unknown source "{source}"; use a source key from '
                           f"data/languages.toml ({known}), or add one there as a [[source]] "
                           "table with key, license and citation")
    limits = limits or entry_limits.current()
    tally = MarkerTally(mapping)
    with tally.told(read_fields(text)):
        meanings = tally.meanings = marker_meanings(mapping.markers if mapping else None)
        parser = _MdfParser(source, sources[source].get("license", ""), parts_of_speech,
                            meanings)
        records = parser.split(tally.watch(read_fields(text)), limits.file_rows)
        entries = [entry for record in records for entry in parser.entries(record)]
        problems = parser.problems + entry_problems(entries, limits)
        if not records and not problems:
            lx = parser.record_marker
            problems.append(ImportProblem(None, None, f"no \\{lx} record found; in a Toolbox/"
                                                      f"MDF file every entry starts with a "
                                                      f"\\{lx} line"))
        if problems:
            raise ImportFailed(errors=sorted(problems, key=lambda p: p.line or 0))
    if markers_out is not None:
        markers_out.extend(tally.table())
    if warnings is not None:
        warnings.extend(parser.findings.warnings(markers_for(meanings, GLOSS, "vi")))
    return entries


def decoding_warnings(encoding: str, samples: list[tuple[int, str, str]]) -> list[ImportProblem]:
    """What to tell about a Toolbox file read as Windows-1252 (``text.decode_lexicon``):
    nothing for UTF-8 (or TCVN3/VNI, whose samples the dry run shows anyway).

    >>> [(w.line, w.message[:40]) for w in decoding_warnings("cp1252", [(3, "?", "±")])]
    [(3, 'not UTF-8: the lines with letters beyond')]
    """
    if "cp1252" not in encoding:
        return []
    shown = "; ".join(f"line {line}: “{after[:60]}”" for line, _, after in samples[:3])
    mixed = " (the other lines are UTF-8)" if encoding != "cp1252" else ""
    return [ImportProblem(samples[0][0] if samples else None, None, (
        "not UTF-8: the lines with letters beyond ASCII were read as Windows-1252 (cp1252), "
        f"the code page Toolbox writes Latin text in{mixed}. Check that they read correctly"
        f"{' (' + shown + ')' if shown else ''}; if they do not, the file is in another "
        "encoding: convert it to Unicode (UTF-8), for example with SIL Converters, and "
        "import it again"))]


class _MdfParser:
    """Turns records (lists of fields) into entries, collecting problems and findings."""

    def __init__(self, source: str, license: str, parts_of_speech: list[PartOfSpeech],
                 meanings: dict[str, Meaning]) -> None:
        self.source = source
        self.license = license
        self.meanings = meanings
        self.record_marker = next(m for m, v in meanings.items() if v.kind == HEADWORD)
        self.subentry_marker = next((m for m, v in meanings.items() if v.kind == SUBENTRY),
                                    "se")
        self.pos: dict[str, str] = {}
        for p in parts_of_speech:
            for label in (p.key, p.vi, p.en, *p.aliases):
                self.pos.setdefault(fold_label(label), p.key)
        self.problems: list[ImportProblem] = []
        self.findings = Findings()
        self.keys: dict[str, int] = {}  # source_key -> line

    def problem(self, f: MdfField | int, message: str, marker: str | None = None) -> None:
        line = f if isinstance(f, int) else f.line
        name = marker if marker is not None else (None if isinstance(f, int) else f.marker)
        self.problems.append(ImportProblem(line, f"\\{name}" if name else None, message))

    def split(self, fields: Iterable[MdfField],
              max_records: int | None = None) -> list[list[MdfField]]:
        """Records, each starting with its ``\\lx`` field; header lines skipped.
        ``ImportFailed`` at the first record over ``max_records``."""
        records: list[list[MdfField]] = []
        lx = self.record_marker
        for f in fields:
            if f.marker == lx:
                if max_records is not None and len(records) >= max_records:
                    raise ImportFailed(errors=[ImportProblem(
                        f.line, None, entry_limits.too_many_rows(max_records,
                                                                 f"records (\\{lx})"))])
                records.append([f])
            elif records:
                records[-1].append(f)
            elif not f.marker.startswith("_"):
                self.problem(f, f"a \\{f.marker} field before the first \\{lx} record; every "
                                f"entry starts with a \\{lx} line")
        return records

    def value(self, f: MdfField, limit: int | None = None) -> str:
        """The field's text in storage form ("" when it is not usable); control and
        invisible characters are removed (told once for the file)."""
        raw = f.value.replace("\t", " ")
        bad = bad_character(raw)
        if bad:
            raw, removed = strip_stray(raw)
            if removed:
                self.findings.clean(f.line, removed)
            bad = bad_character(raw)
        if bad:
            self.problem(f, bad)
            return ""
        value = normalize.clean(raw)
        if limit is not None and len(value) > limit:
            self.problem(f, f"{len(value)} characters; at most {limit} fit")
            return ""
        return value

    def part_of_speech(self, f: MdfField, value: str) -> Pos:
        key = self.pos.get(fold_label(value))
        if key is None:
            self.findings.unknown_pos.setdefault(value, []).append(f.line)
        return key, value

    def _draft(self, line: int, headword: str) -> EntryDraft:
        return EntryDraft.start(ParsedEntry(line=line, source_key="", source=self.source,
                                            headword=headword, form_kind=ORTHOGRAPHIC,
                                            license=self.license))

    def entries(self, record: list[MdfField]) -> list[ParsedEntry]:
        """One record (its ``\\lx`` field first) as checked entries: the record's, then one
        per ``\\se`` subentry, each with the fields that follow it."""
        lx = record[0]
        headword = self.value(lx, LIMITS["headword"])
        if not headword and (not lx.value or only_marks(lx.value)):
            self.problem(lx, empty_headword(lx.value))
        main = self._draft(lx.line, headword)
        drafts = [main]
        for f in record[1:]:
            meaning = self.meanings.get(f.marker, KEPT)
            if meaning.kind == IGNORE:
                continue
            if meaning.kind == SENSE:
                drafts[-1].next_sense(f.line)
                continue
            value = self.value(f, _VALUE_LIMITS.get(meaning.kind))
            if meaning.kind == SUBENTRY:  # (an empty one too: its fields are not the last's)
                drafts.append(self._draft(f.line, value))
                if value:
                    drafts[-1].entry.extra["subentry_of"] = headword
                    main.entry.extra.setdefault("subentries", []).append(value)
            elif not value:
                continue  # an empty template field
            elif meaning.kind == DATE:  # the record's last edit, wherever it is written
                self.apply(main, f, meaning, value)
            else:
                self.apply(drafts[-1], f, meaning, value)
        for draft in drafts[1:]:
            if not draft.entry.headword and draft.has_content():
                self.problem(draft.entry.line, "a subentry with no form, but fields follow it; "
                                               "write the subentry's form after the marker, or "
                                               "delete its fields", self.subentry_marker)
        drafts = [main] + [d for d in drafts[1:] if d.entry.headword]
        entries = [d.finish(self.findings) for d in drafts]
        main.entry.source_key = self.claim(lx, headword, main.homograph)
        for draft in drafts[1:]:
            draft.entry.source_key = self.claim_subentry(draft, main.entry.source_key)
            if "dt" in main.entry.extra:
                draft.entry.extra.setdefault("dt", main.entry.extra["dt"])
        return entries

    def apply(self, draft: EntryDraft, f: MdfField, meaning: Meaning, value: str) -> None:
        """Put one field's value where it belongs; what has no place is kept."""
        entry, sense, kind = draft.entry, draft.sense, meaning.kind
        if kind == HOMOGRAPH:
            draft.homograph = self.homograph(f, value, draft.homograph)
        elif kind == POS:
            draft.set_pos(f.line, self.part_of_speech(f, value))
        elif kind == GLOSS:
            sense.glosses.setdefault(meaning.lang or "", []).extend(
                g for g in (normalize.clean(x) for x in value.split(";")) if g)
        elif kind == DEFINITION:
            sense.definitions.setdefault(meaning.lang or "", []).append(value)
        elif kind == SEMANTIC_FIELD and sense.domain is None:
            sense.domain = self.within(f, value, LIMITS["semantic_field"])
        elif kind == EXAMPLE:
            sense.examples.append(Example(f.line, value))
        elif kind == TRANSLATION:
            self.translation(f, value, sense, meaning.lang or "")
        elif kind == VARIANT:
            self.variant(value, entry, f.line)
        elif kind == VARIANT_LABEL and entry.variants and entry.variants[-1][2] is None \
                and len(value) <= _LABEL_LIMIT:
            form, variant_kind, _ = entry.variants[-1]
            entry.variants[-1] = (form, variant_kind, value)
        elif kind == PHONETIC and entry.pronunciation is None:
            entry.pronunciation = self.within(f, value, LIMITS["pronunciation"])
        elif kind == NOTE:
            draft.notes.append(value)
        elif kind == DATE and "dt" not in entry.extra:
            entry.extra["dt"] = value
        else:
            draft.kept.append([f.marker, value])

    def within(self, f: MdfField, value: str, limit: int) -> str | None:
        if len(value) > limit:
            self.problem(f, f"{len(value)} characters; at most {limit} fit")
            return None
        return value

    def homograph(self, f: MdfField, value: str, seen: str | None) -> str | None:
        if seen is not None:
            self.problem(f, f"a second homograph number in one record (the first is {seen})")
            return seen
        if not value.isascii() or not value.isdigit() or int(value) == 0:
            self.problem(f, f'homograph number "{value}" is not a whole number (1, 2, …)')
            return None
        return str(int(value))

    def translation(self, f: MdfField, value: str, sense: SenseDraft, lang: str) -> None:
        if not sense.examples:
            example = ", ".join(markers_for(self.meanings, EXAMPLE)) or "example"
            self.problem(f, f"a translation (\\{f.marker}) without an example ({example}) "
                            "before it in this sense")
            return
        sense.examples[-1].translations.setdefault(lang, []).append(value)

    def variant(self, form: str, entry: ParsedEntry, line: int | None = None) -> None:
        if all(form != v[0] for v in entry.variants):
            entry.variants.append((form, "spelling", None))
            entry.variant_lines.append(line)

    def claim(self, lx: MdfField, headword: str, homograph: str | None) -> str:
        key = f"{self.source}:{headword}" + (f"#{homograph}" if homograph else "")
        if len(key) > LIMITS["source_key"]:
            self.problem(lx, f"the stable key {key!r} is longer than {LIMITS['source_key']} "
                             "characters")
        if key in self.keys:
            what = f"homograph {homograph} of " if homograph else ""
            self.problem(lx, f'duplicate record: {what}"{headword}" is also on line '
                             f"{self.keys[key]}; number homographs with \\hm 1, \\hm 2, …")
        elif headword:
            self.keys[key] = lx.line
        return key

    def claim_subentry(self, draft: EntryDraft, main_key: str) -> str:
        """``source:lx#hm/se:subentry`` (``#hm`` of the subentry's own ``\\hm``, if any); a
        subentry too long for the key is cut, with a digest of the whole to keep it apart."""
        entry, limit = draft.entry, LIMITS["source_key"]
        number = f"#{draft.homograph}" if draft.homograph else ""
        key = f"{main_key}/se:{entry.headword}{number}"
        room = limit - len(key) + len(entry.headword) - 9  # (for "~" and the digest)
        if len(key) > limit and room >= 8:
            digest = hashlib.sha1(entry.headword.encode("utf-8")).hexdigest()[:8]
            key = f"{main_key}/se:{entry.headword[:room]}~{digest}{number}"
        marker = self.subentry_marker
        if len(key) > limit:
            self.problem(entry.line, f"the stable key {key!r} is longer than {limit} "
                                     "characters", marker)
        if key in self.keys:
            self.problem(entry.line, f'subentry "{entry.headword}" is also on line '
                                     f"{self.keys[key]} of this record; number them with "
                                     "\\hm 1, \\hm 2, … after each", marker)
        else:
            self.keys[key] = entry.line
        return key
