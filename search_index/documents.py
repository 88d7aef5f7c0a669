"""From a plain entry dict to the lookup keys of one index document (pure functions).

The dictionary package hands us plain dicts (never ORM objects), their texts in storage form
(``normalize.clean``, as the database keeps them)::

    {"id": "hre-000001", "lang": "hre", "headword": "...", "variants": [...],
     "glosses": ["nước", "..."], "examples": [("text", "Vietnamese translation"), ...],
     "updated": "2026-11-22T10:00:00"}

Each side (``hw`` = Hrê/Co headword and variants, ``vi`` = Vietnamese glosses and example
translations) gets keys at three strictnesses: exact, toneless, loose. A key is a text with
its language (``hre:con chó``), so a language filter is part of the lookup, and it is filed
under a *slot*: which side, and which granularity — the whole text (headword, variant or
one gloss), one word of it, two adjacent words of it, one word of an example, two adjacent
words of an example (loose keys only: examples rank last anyway). A query of several words
looks its adjacent pairs up: pairs are rare where single syllables such as ``cái`` or
``con`` occur in thousands of glosses, so intersecting pairs stays cheap, and a pair keeps
the words in order, as Vietnamese two-syllable words need.

The keys travel in one column of the Whoosh document (``lookup``), one block per
(strictness, slot), with what a hit shows; from it ``tables`` builds the in-memory lookup
tables of each segment. Prefix and fuzzy search need no keys of their own: both work on
the sorted keys and the vocabulary, the single-word loose keys (``tables``,
``vocabulary``).
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from rapidfuzz.distance import OSA

from . import normalize
from .memo import memo
from .rules import Rules

SIDES = ("hw", "vi")
#: Strictnesses, in the order of the tables and of a tier's lookups.
EXACT, TONELESS, LOOSE = 0, 1, 2
#: Granularities, in rank order inside a tier.
WHOLE, WORD, PAIR, EXAMPLE, EXAMPLE_PAIR = range(5)
#: Slots: granularity × side. Even slots are the headword side, odd ones Vietnamese.
HW_WHOLE, VI_WHOLE, HW_WORD, VI_WORD, HW_PAIR, VI_PAIR = range(6)
HW_EXAMPLE, VI_EXAMPLE, HW_EXAMPLE_PAIR, VI_EXAMPLE_PAIR = range(6, 10)
N_SLOTS = 10
#: Separators inside the ``lookup`` column. Stored text holds neither (``normalize.clean``
#: turns all white space into single spaces), so no part or key contains one.
FIELD_SEP, KEY_SEP = "\t", "\n"
# Fuzzy: words shorter than this are not corrected (too many neighbours to mean anything).
MIN_FUZZY_LEN = 3
# Words at least this long tolerate two edits; shorter ones one.
LONG_WORD = 8
# Longer words are not corrected: their deletion neighbourhoods grow with the square of the
# length, and no word of these languages comes near it (``vocabulary``).
MAX_FUZZY_LEN = 32


def max_distance(word: str) -> int:
    return 2 if len(word) >= LONG_WORD else 1


@memo(max_bytes=16 << 20, max_entry=256 << 10)
def deletes(word: str, distance: int) -> frozenset[str]:
    """All strings made by deleting up to ``distance`` characters. Cached: a query word's
    neighbourhood is looked up once per side and language.

    >>> sorted(deletes("cao", 1))
    ['ao', 'ca', 'co']
    """
    found: set[str] = set()
    frontier = {word}
    for _ in range(distance):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))} - found
        found |= frontier
    found.discard(word)
    found.discard("")
    return frozenset(found)


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance (a transposition counts as one edit), or
    ``limit + 1`` when it is larger than ``limit``. RapidFuzz computes it in C++: the
    fuzzy tier checks dozens of candidates per query word.

    >>> edit_distance("tieng", "tiegn"), edit_distance("nuoc", "nuoc"), edit_distance("ca", "cao")
    (1, 0, 1)
    >>> edit_distance("tiiengg", "tieng", 1)
    2
    """
    return OSA.distance(a, b, score_cutoff=limit)


@memo(max_bytes=16 << 20, max_entry=1024)
def word_keys(word: str, rules: Rules | None) -> normalize.Keys:
    """Keys of one word. Cached: texts repeat a small vocabulary (Zipf), so during a
    rebuild most words have been seen before."""
    return normalize.keys(word, rules, is_clean=True)


def text_keys(text: str, rules: Rules | None) -> tuple[normalize.Keys, tuple[normalize.Keys, ...]]:
    """Keys of a whole text (in storage form) and of each of its words.

    A whole text's key is its words' keys joined by one space, exactly as a query's whole key
    is built (``reading.reading_words``): punctuation never decides a match, and the words' keys
    come from the cache.

    >>> text_keys("Lại; ĐẾN", None)[0]
    Keys(exact='lại đến', toneless='lai đên', loose='lai den')
    """
    words = tuple(word_keys(w, rules) for w in normalize.words(text, rules, is_clean=True))
    return normalize.Keys(*(" ".join(k[i] for k in words) for i in range(3))), words


