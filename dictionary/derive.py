"""Derived fields: what people type becomes the storage form and the keys computed from it.

Runs in a ``before_flush`` hook (see ``indexing``), so no code path, whether form, importer
or shell, can store a headword that skipped the text rules or a key typed by hand.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from search_index import collation, normalize
from search_index.orthography import Rules, load_rules

from .models import Entry, Example, Sense, Variant


@lru_cache(maxsize=8)
def rules_in(directory: str) -> dict[str, Rules]:
    return load_rules(Path(directory))


def derive_entry(entry: Entry, rules: Rules | None) -> None:
    entry.headword = normalize.clean(entry.headword or "")
    entry.headword_key = normalize.loose_key(entry.headword, rules)
    entry.sort_key = collation.sort_key(entry.headword, rules)
    entry.first_letter = collation.first_letter(entry.headword, rules)


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


def clean_text_fields(obj: object) -> None:
    """Storage form for the free-text fields of senses, examples and variants."""
    names = {
        Sense: ("gloss_vi", "gloss_en", "definition", "semantic_field"),
        Example: ("text", "translation_vi"),
        Variant: ("form", "label"),
    }.get(type(obj), ())
    for name in names:
        value = getattr(obj, name)
        if value is not None:
            setattr(obj, name, normalize.clean(value))
