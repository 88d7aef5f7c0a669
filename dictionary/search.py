"""The lookup service shared by the pages and the JSON API: query → hits with their entries.

It asks ``search_index`` for ranked hits (ids, tier, side), loads those entries from the
database in one query (the database stays the source of truth for what is shown), and
hands queries that found nothing to the zero-result log (``zero_results``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from search_index import Hit, IndexMissing, normalize

from . import zero_results
from .db import session
from .indexing import index_service
from .models import PUBLISHED, Entry, Language, Sense

ALL = "all"


@dataclass
class Found:
    hit: Hit
    entry: Entry


@dataclass
class LookupResult:
    query: str
    lang: str
    results: list[Found] = field(default_factory=list)
    more: bool = False
    suggestions: list[str] = field(default_factory=list)
    index_missing: bool = False

    @property
    def total(self) -> int:
        return len(self.results)


def language_codes() -> list[str]:
    return list(session().scalars(select(Language.code).order_by(Language.id)))


def lookup(query: str, lang: str = ALL, limit: int = 20) -> LookupResult:
    """Search both directions; ``lang`` is a language code or ``all``."""
    state = index_service()
    langs = language_codes() if lang == ALL else [lang]
    out = LookupResult(query=normalize.clean(query), lang=lang)
    try:
        found = state.index.search(query, langs, state.rules, limit)
    except IndexMissing:
        out.index_missing = True
        return out
    out.more, out.suggestions = found.more, found.suggestions
    entries = load_entries([h.id for h in found.hits])
    out.results = [Found(h, entries[h.id]) for h in found.hits if h.id in entries]
    if not found.hits and normalize.words(query):
        zero_results.record(out.query, lang)
    return out


def load_entries(public_ids: list[str]) -> dict[str, Entry]:
    if not public_ids:
        return {}
    q = (select(Entry)
         .where(Entry.public_id.in_(public_ids), Entry.status == PUBLISHED)
         .options(selectinload(Entry.language), selectinload(Entry.variants),
                  selectinload(Entry.senses).selectinload(Sense.examples)))
    return {e.public_id: e for e in session().scalars(q)}


def get_entry(public_id: str) -> Entry | None:
    return load_entries([public_id]).get(public_id)

