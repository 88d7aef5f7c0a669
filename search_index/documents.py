"""From a plain entry dict to the lookup keys of one index document (pure functions).

The dictionary package hands us plain dicts (never ORM objects), their texts in storage form
(``normalize.clean``, as the database keeps them)::

    {"id": "hre-000001", "lang": "hre", "headword": "...", "variants": [...],
     "glosses": ["nước", "..."], "examples": [("text", "Vietnamese translation"), ...],
     "updated": "2026-11-22T10:00:00"}

Each side (``hw`` = Hrê/Co headword and variants, ``vi`` = Vietnamese glosses and example
translations) gets one key set per strictness: ``x`` exact, ``t`` toneless, ``l`` loose.
A key carries the language (``hre:``), so a language filter is part of the lookup, and a
granularity marker: ``=`` the whole text (headword, variant or one gloss), no marker one word
of it, ``+`` two adjacent words of it (``+mặt trời``), ``@`` one word of an example, ``@+``
two adjacent words of an example (loose keys only: examples rank last anyway). A query
of several words looks its adjacent pairs up: pairs are rare where single syllables such as
``cái`` or ``con`` occur in thousands of glosses, so intersecting pairs stays cheap, and a
pair keeps the words in order, as Vietnamese two-syllable words need.

The six key sets travel in one column of the Whoosh document (``lookup``), with what a hit
shows and each side's loose words; from it ``tables`` builds the in-memory lookup tables of
each segment. Prefix and fuzzy search need no keys of their own: both work on the
vocabulary, the single-word loose keys (``tables``, ``vocabulary``).
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import OSA

from . import normalize
from .orthography import Rules

SIDES = ("hw", "vi")
STRICT = ("x", "t", "l")
#: The key sets of a document, in the order the ``lookup`` column holds them.
KEY_FIELDS = tuple(f"{side}_{strict}" for side in SIDES for strict in STRICT)
#: Separators inside the ``lookup`` column. Stored text holds neither (``normalize.clean``
#: turns all white space into single spaces), so no part or key contains one.
FIELD_SEP, KEY_SEP = "\t", "\n"
WHOLE, WORD, PAIR, EXAMPLE, EXAMPLE_PAIR = "=", "", "+", "@", "@+"
# Fuzzy: words shorter than this are not corrected (too many neighbours to mean anything).
MIN_FUZZY_LEN = 3
# Words at least this long tolerate two edits; shorter ones one.
LONG_WORD = 8


def term(lang: str, marker: str, key: str) -> str:
    return f"{lang}:{marker}{key}"


def phrase_terms(lang: str, keys: list[str]) -> list[str]:
    """Terms that find texts containing ``keys`` as consecutive words: the adjacent pairs,
    or the word itself when there is only one.

    >>> phrase_terms("hre", ["mat", "troi", "do"]), phrase_terms("hre", ["mat"])
    (['hre:+mat troi', 'hre:+troi do'], ['hre:mat'])
    """
    if len(keys) == 1:
        return [term(lang, WORD, keys[0])]
    return [term(lang, PAIR, f"{a} {b}") for a, b in zip(keys, keys[1:])]


def max_distance(word: str) -> int:
    return 2 if len(word) >= LONG_WORD else 1


@lru_cache(maxsize=20_000)
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


@lru_cache(maxsize=200_000)
def word_keys(word: str, rules: Rules | None) -> normalize.Keys:
    """Keys of one word. Cached: texts repeat a small vocabulary (Zipf), so during a
    rebuild most words have been seen before."""
    return normalize.keys(word, rules, is_clean=True)


def text_keys(text: str, rules: Rules | None) -> tuple[normalize.Keys, tuple[normalize.Keys, ...]]:
    """Keys of a whole text (in storage form) and of each of its words.

    A whole text's key is its words' keys joined by one space, exactly as a query's whole key
    is built (``query._prepare``): punctuation never decides a match, and the words' keys
    come from the cache.

    >>> text_keys("Lại; ĐẾN", None)[0]
    Keys(exact='lại đến', toneless='lai đên', loose='lai den')
    """
    words = tuple(word_keys(w, rules) for w in normalize.words(text, rules, is_clean=True))
    return normalize.Keys(*(" ".join(k[i] for k in words) for i in range(3))), words


@lru_cache(maxsize=100_000)
def _text_terms(lang: str, text: str, rules: Rules | None, example: bool
                ) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """The keys of one text, one tuple per strictness (``STRICT`` order), and its loose
    words (none for an example). Cached: short glosses (``con chó``, ``nước``) recur in
    thousands of entries.

    >>> _text_terms("hre", "Con chó", None, False)
    ((('hre:=con chó', 'hre:con', 'hre:chó', 'hre:+con chó'), \
('hre:=con cho', 'hre:con', 'hre:cho', 'hre:+con cho'), \
('hre:=con cho', 'hre:con', 'hre:cho', 'hre:+con cho')), ('con', 'cho'))
    """
    whole, words = text_keys(text, rules)
    if not whole.loose:
        return ((), (), ()), ()
    out: tuple[list[str], list[str], list[str]] = ([], [], [])
    if not example:
        for keys, key in zip(out, whole):
            keys.append(term(lang, WHOLE, key))
    marker = EXAMPLE if example else WORD
    for wk in words:
        if wk.loose:
            for keys, key in zip(out, wk):
                keys.append(term(lang, marker, key))
    for a, b in zip(words, words[1:]):
        if example:
            out[2].append(term(lang, EXAMPLE_PAIR, f"{a.loose} {b.loose}"))
            continue
        for keys, key_a, key_b in zip(out, a, b):
            keys.append(term(lang, PAIR, f"{key_a} {key_b}"))
    loose_words = () if example else tuple(w.loose for w in words)
    return tuple(tuple(k) for k in out), loose_words


def _add_text(lang: str, text: str, rules: Rules | None, fields: dict[str, set[str]], side: str,
              example: bool, loose_words: set[str]) -> None:
    keys, words = _text_terms(lang, text, rules, example)
    for strict, found in zip(STRICT, keys):
        if found:
            fields[f"{side}_{strict}"].update(found)
    loose_words.update(words)


class Lookup(NamedTuple):
    """A document's ``lookup`` column value, decoded."""

    hit: tuple[str, str, str]  # public id, language, headword: what a hit shows
    words: tuple[str, str]  # each side's loose words, space-separated
    keys: tuple[tuple[str, list[str]], ...]  # (key field, keys), non-empty fields only


