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
from collections.abc import Collection, Iterable

from .documents import MAX_FUZZY_LEN, MIN_FUZZY_LEN, deletes, edit_distance, max_distance
from .tables import TableView

_UNSET = object()  # generation of a map that was never filled


Bucket = str | tuple  # the words filed under one variant: most variants have one word


class Vocabulary:
    """Deletion-neighbourhood map of one loose field, kept in step with the index.

    A variant's bucket is the one word filed under it (a str, as for 90 % of the variants
    at 100,000 entries) or a tuple of words: a set per variant took more memory than the
    lookup tables, and a map of plain strs and tuples loads from a file (``snapshot``)
    in about a second."""

    def __init__(self, fieldname: str) -> None:
        self.fieldname = fieldname
        self.words: frozenset[str] = frozenset()
        self.variants: dict[str, Bucket] = {}
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

    @classmethod
    def of_words(cls, fieldname: str, words: frozenset[str]) -> Vocabulary:
        """A map filled from scratch with ``words``."""
        vocab = cls(fieldname)
        vocab._fill(words)
        return vocab

    def state(self) -> tuple:
        """The map as plain containers, for ``from_state`` (``marshal``)."""
        return self.words, self.variants, dict(self._lengths)

    @classmethod
    def from_state(cls, fieldname: str, state: tuple) -> Vocabulary:
        vocab = cls(fieldname)
        vocab.words, vocab.variants, lengths = state
        vocab._lengths = Counter(lengths)
        vocab.longest = max((n for n, count in lengths.items() if count > 0), default=0)
        return vocab

    def start_from(self, base: Vocabulary) -> None:
        """Take ``base``'s map (of one segment's words) as this one's, before the first
        ``refresh`` adds the words of the other segments."""
        with self._lock:
            if self.generation is _UNSET and not self.words:
                self.words, self.variants = base.words, base.variants
                self._lengths, self.longest = Counter(base._lengths), base.longest

    def _fill(self, words: Iterable[str]) -> None:
        filed: defaultdict[str, list[str]] = defaultdict(list)
        for term in words:
            self._count(term, 1)
            for v in self._variants(term):
                filed[v].append(term)
        self.variants = {v: terms[0] if len(terms) == 1 else tuple(terms)
                         for v, terms in filed.items()}
        self.words = frozenset(words)
        self.longest = max((n for n, count in self._lengths.items() if count > 0), default=0)

    def refresh(self, view: TableView, generation: object) -> None:
        """Bring the map in step with ``view`` (cheap when little changed)."""
        with self._lock:
            if generation == self.generation:
                return
            current = view.words(self.fieldname)
            if not self.words:
                self._fill(current)
                self.generation = generation
                return
            variants = self.variants
            for term in self.words - current:
                self._count(term, -1)
                for v in self._variants(term):
                    bucket = variants.get(v)
                    if bucket is None:
                        continue
                    if bucket.__class__ is str:
                        if bucket == term:
                            del variants[v]
                    elif term in bucket:
                        rest = tuple(t for t in bucket if t != term)
                        variants[v] = rest[0] if len(rest) == 1 else rest
            for term in current - self.words:
                self._count(term, 1)
                for v in self._variants(term):
                    bucket = variants.get(v)
                    if bucket is None:
                        variants[v] = term
                    elif bucket.__class__ is str:
                        variants[v] = (bucket, term)
                    else:
                        variants[v] = (*bucket, term)
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
                bucket = variants.get(v)
                if bucket is None:
                    continue
                for term in (bucket,) if bucket.__class__ is str else bucket:
                    if term not in found:
                        cut = term.index(":")
                        found[term] = (edit_distance(word, term[cut + 1:], dist)
                                       if term[:cut] in langs else dist + 1)
        return sorted((d, t) for t, d in found.items() if d <= dist)
