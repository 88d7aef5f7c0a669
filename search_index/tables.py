"""In-memory lookup tables over the Whoosh index: key → documents, per immutable segment.

Why not Whoosh's own term lookups: each costs 20–70 µs in pure Python, and a tiered query
makes a few dozen of them, where the goal is SQLite FTS5's tens of microseconds per query.
A dict lookup costs well under a microsecond. So each document carries its precomputed keys
in one column (``documents.encode_lookup``), and each Whoosh segment's keys are read into
dicts once per process (or loaded from the copy ``snapshot`` saved beside a large
segment). Whoosh still does what it is good at: atomic commits, segments, deletions,
unique ids, merging, and the documents' stored data.

Layout: one table per strictness (exact, toneless, loose). A table maps a text key with its
language (``hre:con chó``) to a *row*: every place that text occurs, as a list
``[slot, docs, slot, docs, …]``, where a slot says which side and which granularity
(``documents``: the whole headword or gloss, one word of it, two adjacent words, a word or pair
of an example) and ``docs`` is a document number or an ascending list. Most texts occur
once (a headword, a rare pair): their row is the single int ``doc << 4 | slot``, which
saves a list per key (millions at 100,000 entries). ``slot_docs`` and ``collect`` read
rows; nothing else needs their shape.
So one lookup answers every step of a tier for a one- or two-word query, and one walk
along the sorted loose keys answers the whole prefix tier. The cost of a search is the
Python around the lookups, and this keeps their number to a handful.

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
from collections.abc import Callable, Iterator, Sequence

from whoosh.reading import IndexReader

from .documents import HW_WORD, LOOSE, N_SLOTS, VI_WORD, decode_lookup

Row = int | list | tuple  # see the module docstring (() for a text that does not occur)
_EMPTY: Row = ()
_SLOT_BITS, _SLOT_MASK = 4, 15
_LISTED = 6  # slots whose keys are listed: whole texts, words, pairs (not examples)


def slot_docs(row: Row, slot: int) -> Sequence[int]:
    """The documents of ``row`` in ``slot``, ascending."""
    if row.__class__ is int:
        return (row >> _SLOT_BITS,) if row & _SLOT_MASK == slot else ()
    for i in range(0, len(row), 2):
        if row[i] == slot:
            docs = row[i + 1]
            return (docs,) if docs.__class__ is int else docs
    return ()


def collect(row: Row, wanted: dict[int, int], out: list[list]) -> None:
    """Append the documents of each slot of ``row`` that is in ``wanted`` (slot → rank) to
    ``out[rank]``."""
    if row.__class__ is int:
        rank = wanted.get(row & _SLOT_MASK)
        if rank is not None:
            out[rank].append((row >> _SLOT_BITS,))
        return
    for i in range(0, len(row), 2):
        rank = wanted.get(row[i])
        if rank is not None:
            docs = row[i + 1]
            out[rank].append((docs,) if docs.__class__ is int else docs)


def row_slots(row: Row) -> Sequence[int]:
    return (row & _SLOT_MASK,) if row.__class__ is int else row[::2]


class SegmentTables:
    """The lookup tables of one segment: built from its reader, or (``from_state``) loaded
    from the file ``snapshot`` wrote beside it."""

    def __init__(self, reader: IndexReader | None = None) -> None:
        self._sorted: dict[int, list[str]] = {}
        self._words: dict[int, frozenset[str]] = {}
        self._lock = threading.Lock()
        if reader is not None:
            self._build(reader)

    @classmethod
    def from_state(cls, state: tuple) -> SegmentTables:
        """Tables from ``state()`` of tables built elsewhere (their slot keys sorted)."""
        tables = cls()
        tables.rows, tables.hits, tables._slot_keys = state
        tables._sorted = {slot: keys for slot, keys in enumerate(tables._slot_keys) if keys}
        return tables

    def state(self) -> tuple:
        """What ``from_state`` needs, plain containers only (``marshal``)."""
        for slot in range(N_SLOTS):
            self.sorted_keys(slot)
        return self.rows, self.hits, self._slot_keys

    def _build(self, reader: IndexReader) -> None:
        rows: tuple[dict[str, Row], ...] = ({}, {}, {})
        hits: list[tuple[str, str, str]] = []
        # The loose keys of each slot a prefix walk or the fuzzy map reads, each once
        # (sorted on first use).
        slot_keys: list[list[str]] = [[] for _ in range(N_SLOTS)]
        for doc, raw in enumerate(reader.column_reader("lookup")):
            lookup = decode_lookup(raw)
            hits.append(lookup.hit)
            packed = doc << _SLOT_BITS
            for strict, slot, keys in lookup.keys:
                table = rows[strict]
                new_in_slot = slot_keys[slot].append if strict == LOOSE and slot < _LISTED else None
                for text in keys:
                    row = table.get(text)
                    if row is None:
                        table[text] = packed | slot
                    elif row.__class__ is int:
                        if row & _SLOT_MASK == slot:
                            table[text] = [slot, [row >> _SLOT_BITS, doc]]
                            continue
                        table[text] = [row & _SLOT_MASK, row >> _SLOT_BITS, slot, doc]
                    elif _add(row, slot, doc):
                        continue
                    if new_in_slot is not None:
                        new_in_slot(text)
        self.rows = rows
        self.hits = hits
        self._slot_keys = slot_keys

    def single_words(self, side: str) -> frozenset[str]:
        """The loose keys that are a word of a headword/variant (``hw``) or gloss (``vi``),
        computed on first use: the fuzzy maps are refreshed after every edit, and only the
        new segment's words are new."""
        slot = HW_WORD if side == "hw" else VI_WORD
        words = self._words.get(slot)
        if words is None:
            with self._lock:
                words = self._words.get(slot)
                if words is None:
                    words = self._words[slot] = frozenset(self._slot_keys[slot])
        return words

    def sorted_keys(self, slot: int) -> list[str]:
        """The loose keys that occur in ``slot``, in order, for prefix walks (sorted on
        first use)."""
        keys = self._sorted.get(slot)
        if keys is None:
            with self._lock:
                keys = self._sorted.get(slot)
                if keys is None:
                    keys = self._slot_keys[slot]
                    keys.sort()  # in place: single_words reads it too (under the lock)
                    self._sorted[slot] = keys
        return keys