@memo(max_bytes=32 << 20, max_entry=16 << 10)
def _text_terms(lang: str, text: str, rules: Rules | None, example: bool
                ) -> tuple[tuple[int, int, str], ...]:
    """The keys of one text as (strictness, granularity, key). Cached: short glosses
    (``con chó``, ``nước``) recur in thousands of entries.

    >>> _text_terms("hre", "Con chó", None, False)[:4]
    ((0, 0, 'hre:con chó'), (1, 0, 'hre:con cho'), (2, 0, 'hre:con cho'), (0, 1, 'hre:con'))
    >>> [t for t in _text_terms("hre", "Con chó", None, True) if t[1] == EXAMPLE_PAIR]
    [(2, 4, 'hre:con cho')]
    """
    whole, words = text_keys(text, rules)
    if not whole.loose:
        return ()
    out: list[tuple[int, int, str]] = []
    if not example:
        out += [(strict, WHOLE, f"{lang}:{key}") for strict, key in enumerate(whole)]
    granularity = EXAMPLE if example else WORD
    for wk in words:
        if wk.loose:
            out += [(strict, granularity, f"{lang}:{key}") for strict, key in enumerate(wk)]
    for a, b in zip(words, words[1:]):
        if example:
            out.append((LOOSE, EXAMPLE_PAIR, f"{lang}:{a.loose} {b.loose}"))
        else:
            out += [(strict, PAIR, f"{lang}:{ka} {kb}") for strict, (ka, kb) in enumerate(zip(a, b))]
    return tuple(out)


class LookupColumn(NamedTuple):
    """A document's ``lookup`` column value, decoded."""

    hit: tuple[str, str, str]  # public id, language, headword: what a hit shows
    keys: tuple[tuple[int, int, list[str]], ...]  # (strictness, slot, keys), non-empty only


def encode_lookup(hit: tuple[str, str, str], blocks: Sequence[set[str]]) -> bytes:
    """The ``lookup`` column value: what ``tables`` needs of a document, in one read.
    ``blocks[strictness * N_SLOTS + slot]`` holds the keys of that strictness and slot.

    >>> blocks = [set() for _ in range(3 * N_SLOTS)]
    >>> blocks[HW_WHOLE] |= {"hre:ʼbăh"}; blocks[LOOSE * N_SLOTS + VI_WORD] |= {"hre:con", "hre:cai"}
    >>> decode_lookup(encode_lookup(("hre-1", "hre", "ʼbăh"), blocks))
    LookupColumn(hit=('hre-1', 'hre', 'ʼbăh'), keys=((0, 0, ['hre:ʼbăh']), (2, 3, ['hre:cai', 'hre:con'])))
    """
    return FIELD_SEP.join([*hit, *(KEY_SEP.join(sorted(keys)) for keys in blocks)]).encode()


def decode_lookup(raw: bytes) -> LookupColumn:
    doc_id, lang, headword, *blocks = raw.decode("utf-8").split(FIELD_SEP)
    return LookupColumn((doc_id, lang, headword),
                  tuple((i // N_SLOTS, i % N_SLOTS, block.split(KEY_SEP))
                        for i, block in enumerate(blocks) if block))


def make_document(doc: dict, rules: Rules | None) -> dict:
    """The Whoosh document (field name → value) for one entry dict."""
    lang = doc["lang"]
    blocks: list[set[str]] = [set() for _ in range(3 * N_SLOTS)]
    variants = list(doc.get("variants", ()))
    glosses = list(doc.get("glosses", ()))
    texts = [(0, t, False) for t in (doc["headword"], *variants)] + [(1, t, False) for t in glosses]
    for text, translation in doc.get("examples", ()):
        texts += [(0, text, True), (1, translation, True)]
    for side, text, example in texts:
        for strict, granularity, key in _text_terms(lang, text, rules, example):
            blocks[strict * N_SLOTS + 2 * granularity + side].add(key)
    return dict(
        id=doc["id"], updated=doc.get("updated", ""), texts=(doc["headword"], variants, glosses),
        lookup=encode_lookup((doc["id"], lang, doc["headword"]), blocks))


# From this many entries on, a rebuild computes documents in a worker process while the
# caller's process writes them: at 100,000 entries each half takes about 15 s.
PARALLEL_FROM = 10_000
_worker_rules: dict[str, Rules] = {}


def make_documents(docs: Sequence[dict], rules: dict[str, Rules],
                   workers: int | None = None) -> Iterator[dict]:
    """``make_document`` of each entry dict, in order.

    ``workers`` processes compute them (``None``: one when there are at least
    PARALLEL_FROM entries and more than one CPU, else none). Workers are started with
    ``spawn``, never ``fork``: the caller may be a threaded server holding locks. So, as
    with any ``spawn`` pool, a script that rebuilds a large index must guard its entry
    point with ``if __name__ == "__main__":`` (the ``flask`` command does).
    """
    if workers is None:
        workers = 1 if len(docs) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 0
    if workers <= 0:
        for doc in docs:
            yield make_document(doc, rules.get(doc["lang"]))
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_start_worker, initargs=(rules,)) as pool:
        yield from pool.imap(_worker_document, docs, chunksize=256)


def _start_worker(rules: dict[str, Rules]) -> None:
    _worker_rules.update(rules)


def _worker_document(doc: dict) -> dict:
    return make_document(doc, _worker_rules.get(doc["lang"]))
