"""Tiered two-way lookup over the index's lookup tables: one box, both directions.

A query is cleaned by the same text rules as the data, then tried tier by tier, strictest
first: ``exact`` > ``tone`` (same letters, other tones) > ``loose`` (no marks at all) >
``prefix`` (autocomplete) > ``fuzzy`` (one typo, two in long words; only when the stricter
tiers found little). Inside a tier the Hrê/Co side comes before the Vietnamese side, whole
texts before single words before example words, then dictionary order (documents are
written in ICU order). If the query reads as Telex or VNI typing (``tieengs``), the decoded
form is tried at every tier too.

Every step is a key lookup in the in-memory tables (``tables``), stopped once ``limit``
hits are in hand: no wildcard expansion over the lexicon, no scoring, no full count of the
matches. Several words are looked up as adjacent pairs; a prefix walks the sorted keys
(the last word of a phrase along the sorted pair keys); a typo is looked up in the
vocabulary map (``vocabulary``), a typo inside a phrase as the pairs it would correct to.

Why the code below is written flat: a query makes a few dozen lookups of well under a
microsecond each, so the cost of a search is the Python around them. The loose lookup of a
step comes first, and the stricter ones only where it found something (a text that has the
exact or toneless key also has the loose one); hits are kept as plain tuples until the end.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import NamedTuple

from . import normalize
from .documents import (
    EXACT,
    HW_EXAMPLE,
    HW_EXAMPLE_PAIR,
    HW_PAIR,
    HW_WHOLE,
    HW_WORD,
    LOOSE,
    MIN_FUZZY_LEN,
    SIDES,
    TONELESS,
    VI_EXAMPLE,
    VI_EXAMPLE_PAIR,
    VI_PAIR,
    VI_WHOLE,
    VI_WORD,
    max_distance,
)
from .postings import ascending, intersection
from .reading import Form, prepare
from .rules import Rules
from .tables import TableView, collect, slot_docs
from .vocabulary import Vocabulary

TIERS = ("exact", "tone", "loose", "prefix", "fuzzy")  # in rank order
STRICT = {"exact": EXACT, "tone": TONELESS, "loose": LOOSE}  # the first three, in order
SIDE_NAMES = {"hw": "headword", "vi": "vi"}
# Fuzzy runs only when the stricter tiers found fewer hits than this.
THIN = 3
# Longest query we look at; longer input is cut (never an error).
MAX_QUERY_CHARS = 200
# Most keys a prefix walk reads (enough for 20 hits; a bound for one-letter prefixes).
MAX_EXPANSION = 200
# A prefix walk first reads this many keys at once; only a longer walk goes lazily.
_PROBE = 16


class Hit(NamedTuple):
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


def _text_order(key: str) -> tuple[str, str]:
    """Keys of several languages in the order of their text (then of the language)."""
    return key[key.index(":") + 1:], key


# Steps of a strict tier, in rank order, as table slots: for one word its whole-text,
# word and example-word slots; for several words the whole text, then the pairs.
_ONE_WORD = {HW_WHOLE: 0, VI_WHOLE: 1, HW_WORD: 2, VI_WORD: 3, HW_EXAMPLE: 4, VI_EXAMPLE: 5}
_WHOLE = {HW_WHOLE: 0, VI_WHOLE: 1}
# Phrases in examples are indexed by loose pairs only, so they are matched (and labelled)
# at the loose tier.
_PAIRS = ({HW_PAIR: 2, VI_PAIR: 3}, {HW_PAIR: 2, VI_PAIR: 3},
          {HW_PAIR: 2, VI_PAIR: 3, HW_EXAMPLE_PAIR: 4, VI_EXAMPLE_PAIR: 5})
_STEP_SIDES = ("hw", "vi", "hw", "vi", "hw", "vi")
# The slots the prefix tier walks: whole texts, then words (one word) or pairs (a phrase).
PREFIX_SLOTS = (HW_WHOLE, VI_WHOLE, HW_WORD, VI_WORD, HW_PAIR, VI_PAIR)
_WORD_SLOT = {"hw": HW_WORD, "vi": VI_WORD}
_PAIR_SLOT = {"hw": HW_PAIR, "vi": VI_PAIR}


class Search:
    """One search, run as its stages in order (``STAGES``); ``search`` runs them all. The
    benchmark times the stages one by one (``bench/search_bench.py``). ``found`` holds the
    hits so far (document → (tier, side, typed)), in rank order."""

    #: Each stage is a method without arguments; a stage after a full page does nothing.
    STAGES = ("prepare", "strict", "prefix", "fuzzy", "finish")

    def __init__(self, view: TableView, query: str, langs: Sequence[str],
                 rules: dict[str, Rules], limit: int = 20,
                 vocabularies: Callable[[], dict[str, Vocabulary]] | None = None) -> None:
        self.view = view
        self.row = view.row
        self.deleted = view.deleted  # rows list deleted documents; hits never do
        self.query, self.langs, self.rules = query, langs, rules
        self.limit = max(1, limit)
        self.wanted = self.limit + 1  # one extra tells us there is more
        self.forms: list[Form] = []
        self.results = Results(query="")
        self.found: dict[int, tuple[str, str, str | None]] = {}
        self.full = False
        self._vocabularies = vocabularies or (lambda: fresh_vocabularies(view))
        self._vocab: dict[str, Vocabulary] | None = None
        self._computed: dict[tuple[int, int], list[list[Sequence[int]]]] = {}

    # ---- the stages -------------------------------------------------------------------
    def prepare(self) -> None:
        """Clean the query and read it: as typed, and as Telex/VNI typing if it reads so."""
        text = normalize.clean(self.query[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS]
        self.results.query = text
        if self.langs:
            self.forms = prepare(text, self.langs, self.rules)

    def strict(self) -> None:
        """The exact, tone and loose tiers, each for every reading of the query."""
        for tier in STRICT:
            for form in self.forms:
                if self.full:
                    return
                self.strict_tier(tier, form)

    def prefix(self) -> None:
        """Fill the page with completions of what was typed."""
        for form in self.forms:
            if self.full:
                return
            self.prefix_tier(form)

    def fuzzy(self) -> None:
        """Typos, only when the stricter tiers found fewer than ``THIN`` hits."""
        if len(self.found) >= THIN:
            return
        for form in self.forms:
            if self.full:
                return
            self.fuzzy_tier(form)

    def finish(self) -> None:
        """The page of hits, and suggestions when there is none."""
        hit, new = self.view.hit, tuple.__new__
        self.results.hits = [new(Hit, (*hit(d), tier, SIDE_NAMES[side], typed))
                             for d, (tier, side, typed) in islice(self.found.items(), self.limit)]
        self.results.more = len(self.found) > self.limit
        if not self.results.hits and self.forms:
            self.results.suggestions = self.suggestions(self.forms, self.rules)

    @property
    def vocab(self) -> dict[str, Vocabulary]:
        """The vocabulary maps of this index generation (fuzzy tier and suggestions)."""
        if self._vocab is None:
            self._vocab = self._vocabularies()
        return self._vocab

    def add(self, docnums: Iterable[int], tier: str, side: str, typed: str | None) -> None:
        found, deleted = self.found, self.deleted
        value = (tier, side, typed)
        for docnum in docnums:
            if docnum not in found and docnum not in deleted:
                found[docnum] = value
                if len(found) >= self.wanted:
                    self.full = True
                    return

    def phrase(self, strict: int, lang: str, keys: list[str], wanted: dict[int, int],
               out: list[list]) -> None:
        """Texts with ``keys`` (two or more words) as consecutive words: each wanted pair
        slot's documents in all the adjacent pairs' rows."""
        rows = [self.row(strict, f"{lang}:{a} {b}") for a, b in zip(keys, keys[1:])]
        if len(rows) == 1:
            collect(rows[0], wanted, out)
            return
        for slot, rank in wanted.items():
            lists = [slot_docs(row, slot) for row in rows]
            if all(lists):
                out[rank].append(intersection(lists))

    # ---- exact, tone, loose -----------------------------------------------------------
    def strict_tier(self, tier: str, form: Form) -> None:
        strict = STRICT[tier]
        # A text with the query's exact or toneless key has its loose key too: where the
        # loose lookups find nothing (a typo, a prefix), the stricter ones are skipped.
        if strict != LOOSE and not any(self._steps(form, LOOSE)):
            return
        for rank, lists in enumerate(self._steps(form, strict)):
            if lists:
                self.add(ascending(lists), tier, _STEP_SIDES[rank], form.typed_as)
                if self.full:
                    return

    def _steps(self, form: Form, strict: int) -> list[list[Sequence[int]]]:
        """Each step's documents per language at one strictness (computed once)."""
        out = self._computed.get((id(form), strict))
        if out is None:
            out = self._computed[id(form), strict] = [[], [], [], [], [], []]
            for lang, w in form.langs.items():
                row = self.row(strict, f"{lang}:{w.whole[strict]}")
                if len(w.words) == 1:
                    collect(row, _ONE_WORD, out)
                    continue
                collect(row, _WHOLE, out)
                self.phrase(strict, lang, [k[strict] for k in w.words], _PAIRS[strict], out)
        return out

    # ---- prefix -----------------------------------------------------------------------
    def _walk(self, slot: int, prefixes: list[str], within: set[int] | None = None
              ) -> Iterable[int]:
        """Documents of the keys in ``slot`` starting with each prefix (one per language),
        key by key in the order of the text after the language tag (dictionary order of the
        matched text), at most MAX_EXPANSION keys per language; only those in ``within``
        if given. A whole word or text typed out has few such keys: they are read at once;
        otherwise the walk is lazy and stops when the hits are in hand."""
        view = self.view
        first = [view.prefix_list(slot, p, _PROBE) for p in prefixes]
        if any(len(keys) == _PROBE for keys in first):
            return self._walk_lazily(slot, prefixes, within)
        keys = first[0] if len(first) == 1 else sorted([k for ks in first for k in ks], key=_text_order)
        row = self.row
        docs = [d for key in keys for d in slot_docs(row(LOOSE, key), slot)]
        return docs if within is None else [d for d in docs if d in within]

    def _walk_lazily(self, slot: int, prefixes: list[str], within: set[int] | None
                     ) -> Iterator[int]:
        view, row = self.view, self.row
        if len(prefixes) == 1:
            keys: Iterable[str] = islice(view.prefix_keys(slot, prefixes[0]), MAX_EXPANSION)
        else:
            keys = (key for _, key in heapq.merge(*(
                ((k[k.index(":") + 1:], k) for k in islice(view.prefix_keys(slot, p), MAX_EXPANSION))
                for p in prefixes)))
        for key in keys:
            docs = slot_docs(row(LOOSE, key), slot)
            yield from docs if within is None else (d for d in docs if d in within)

    def prefix_tier(self, form: Form) -> None:
        """Texts, then words, that start with what was typed (autocomplete), in dictionary
        order of the matched text; for a phrase, all but the last word complete and the
        last a prefix (``con ch`` → ``con chó``), looked up along the sorted pair keys in
        texts that also have the complete words' pairs. Each walk along the sorted keys
        is bounded and stops once the hits are in hand: never an expansion over the whole
        lexicon."""
        typed = form.typed_as
        for side, slot in (("hw", HW_WHOLE), ("vi", VI_WHOLE)):
            prefixes = [f"{lang}:{w.whole.loose}" for lang, w in form.langs.items() if w.whole.loose]
            if prefixes:
                self.add(self._walk(slot, prefixes), "prefix", side, typed)
                if self.full:
                    return
        for side in SIDES:
            single = [f"{lang}:{w.words[0].loose}" for lang, w in form.langs.items()
                      if len(w.words) == 1 and w.words[0].loose]
            if single:
                self.add(self._walk(_WORD_SLOT[side], single), "prefix", side, typed)
            slot = _PAIR_SLOT[side]
            for lang, w in form.langs.items():
                if self.full or len(w.words) < 2:
                    continue
                loose = [k.loose for k in w.words]
                within = None
                if len(loose) > 2:
                    complete: list[list] = [[]]
                    self.phrase(LOOSE, lang, loose[:-1], {slot: 0}, complete)
                    within = {d for docs in complete[0] for d in docs}
                    if not within:
                        continue
                self.add(self._walk(slot, [f"{lang}:{loose[-2]} {loose[-1]}"], within),
                         "prefix", side, typed)
            if self.full:
                return

    # ---- fuzzy ------------------------------------------------------------------------
    def fuzzy_tier(self, form: Form) -> None:
        """One typo (two in a long word): single words from the vocabulary map, nearest
        first; in a phrase, one word replaced by a near word and looked up as pairs (a
        multi-word match is specific: only when nothing else was found)."""
        for side in SIDES:
            vocab, slot = self.vocab[side], _WORD_SLOT[side]
            near: list[tuple[int, str]] = []
            phrases: list[tuple[int, str, list[str]]] = []
            single: dict[str, list[str]] = {}  # a word → the languages it is looked up in
            for lang, w in form.langs.items():
                loose = [k.loose for k in w.words]
                if len(loose) == 1:
                    single.setdefault(loose[0], []).append(lang)
                    continue
                if self.found:
                    continue
                cut = len(lang) + 1
                for i, typo in enumerate(loose):
                    if len(typo) < MIN_FUZZY_LEN:
                        continue
                    for dist, word in vocab.near(lang, typo, max_distance(typo)):
                        if dist:
                            phrases.append((dist, lang, [*loose[:i], word[cut:], *loose[i + 1:]]))
            for word, langs in single.items():
                near += vocab.near_any(langs, word, max_distance(word))
            # Nearest words first; a word's documents are looked up only when it is reached.
            near.sort()
            row = self.row
            self.add((d for _, t in near for d in slot_docs(row(LOOSE, t), slot)), "fuzzy", side,
                     form.typed_as)
            phrases.sort()
            pair = {_PAIR_SLOT[side]: 0}
            for _, lang, keys in phrases:
                if self.full:
                    return
                found: list[list] = [[]]
                self.phrase(LOOSE, lang, keys, pair, found)
                for docs in found[0]:
                    self.add(docs, "fuzzy", side, form.typed_as)
            if self.full:
                return

    # ---- nothing found ------------------------------------------------------------------
    def suggestions(self, forms: list[Form], rules: dict[str, Rules], limit: int = 5) -> list[str]:
        """Real words near the query words that the dictionary does not have ("Có phải bạn
        muốn tìm …?"), nearest first. A word it has needs no correction, even if the whole
        query found nothing. Up to two edits; best effort for two edits in short words (the
        map holds one deletion)."""
        ranked: list[tuple[int, str, str, str]] = []
        for form in forms:
            for lang, w in form.langs.items():
                for k in w.words:
                    if any(f"{lang}:{k.loose}" in self.vocab[side].words for side in SIDES):
                        continue
                    dist = min(max_distance(k.loose) + 1, 2)
                    for side in SIDES:
                        ranked += [(d, side, lang, t) for d, t in
                                   self.vocab[side].near(lang, k.loose, dist) if d > 0]
        shown: list[str] = []
        for _, side, lang, t in sorted(ranked):
            if len(shown) >= limit:
                break
            text = self._display_form(side, lang, t, rules.get(lang))
            if text and text not in shown:
                shown.append(text)
        return shown

    def _display_form(self, side: str, lang: str, word_term: str, rules: Rules | None) -> str | None:
        """The word as written (with its marks) in the first entry that has it."""
        docs = self.view.postings(LOOSE, _WORD_SLOT[side], word_term)
        if not docs:
            return None
        headword, variants, glosses = self.view.stored_fields(docs[0])["texts"]
        texts = [headword, *variants] if side == "hw" else glosses
        word = word_term[len(lang) + 1 :]
        for text in texts:
            for candidate in normalize.words(text, rules):
                if normalize.loose_key(candidate, rules) == word:
                    return candidate.lower()
        return None


def fresh_vocabularies(view: TableView) -> dict[str, Vocabulary]:
    vocab = {side: Vocabulary(f"{side}_l") for side in SIDES}
    for v in vocab.values():
        v.refresh(view, generation=None)
    return vocab


def search(view: TableView, query: str, langs: Sequence[str], rules: dict[str, Rules],
           limit: int = 20,
           vocabularies: Callable[[], dict[str, Vocabulary]] | None = None) -> Results:
    """Tiered lookup; never raises on any query text."""
    run = Search(view, query, langs, rules, limit, vocabularies)
    for stage in Search.STAGES:
        getattr(run, stage)()
    return run.results
