"""Synthetic lexicon and query sets for the search benchmark (seeded, deterministic).

Where it sits: ``bench/search_bench.py`` and ``bench/profile_search.py`` call
``generate_lexicon`` and ``generate_queries``; nothing in the application imports this.

The headwords are SYNTHETIC pseudo-Hrê/Co forms assembled from onset/vowel/final tables
(letters such as ơ ŏ ơ̆ ĕ ʼb ng nh). They look like Bahnaric practical spellings on purpose,
so that the text rules meet the same letters, but they are not real Hrê or Co words and must
never be presented as such.

The Vietnamese glosses are built from real Vietnamese syllables: a core list of common
words first, then every onset+rhyme+tone combination that ``normalize.is_syllable`` accepts,
in a seeded random order. Gloss words are drawn with a Zipf–Mandelbrot skew, so the most
common words are shared by thousands of entries (which is what makes naive prefix and word
queries slow).
"""
from __future__ import annotations

import bisect
import random
import unicodedata
from dataclasses import dataclass

from search_index import normalize
from search_index.chars import ACUTE, DOT, GRAVE, HOOK, TILDE
from search_index.normalize import clean, place_tone

LANGS = ("hre", "cua")
KINDS = ("exact", "toneless", "loose", "prefix", "fuzzy", "multi")

# ---- Vietnamese vocabulary ------------------------------------------------------------------
CORE_VI = (
    "cái con người nước cây làm đi ăn không có một của và những được cho ra để lên xuống nhà "
    "đất trời mưa lửa đá rừng núi sông cá chim gà chó heo trâu bò lúa gạo cơm rau quả hoa lá "
    "rễ tay chân đầu mắt mũi miệng tóc da thịt máu xương đỏ xanh trắng đen vàng to nhỏ dài "
    "ngắn cao thấp nóng lạnh mới cũ tốt xấu đẹp ngủ uống nói nghe nhìn thấy biết chạy bay bơi "
    "leo mang đánh cắt nấu giết đốt trồng hái dao rổ gùi nồi chén bát đũa áo quần khố váy "
    "làng rẫy ruộng suối đường cầu bếp mái cột vách sàn mẹ cha anh em ông bà vợ chồng bạn "
    "già trẻ sống chết đau khỏe vui buồn sợ ghét thương nhớ đếm hai ba bốn năm sáu bảy tám "
    "chín mười trăm nghìn ngày đêm sáng chiều tối tháng mùa khô ướt gió mây sấm trăng sao"
).split()
VI_ONSETS = "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split() + [""]
VI_VOWELS = (
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iu iê oi ôi ơi ua ui uô ưa ưi ưu ươ "
    "oa oă oe uê uy uyê yê"
).split()
VI_FINALS = ["", "c", "ch", "m", "n", "ng", "nh", "p", "t", "i", "u", "o", "y"]
TONES = (GRAVE, ACUTE, TILDE, HOOK, DOT)
STOPS = ("c", "ch", "p", "t")
Y_ONSETS = ("", "h", "k", "l", "m", "t", "s", "v", "qu")


def vietnamese_syllables(rng: random.Random) -> list[str]:
    """Core words first, then every valid generated syllable in a seeded random order."""
    seen = set(CORE_VI)
    generated = []
    for onset in VI_ONSETS:
        for vowels in VI_VOWELS:
            for final in VI_FINALS:
                base = onset + vowels + final
                # is_syllable is permissive about y: keep yê/y only where Vietnamese writes them.
                if vowels == "yê" and onset != "" or vowels == "y" and onset not in Y_ONSETS:
                    continue
                if not normalize.is_syllable(base):
                    continue
                tones = (ACUTE, DOT) if final in STOPS else ("", *TONES)
                for tone in tones:
                    s = place_tone(base, tone) if tone else base
                    if s and s not in seen and normalize.is_syllable(s):
                        seen.add(s)
                        generated.append(s)
    generated.sort()
    rng.shuffle(generated)
    return list(CORE_VI) + generated


class Zipf:
    """Zipf–Mandelbrot draws over a ranked list: weight 1 / (rank + q) ** s."""

    def __init__(self, items: list[str], s: float = 1.05, q: float = 2.7) -> None:
        self.items = items
        total, cum = 0.0, []
        for r in range(len(items)):
            total += 1.0 / (r + 1 + q) ** s
            cum.append(total)
        self.cum = cum
        self.total = total

    def draw(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_left(self.cum, rng.random() * self.total)]

    def phrase(self, rng: random.Random, n: int) -> str:
        out: list[str] = []
        while len(out) < n:
            w = self.draw(rng)
            if w not in out:
                out.append(w)
        return " ".join(out)


