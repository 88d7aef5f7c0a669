"""In-memory lookup tables over the Whoosh index: key → documents, per immutable segment.

Why not Whoosh's own term lookups: each costs 20–70 µs in pure Python, and a tiered query
makes a few dozen of them, where the goal is SQLite FTS5's tens of microseconds per query.
A dict lookup costs well under a microsecond. So each document carries its precomputed keys
in one column (``documents.encode_lookup``), and each Whoosh segment's keys are read into
dicts once per process. Whoosh still does what it is good at: atomic commits, segments,
deletions, unique ids, merging, and the documents' stored data.

Segments never change once written, only their deletion sets do. A segment's tables are
therefore built once and shared by every later view (``TableView``) of the index: after an
edit only the new small segment is read, and the deletions come from the reader. Document
numbers are the index's global ones (segment offset + number in the segment), in the order
documents were written (a rebuild writes them in dictionary order).
"""
from __future__ import annotations

import bisect
import heapq
import threading
from collections.abc import Iterator, Sequence

from whoosh.reading import IndexReader

from .documents import EXAMPLE, PAIR, WHOLE, decode_lookup

_NOT_WORD = (WHOLE, PAIR[0], EXAMPLE[0])  # markers of keys that are not a single word
_NO_KEYS: dict[str, int | list[int]] = {}


class SegmentTables:
    """The lookup tables of one segment: key field → key → document numbers (ascending;
    a lone number is kept as an int, as most keys belong to one document)."""

    def __init__(self, reader: IndexReader) -> None:
        tables: dict[str, dict[str, int | list[int]]] = {}
        hits: list[tuple[str, str, str]] = []
        words: list[tuple[str, str]] = []
        for doc, raw in enumerate(reader.column_reader("lookup")):
            lookup = decode_lookup(raw)
            hits.append(lookup.hit)
            words.append(lookup.words)
            for name, keys in lookup.keys:
                table = tables.setdefault(name, {})
                for key in keys:
                    found = table.get(key)
                    if found is None:
                        table[key] = doc
                    elif found.__class__ is int:
                        table[key] = [found, doc]
                    else:
                        found.append(doc)
        self.tables = tables
        self.hits = hits
        self.words = words
        self._sorted: dict[str, list[str]] = {}
        self._words: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def single_words(self, name: str) -> frozenset[str]:
        """The single-word keys of one field (computed on first use): the fuzzy maps are
        refreshed after every edit, and only the new segment's words are new."""
        words = self._words.get(name)
        if words is None:
            with self._lock:
                words = self._words.get(name)
                if words is None:
                    words = self._words[name] = frozenset(
                        k for k in self.tables.get(name, ()) if k[k.index(":") + 1] not in _NOT_WORD)
        return words

    def sorted_keys(self, name: str) -> list[str]:
        """The keys of one field in order, for prefix walks (sorted on first use)."""
        keys = self._sorted.get(name)
        if keys is None:
            with self._lock:
                keys = self._sorted.get(name)
                if keys is None:
                    keys = self._sorted[name] = sorted(self.tables.get(name, ()))
        return keys


class TableView:
    """One reader's view of the index: its segments' tables, offsets and deletions."""

    def __init__(self, leaves: Sequence[tuple[SegmentTables, int, frozenset[int]]],
                 searcher=None) -> None:
        self.leaves = list(leaves)
        self.offsets = [offset for _, offset, _ in self.leaves]
        self.searcher = searcher  # for stored fields (suggestions only)

    def postings(self, name: str, key: str) -> Sequence[int]:
        """Live documents with ``key`` in field ``name``, ascending."""
        out: list[int] | None = None
        for tables, offset, deleted in self.leaves:
            found = tables.tables.get(name, _NO_KEYS).get(key)
            if found is None:
                continue
            if found.__class__ is int:
                found = (found,)
            if deleted:
                found = [d for d in found if d not in deleted]
            if offset:
                found = [offset + d for d in found]
            if out is None and len(self.leaves) == 1:
                return found  # the common case: one segment, no copy
            out = (out or []) + list(found)
        return out or ()

    def expand_prefix(self, name: str, prefix: str) -> Iterator[str]:
        """Keys of field ``name`` starting with ``prefix``, in order, each once."""
        streams = []
        for tables, _, _ in self.leaves:
            keys = tables.sorted_keys(name)
            start = bisect.bisect_left(keys, prefix)
            streams.append(_while_prefixed(keys, start, prefix))
        last = None
        for key in heapq.merge(*streams) if len(streams) > 1 else (streams[0] if streams else ()):
            if key != last:
                yield key
                last = key

    def _leaf(self, docnum: int) -> tuple[SegmentTables, int]:
        i = bisect.bisect_right(self.offsets, docnum) - 1 if len(self.leaves) > 1 else 0
        tables, offset, _ = self.leaves[i]
        return tables, docnum - offset

    def hit(self, docnum: int) -> tuple[str, str, str]:
        """(public id, language, headword) of a document."""
        tables, local = self._leaf(docnum)
        return tables.hits[local]

    def loose_words(self, docnum: int, side: str) -> list[str]:
        tables, local = self._leaf(docnum)
        return tables.words[local][side == "vi"].split()

    def words(self, name: str) -> frozenset[str]:
        """The single-word keys (``lang:word``) of a field, without whole texts, pairs or
        example words. Words of deleted documents stay until their segment is merged away."""
        if len(self.leaves) == 1:
            return self.leaves[0][0].single_words(name)
        return frozenset().union(*(tables.single_words(name) for tables, _, _ in self.leaves))

    def stored_fields(self, docnum: int) -> dict:
        return self.searcher.stored_fields(docnum)


def _while_prefixed(keys: list[str], start: int, prefix: str) -> Iterator[str]:
    for i in range(start, len(keys)):
        if not keys[i].startswith(prefix):
            return
        yield keys[i]


class TableCache:
    """The tables of every segment this process has seen, shared by its threads."""

    def __init__(self) -> None:
        self._segments: dict[tuple[str, str], SegmentTables] = {}
        self._lock = threading.Lock()

    def view(self, generation: str, reader: IndexReader, searcher=None) -> TableView:
        """A view of ``reader`` (an open Whoosh reader of index generation ``generation``);
        reads only segments not seen before, and forgets segments no longer in the index."""
        leaves, live = [], set()
        with self._lock:
            for leaf, offset in reader.leaf_readers():
                if leaf.segment() is None:
                    continue  # the reader of an index with no documents
                key = (generation, leaf.segment().segment_id())
                live.add(key)
                tables = self._segments.get(key)
                if tables is None:
                    tables = self._segments[key] = SegmentTables(leaf)
                deleted = leaf.deleted_docs_set if leaf.has_deletions() else frozenset()
                leaves.append((tables, offset, deleted))
            for key in [k for k in self._segments if k not in live]:
                del self._segments[key]  # views still holding it keep their reference
        return TableView(leaves, searcher)
