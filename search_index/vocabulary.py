"""The fuzzy map: every indexed word under its deletion neighbourhood (SymSpell).

Fuzzy matching is a question about the vocabulary, not about documents: which indexed words
lie within one or two edits of what was typed. So instead of writing deletion terms into
every document (that multiplied the index size and build time), the map is built from the
loose key tables' single words (``TableView.words``) once per index generation, and after
a write only the words that appeared or disappeared are added or removed.

A query word's own deletions are looked up in the map; every word found shares a variant
with it and is then checked with the real (optimal string alignment) distance. Words are
kept as lookup keys (``hre:tieng``), so a match can be looked up as it is; the variants
carry no language, so one lookup serves a query in both languages.

A word's neighbourhood grows with the square of its length (a 200-letter word has about
20,000 deletions), and query words are whatever anyone types. So words longer than
``MAX_FUZZY_LEN`` are neither filed nor corrected, and a query word longer than the longest
filed word plus its distance is not looked up at all: it cannot be a typo of any of them.
"""
from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Collection

from .documents import MAX_FUZZY_LEN, MIN_FUZZY_LEN, deletes, edit_distance, max_distance
from .tables import TableView

_UNSET = object()  # generation of a map that was never filled


class Vocabulary:
    """Deletion-neighbourhood map of one loose field, kept in step with the index."""

    def __init__(self, fieldname: str) -> None:
        self.fieldname = fieldname
        self.words: frozenset[str] = frozenset()
        self.variants: dict[str, set[str]] = defaultdict(set)
        self.generation: object = _UNSET
        self._lengths: Counter[int] = Counter()  # filed words per length
        self.longest = 0  # length of the longest filed word
        self._lock = threading.Lock()

    @staticmethod
    def _variants(term: str) -> frozenset[str]:
        """The deletion variants a word is filed under. Without the language: one lookup
        per variant serves every language a query runs in."""
        word = term[term.index(":") + 1:]
        if not MIN_FUZZY_LEN - 1 <= len(word) <= MAX_FUZZY_LEN:
            return frozenset()
        dist = max_distance(word) if len(word) >= MIN_FUZZY_LEN else 0
        return deletes(word, dist) | {word}

    def refresh(self, view: TableView, generation: object) -> None:
        """Bring the map in step with ``view`` (cheap when little changed)."""
        with self._lock:
            if generation == self.generation:
                return
            current = view.words(self.fieldname)
            for term in self.words - current:
                self._count(term, -1)
                for v in self._variants(term):
                    bucket = self.variants.get(v)
                    if bucket is not None:
                        bucket.discard(term)
                        if not bucket:
                            del self.variants[v]
            for term in current - self.words:
                self._count(term, 1)
                for v in self._variants(term):
                    self.variants[v].add(term)
            self.longest = max((n for n, count in self._lengths.items() if count > 0), default=0)
            self.words, self.generation = current, generation

    def _count(self, term: str, change: int) -> None:
        length = len(term) - term.index(":") - 1
        if MIN_FUZZY_LEN - 1 <= length <= MAX_FUZZY_LEN:
            self._lengths[length] += change

    def near(self, lang: str, word: str, dist: int) -> list[tuple[int, str]]:
        """Indexed words of ``lang`` within ``dist`` edits of ``word``: (distance, term)."""
        return self.near_any((lang,), word, dist)

    def near_any(self, langs: Collection[str], word: str, dist: int) -> list[tuple[int, str]]:
        """Indexed words of any of ``langs`` within ``dist`` edits of ``word``, nearest
        first: (distance, term)."""
        if not MIN_FUZZY_LEN <= len(word) <= min(MAX_FUZZY_LEN, self.longest + dist):
            return []
        found: dict[str, int] = {}
        with self._lock:
            variants = self.variants
            for v in (word, *deletes(word, dist)):
                for term in variants.get(v, ()):
                    if term not in found:
                        cut = term.index(":")
                        found[term] = (edit_distance(word, term[cut + 1:], dist)
                                       if term[:cut] in langs else dist + 1)
        return sorted((d, t) for t, d in found.items() if d <= dist)