# ---- pseudo-Hrê/Co headwords (synthetic) ------------------------------------------------------
HW_ONSETS = ("b ʼb ʼd c ch d đ g h j k kl kr l m n ng nh p pl r s t tr v x y hm hn hl br dr gl "
             "ʼm ʼy").split() + ["", ""]
HW_VOWELS = "a a ă â e ê i i o ô ơ ơ ŏ u u ư ĕ ơ̆ ia ua ưa".split()
HW_FINALS = ["", "", "", "c", "ch", "h", "h", "k", "l", "m", "n", "ng", "ng", "nh", "p", "r", "t",
             "i", "u"]
HW_MINOR = "kơ mơ tơ pơ hơ rơ dơ sơ ca ta a ha pa".split()


def _mark_vowel(syl: str, tone: str) -> str:
    # Put the mark on the first vowel letter (a synthetic register mark, not Vietnamese tone rules).
    nfd = unicodedata.normalize("NFD", syl)
    for i, ch in enumerate(nfd):
        if ch in "aeiouy":
            return clean(nfd[: i + 1] + tone + nfd[i + 1:])
    return syl


def hw_syllable(rng: random.Random) -> str:
    syl = rng.choice(HW_ONSETS) + rng.choice(HW_VOWELS) + rng.choice(HW_FINALS)
    if rng.random() < 0.3:
        syl = _mark_vowel(syl, rng.choice(TONES))
    return clean(syl)


def headword(rng: random.Random) -> str:
    n = rng.choices((1, 2, 3), (0.35, 0.5, 0.15))[0]
    parts = [hw_syllable(rng)]
    for _ in range(n - 1):
        parts.insert(0, rng.choice(HW_MINOR) if rng.random() < 0.6 else hw_syllable(rng))
    sep = " " if rng.random() < 0.15 else ""
    return clean(sep.join(parts))


def variant_of(hw: str, rng: random.Random) -> str:
    swaps = [("ŏ", "o"), ("ơ̆", "ơ"), ("ĕ", "e"), ("ʼb", "b"), ("ʼd", "d"), ("k", "c"), ("ơ", "â"),
             ("i", "y"), ("ă", "a")]
    rng.shuffle(swaps)
    for a, b in swaps:
        if a in hw:
            return clean(hw.replace(a, b, 1))
    return clean(hw + "h")


# ---- lexicon ------------------------------------------------------------------------------------
def generate_lexicon(n: int, seed: int) -> list[dict]:
    """``n`` entry dicts in the format of ``documents.make_document`` (ids in creation order)."""
    rng = random.Random(seed)
    vi = Zipf(vietnamese_syllables(rng))
    counters = {lang: 0 for lang in LANGS}
    entries = []
    for i in range(n):
        lang = LANGS[i % 2]
        counters[lang] += 1
        glosses: list[str] = []
        for _ in range(rng.choices((1, 2, 3), (0.5, 0.35, 0.15))[0]):
            g = vi.phrase(rng, rng.choices((1, 2, 3, 4), (0.25, 0.45, 0.2, 0.1))[0])
            if g not in glosses:
                glosses.append(g)
        hw = headword(rng)
        doc = {
            "id": f"{lang}-{counters[lang]:06d}",
            "lang": lang,
            "headword": hw,
            "variants": [variant_of(hw, rng)] if rng.random() < 0.08 else [],
            "glosses": glosses,
            "examples": [],
            "updated": "2026-01-01T00:00:00.000000",
        }
        if rng.random() < 0.10:
            text = " ".join([hw] + [hw_syllable(rng) for _ in range(rng.randint(2, 5))])
            doc["examples"] = [(clean(text), clean(vi.phrase(rng, rng.randint(3, 7))))]
        entries.append(doc)
    return entries


# ---- queries ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    expected: int  # index of the entry the query was drawn from
    source: str  # "hw" or "vi": which side the text came from
    words: tuple[str, ...] = ()  # loose words every entry ranked ahead must contain (strict kinds)


