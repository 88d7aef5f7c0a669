"""The lookup service shared by the pages and the JSON API: query → hits with their entries.

It asks ``search_index`` for ranked hits (ids, tier, side), loads those entries from the
database in one query (the database stays the source of truth for what is shown), and
records queries that found nothing for the linguists (words only: no user, no address).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from search_index import Hit, IndexMissing, normalize

from .db import get_db, session
from .indexing import get_state
from .models import PUBLISHED, Entry, Language, Sense, ZeroResultQuery, utcnow

log = logging.getLogger(__name__)

ALL = "all"


@dataclass
class Found:
    hit: Hit
    entry: Entry


@dataclass
class Lookup:
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


def lookup(query: str, lang: str = ALL, limit: int = 20) -> Lookup:
    """Search both directions; ``lang`` is a language code or ``all``."""
    state = get_state()
    langs = language_codes() if lang == ALL else [lang]
    out = Lookup(query=normalize.clean(query), lang=lang)
    try:
        found = state.index.search(query, langs, state.rules, limit)
    except IndexMissing:
        out.index_missing = True
        return out
    out.more, out.suggestions = found.more, found.suggestions
    entries = load_entries([h.id for h in found.hits])
    out.results = [Found(h, entries[h.id]) for h in found.hits if h.id in entries]
    if not found.hits and normalize.words(query):
        record_zero_result(out.query, lang)
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


def record_zero_result(query: str, lang: str) -> None:
    """Count a query that found nothing. Never lets a logging failure break a search."""
    text = normalize.exact_key(query)[:200]
    try:
        with get_db().Session() as s, s.begin():
            row = s.scalar(select(ZeroResultQuery).where(ZeroResultQuery.query == text,
                                                         ZeroResultQuery.lang == lang))
            if row is None:
                s.add(ZeroResultQuery(query=text, lang=lang, count=1, last_seen=utcnow()))
            else:
                row.count += 1
                row.last_seen = utcnow()
    except SQLAlchemyError:
        log.exception("could not record a zero-result query")
