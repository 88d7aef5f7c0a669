"""The limits of ``limits`` applied to parsed entries, whatever file they came from.

Where it sits: the last check of every import reader (``formats`` for CSV/TSV and
XLSX, ``lift_in``, ``mdf_in``) before the importer compares anything with the
database. Each problem names the line (sheet row, XML line, MDF line) of the first sense,
example or variant over a limit, and the entry it belongs to; the messages are English like
every import problem.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from ..limits import CONCEPT_ID, COLUMN_LENGTHS, TEXT_LENGTHS, Limits
from .records import ImportProblem, ParsedEntry

# How the messages name the free-text fields (problems are English, like all import
# problems; the pages show them as they are).
_FIELD_NAMES = {"gloss_vi": "Vietnamese gloss", "gloss_en": "English gloss",
                "definition": "definition", "gloss_note": "note on the gloss",
                "example": "example", "example_vi": "translation of the example",
                "note": "note", "translation": "translation of the example",
                "caption": "caption of the picture"}


def entry_text_size(entry: ParsedEntry) -> int:
    """Characters of text an entry holds (what the form and a search hit carry)."""
    size = sum(len(x or "") for x in (entry.headword, entry.pronunciation, entry.note,
                                      entry.lexeme_form))
    size += sum(len(form) + len(label or "") for form, _kind, label in entry.variants)
    size += sum(len(n.get("text") or "") for n in entry.notes)
    for s in entry.senses:
        size += sum(len(x or "") for x in (s.gloss_vi, s.gloss_en, s.definition,
                                           s.semantic_field, s.gloss_note))
        size += sum(len(text) + len(translation) for text, translation in s.examples)
        size += sum(len(n.get("text") or "") for n in s.notes)
        size += sum(len(p.get("caption") or "") for p in s.pictures)
        size += sum(len(t.get("text") or "") for ts in s.example_translations for t in ts)
    return size


def entry_problems(entries: Iterable[ParsedEntry], limits: Limits) -> list[ImportProblem]:
    """What in ``entries`` goes beyond ``limits``: counts, free-text lengths, text per
    entry. Each problem names the line of the first row (sense, example, variant) over the
    limit, and the entry's own line."""
    problems: list[ImportProblem] = []
    for entry in entries:
        problems.extend(_entry(entry, limits))
    return problems


def _line(lines: list, index: int, fallback: int) -> int:
    found = lines[index] if index < len(lines) else None
    return found if found is not None else fallback


def _entry(e: ParsedEntry, limits: Limits) -> list[ImportProblem]:
    out: list[ImportProblem] = []
    name = f"the entry “{e.headword}” (line {e.line})"
    n = len(e.senses)
    if n > limits.senses:
        first = e.senses[limits.senses]
        out.append(ImportProblem(first.line or e.line, None, (
            f"{name} has {n:,} senses; at most {limits.senses:,} senses fit in one entry "
            f"(sense {limits.senses + 1} starts here). Split the senses over several entries "
            "with the same headword (homographs).")))
    n = len(e.variants)
    if n > limits.variants:
        out.append(ImportProblem(_line(e.variant_lines, limits.variants, e.line), None, (
            f"{name} has {n:,} variants; at most {limits.variants:,} fit in one entry "
            f"(variant {limits.variants + 1} is here).")))
    total = 0
    for number, s in enumerate(e.senses, 1):
        where = s.line or e.line
        n = len(s.examples)
        if n > limits.examples:
            out.append(ImportProblem(_line(s.example_lines, limits.examples, where), None, (
                f"sense {number} of {name} has {n:,} examples; at most {limits.examples:,} "
                f"fit in one sense (example {limits.examples + 1} is here).")))
        elif total + n > limits.entry_examples:
            index = limits.entry_examples - total
            out.append(ImportProblem(_line(s.example_lines, index, where), None, (
                f"{name} has more than {limits.entry_examples:,} examples in all its senses "
                f"(example {index + 1} of sense {number} is here); keep the best "
                f"{limits.entry_examples:,} or split the entry.")))
            total = -10 ** 9  # told once per entry
        total += n
        if s.concept_id and not CONCEPT_ID.fullmatch(s.concept_id.strip()):
            out.append(ImportProblem(where, None, (
                f"the concept id “{s.concept_id}” of sense {number} of {name} is not a "
                "Concepticon id (a number, such as 646)")))
        for field, value in (("gloss_vi", s.gloss_vi), ("gloss_en", s.gloss_en),
                             ("definition", s.definition), ("gloss_note", s.gloss_note)):
            out.extend(_too_long(field, value, where, f"sense {number} of {name}"))
        for j, (text, translation) in enumerate(s.examples):
            line = _line(s.example_lines, j, where)
            what = f"example {j + 1} of sense {number} of {name}"
            out.extend(_too_long("example", text, line, what))
            out.extend(_too_long("example_vi", translation, line, what))
    out.extend(_too_long("note", e.note, e.line, name))
    out.extend(_extras(e, limits, name))
    size = entry_text_size(e)
    if size > limits.text and not out:
        out.append(ImportProblem(e.line, None, (
            f"{name} holds {size:,} characters of text; at most {limits.text:,} fit in one "
            "entry. Shorten its glosses, definitions or examples, or split it.")))
    return out


