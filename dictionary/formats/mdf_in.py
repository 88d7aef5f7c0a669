r"""Reading a Toolbox / MDF (Multi-Dictionary Formatter) lexicon into ``ParsedEntry`` rows.

Second step of an import for Toolbox databases, beside ``formats`` for tables: the
text that ``text.decode_lexicon`` decoded is split into fields (``\marker value``,
with continuation lines), fields into records (each starts at ``\lx``), and every record
becomes a ``ParsedEntry`` in storage form (``normalize.clean``) that
``importer.import_lexicon`` compares with the database and writes, exactly like a row of
the curated format. Every problem is collected with its line and marker and raised
together as ``ImportFailed``; nothing here touches the database.

The markers are those of standard MDF (Coward & Grimes, *Making Dictionaries*, SIL 2000),
with Vietnamese as the national language:

=========  ========================================================================
``\lx``    headword; starts a record (``form_kind`` orthographic)
``\hm``    homograph number: part of the stable key ``source:lx#hm``
``\ps``    part of speech, from data/parts_of_speech.toml (one per record)
``\sn``    starts the next sense
``\gn``    Vietnamese gloss (required in every sense); ``\ge`` English gloss
``\dn``    definition (``\de``, the English one, is used when there is no ``\dn``)
``\xv``    example; ``\xn`` its Vietnamese translation, ``\xe`` its English one
``\va``    variant form; ``\ve`` a comment on it (its label)
``\sd``    semantic domain; ``\nt`` note; ``\dt`` date of the last edit
=========  ========================================================================

``\_sh`` and other ``\_`` header lines before the first record are skipped. Any other
marker is kept, in order, in the entry's ``extra["mdf"]`` as ``[marker, value]`` pairs
(the marker without its backslash), so nothing in the file is silently dropped; so are a
second ``\sd`` of a sense and a ``\ve`` comment too long for a label.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from search_index import normalize

from .. import limits as entry_limits
from ..models import ORTHOGRAPHIC
from ..parts_of_speech import PartOfSpeech, fold_label
from .checks import entry_problems
from .records import ImportFailed, ImportProblem, ParsedEntry, ParsedSense
from .table_in import LIMITS
from .text import bad_character

MDF = "mdf"
_FIELD = re.compile(r"\\(\S+)(?:[ \t]+(.*))?$")
_START = re.compile(r"\\(_sh|lx)(\s|$)")
_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")
_LABEL_LIMIT = LIMITS["variant_label"]


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
              limits: entry_limits.Limits | None = None) -> list[ParsedEntry]:
    """Every record of an MDF text as a ``ParsedEntry``; ``ImportFailed`` lists every
    problem, each with its line and marker. ``source`` is the key (in data/languages.toml,
    given as ``sources``) all records come from: an MDF file names none itself. More
    records than ``limits.file_rows`` stop the reading at the first one too many."""
    if source not in sources:
        known = ", ".join(sorted(sources)) or "none yet"
        raise ImportFailed(f'unknown source "{source}"; use a source key from '
                           f"data/languages.toml ({known}), or add one there as a [[source]] "
                           "table with key, license and citation")
    limits = limits or entry_limits.current()
    parser = _MdfParser(source, sources[source].get("license", ""), parts_of_speech)
    records = parser.split(read_fields(text), limits.file_rows)
    entries = [parser.entry(record) for record in records]
    problems = parser.problems + entry_problems(entries, limits)
    if not records and not problems:
        problems.append(ImportProblem(None, None, "no \\lx record found; in a Toolbox/MDF "
                                                  "file every entry starts with a \\lx line"))
    if problems:
        raise ImportFailed(errors=sorted(problems, key=lambda p: p.line or 0))
    return entries


@dataclass
class _Example:
    line: int
    text: str
    vi: list[str] = field(default_factory=list)
    en: list[str] = field(default_factory=list)


@dataclass
class _Sense:
    line: int
    gn: list[str] = field(default_factory=list)
    ge: list[str] = field(default_factory=list)
    dn: list[str] = field(default_factory=list)
    de: list[str] = field(default_factory=list)
    domain: str | None = None
    examples: list[_Example] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.gn or self.ge or self.dn or self.de or self.domain or self.examples)

    def parsed(self) -> ParsedSense:
        extra: dict[str, Any] = {}
        if self.dn and self.de:
            extra["de"] = "; ".join(self.de)
        english = [[x.text, "; ".join(x.en)] for x in self.examples if x.en]
        if english:
            extra["xe"] = english
        return ParsedSense(
            gloss_vi="; ".join(self.gn), gloss_en="; ".join(self.ge) or None,
            semantic_field=self.domain, definition="; ".join(self.dn or self.de) or None,
            examples=[(x.text, "; ".join(x.vi)) for x in self.examples], extra=extra,
            line=self.line, example_lines=[x.line for x in self.examples])


@dataclass
class _Record:
    """A record being read: the entry, its senses so far, and what is added at the end."""

    entry: ParsedEntry
    senses: list[_Sense]
    homograph: str | None = None
    notes: list[str] = field(default_factory=list)
    kept: list[list[str]] = field(default_factory=list)  # [marker, value] with no place

    def next_sense(self, line: int) -> None:
        """``\\sn``: a new sense, unless the current one is still empty (the first)."""
        if self.senses[-1].empty():
            self.senses[-1].line = line
        else:
            self.senses.append(_Sense(line))


class _MdfParser:
    """Turns records (lists of fields) into entries, collecting problems."""

    def __init__(self, source: str, license: str, parts_of_speech: list[PartOfSpeech]) -> None:
        self.source = source
        self.license = license
        self.pos_table = parts_of_speech
        self.pos: dict[str, str] = {}
        for p in parts_of_speech:
            for label in (p.key, p.vi, p.en, *p.aliases):
                self.pos.setdefault(fold_label(label), p.key)
        self.problems: list[ImportProblem] = []
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
        for f in fields:
            if f.marker == "lx":
                if max_records is not None and len(records) >= max_records:
                    raise ImportFailed(errors=[ImportProblem(
                        f.line, None, entry_limits.too_many_rows(max_records, "records (\\lx)"))])
                records.append([f])
            elif records:
                records[-1].append(f)
            elif not f.marker.startswith("_"):
                self.problem(f, f"a \\{f.marker} field before the first \\lx record; every "
                                "entry starts with a \\lx line")
        return records

    def value(self, f: MdfField, limit: int | None = None) -> str:
        """The field's text in storage form ("" when it is not usable)."""
        raw = f.value.replace("\t", " ")
        bad = bad_character(raw)
        if bad:
            self.problem(f, bad)
            return ""
        value = normalize.clean(raw)
        if limit is not None and len(value) > limit:
            self.problem(f, f"{len(value)} characters; at most {limit} fit")
            return ""
        return value

    def part_of_speech(self, f: MdfField, value: str, entry: ParsedEntry) -> None:
        key = self.pos.get(fold_label(value))
        if key is None:
            choices = ", ".join(f"{p.vi} ({p.en})" for p in self.pos_table)
            self.problem(f, f'unknown part of speech "{value}"; use one of: {choices} (the '
                            "list is data/parts_of_speech.toml)")
        elif entry.part_of_speech and key != entry.part_of_speech:
            self.problem(f, "a second part of speech in one record; the part of speech "
                            "belongs to the entry: write the other one as its own \\lx record "
                            "(with \\hm homograph numbers)")
        else:
            entry.part_of_speech = key

    def entry(self, record: list[MdfField]) -> ParsedEntry:
        """One record (its ``\\lx`` field first) as a checked entry."""
        lx = record[0]
        headword = self.value(lx, LIMITS["headword"])
        if not headword and not lx.value:
            self.problem(lx, "empty headword")
        draft = _Record(ParsedEntry(line=lx.line, source_key="", source=self.source,
                                    headword=headword, form_kind=ORTHOGRAPHIC,
                                    license=self.license), [_Sense(lx.line)])
        for f in record[1:]:
            if f.marker == "sn":
                draft.next_sense(f.line)
                continue
            value = self.value(f, LIMITS["variant_form"] if f.marker == "va" else None)
            if value:
                self.apply(draft, f, value)
        self.check_glosses(draft.senses)
        entry = draft.entry
        entry.senses = [s.parsed() for s in draft.senses]
        entry.note = "\n".join(draft.notes) or None
        if draft.kept:
            entry.extra["mdf"] = draft.kept
        entry.source_key = self.claim(lx, headword, draft.homograph)
        return entry

    def apply(self, draft: _Record, f: MdfField, value: str) -> None:
        """Put one field's value where it belongs; markers with no place are kept."""
        entry, sense = draft.entry, draft.senses[-1]
        if f.marker == "hm":
            draft.homograph = self.homograph(f, value, draft.homograph)
        elif f.marker == "ps":
            self.part_of_speech(f, value, entry)
        elif f.marker in ("gn", "ge"):
            getattr(sense, f.marker).extend(
                g for g in (normalize.clean(x) for x in value.split(";")) if g)
        elif f.marker in ("dn", "de"):
            getattr(sense, f.marker).append(value)
        elif f.marker == "sd" and sense.domain is None:
            sense.domain = self.within(f, value, LIMITS["semantic_field"])
        elif f.marker == "xv":
            sense.examples.append(_Example(f.line, value))
        elif f.marker in ("xn", "xe"):
            self.translation(f, value, sense)
        elif f.marker == "va":
            self.variant(value, entry, f.line)
        elif f.marker == "ve" and entry.variants and entry.variants[-1][2] is None \
                and len(value) <= _LABEL_LIMIT:
            form, kind, _ = entry.variants[-1]
            entry.variants[-1] = (form, kind, value)
        elif f.marker == "nt":
            draft.notes.append(value)
        elif f.marker == "dt" and "dt" not in entry.extra:
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

    def translation(self, f: MdfField, value: str, sense: _Sense) -> None:
        if not sense.examples:
            self.problem(f, f"a translation (\\{f.marker}) without an example (\\xv) before "
                            "it in this sense")
            return
        example = sense.examples[-1]
        (example.vi if f.marker == "xn" else example.en).append(value)

    def variant(self, form: str, entry: ParsedEntry, line: int | None = None) -> None:
        if all(form != v[0] for v in entry.variants):
            entry.variants.append((form, "spelling", None))
            entry.variant_lines.append(line)

    def check_glosses(self, senses: list[_Sense]) -> None:
        for n, sense in enumerate(senses, 1):
            if not sense.gn:
                where = f" in sense {n} of this record" if len(senses) > 1 else ""
                self.problem(sense.line, f"no \\gn (Vietnamese gloss){where}; every sense "
                                         "needs one", marker="gn")

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
