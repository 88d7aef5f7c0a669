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
    fuzzy_term,
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
# Most indexed words read for one deletion variant (a bound for very short variants).
MAX_EXPANSION = 500


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

    def fuzzy_words(self, form: _Form, side: str, extra: int) -> list[tuple[int, str, str, str]]:
        """Indexed words (or whole texts) within the allowed edits of the query:
        (distance, lang, marker, loose key), nearest first. Reads only the term dictionary."""
        found: dict[tuple[str, str, str], int] = {}
        for lang in self.langs:
            key = form.keys[lang].loose
            if len(key.replace(" ", "")) < MIN_FUZZY_LEN:
                continue
            multi = " " in key
            dist = min(max_distance(key) + extra, 2)
            marker = WHOLE if multi else WORD
            for variant in fuzzy_variants(key, 1 if multi else dist):
                prefix = fuzzy_term(lang, marker, variant)
                for n, raw in enumerate(self.reader.expand_prefix(f"{side}_f", prefix)):
                    if n >= MAX_EXPANSION:
                        break
                    word = raw.decode("utf-8")[len(prefix):]
                    d = edit_distance(key, word, dist)
                    if d <= dist and d < found.get((lang, marker, word), 99):
                        found[(lang, marker, word)] = d
        return sorted((d, lang, marker, word) for (lang, marker, word), d in found.items())

    def fuzzy_tier(self, form: _Form) -> None:
        for side in ("hw", "vi"):
            words = self.fuzzy_words(form, side, extra=0)
            for dist in sorted({d for d, *_ in words}):
                ms = [_postings(self.reader, f"{side}_l", term(lang, marker, word))
                      for d, lang, marker, word in words if d == dist]
                self.add(_ids(_union(ms)), "fuzzy", side, form)

    def suggestions(self, forms: list[_Form], limit: int = 5) -> list[str]:
        """Real words near the query ("Có phải bạn muốn tìm …?"), nearest first."""
        shown: dict[str, int] = {}
        for form in forms:
            for side in ("hw", "vi"):
                for dist, lang, marker, word in self.fuzzy_words(form, side, extra=1):
                    if len(shown) >= limit:
                        break
                    text = self._display_form(side, lang, marker, word)
                    if text and text not in shown:
                        shown[text] = dist
        return sorted(shown, key=lambda t: shown[t])[:limit]

    def _display_form(self, side: str, lang: str, marker: str, word: str) -> str | None:
        """The word as written in the first entry that has it (with its marks)."""
        m = _postings(self.reader, f"{side}_l", term(lang, marker, word))
        if not m.is_active():
            return None
        f = self.searcher.stored_fields(m.id())
        texts = [f["headword"], *f["variants"]] if side == "hw" else f["glosses"]
        rules = self.rules.get(lang)
        for text in texts:
            for candidate in ([text] if marker == WHOLE else normalize.words(text, rules)):
                if normalize.loose_key(candidate, rules) == word:
                    return candidate if marker == WHOLE else candidate.lower()
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