def _extras(e: ParsedEntry, limits: Limits, name: str) -> list[ImportProblem]:
    """Notes, links, captions, example translations and the lexeme form: what the entry
    form takes of them (``curation.form_fields``)."""
    out: list[ImportProblem] = []
    places = [(e.line, name, e.notes, e.relations, [], [])]
    places += [(s.line or e.line, f"sense {number} of {name}", s.notes, s.relations,
                s.pictures, s.example_translations) for number, s in enumerate(e.senses, 1)]
    for line, what, notes, relations, pictures, translations in places:
        if len(notes) > limits.notes:
            out.append(ImportProblem(line, None, f"{what} has {len(notes):,} notes; at most "
                                                 f"{limits.notes:,} fit"))
        if len(relations) > limits.relations:
            out.append(ImportProblem(line, None, f"{what} has {len(relations):,} links to other "
                                                 f"entries; at most {limits.relations:,} fit"))
        for n in notes:
            out.extend(_too_long("note", n.get("text"), line, what))
        for p in pictures:
            out.extend(_too_long("caption", p.get("caption"), line, what))
        for t in (t for ts in translations for t in ts):
            out.extend(_too_long("translation", t.get("text"), line, what))
    if e.lexeme_form and len(e.lexeme_form) > COLUMN_LENGTHS["lexeme_form"]:
        out.append(ImportProblem(e.line, None, f"the lexeme form of {name} has "
                                               f"{len(e.lexeme_form):,} characters; at most "
                                               f"{COLUMN_LENGTHS['lexeme_form']:,} fit"))
    return out


def _too_long(field: str, value: str | None, line: int, what: str) -> list[ImportProblem]:
    maximum = TEXT_LENGTHS[field]
    if value and len(value) > maximum:
        return [ImportProblem(line, None, f"the {_FIELD_NAMES[field]} of {what} has "
                                          f"{len(value):,} characters; at most {maximum:,} fit")]
    return []


def only_marks(raw: str) -> bool:
    """Whether ``raw`` holds combining marks and nothing they could sit on.

    >>> only_marks("\u0306"), only_marks(" \u0306\u0301 "), only_marks("a\u0306"), only_marks("")
    (True, True, False, False)
    """
    text = "".join(raw.split())
    return bool(text) and all(unicodedata.category(c).startswith("M") for c in text)


def empty_headword(raw: str) -> str:
    """Why a headword came out empty, in words a linguist can act on.

    >>> empty_headword("\u0306")
    'the headword is only a combining mark (U+0306 COMBINING BREVE) with no letter before it; type the letter and the mark together (ă, ŏ, ĕ)'
    >>> empty_headword("  ")
    'empty headword'
    """
    if not only_marks(raw):
        return "empty headword"
    names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in "".join(raw.split()))
    return (f"the headword is only a combining mark ({names}) with no letter before it; type "
            "the letter and the mark together (ă, ŏ, ĕ)")