def _add(row: list, slot: int, doc: int) -> bool:
    """Add a (later, so larger) document to ``slot`` of a list row; True if the row had
    the slot already."""
    for i in range(0, len(row), 2):
        if row[i] == slot:
            docs = row[i + 1]
            if docs.__class__ is int:
                row[i + 1] = [docs, doc]
            else:
                docs.append(doc)
            return True
    row += (slot, doc)
    return False


class TableView:
    """One reader's view of the index: its segments' tables, offsets and deletions."""

    def __init__(self, leaves: Sequence[tuple[SegmentTables, int, frozenset[int]]],
                 searcher=None) -> None:
        self.leaves = list(leaves)
        self.offsets = [offset for _, offset, _ in self.leaves]
        self.searcher = searcher  # for stored fields (suggestions only)
        #: Deleted documents (global numbers). Rows still list them: a search skips them
        #: as it collects hits, so no row is copied to filter a few out of thousands.
        self.deleted = frozenset(offset + d for _, offset, deleted in self.leaves for d in deleted)
        # The common case: one segment (a freshly built or merged index). Its rows are used
        # as they are.
        self._direct = (self.leaves[0][0].rows if len(self.leaves) == 1 and not self.leaves[0][1]
                        else None)

    def row(self, strict: int, key: str) -> Row:
        """Every place the text ``key`` (``hre:con chó``) occurs at strictness ``strict``
        (0 exact, 1 toneless, 2 loose), read with ``slot_docs`` or ``collect``. Deleted
        documents are included (``deleted``)."""
        if self._direct is not None:
            return self._direct[strict].get(key, _EMPTY)
        found = [(row, offset) for tables, offset, _ in self.leaves
                 if (row := tables.rows[strict].get(key)) is not None]
        if not found:
            return _EMPTY
        if len(found) == 1 and not found[0][1]:
            return found[0][0]  # only in the first (large) segment: no copy
        merged: dict[int, list[int]] = {}
        for row, offset in found:  # segments are in document order
            for slot in row_slots(row):
                docs = slot_docs(row, slot)
                merged.setdefault(slot, []).extend([offset + d for d in docs] if offset else docs)
        return [x for slot, docs in merged.items() for x in (slot, docs)]

    def postings(self, strict: int, slot: int, key: str) -> Sequence[int]:
        """Live documents where ``key`` occurs in ``slot``, ascending."""
        docs = slot_docs(self.row(strict, key), slot)
        return [d for d in docs if d not in self.deleted] if self.deleted else docs

    def prefix_keys(self, slot: int, prefix: str) -> Iterator[str]:
        """Loose keys occurring in ``slot`` that start with ``prefix``, in order, each once."""
        streams = []
        for tables, _, _ in self.leaves:
            keys = tables.sorted_keys(slot)
            streams.append(_while_prefixed(keys, bisect.bisect_left(keys, prefix), prefix))
        if len(streams) == 1:
            return streams[0]
        return _distinct(heapq.merge(*streams))

    def prefix_list(self, slot: int, prefix: str, limit: int) -> list[str]:
        """The first ``limit`` keys of ``prefix_keys``, as a list (each segment's first
        ``limit`` hold the first ``limit`` of all)."""
        found = [_first_prefixed(tables.sorted_keys(slot), prefix, limit)
                 for tables, _, _ in self.leaves]
        found = [keys for keys in found if keys]
        if len(found) <= 1:
            return found[0] if found else []
        return sorted({key for keys in found for key in keys})[:limit]

    def hit(self, docnum: int) -> tuple[str, str, str]:
        """(public id, language, headword) of a document."""
        if len(self.leaves) == 1:
            return self.leaves[0][0].hits[docnum - self.offsets[0]]
        i = bisect.bisect_right(self.offsets, docnum) - 1
        tables, offset, _ = self.leaves[i]
        return tables.hits[docnum - offset]

    def words(self, name: str) -> frozenset[str]:
        """The single-word loose keys (``lang:word``) of a side (``hw_l``/``vi_l``): no whole
        texts, pairs or example words. Words of deleted documents stay until their segment
        is merged away."""
        side = name[:2]
        if len(self.leaves) == 1:
            return self.leaves[0][0].single_words(side)
        return frozenset().union(*(tables.single_words(side) for tables, _, _ in self.leaves))

    def stored_fields(self, docnum: int) -> dict:
        return self.searcher.stored_fields(docnum)


