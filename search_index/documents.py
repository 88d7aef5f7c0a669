"""From a plain entry dict to the terms of one Whoosh document (pure functions).

The dictionary package hands us plain dicts (never ORM objects)::

    {"id": "hre-000001", "lang": "hre", "headword": "...", "variants": [...],
     "glosses": ["nước", "..."], "examples": [("text", "Vietnamese translation"), ...],
     "updated": "2026-11-22T10:00:00"}

Every search tier is a plain term lookup, so all the work happens here, once, at index time:
each side (``hw`` = Hrê/Co headword and variants, ``vi`` = Vietnamese glosses) gets one field
per key strictness (``x`` exact, ``t`` toneless, ``l`` loose), a prefix field ``p`` (edge
n-grams of the loose key: autocomplete without expanding wildcards over the whole lexicon)
and a fuzzy field ``f`` (deletion neighbourhoods of the loose key, as in SymSpell: an edit
distance lookup becomes a handful of term lookups). A fuzzy term is ``variant<US>word``:
expanding the prefix ``variant<US>`` in the term dictionary yields the indexed words that
share the variant, so candidates are verified on words, without reading any document.

Terms carry the language (``hre:``) so that a language filter is a term lookup too, and a
granularity marker: ``=`` the whole text (headword, variant or one gloss), no marker one word
of it, ``@`` one word of an example.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from . import normalize
from .orthography import Rules

SIDES = ("hw", "vi")
STRICT = ("x", "t", "l")
WHOLE, WORD, EXAMPLE = "=", "", "@"

# Whole-text prefixes are kept up to this length; longer queries still match word prefixes.
MAX_WHOLE_PREFIX = 32
# Fuzzy: words shorter than this are not corrected (too many neighbours to mean anything).
MIN_FUZZY_LEN = 3
# Words at least this long tolerate two edits; shorter ones one.
LONG_WORD = 8
# Whole multi-word keys up to this length also get one-edit neighbours.
MAX_FUZZY_WHOLE = 24


# Unit separator between a deletion variant and the word it came from (clean() removes
# control characters from all text, so it never occurs inside a key).
US = "\x1f"


def term(lang: str, marker: str, key: str) -> str:
    return f"{lang}:{marker}{key}"


def fuzzy_term(lang: str, marker: str, variant: str, key: str = "") -> str:
    """The fuzzy-field term linking ``variant`` to ``key``; without ``key``, its prefix."""
    return f"{lang}:{marker}{variant}{US}{key}"


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


def fuzzy_variants(word: str, distance: int) -> set[str]:
    """The word and its deletion neighbourhood: two words within the distance share one."""
    return {word} | deletes(word, distance)


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance (a transposition counts as one edit).

    >>> edit_distance("tieng", "tiegn"), edit_distance("nuoc", "nuoc"), edit_distance("ca", "cao")
    (1, 0, 1)
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _text_terms(lang: str, text: str, rules: Rules | None, out: dict[str, set[str]], side: str,
                example: bool) -> None:
    whole = normalize.keys(text, rules)
    if not whole.loose:
        return
    if not example:
        for strict, key in zip(STRICT, whole):
            out[f"{side}_{strict}"].add(term(lang, WHOLE, key))
        for i in range(1, min(len(whole.loose), MAX_WHOLE_PREFIX) + 1):
            out[f"{side}_p"].add(term(lang, WHOLE, whole.loose[:i]))
        if " " in whole.loose and len(whole.loose) <= MAX_FUZZY_WHOLE:
            for v in fuzzy_variants(whole.loose, 1):
                out[f"{side}_f"].add(fuzzy_term(lang, WHOLE, v, whole.loose))
    marker = EXAMPLE if example else WORD
    for word in normalize.words(text, rules):
        wk = normalize.keys(word, rules)
        if not wk.loose:
            continue
        for strict, key in zip(STRICT, wk):
            out[f"{side}_{strict}"].add(term(lang, marker, key))
        if example:
            continue
        for i in range(1, len(wk.loose) + 1):
            out[f"{side}_p"].add(term(lang, WORD, wk.loose[:i]))
        if len(wk.loose) >= MIN_FUZZY_LEN - 1:
            # Index the word itself even when too short to be corrected: a 3-letter query
            # with one deletion must still find it.
            dist = max_distance(wk.loose) if len(wk.loose) >= MIN_FUZZY_LEN else 0
            for v in fuzzy_variants(wk.loose, dist):
                out[f"{side}_f"].add(fuzzy_term(lang, WORD, v, wk.loose))


def make_document(doc: dict, rules: Rules | None) -> dict:
    """The Whoosh document (field name → value) for one entry dict."""
    lang = doc["lang"]
    fields: dict[str, set[str]] = {f"{s}_{k}": set() for s in SIDES for k in (*STRICT, "p", "f")}
    hw_texts = [doc["headword"], *doc.get("variants", ())]
    glosses = list(doc.get("glosses", ()))
    for text in hw_texts:
        _text_terms(lang, text, rules, fields, "hw", example=False)
    for text in glosses:
        _text_terms(lang, text, rules, fields, "vi", example=False)
    for text, translation in doc.get("examples", ()):
        _text_terms(lang, text, rules, fields, "hw", example=True)
        _text_terms(lang, translation, rules, fields, "vi", example=True)
    out: dict = {name: "\n".join(sorted(terms)) for name, terms in fields.items() if terms}
    out.update(
        id=doc["id"],
        lang=lang,
        headword=doc["headword"],
        glosses=glosses,
        variants=list(doc.get("variants", ())),
        updated=doc.get("updated", ""),
    )
    return out


def iter_documents(docs: Iterable[dict], rules: dict[str, Rules]) -> Iterator[dict]:
    for doc in docs:
        yield make_document(doc, rules.get(doc["lang"]))