class Vocabulary:
    """Loose words and whole texts of the lexicon, for typo rejection and must-hit counts."""

    def __init__(self, entries: list[dict], rules: dict) -> None:
        self.by_word: dict[str, set[int]] = {}
        whole: set[str] = set()
        memo: dict[tuple, str] = {}  # gloss words repeat a lot (Zipf): fold each one once

        def loose(text: str, lang: str) -> str:
            k = (text, lang)
            if k not in memo:
                memo[k] = normalize.loose_key(text, rules.get(lang))
            return memo[k]

        for i, e in enumerate(entries):
            lang, r = e["lang"], rules.get(e["lang"])
            texts = [e["headword"], *e["variants"], *e["glosses"]]
            for x, t in e["examples"]:
                texts += [x, t]
            for text in texts:
                whole.add(loose(text, lang))
                for w in normalize.words(text, r):
                    self.by_word.setdefault(loose(w, lang), set()).add(i)
        self.sorted_keys = sorted(whole | set(self.by_word))

    def is_word_or_prefix(self, s: str) -> bool:
        j = bisect.bisect_left(self.sorted_keys, s)
        return j < len(self.sorted_keys) and self.sorted_keys[j].startswith(s)

    def sharing(self, loose_words: tuple[str, ...]) -> int:
        """How many entries contain every one of these loose words (an upper bound on the
        entries that can legitimately rank ahead of the expected one at a strict tier)."""
        sets = sorted((self.by_word.get(w, set()) for w in loose_words), key=len)
        if not sets:
            return 0
        acc = set(sets[0])
        for s in sets[1:]:
            acc &= s
        return len(acc)


LETTERS = "abcdeghiklmnopqrstuvxy"


def typo(word: str, rng: random.Random) -> str:
    op = rng.choice(("sub", "del", "ins", "swap"))
    i = rng.randrange(len(word))
    if op == "sub":
        return word[:i] + rng.choice([c for c in LETTERS if c != word[i]]) + word[i + 1:]
    if op == "del":
        return word[:i] + word[i + 1:]
    if op == "ins":
        return word[:i] + rng.choice(LETTERS) + word[i:]
    i = min(i, len(word) - 2)
    if word[i] == word[i + 1]:
        return typo(word, rng)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def generate_queries(entries: list[dict], rules: dict, per_kind: int, seed: int,
                     vocab: Vocabulary | None = None) -> dict[str, list[Query]]:
    rng = random.Random(seed * 7919 + 17)
    vocab = vocab or Vocabulary(entries, rules)
    out: dict[str, list[Query]] = {k: [] for k in KINDS}

    def pick() -> tuple[int, dict, object]:
        i = rng.randrange(len(entries))
        return i, entries[i], rules.get(entries[i]["lang"])

    def loose_words(text: str, r) -> tuple[str, ...]:
        return tuple(normalize.loose_key(w, r) for w in normalize.words(text, r))

    def source_text(e: dict) -> tuple[str, str]:
        if rng.random() < 0.5:
            return "hw", e["headword"]
        return "vi", rng.choice(e["glosses"])

    for kind in ("exact", "toneless", "loose"):
        while len(out[kind]) < per_kind:
            for _ in range(5):  # prefer texts whose toneless/loose form differs from the stored one
                i, e, r = pick()
                side, text = source_text(e)
                q = {"exact": text, "toneless": normalize.toneless_key(text, r),
                     "loose": normalize.loose_key(text, r)}[kind]
                if kind == "exact" or q != normalize.exact_key(text):
                    break
            out[kind].append(Query(kind, q, i, side, loose_words(text, r)))

    while len(out["prefix"]) < per_kind:
        i, e, r = pick()
        mode = rng.randrange(3)
        if mode == 2:
            multi = [g for g in e["glosses"] if " " in g]
            if not multi:
                continue
            ws = normalize.loose_key(rng.choice(multi), r).split()
            last = ws[-1][: rng.randint(1, max(1, len(ws[-1]) - 1))]
            out["prefix"].append(Query("prefix", " ".join(ws[:-1] + [last]), i, "vi"))
            continue
        side, text = ("hw", e["headword"]) if mode == 1 else ("vi", rng.choice(e["glosses"]))
        word = rng.choice(normalize.loose_key(text, r).split())
        out["prefix"].append(Query("prefix", word[: rng.randint(1, 4)], i, side))

    while len(out["fuzzy"]) < per_kind:
        i, e, r = pick()
        side, text = source_text(e)
        candidates = [w for w in normalize.loose_key(text, r).split() if len(w) >= 4]
        if not candidates:
            continue
        word = rng.choice(candidates)
        for _ in range(20):
            t = typo(word, rng)
            # A typo that spells another word (or the start of one) is answered by a stricter
            # tier, never by fuzzy: keep only typos that make a non-word.
            if len(t) >= 3 and not vocab.is_word_or_prefix(t):
                out["fuzzy"].append(Query("fuzzy", t, i, side))
                break

    while len(out["multi"]) < per_kind:
        i, e, r = pick()
        multi = [g for g in e["glosses"] if " " in g]
        if not multi:
            continue
        ws = rng.choice(multi).split()
        n = min(len(ws), rng.choice((2, 3)))
        start = rng.randrange(len(ws) - n + 1)
        phrase = " ".join(ws[start:start + n])
        if rng.random() < 0.5:
            phrase = normalize.toneless_key(phrase, r)
        out["multi"].append(Query("multi", phrase, i, "vi", loose_words(phrase, r)))
    return out