def _distinct(keys: Iterator[str]) -> Iterator[str]:
    last = None
    for key in keys:
        if key != last:
            yield key
            last = key


def _first_prefixed(keys: list[str], prefix: str, limit: int) -> list[str]:
    start = bisect.bisect_left(keys, prefix)
    out = []
    for key in keys[start:start + limit]:
        if not key.startswith(prefix):
            break
        out.append(key)
    return out


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
        #: Called with the document count of each segment whose tables this process read
        #: (built or loaded) rather than inherited from the process it was forked from.
        self.on_read: Callable[[int], None] | None = None

    def view(self, generation: str, reader: IndexReader, searcher=None,
             make: Callable[[IndexReader, str], SegmentTables] | None = None) -> TableView:
        """A view of ``reader`` (an open Whoosh reader of index generation ``generation``);
        reads only segments not seen before (with ``make(leaf reader, segment id)``, by
        default a build), and forgets segments no longer in the index."""
        leaves, live = [], set()
        with self._lock:
            for leaf, offset in reader.leaf_readers():
                if leaf.segment() is None:
                    continue  # the reader of an index with no documents
                key = (generation, leaf.segment().segment_id())
                live.add(key)
                tables = self._segments.get(key)
                if tables is None:
                    tables = make(leaf, key[1]) if make else SegmentTables(leaf)
                    self._segments[key] = tables
                    if self.on_read is not None:
                        self.on_read(leaf.doc_count_all())
                deleted = leaf.deleted_docs_set if leaf.has_deletions() else frozenset()
                leaves.append((tables, offset, deleted))
            for key in [k for k in self._segments if k not in live]:
                del self._segments[key]  # views still holding it keep their reference
        return TableView(leaves, searcher)
