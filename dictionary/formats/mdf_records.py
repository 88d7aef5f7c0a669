r"""A Toolbox/MDF record while it is being read, and what the whole file is told once.

Where it sits: ``mdf_in`` reads the fields of a record into an ``EntryDraft`` (the entry,
or one of its ``\se`` subentries) made of ``SenseDraft``\ s, then turns each draft into a
``ParsedEntry``; ``Findings`` collects what does not stop the import (senses without a
Vietnamese gloss, empty template senses, parts of speech) and says it as a few warnings
with counts and first lines, not one line per record. Pure data, no I/O.

What a sense keeps beyond the model, in ``ParsedSense.extra``: ``glosses`` (other
languages' glosses by code, as the LIFT reader keeps them), ``definitions`` (likewise),
``de`` (the English definition when there is a Vietnamese one), ``xe`` (``[example,
English translation]`` pairs), ``translations`` (other languages' example translations by
code, ``[example, translation]`` pairs) and ``ps`` (its own part of speech, when it is not
the entry's: the key, or the text as written when it is not in data/parts_of_speech.toml).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .records import ImportProblem, ParsedEntry, ParsedSense

# A part of speech as read: its key in data/parts_of_speech.toml (None when it is not
# there) and the text as the file writes it.
Pos = tuple[str | None, str]
VI, EN = "vi", "en"


@dataclass
class Example:
    line: int
    text: str
    translations: dict[str, list[str]] = field(default_factory=dict)  # by language


@dataclass
class SenseDraft:
    line: int
    opened: bool = False  # by a \sn (or a \ps after content), not the record's implicit one
    pos: Pos | None = None
    glosses: dict[str, list[str]] = field(default_factory=dict)  # by language
    definitions: dict[str, list[str]] = field(default_factory=dict)
    domain: str | None = None
    examples: list[Example] = field(default_factory=list)

    def empty(self) -> bool:
        return not (any(self.glosses.values()) or any(self.definitions.values())
                    or self.domain or self.examples)

    def parsed(self, entry_pos: Pos | None) -> ParsedSense:
        extra: dict[str, Any] = {}
        glosses = {lang: "; ".join(v) for lang, v in self.glosses.items() if v}
        others = {lang: text for lang, text in glosses.items() if lang not in (VI, EN)}
        if others:
            extra["glosses"] = others
        definitions = {lang: "; ".join(v) for lang, v in self.definitions.items() if v}
        if VI in definitions and EN in definitions:
            extra["de"] = definitions[EN]
        others = {lang: text for lang, text in definitions.items() if lang not in (VI, EN)}
        if others:
            extra["definitions"] = others
        translations: dict[str, list[list[str]]] = {}
        for x in self.examples:
            for lang, texts in x.translations.items():
                if lang != VI and texts:
                    translations.setdefault(lang, []).append([x.text, "; ".join(texts)])
        if EN in translations:
            extra["xe"] = translations.pop(EN)
        if translations:
            extra["translations"] = translations
        if self.pos is not None and self.pos != entry_pos:
            extra["ps"] = self.pos[0] or self.pos[1]
        return ParsedSense(
            gloss_vi=glosses.get(VI, ""), gloss_en=glosses.get(EN) or None,
            semantic_field=self.domain,
            definition=definitions.get(VI) or definitions.get(EN) or None,
            examples=[(x.text, "; ".join(x.translations.get(VI, []))) for x in self.examples],
            extra=extra, line=self.line, example_lines=[x.line for x in self.examples])


@dataclass
class EntryDraft:
    """An entry being read (a record's, or a subentry's): its senses so far, the part of
    speech in force, and what is added at the end."""

    entry: ParsedEntry
    senses: list[SenseDraft]
    homograph: str | None = None
    pos: Pos | None = None  # the last \ps: for the senses that follow it
    first_pos: Pos | None = None  # the entry's
    notes: list[str] = field(default_factory=list)
    kept: list[list[str]] = field(default_factory=list)  # [marker, value] with no place

    @classmethod
    def start(cls, entry: ParsedEntry) -> EntryDraft:
        return cls(entry, [SenseDraft(entry.line)])

    @property
    def sense(self) -> SenseDraft:
        return self.senses[-1]

    def next_sense(self, line: int) -> None:
        """``\\sn``: a new sense, unless the current one is still empty."""
        if self.sense.empty():
            self.sense.line, self.sense.opened = line, True
        else:
            self.senses.append(SenseDraft(line, True, self.pos))

    def set_pos(self, line: int, pos: Pos) -> None:
        """``\\ps``: for the current sense while it is empty (before or just after its
        ``\\sn``: MDF's two hierarchies), else it starts the next sense; and for the senses
        that follow."""
        if self.first_pos is None:
            self.first_pos = pos
        self.pos = pos
        if self.sense.empty():
            self.sense.pos = pos
        else:
            self.senses.append(SenseDraft(line, True, pos))

    def has_content(self) -> bool:
        entry = self.entry
        return bool(any(not s.empty() for s in self.senses) or self.notes or self.kept
                    or entry.variants or entry.pronunciation or self.homograph or self.pos)

    def finish(self, findings: Findings) -> ParsedEntry:
        """The entry with its senses (empty ones dropped) and what the record kept."""
        entry = self.entry
        kept = [s for s in self.senses if not s.empty()]
        findings.dropped += [s.line for s in self.senses if s.empty() and s.opened]
        if self.first_pos is not None:
            entry.part_of_speech = self.first_pos[0]
            if self.first_pos[0] is None:
                entry.extra["ps"] = self.first_pos[1]
        entry.senses = [s.parsed(self.first_pos) for s in kept]
        if len({s.pos for s in kept if s.pos is not None}) > 1:
            findings.mixed.append(entry.line)
        if not kept:
            findings.senseless.append(entry.line)
        findings.unglossed += [s.line for s in entry.senses if not s.gloss_vi and s.line]
        entry.note = "\n".join(self.notes) or None
        if self.kept:
            entry.extra["mdf"] = self.kept
        return entry


def strip_stray(value: str) -> tuple[str, list[str]]:
    """``value`` without control and invisible format characters, and those removed (as
    ``U+001A``).

    >>> strip_stray("za\\x1atok\\u200b")
    ('zatok', ['U+001A', 'U+200B'])
    """
    removed = [ch for ch in value if unicodedata.category(ch) in ("Cc", "Cf")]
    if not removed:
        return value, []
    kept = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf"))
    return kept, [f"U+{ord(ch):04X}" for ch in removed]


def _lines(lines: list[int], most: int = 5) -> str:
    """Where: "on line 3", "on lines 3, 9", "first on lines 3, 9, 12, 20, 31".

    >>> _lines([3]), _lines([3, 9]), _lines([3, 9, 12], 2), _lines([3, 9], 1)
    ('on line 3', 'on lines 3, 9', 'first on lines 3, 9', 'first on line 3')
    """
    first = "first " if len(lines) > most else ""
    shown = lines[:most]
    if len(shown) == 1:
        return f"{first}on line {shown[0]}"
    return f"{first}on lines {', '.join(str(n) for n in shown)}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


@dataclass
class Findings:
    """What the file is told once, with counts and the first lines."""

    unglossed: list[int] = field(default_factory=list)  # lines of senses without gloss:vi
    senseless: list[int] = field(default_factory=list)  # lines of entries without a sense
    dropped: list[int] = field(default_factory=list)  # lines of empty senses dropped
    mixed: list[int] = field(default_factory=list)  # lines of entries with several \ps
    unknown_pos: dict[str, list[int]] = field(default_factory=dict)  # text -> lines
    cleaned: list[int] = field(default_factory=list)  # lines of fields with stray characters
    stray: dict[str, None] = field(default_factory=dict)  # the characters removed

    def clean(self, line: int, removed: Iterable[str]) -> None:
        self.cleaned.append(line)
        self.stray.update(dict.fromkeys(removed))

    def warnings(self, vi_markers: list[str]) -> list[ImportProblem]:
        told: list[ImportProblem] = []
        if self.unglossed:
            which = (f"no {' or '.join(vi_markers)} field" if vi_markers else
                     'no marker is mapped to "gloss:vi"')
            told.append(ImportProblem(self.unglossed[0], vi_markers[0] if vi_markers else None, (
                f"{_count(len(self.unglossed), 'sense has', 'senses have')} no Vietnamese gloss "
                f"({which}; {_lines(self.unglossed)}): their entries are imported as drafts, "
                "listed under Quality → without a Vietnamese gloss, and can be published once "
                "they have a sense with a Vietnamese gloss")))
        if self.senseless:
            told.append(ImportProblem(self.senseless[0], None, (
                f"{_count(len(self.senseless), 'entry has', 'entries have')} no sense with "
                f"anything in it ({_lines(self.senseless)}): imported as drafts")))
        if self.dropped:
            told.append(ImportProblem(self.dropped[0], None, (
                f"{_count(len(self.dropped), 'empty sense', 'empty senses')} (a \\sn with "
                f"nothing filled in after it, as a Toolbox template leaves it; "
                f"{_lines(self.dropped)}) not imported")))
        if self.mixed:
            told.append(ImportProblem(self.mixed[0], "\\ps", (
                f"the senses of {_count(len(self.mixed), 'record', 'records')} have different "
                f"parts of speech ({_lines(self.mixed)}): the entry takes the first, each "
                'other sense keeps its own in its data ("ps")')))
        if self.unknown_pos:
            told.append(self._unknown_pos())
        if self.cleaned:
            told.append(ImportProblem(self.cleaned[0], None, (
                f"{_count(len(self.cleaned), 'field holds', 'fields hold')} control or "
                f"invisible characters ({', '.join(list(self.stray)[:8])}; "
                f"{_lines(self.cleaned)}): removed")))
        return told

    def _unknown_pos(self) -> ImportProblem:
        found = sorted(self.unknown_pos.items(), key=lambda item: (-len(item[1]), item[1][0]))
        listed = ", ".join(f'"{text}" ({_count(len(lines), "time", "times")}, '
                           f"{_lines(lines, 1)})" for text, lines in found[:12])
        more = f" and {len(found) - 12} more" if len(found) > 12 else ""
        first = min(lines[0] for _, lines in found)
        return ImportProblem(first, "\\ps", (
            f"{_count(len(found), 'part of speech is', 'parts of speech are')} not in "
            f"data/parts_of_speech.toml: {listed}{more}. The entries keep the text as written "
            '(in their data, "ps") and have no part of speech; add these to '
            "data/parts_of_speech.toml (as aliases of a part of speech) and import again to "
            "set it"))
