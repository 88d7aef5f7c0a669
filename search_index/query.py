"""Tiered two-way lookup over the index's lookup tables: one box, both directions.

A query is cleaned by the same text rules as the data, then tried tier by tier, strictest
first: ``exact`` > ``tone`` (same letters, other tones) > ``loose`` (no marks at all) >
``prefix`` (autocomplete) > ``fuzzy`` (one typo, two in long words; only when the stricter
tiers found little). Inside a tier the Hrê/Co side comes before the Vietnamese side, whole
texts before single words before example words, then dictionary order (documents are
written in ICU order). If the query reads as Telex or VNI typing (``tieengs``), the decoded
form is tried at every tier too.

Every step is a key lookup in the in-memory tables (``tables``) whose documents are read
lazily and stopped once ``limit`` hits are in hand: no wildcard expansion over the lexicon,
no scoring, no full count of the matches. Several words are looked up as adjacent pairs;
a prefix walks the sorted keys; a typo is looked up in the vocabulary map (``vocabulary``).
"""
from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice

from . import normalize
from .documents import (
    EXAMPLE,
    EXAMPLE_PAIR,
    MIN_FUZZY_LEN,
    WHOLE,
    WORD,
    edit_distance,
    max_distance,
    phrase_terms,
    term,
    word_keys,
)
from .orthography import Rules
from .tables import TableView
from .typing_decode import typing_candidates
from .vocabulary import Vocabulary

TIERS = ("exact", "tone", "loose", "prefix", "fuzzy")
SIDE_NAMES = {"hw": "headword", "vi": "vi"}
SIDES = tuple(SIDE_NAMES)
# (side, granularity) in rank order inside one tier.
STEPS = (("hw", WHOLE), ("vi", WHOLE), ("hw", WORD), ("vi", WORD), ("hw", EXAMPLE), ("vi", EXAMPLE))
# Fuzzy runs only when the stricter tiers found fewer hits than this.
THIN = 3
# Longest query we look at; longer input is cut (never an error).
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8
# Most terms a prefix walk reads (enough for 20 hits; a bound for one-letter prefixes).
MAX_EXPANSION = 200
# Most candidates one search checks against their stored words (multi-word prefix and typo).
MAX_VERIFY = 60


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
    loose_terms: dict[str, list[str]]  # lang → each word's loose key as a vocabulary word


