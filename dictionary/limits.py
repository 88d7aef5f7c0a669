"""How much one entry and one import file may hold: defined here once, used by the entry
form (``entry_forms``) and by every import reader (``formats``, ``formats.xlsx_in``,
``formats.lift_in``, ``formats.mdf_in``), so an entry that imports can always be opened and saved
in the form, and no file can fill the server's memory or the search results.

Counts (senses, examples, variants, text per entry, rows per file) can be changed in the
configuration (``ENTRY_MAX_SENSES`` …, see ``CONFIG``); the form and the importer read the
same values through ``current()``. The lengths of single fields cannot: most are the sizes
of database columns, the others what the entry form accepts.

``formats.checks.entry_problems`` checks parsed entries (any format) against these limits.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from flask import current_app, has_app_context

from .models import Entry, Sense, Variant


@dataclass(frozen=True)
class Limits:
    senses: int = 100  # senses per entry
    examples: int = 30  # examples per sense
    entry_examples: int = 300  # examples per entry, all senses together
    variants: int = 50  # spelling and dialect variants per entry
    notes: int = 100  # notes by type of the entry, and of each sense
    relations: int = 100  # links to other entries of the entry, and of each sense
    text: int = 100_000  # characters of text in one entry, all fields together
    file_rows: int = 20_000  # data rows of a table; entries (records) of LIFT and MDF


# Configuration keys (instance/config.py or DICTIONARY_… environment variables).
CONFIG = {"senses": "ENTRY_MAX_SENSES", "examples": "ENTRY_MAX_EXAMPLES",
          "entry_examples": "ENTRY_MAX_EXAMPLES_TOTAL", "variants": "ENTRY_MAX_VARIANTS",
          "notes": "ENTRY_MAX_NOTES", "relations": "ENTRY_MAX_RELATIONS",
          "text": "ENTRY_MAX_TEXT", "file_rows": "IMPORT_MAX_ROWS"}

DEFAULT = Limits()


def from_config(config: Mapping) -> Limits:
    """The limits with the configured values (positive whole numbers) applied."""
    values = {}
    for f in fields(Limits):
        raw = config.get(CONFIG[f.name])
        if raw is None:
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{CONFIG[f.name]} must be a whole number, not {raw!r}") from None
        if value < 1:
            raise ValueError(f"{CONFIG[f.name]} must be at least 1, not {value}")
        values[f.name] = value
    return replace(DEFAULT, **values)


def current() -> Limits:
    """The limits of the running app (its configuration), else the defaults."""
    return from_config(current_app.config) if has_app_context() else DEFAULT


def _length(column) -> int:
    return column.type.length


# Longest text of each field that a database column bounds; the readers check these cell
# by cell (with the column of the file).
COLUMN_LENGTHS: dict[str, int] = {
    "headword": _length(Entry.__table__.c.headword),
    "lexeme_form": _length(Entry.__table__.c.lexeme_form),
    "dialects": _length(Entry.__table__.c.dialects),
    "source_key": _length(Entry.__table__.c.source_key),
    "pronunciation": _length(Entry.__table__.c.pronunciation),
    "variety": _length(Entry.__table__.c.variety),
    "license": _length(Entry.__table__.c.license),
    "semantic_field": _length(Sense.__table__.c.semantic_field),
    "concept_id": _length(Sense.__table__.c.concept_id),
    "concept_gloss": _length(Sense.__table__.c.concept_gloss),
    "variant_form": _length(Variant.__table__.c.form),
    "variant_label": _length(Variant.__table__.c.label),
}
# Longest text of the free-text fields (unbounded columns): what the entry form accepts.
TEXT_LENGTHS: dict[str, int] = {
    "gloss_vi": 2000, "gloss_en": 2000, "definition": 5000, "gloss_note": 2000,
    "example": 2000, "example_vi": 2000, "note": 5000, "comment": 2000,
    "translation": 2000, "caption": 2000,
}
LENGTHS: dict[str, int] = {**COLUMN_LENGTHS, **TEXT_LENGTHS}
# A Concepticon id, as the form accepts it (surrounding spaces are trimmed).
CONCEPT_ID = re.compile(r"\d{1,16}")

def too_many_rows(maximum: int, what: str = "data rows") -> str:
    """Why a file with more than ``maximum`` rows (entries for LIFT, records for MDF) is
    refused; the readers name the line of the first one over the limit and stop there."""
    return (f"the file has more than {maximum:,} {what}, the most one import takes "
            "(IMPORT_MAX_ROWS); reading stopped here and nothing was imported. Split the file "
            "into smaller files and import them one after the other.")
