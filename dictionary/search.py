"""The lookup service shared by the pages and the JSON API: query → hits with their entries.

It asks ``search_index`` for ranked hits (ids, tier, side), then fills in what a result row
shows (headword, language, homograph, glosses) and hands queries that found nothing to the
zero-result log (``zero_results``). The database stays the source of truth for what is
shown; a search request should not pay seven ORM queries for it, so:

- **What a row shows** (``EntryView``, plain frozen values, never ORM objects) is kept in a
  per-process LRU cache (``ShownEntries``, at most ``SEARCH_CACHE_ENTRIES`` rows) and read
  from the database, with two Core queries for all missing rows, only on a miss. The cache
  is keyed by the *version of the index this process reads*: the Whoosh reader's generation
  and segment ids, which change with every write to the index (an edit, a publication, an
  unpublication, a deletion, a rebuild — all of them go through the index outbox), plus a
  counter of this process's own committed lexicon changes (so the editing process shows an
  edit at once, even before its index write). When the version changes the cache is
  emptied; another process's write is seen when ``SearchIndex.searcher()`` reopens, within
  its ``CHECK_INTERVAL``. Emptying everything on a write is simpler and safer than keying
  rows by their ``updated`` stamp (which the hit does not carry), and edits are rare
  beside searches. Rows are read in their own short transaction, begun after the version
  was taken, so a row read before a commit can never be kept under the version after it.
- **The languages** (``languages()``, ``language_codes()``) are cached per app as plain
  values and reloaded after a commit in this process that changed a ``Language`` (``setup``
  and the catalog sync); another process's change to the catalog is seen after a restart
  (``make run`` and the systemd unit run ``setup`` first, then start the server).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from urllib.parse import quote
from dataclasses import dataclass, field

from flask import current_app, url_for
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from search_index import Hit, IndexMissing, normalize

from . import zero_results
from .db import get_db, session
from .indexing import index_service
from .models import PUBLISHED, Entry, Example, Language, Sense, Variant

ALL = "all"
_EXTENSION = "dictionary.search_cache"


@dataclass(frozen=True, slots=True)
class LanguageView:
    """A lexicon language as pages and the API show it (the columns of ``Language``)."""

    id: int
    code: str
    name_vi: str
    name_en: str
    glottocode: str | None


@dataclass(frozen=True, slots=True)
class SenseView:
    gloss_vi: str
    gloss_en: str | None


@dataclass(frozen=True, slots=True)
class EntryView:
    """What a result row shows of a published entry (same attribute names as ``Entry``)."""

    public_id: str
    headword: str
    homograph: int | None
    form_kind: str
    language: LanguageView
    senses: tuple[SenseView, ...]


@dataclass
class Found:
    hit: Hit
    entry: EntryView


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


# ---- this process's own lexicon commits -------------------------------------------------------
_SHOWN_MODELS = (Entry, Sense, Example, Variant, Language)
_changes = 0  # commits in this process that changed a shown model
_language_changes = 0  # … that changed a Language


@event.listens_for(Session, "after_flush")
def _note_changes(s: Session, _context) -> None:
    touched = {type(o) for o in (*s.new, *s.dirty, *s.deleted)}
    if touched.intersection(_SHOWN_MODELS):
        s.info["search_cache_stale"] = True
    # A Language is "dirty" when an entry is added to it (its ``entries`` collection): only
    # its own columns, or a Language added or deleted, change the list.
    if Language in touched and (
            any(isinstance(o, Language) for o in (*s.new, *s.deleted))
            or any(isinstance(o, Language) and s.is_modified(o, include_collections=False)
                   for o in s.dirty)):
        s.info["search_languages_stale"] = True


@event.listens_for(Session, "after_commit")
def _count_changes(s: Session) -> None:
    global _changes, _language_changes
    if s.info.pop("search_cache_stale", False):
        _changes += 1
    if s.info.pop("search_languages_stale", False):
        _language_changes += 1


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(s: Session, _previous) -> None:
    s.info.pop("search_cache_stale", None)
    s.info.pop("search_languages_stale", None)


# ---- the caches -----------------------------------------------------------------------------
class ShownEntries:
    """public id → ``EntryView`` (None: not published), for one version of the index; least
    recently used rows go first past ``max_entries``. Shared by the threads of a process."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max(0, max_entries)
        self._rows: OrderedDict[str, EntryView | None] = OrderedDict()
        self._version: object = None
        self._lock = threading.Lock()
        self.hits = self.misses = self.resets = 0

    def get(self, version: object, ids: Iterable[str]) -> tuple[dict[str, EntryView | None], list[str]]:
        """(rows found, ids missing) under ``version``; another version empties the cache."""
        found: dict[str, EntryView | None] = {}
        missing: list[str] = []
        with self._lock:
            if version != self._version:
                self._rows.clear()
                self._version = version
                self.resets += 1
            rows = self._rows
            for pid in ids:
                if pid in rows:
                    rows.move_to_end(pid)
                    found[pid] = rows[pid]
                else:
                    missing.append(pid)
            self.hits += len(found)
            self.misses += len(missing)
        return found, missing

    def put(self, version: object, views: dict[str, EntryView | None]) -> None:
        with self._lock:
            if version != self._version or not self.max_entries:
                return  # read under a version that is no longer current: not kept
            self._rows.update(views)
            while len(self._rows) > self.max_entries:
                self._rows.popitem(last=False)

    def __len__(self) -> int:
        return len(self._rows)