def encode_lookup(hit: tuple[str, str, str], words: tuple[str, str],
                  fields: dict[str, set[str]]) -> bytes:
    """The ``lookup`` column value: what ``tables`` needs of a document, in one read.

    >>> raw = encode_lookup(("hre-1", "hre", "ʼbăh"), ("bah", "con"),
    ...                     {"hw_x": {"hre:=ʼbăh"}, "vi_l": {"hre:con", "hre:=con"}})
    >>> decode_lookup(raw)
    Lookup(hit=('hre-1', 'hre', 'ʼbăh'), words=('bah', 'con'), \
keys=(('hw_x', ['hre:=ʼbăh']), ('vi_l', ['hre:=con', 'hre:con'])))
    """
    blocks = (KEY_SEP.join(sorted(fields.get(name, ()))) for name in KEY_FIELDS)
    return FIELD_SEP.join([*hit, *words, *blocks]).encode()


def decode_lookup(raw: bytes) -> Lookup:
    doc_id, lang, headword, hw_words, vi_words, *blocks = raw.decode("utf-8").split(FIELD_SEP)
    return Lookup((doc_id, lang, headword), (hw_words, vi_words),
                  tuple((name, block.split(KEY_SEP))
                        for name, block in zip(KEY_FIELDS, blocks) if block))


def make_document(doc: dict, rules: Rules | None) -> dict:
    """The Whoosh document (field name → value) for one entry dict."""
    lang = doc["lang"]
    fields: dict[str, set[str]] = {name: set() for name in KEY_FIELDS}
    variants = list(doc.get("variants", ()))
    glosses = list(doc.get("glosses", ()))
    hw_words: set[str] = set()
    vi_words: set[str] = set()
    for text in [doc["headword"], *variants]:
        _add_text(lang, text, rules, fields, "hw", False, hw_words)
    for text in glosses:
        _add_text(lang, text, rules, fields, "vi", False, vi_words)
    for text, translation in doc.get("examples", ()):
        _add_text(lang, text, rules, fields, "hw", True, hw_words)
        _add_text(lang, translation, rules, fields, "vi", True, vi_words)
    return dict(
        id=doc["id"], updated=doc.get("updated", ""), texts=(doc["headword"], variants, glosses),
        # The loose words are what a multi-word prefix or typo is checked against.
        lookup=encode_lookup((doc["id"], lang, doc["headword"]),
                             (" ".join(sorted(hw_words)), " ".join(sorted(vi_words))), fields))


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
