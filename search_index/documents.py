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

The six key sets travel in one column of the Whoosh document (``keys``), from which
``tables`` builds the in-memory lookup tables of each segment. Prefix and fuzzy search need
no keys of their own: both work on the vocabulary, the single-word loose keys (``tables``,
``vocabulary``).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from rapidfuzz.distance import OSA

from . import normalize
from .orthography import Rules

SIDES = ("hw", "vi")
STRICT = ("x", "t", "l")
#: The key sets of a document, in the order the ``keys`` column holds them.
KEY_FIELDS = tuple(f"{side}_{strict}" for side in SIDES for strict in STRICT)
#: Separators inside the ``keys`` column: no key contains either (keys are words joined
#: by single spaces).
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


def deletes(word: str, distance: int) -> set[str]:
    """All strings made by deleting up to ``distance`` characters.

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
    return found


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


def _text_terms(lang: str, text: str, rules: Rules | None, out: dict[str, set[str]], side: str,
                example: bool, loose_words: set[str]) -> None:
    whole, words = text_keys(text, rules)
    if not whole.loose:
        return
    if not example:
        loose_words.update(w.loose for w in words)
    if not example:
        for strict, key in zip(STRICT, whole):
            out[f"{side}_{strict}"].add(term(lang, WHOLE, key))
    marker = EXAMPLE if example else WORD
    for wk in words:
        if wk.loose:
            for strict, key in zip(STRICT, wk):
                out[f"{side}_{strict}"].add(term(lang, marker, key))
    for a, b in zip(words, words[1:]):
        if example:
            out[f"{side}_l"].add(term(lang, EXAMPLE_PAIR, f"{a.loose} {b.loose}"))
            continue
        for strict, key_a, key_b in zip(STRICT, a, b):
            out[f"{side}_{strict}"].add(term(lang, PAIR, f"{key_a} {key_b}"))


def encode_keys(fields: dict[str, set[str]]) -> bytes:
    """The ``keys`` column value: the six key sets, in ``KEY_FIELDS`` order.

    >>> encode_keys({"hw_x": {"hre:=a", "hre:a"}, "vi_l": {"hre:b"}})
    b'hre:=a\\nhre:a\\t\\t\\t\\t\\thre:b'
    """
    return FIELD_SEP.join(KEY_SEP.join(sorted(fields.get(name, ()))) for name in KEY_FIELDS).encode()


def decode_keys(raw: bytes) -> Iterator[tuple[str, list[str]]]:
    """(key field, keys) pairs of a ``keys`` column value, the inverse of ``encode_keys``."""
    for name, block in zip(KEY_FIELDS, raw.decode("utf-8").split(FIELD_SEP)):
        if block:
            yield name, block.split(KEY_SEP)


def make_document(doc: dict, rules: Rules | None) -> dict:
    """The Whoosh document (field name → value) for one entry dict."""
    lang = doc["lang"]
    fields: dict[str, set[str]] = {name: set() for name in KEY_FIELDS}
    variants = list(doc.get("variants", ()))
    glosses = list(doc.get("glosses", ()))
    hw_words: set[str] = set()
    vi_words: set[str] = set()
    for text in [doc["headword"], *variants]:
        _text_terms(lang, text, rules, fields, "hw", False, hw_words)
    for text in glosses:
        _text_terms(lang, text, rules, fields, "vi", False, vi_words)
    for text, translation in doc.get("examples", ()):
        _text_terms(lang, text, rules, fields, "hw", True, hw_words)
        _text_terms(lang, translation, rules, fields, "vi", True, vi_words)
    return dict(
        id=doc["id"], lang=lang, headword=doc["headword"], glosses=glosses,
        variants=variants, updated=doc.get("updated", ""),
        keys=encode_keys(fields),
        # What a hit shows, and each side's loose words, against which a multi-word prefix
        # or typo is checked on a few candidates.
        hit=f"{doc['id']}\t{lang}\t{doc['headword']}".encode(),
        hw_words=" ".join(sorted(hw_words)).encode(),
        vi_words=" ".join(sorted(vi_words)).encode())


def iter_documents(docs: Iterable[dict], rules: dict[str, Rules]) -> Iterator[dict]:
    for doc in docs:
        yield make_document(doc, rules.get(doc["lang"]))
