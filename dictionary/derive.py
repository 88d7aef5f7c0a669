"""Derived fields: what people type becomes the storage form and the keys computed from it.

Runs in a ``before_flush`` hook (see ``indexing``), so no code path, whether form, importer
or shell, can store a headword that skipped the text rules or a key typed by hand; the bulk
import, which writes rows without the ORM, calls the same functions on its rows
(``entry_keys``, ``clean_values``).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from search_index import collation, normalize
from search_index.orthography import Rules, load_rules

from .models import Entry, Example, Sense, Variant


@lru_cache(maxsize=8)
def rules_in(directory: str) -> dict[str, Rules]:
    return load_rules(Path(directory))


def entry_keys(headword: str | None, rules: Rules | None) -> dict[str, Any]:
    """The headword in storage form and the keys derived from it, by attribute name."""
    headword = normalize.clean(headword or "")
    return {"headword": headword, "headword_key": normalize.loose_key(headword, rules),
            "sort_key": collation.sort_key(headword, rules),
            "first_letter": collation.first_letter(headword, rules)}


def derive_entry(entry: Entry, rules: Rules | None) -> None:
    for name, value in entry_keys(entry.headword, rules).items():
        setattr(entry, name, value)


def rederive_all(session: Session, rules: dict[str, Rules]) -> int:
    """Recompute every entry's derived keys (after the orthography rules changed: a new
    tailoring changes sort keys and browse letters of entries nobody edited). Returns how
    many entries changed; the caller commits."""
    changed = 0
    for entry in session.scalars(select(Entry).options(selectinload(Entry.language))):
        before = (entry.headword_key, entry.sort_key, entry.first_letter)
        derive_entry(entry, rules.get(entry.language.code))
        changed += before != (entry.headword_key, entry.sort_key, entry.first_letter)
    return changed


# The free-text fields of senses, examples and variants, kept in storage form.
TEXT_FIELDS: dict[type, tuple[str, ...]] = {
    Sense: ("gloss_vi", "gloss_en", "definition", "semantic_field"),
    Example: ("text", "translation_vi"),
    Variant: ("form", "label"),
}


def clean_text_fields(obj: object) -> None:
    """Storage form for the free-text fields of senses, examples and variants."""
    for name in TEXT_FIELDS.get(type(obj), ()):
        value = getattr(obj, name)
        if value is not None:
            setattr(obj, name, normalize.clean(value))


def clean_values(model: type, values: dict[str, Any]) -> None:
    """``clean_text_fields`` for a row about to be inserted without an ORM object (the
    bulk import, ``entry_rows``)."""
    for name in TEXT_FIELDS.get(model, ()):
        value = values.get(name)
        if value is not None:
            values[name] = normalize.clean(value)