def _prepare(query: str, langs: Sequence[str], rules: dict[str, Rules]) -> list[_Form]:
    text = normalize.clean(query[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS]
    readings: list[tuple[str, str | None]] = [(text, None)]
    readings += [(c, "typing") for c in typing_candidates(text, is_clean=True)]
    forms = []
    for reading, typed_as in readings:
        per_lang = {lang: [word_keys(w, rules.get(lang)) for w in normalize.words(
                            reading, rules.get(lang), is_clean=True)[:MAX_QUERY_WORDS]]
                    for lang in langs}
        if not any(per_lang.values()):
            continue
        # Whole keys are joined word keys, exactly as documents.text_keys builds them.
        forms.append(_Form(
            reading, typed_as,
            {lang: normalize.Keys(*(" ".join(k[i] for k in ws) for i in range(3)))
             for lang, ws in per_lang.items()},
            per_lang,
            {lang: [f"{lang}:{w.loose}" for w in ws] for lang, ws in per_lang.items()},
        ))
    return forms


def _union(lists: list[Sequence[int]]) -> Iterator[int]:
    """Documents in any of the ascending ``lists``, ascending, each once."""
    live = [docs for docs in lists if docs]
    if len(live) <= 1:
        return iter(live[0] if live else ())
    return _distinct(heapq.merge(*live))


def _distinct(docnums: Iterable[int]) -> Iterator[int]:
    last = None
    for d in docnums:
        if d != last:
            yield d
            last = d


def _intersection(lists: list[Sequence[int]]) -> Iterator[int]:
    """Documents in all of the ascending ``lists``: the shortest list is walked and the
    others probed by bisection, so a long list (``cái``, ``con``) costs a few steps per
    candidate, not a walk."""
    if not lists or not all(lists):
        return iter(())
    shortest, *others = sorted(lists, key=len)
    return (d for d in shortest if all(_contains(o, d) for o in others))


def _contains(docs: Sequence[int], d: int) -> bool:
    i = bisect.bisect_left(docs, d)
    return i < len(docs) and docs[i] == d


class _Lookup:
    """One search: state shared by the tiers (what was found, what is still needed)."""

    def __init__(self, view: TableView, langs: Sequence[str], rules: dict[str, Rules],
                 limit: int, vocabularies: Callable[[], dict[str, Vocabulary]]) -> None:
        self.view = view
        self.rules = rules
        self._vocabularies = vocabularies
        self.langs = langs
        self.limit = limit
        self.found: dict[int, Hit] = {}
        self.budget = MAX_VERIFY

    @cached_property
    def vocab(self) -> dict[str, Vocabulary]:
        """The vocabulary maps of this index generation: which words exist (``known``),
        and their neighbours for the fuzzy tier and suggestions."""
        return self._vocabularies()

    @property
    def full(self) -> bool:
        return len(self.found) > self.limit  # one extra tells us there is more

    def add(self, docnums: Iterable[int], tier: str, side: str, form: _Form) -> None:
        found, wanted = self.found, self.limit + 1  # one extra tells us there is more
        if len(found) >= wanted:
            return
        side_name, typed = SIDE_NAMES[side], form.text if form.typed_as else None
        for docnum in docnums:
            if docnum not in found:
                found[docnum] = Hit(*self.view.hit(docnum), tier, side_name, typed)
                if len(found) >= wanted:
                    return

    def all_of(self, fieldname: str, terms: list[str]) -> Iterable[int]:
        """Documents having every key (``_intersection``)."""
        if len(terms) == 1:
            return self.view.postings(fieldname, terms[0])
        return _intersection([self.view.postings(fieldname, t) for t in terms])

    def known(self, side: str, lang: str, form: _Form) -> bool:
        """Whether every query word occurs as a word on this side. If one does not, no whole
        text, word or pair term with it exists at any strictness (each such term's entry
        also has the word's loose form), so those lookups are skipped: a typo query used to
        make dozens of lookups that all missed. Words of deleted entries may linger in the
        map until a merge; that only keeps a lookup, never drops a match."""
        words = self.vocab[side].words
        return all(t in words for t in form.loose_terms[lang])

    def loose_words(self, docnum: int, side: str) -> list[str]:
        return self.view.loose_words(docnum, side)

    def strict_tier(self, tier: str, form: _Form) -> None:
        strict = {"exact": 0, "tone": 1, "loose": 2}[tier]
        fieldname_of = {side: f"{side}_{'xtl'[strict]}" for side in ("hw", "vi")}
        for side, marker in STEPS:
            if self.full:
                return
            per_lang = []
            for lang in self.langs:
                if marker != EXAMPLE and not self.known(side, lang, form):
                    continue
                if marker == WHOLE:
                    terms = [term(lang, WHOLE, form.keys[lang][strict])]
                elif marker == WORD and form.words[lang]:
                    terms = phrase_terms(lang, [w[strict] for w in form.words[lang]])
                elif len(form.words[lang]) > 1:
                    # Phrases in examples are indexed by loose pairs only, so they are
                    # matched (and labelled) at the loose tier.
                    if tier != "loose":
                        continue
                    keys = [w.loose for w in form.words[lang]]
                    terms = [term(lang, EXAMPLE_PAIR, f"{a} {b}") for a, b in zip(keys, keys[1:])]
                else:
                    terms = [term(lang, marker, w[strict]) for w in form.words[lang]]
                if terms:
                    per_lang.append(self.all_of(fieldname_of[side], terms))
            self.add(_union(per_lang), tier, side, form)

    def _sorted_prefix_docs(self, fieldname: str, prefixes: dict[str, str]) -> Iterator[int]:
        """Documents of the terms starting with each language's prefix (``lang → prefix``),
        term by term in the order of the text after the language tag (dictionary order of
        the matched text), reading at most MAX_EXPANSION terms per language."""
        streams = []
        for lang, prefix in prefixes.items():
            cut = len(lang) + 1
            keys = islice(self.view.expand_prefix(fieldname, prefix), MAX_EXPANSION)
            streams.append(((key[cut:], key) for key in keys))
        for _, key in heapq.merge(*streams):
            yield from self.view.postings(fieldname, key)

    def prefix_tier(self, form: _Form) -> None:
        """Texts, then words, that start with what was typed (autocomplete), in dictionary
        order of the matched text. A walk along the sorted keys that stops as soon
        as enough entries are found: never an expansion over the whole lexicon."""
        for side in ("hw", "vi"):
            if self.full:
                return
            prefixes = {lang: term(lang, WHOLE, form.keys[lang].loose) for lang in self.langs
                        if form.keys[lang].loose}
            self.add(self._sorted_prefix_docs(f"{side}_l", prefixes), "prefix", side, form)
        for side in ("hw", "vi"):
            if self.full:
                return
            single = {lang: term(lang, WORD, form.words[lang][-1].loose) for lang in self.langs
                      if len(form.words[lang]) == 1}
            if single:
                self.add(self._sorted_prefix_docs(f"{side}_l", single), "prefix", side, form)
            # Several words: all but the last complete, the last a prefix ("con ch" → "con chó").
            streams = []
            for lang in self.langs:
                words = form.words[lang]
                if len(words) >= 2:
                    complete = [w.loose for w in words[:-1]]
                    streams.append(self.verified(
                        self.all_of(f"{side}_l", phrase_terms(lang, complete)), side,
                        lambda rest, last=words[-1].loose: any(w.startswith(last) for w in rest),
                        set(complete)))
            self.add(heapq.merge(*streams), "prefix", side, form)

    def verified(self, docnums: Iterable[int], side: str, test: Callable[[set[str]], bool],
                 matched: set[str]) -> Iterator[int]:
        """Documents of ``docnums`` whose other loose words (besides ``matched``) pass ``test``.
        All such checks of one search share a budget of MAX_VERIFY candidate reads."""
        for docnum in docnums:
            if self.budget <= 0:
                return
            self.budget -= 1
            if test(set(self.loose_words(docnum, side)) - matched):
                yield docnum

    def fuzzy_tier(self, form: _Form) -> None:
        """One typo (two in a long word): single words from the vocabulary map, nearest
        first; in a multi-word query, one word with a typo and the others as typed."""
        for side in ("hw", "vi"):
            near: list[tuple[int, str]] = []
            streams = []
            for lang in self.langs:
                words = [w.loose for w in form.words[lang]]
                if len(words) == 1:
                    near += self.vocab[side].near(lang, words[0], max_distance(words[0]))
                    continue
                if self.found:
                    continue  # a multi-word match is specific: no one-word-off variants then
                for i, typo in enumerate(words):
                    if len(typo) < MIN_FUZZY_LEN:
                        continue
                    others = words[:i] + words[i + 1:]
                    dist = max_distance(typo)
                    runs = [run for run in (words[:i], words[i + 1:]) if run]
                    streams.append(self.verified(
                        self.all_of(f"{side}_l", [t for run in runs for t in phrase_terms(lang, run)]),
                        side,
                        lambda rest, typo=typo, dist=dist: any(
                            edit_distance(typo, w, dist) <= dist for w in rest),
                        set(others)))
            # Nearest words first; a word's documents are looked up only when it is reached.
            self.add((n for _, t in sorted(near)
                      for n in self.view.postings(f"{side}_l", t)), "fuzzy", side, form)
            for stream in streams:
                self.add(stream, "fuzzy", side, form)

    def suggestions(self, forms: list[_Form], limit: int = 5) -> list[str]:
        """Real words near the query words that the dictionary does not have ("Có phải bạn
        muốn tìm …?"), nearest first. A word it has needs no correction, even if the whole
        query found nothing. Up to two edits; best effort for two edits in short words (the
        map holds one deletion)."""
        ranked: list[tuple[int, str, str, str]] = []
        for form in forms:
            for lang in self.langs:
                for w in form.words[lang]:
                    if any(f"{lang}:{w.loose}" in self.vocab[side].words for side in SIDES):
                        continue
                    dist = min(max_distance(w.loose) + 1, 2)
                    for side in SIDES:
                        ranked += [(d, side, lang, t) for d, t in
                                   self.vocab[side].near(lang, w.loose, dist) if d > 0]
        shown: list[str] = []
        for _, side, lang, t in sorted(ranked):
            if len(shown) >= limit:
                break
            text = self._display_form(side, lang, t)
            if text and text not in shown:
                shown.append(text)
        return shown

    def _display_form(self, side: str, lang: str, word_term: str) -> str | None:
        """The word as written (with its marks) in the first entry that has it."""
        docs = self.view.postings(f"{side}_l", word_term)
        if not docs:
            return None
        headword, variants, glosses = self.view.stored_fields(docs[0])["texts"]
        texts = [headword, *variants] if side == "hw" else glosses
        rules = self.rules.get(lang)
        word = word_term[len(lang) + 1 :]
        for text in texts:
            for candidate in normalize.words(text, rules):
                if normalize.loose_key(candidate, rules) == word:
                    return candidate.lower()
        return None


def fresh_vocabularies(view: TableView) -> dict[str, Vocabulary]:
    vocab = {side: Vocabulary(f"{side}_l") for side in ("hw", "vi")}
    for v in vocab.values():
        v.refresh(view, generation=None)
    return vocab


def search(view: TableView, query: str, langs: Sequence[str], rules: dict[str, Rules],
           limit: int = 20,
           vocabularies: Callable[[], dict[str, Vocabulary]] | None = None) -> Results:
    """Tiered lookup; never raises on any query text."""
    limit = max(1, limit)
    forms = _prepare(query, langs, rules)
    results = Results(query=normalize.clean(query[:MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS])
    if not forms or not langs:
        return results
    look = _Lookup(view, langs, rules, limit,
                   vocabularies or (lambda: fresh_vocabularies(view)))
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
