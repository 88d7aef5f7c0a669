"""Tiered two-way lookup over the Whoosh index: one box, both directions.

A query is cleaned by the same text rules as the data, then tried tier by tier, strictest
first: ``exact`` > ``tone`` (same letters, other tones) > ``loose`` (no marks at all) >
``prefix`` (autocomplete) > ``fuzzy`` (one typo, two in long words; only when the stricter
tiers found little). Inside a tier the Hrê/Co side comes before the Vietnamese side, whole
texts before single words before example words, then dictionary order (documents are
written in ICU order). If the query reads as Telex or VNI typing (``tieengs``), the decoded
form is tried at every tier too.

Every step is a term lookup whose matcher is read lazily and stopped once ``limit`` hits are
in hand: no wildcard expansion over the lexicon, no scoring, no full count of the matches.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from whoosh.matching import IntersectionMatcher, Matcher, NullMatcher, UnionMatcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Searcher

from . import normalize
from .documents import (
    EXAMPLE,
    MAX_WHOLE_PREFIX,
    MIN_FUZZY_LEN,
    WHOLE,
    WORD,
    edit_distance,
    fuzzy_variants,
    max_distance,
    term,
)
from .orthography import Rules
from .typing_decode import typing_candidates

TIERS = ("exact", "tone", "loose", "prefix", "fuzzy")
SIDE_NAMES = {"hw": "headword", "vi": "vi"}
# (side, granularity) in rank order inside one tier.
STEPS = (("hw", WHOLE), ("vi", WHOLE), ("hw", WORD), ("vi", WORD), ("hw", EXAMPLE), ("vi", EXAMPLE))
# Fuzzy runs only when the stricter tiers found fewer hits than this.
THIN = 3
# Longest query we look at; longer input is cut (never an error).
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8


@dataclass(frozen=True)
class Hit:
    id: str
    lang: str
    headword: str
    tier: str
    side: str  # "headword" or "vi"
    typed_as: str | None = None  # "telex"/"vni" decoded form that matched, if any


@dataclass
class Results:
    query: str
    hits: list[Hit] = field(default_factory=list)
    more: bool = False  # more hits exist than were asked for
    suggestions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Form:
    """One reading of the query (as typed, or decoded from Telex/VNI), keyed per language."""

    text: str
    typed_as: str | None
    keys: dict[str, normalize.Keys]  # lang → whole keys
    words: dict[str, list[normalize.Keys]]  # lang → keys of each word


def _prepare(query: str, langs: Sequence[str], rules: dict[str, Rules]) -> list[_Form]:
    text = normalize.clean(query[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS]
    readings: list[tuple[str, str | None]] = [(text, None)]
    readings += [(c, "typing") for c in typing_candidates(text)]
    forms = []
    for reading, typed_as in readings:
        per_lang = {lang: normalize.words(reading, rules.get(lang))[:MAX_QUERY_WORDS]
                    for lang in langs}
        if not any(per_lang.values()):
            continue
        forms.append(
            _Form(
                reading,
                typed_as,
                {lang: normalize.keys(" ".join(ws), rules.get(lang)) for lang, ws in per_lang.items()},
                {lang: [normalize.keys(w, rules.get(lang)) for w in ws]
                 for lang, ws in per_lang.items()},
            )
        )
    return forms


def _postings(reader: IndexReader, fieldname: str, text: str) -> Matcher:
    try:
        return reader.postings(fieldname, text)
    except TermNotFound:
        return NullMatcher()


def _union(matchers: list[Matcher]) -> Matcher:
    live = [m for m in matchers if m.is_active()]
    if not live:
        return NullMatcher()
    while len(live) > 1:
        live = [UnionMatcher(a, b) for a, b in zip(live[::2], live[1::2])] + (
            [live[-1]] if len(live) % 2 else []
        )
    return live[0]


def _intersection(matchers: list[Matcher]) -> Matcher:
    if not matchers or not all(m.is_active() for m in matchers):
        return NullMatcher()
    m = matchers[0]
    for other in matchers[1:]:
        m = IntersectionMatcher(m, other)
    return m


def _ids(m: Matcher) -> Iterator[int]:
    while m.is_active():
        yield m.id()
        m.next()


class _Lookup:
    """One search: state shared by the tiers (what was found, what is still needed)."""

    def __init__(self, searcher: Searcher, langs: Sequence[str], rules: dict[str, Rules],
                 limit: int) -> None:
        self.searcher = searcher
        self.rules = rules
        self.reader = searcher.reader()
        self.langs = langs
        self.limit = limit
        self.found: dict[int, Hit] = {}

    @property
    def full(self) -> bool:
        return len(self.found) > self.limit  # one extra tells us there is more

    def add(self, docnums: Iterator[int], tier: str, side: str, form: _Form) -> None:
        for docnum in docnums:
            if self.full:
                return
            if docnum in self.found:
                continue
            f = self.searcher.stored_fields(docnum)
            self.found[docnum] = Hit(f["id"], f["lang"], f["headword"], tier, SIDE_NAMES[side],
                                     form.text if form.typed_as else None)

    def matcher(self, fieldname: str, terms_per_lang: list[list[str]], all_of: bool) -> Matcher:
        """Union over languages of (all / any of the terms) in one field."""
        per_lang = []
        for terms in terms_per_lang:
            ms = [_postings(self.reader, fieldname, t) for t in terms]
            per_lang.append(_intersection(ms) if all_of else _union(ms))
        return _union(per_lang)

    def strict_tier(self, tier: str, form: _Form) -> None:
        strict = {"exact": 0, "tone": 1, "loose": 2}[tier]
        kind = "xtl"[strict]
        for side, marker in STEPS:
            if self.full:
                return
            if marker == WHOLE:
                terms = [[term(lang, WHOLE, form.keys[lang][strict])] for lang in self.langs]
            else:
                terms = [[term(lang, marker, w[strict]) for w in form.words[lang]]
                         for lang in self.langs]
            self.add(_ids(self.matcher(f"{side}_{kind}", terms, all_of=True)), tier, side, form)

    def prefix_tier(self, form: _Form) -> None:
        for side in ("hw", "vi"):
            if self.full:
                return
            terms = [[term(lang, WHOLE, form.keys[lang].loose)] for lang in self.langs
                     if 0 < len(form.keys[lang].loose) <= MAX_WHOLE_PREFIX]
            self.add(_ids(self.matcher(f"{side}_p", terms, all_of=True)), "prefix", side, form)
        for side in ("hw", "vi"):
            if self.full:
                return
            # Every word but the last complete, the last one a prefix ("con ch" → "con chó").
            per_lang = []
            for lang in self.langs:
                words = form.words[lang]
                if not words:
                    continue
                ms = [_postings(self.reader, f"{side}_l", term(lang, WORD, w.loose))
                      for w in words[:-1]]
                ms.append(_postings(self.reader, f"{side}_p", term(lang, WORD, words[-1].loose)))
                per_lang.append(_intersection(ms))
            self.add(_ids(_union(per_lang)), "prefix", side, form)

    def fuzzy_candidates(self, form: _Form, side: str, extra: int) -> list[tuple[int, int]]:
        """(distance, docnum) of documents within the allowed edits, nearest first."""
        scored: dict[int, int] = {}
        for lang in self.langs:
            key = form.keys[lang].loose
            multi = " " in key
            if len(key.replace(" ", "")) < MIN_FUZZY_LEN:
                continue
            dist = min(max_distance(key) + extra, 2)
            marker = WHOLE if multi else WORD
            variants = fuzzy_variants(key, 1 if multi else dist)
            m = _union([_postings(self.reader, f"{side}_f", term(lang, marker, v)) for v in variants])
            for n, docnum in enumerate(_ids(m)):
                if n >= 200:  # a bounded candidate set, verified below
                    break
                keys = self.searcher.stored_fields(docnum)[f"{side}_loose"]
                best = min((edit_distance(key, k, dist) for k in keys), default=dist + 1)
                if best <= dist and best < scored.get(docnum, 99):
                    scored[docnum] = best
        return sorted((d, n) for n, d in scored.items())

    def fuzzy_tier(self, form: _Form) -> None:
        for side in ("hw", "vi"):
            cands = self.fuzzy_candidates(form, side, extra=0)
            self.add((n for _, n in cands), "fuzzy", side, form)

    def suggestions(self, forms: list[_Form], limit: int = 5) -> list[str]:
        """Real words near the query ("Có phải bạn muốn tìm …?"), nearest first."""
        seen: dict[str, int] = {}
        for form in forms:
            for side in ("hw", "vi"):
                for dist, docnum in self.fuzzy_candidates(form, side, extra=1):
                    f = self.searcher.stored_fields(docnum)
                    texts = [f["headword"], *f["variants"]] if side == "hw" else f["glosses"]
                    shown = _closest_text(texts, form, self.rules.get(f["lang"]), f["lang"], dist)
                    if shown and shown not in seen:
                        seen[shown] = dist
        return sorted(seen, key=lambda s: seen[s])[:limit]


def _closest_text(texts: list[str], form: _Form, rules: Rules | None, lang: str,
                  dist: int) -> str | None:
    key = form.keys[lang].loose
    multi = " " in key
    for text in texts:
        candidates = [text] if multi else normalize.words(text, rules)
        for c in candidates:
            if edit_distance(key, normalize.loose_key(c, rules), dist) <= dist:
                return c.lower() if not multi else c
    return None


def search(searcher: Searcher, query: str, langs: Sequence[str], rules: dict[str, Rules],
           limit: int = 20) -> Results:
    """Tiered lookup; never raises on any query text."""
    limit = max(1, limit)
    forms = _prepare(query, langs, rules)
    results = Results(query=normalize.clean(query[:MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS])
    if not forms or not langs:
        return results
    look = _Lookup(searcher, langs, rules, limit)
    for tier in TIERS:
        if tier == "fuzzy" and len(look.found) >= THIN:
            break
        for form in forms:
            if look.full:
                break
            if tier == "prefix":
                look.prefix_tier(form)
            elif tier == "fuzzy":
                look.fuzzy_tier(form)
            else:
                look.strict_tier(tier, form)
    hits = list(look.found.values())
    results.more = len(hits) > limit
    results.hits = hits[:limit]
    if not hits:
        results.suggestions = look.suggestions(forms)
    return results