class SearchCache:
    """The per-app caches of the request path."""

    def __init__(self, max_entries: int) -> None:
        self.entries = ShownEntries(max_entries)
        self._languages: tuple[int, tuple[LanguageView, ...]] | None = None

    def languages(self) -> tuple[LanguageView, ...]:
        cached = self._languages
        if cached is not None and cached[0] == _language_changes:
            return cached[1]
        seen = _language_changes
        with get_db().Session() as s:
            views = tuple(LanguageView(lang.id, lang.code, lang.name_vi, lang.name_en,
                                       lang.glottocode)
                          for lang in s.scalars(select(Language).order_by(Language.id)))
        if views:  # an empty table is the moment before `setup`: asked again next time
            self._languages = (seen, views)
        return views


_cache_lock = threading.Lock()


def cache() -> SearchCache:
    """This app's caches (made on first use: an app made for a test starts empty)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(_EXTENSION)
    if found is None:
        with _cache_lock:
            found = app.extensions.get(_EXTENSION)
            if found is None:
                found = app.extensions[_EXTENSION] = SearchCache(
                    int(app.config["SEARCH_CACHE_ENTRIES"]))
    return found


def languages() -> tuple[LanguageView, ...]:
    """The dictionary's languages in catalog order (cached; see the module docstring)."""
    return cache().languages()


def language_codes() -> list[str]:
    return [lang.code for lang in languages()]


def entry_url_maker(external: bool = False) -> Callable[[str], str]:
    """public id → URL of its entry page, as ``url_for`` makes it, with one ``url_for`` for
    all of them (a results page or API answer links up to 100 entries). The rule is
    ``/entry/<public_id>``: the id is the last part of the URL."""
    prefix = url_for("dictionary.entry", public_id="0", _external=external)[:-1]
    return lambda public_id: prefix + quote(public_id, safe="!$&'()*+,/:;=@")  # as werkzeug


# ---- lookup ---------------------------------------------------------------------------------
def index_version(index) -> tuple:
    """What changes with every write to the index this thread reads (see module docstring)."""
    reader = index.searcher().reader()
    segments = tuple(leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()
                     if leaf.segment() is not None)  # None: the reader of an empty index
    return reader.generation(), segments, _changes


def lookup(query: str, lang: str = ALL, limit: int = 20) -> LookupResult:
    """Search both directions; ``lang`` is a language code or ``all``."""
    state = index_service()
    langs = language_codes() if lang == ALL else [lang]
    out = LookupResult(query=normalize.clean(query), lang=lang)
    try:
        version = index_version(state.index)
        found = state.index.search(query, langs, state.rules, limit)
    except IndexMissing:
        out.index_missing = True
        return out
    out.more, out.suggestions = found.more, found.suggestions
    entries = shown_entries(version, [h.id for h in found.hits])
    out.results = [Found(h, e) for h in found.hits if (e := entries.get(h.id)) is not None]
    if not found.hits and normalize.words(query):
        zero_results.record(out.query, lang)
    return out


def shown_entries(version: object, public_ids: list[str]) -> dict[str, EntryView | None]:
    """What the result rows of these entries show; None for an entry not published."""
    rows = cache().entries
    found, missing = rows.get(version, public_ids)
    if missing:
        loaded = load_views(missing)
        rows.put(version, loaded)
        found.update(loaded)
    return found


def load_views(public_ids: list[str]) -> dict[str, EntryView | None]:
    """Read the rows of these entries in a transaction of their own (two Core queries)."""
    by_id = {lang.id: lang for lang in languages()}
    views: dict[str, EntryView | None] = dict.fromkeys(public_ids)
    with get_db().Session() as s:
        # The status is checked here, not in SQL: with it in the WHERE clause SQLite (no
        # ANALYZE statistics) walks the status index, every published entry (75 ms at 100k
        # entries), instead of the unique public id index (0.3 ms).
        heads = [row for row in s.execute(
            select(Entry.id, Entry.public_id, Entry.headword, Entry.homograph, Entry.form_kind,
                   Entry.language_id, Entry.status)
            .where(Entry.public_id.in_(public_ids))) if row.status == PUBLISHED]
        senses: dict[int, list[SenseView]] = {row.id: [] for row in heads}
        if heads:
            for entry_id, gloss_vi, gloss_en in s.execute(
                    select(Sense.entry_id, Sense.gloss_vi, Sense.gloss_en)
                    .where(Sense.entry_id.in_(list(senses)))
                    .order_by(Sense.entry_id, Sense.position, Sense.id)):
                senses[entry_id].append(SenseView(gloss_vi, gloss_en))
    for row in heads:
        language = by_id.get(row.language_id)
        if language is None:  # a language added by another process since the cache was made
            with get_db().Session() as s:
                lang = s.get(Language, row.language_id)
                language = LanguageView(lang.id, lang.code, lang.name_vi, lang.name_en,
                                        lang.glottocode)
        views[row.public_id] = EntryView(row.public_id, row.headword, row.homograph,
                                         row.form_kind, language, tuple(senses[row.id]))
    return views


def load_entries(public_ids: list[str]) -> dict[str, Entry]:
    """Published entries as ORM objects, with what the entry page shows (uncached)."""
    if not public_ids:
        return {}
    q = (select(Entry)
         .where(Entry.public_id.in_(public_ids))  # status checked below (see ``load_views``)
         .options(selectinload(Entry.language), selectinload(Entry.variants),
                  selectinload(Entry.senses).selectinload(Sense.examples)))
    return {e.public_id: e for e in session().scalars(q) if e.status == PUBLISHED}


def get_entry(public_id: str) -> Entry | None:
    return load_entries([public_id]).get(public_id)
