"""Text rules: the one normaliser for stored text and for queries.

Where it sits in the data flow: every string entering the system (imports, admin
forms, API writes) is stored as ``clean(text)``, and every query passes through the
same functions, so both sides always meet in one form.  The search keys derived
here (exact > toneless > loose) are what the Whoosh index stores and what queries
are compared against; they are computed, never typed by hand.

Pure functions, no I/O.  Per-language data (IPA equivalences, register marks) comes
in as an ``orthography.Rules`` value read from ``data/orthography/*.toml``.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple

from .chars import (
    ACUTE,
    APOSTROPHE,
    CLEAN_TABLE,
    GRAVE,
    HOOK,
    TILDE,
    TONE_MARKS,
    is_mark,
    spans,
)
from .memo import memo
from .rules import Rules

__all__ = [
    "APOSTROPHE", "TONE_MARKS", "Keys", "clean", "exact_key", "toneless_key",
    "loose_key", "words", "keys", "parse_syllable", "is_syllable", "place_tone",
]

# Marks that make a new letter (â ê ô, ă ŏ ĕ) must sit next to the base letter and a
# tone mark outside them.  All have combining class 230, which Unicode never reorders,
# so e+◌́+◌̂ and e+◌̂+◌́ stay different under NFC; we fix the order ourselves.
_MARK_RANK = {"\u0302": 0, "\u0306": 1, GRAVE: 3, ACUTE: 3, TILDE: 3, HOOK: 3}


def _order_marks(nfd: str) -> str:
    """Put letter-forming marks before tone marks inside each run of class-230 marks."""
    out, run = [], []
    for ch in nfd:
        if unicodedata.combining(ch) == 230:
            run.append(ch)
            continue
        if run:
            out.extend(sorted(run, key=lambda m: _MARK_RANK.get(m, 2)))  # stable
            run = []
        out.append(ch)
    out.extend(sorted(run, key=lambda m: _MARK_RANK.get(m, 2)))
    return "".join(out)


# --- Vietnamese syllable structure ---------------------------------------------------
# Used for canonical tone placement and to validate Telex/VNI decodings.  Anything that
# does not parse (IPA, Hrê/Co spellings with ŏ ơ̆, apostrophes) is left alone.
_VOWELS = frozenset("aăâeêioôơuưy")
_ONSETS = frozenset(
    "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split() + [""])
_FINALS = frozenset("c ch m n ng nh p t".split())
# Vowel clusters that can end a syllable (including the glide finals -i -y -o -u).
_OPEN = frozenset(
    "a ai ao au ay âu ây e eo ê êu i ia iu iêu o oi ô ôi ơ ơi u ua ui uôi ư ưa ưi ưu "
    "ươi ươu y yêu oa oai oay oe oeo uê uy uya uyu uơ uây".split())
# Vowel cluster -> consonant finals it takes.
_CLOSED = {
    "a": "c ch m n ng nh p t", "ă": "c m n ng p t", "â": "c m n ng p t",
    "e": "c m n ng p t", "ê": "ch m n nh p t", "i": "ch m n nh p t",
    "o": "c m n ng p t", "ô": "c m n ng p t", "ơ": "m n p t", "u": "c m n ng p t",
    "ư": "c m n ng t", "iê": "c m n ng p t", "yê": "m n ng t", "uô": "c m n ng t",
    "ươ": "c m n ng p t", "oa": "c ch m n ng nh p t", "oă": "c m n ng t", "oe": "n t",
    "oo": "c ng", "uâ": "n ng t", "uê": "ch n nh", "uy": "ch n nh p t", "uyê": "n t",
}
_CLOSED = {k: frozenset(v.split()) for k, v in _CLOSED.items()}
_FRONT = frozenset("ieêy")


def _rhyme_ok(onset: str, vowels: str, final: str) -> bool:
    if not vowels:
        return False
    if final:
        if final not in _FINALS or final not in _CLOSED.get(vowels, ()):
            return False
    elif vowels not in _OPEN:
        return False
    first = vowels[0]
    # Spelling rules: k/gh/ngh only before front vowels, c/g/ng never before them.
    if onset in ("k", "gh", "ngh"):
        return first in _FRONT
    if onset in ("c", "ng"):
        return first not in _FRONT
    if onset == "g":
        return first not in "eêy"
    if onset == "qu":
        return first not in "uư"
    if onset == "gi":
        return first not in "iy"
    return True


def parse_syllable(syllable: str) -> tuple[str, str, str] | None:
    """Split a lower-case, toneless Vietnamese syllable into (onset, vowels, final).

    >>> parse_syllable("nguyên"), parse_syllable("gia"), parse_syllable("gin")
    (('ng', 'uyê', 'n'), ('gi', 'a', ''), ('g', 'i', 'n'))
    >>> parse_syllable("quy"), parse_syllable("kan"), parse_syllable("ŏk")
    (('qu', 'y', ''), None, None)
    """
    i = 0
    while i < len(syllable) and syllable[i] not in _VOWELS:
        i += 1
    onset, rest = syllable[:i], syllable[i:]
    candidates = []
    if onset in ("q", "g") and rest[:1] == ("u" if onset == "q" else "i") and len(rest) > 1:
        candidates.append((onset + rest[0], rest[1:]))  # qu-, gi- take the glide letter
    if onset != "q":
        candidates.append((onset, rest))
    for onset, rest in candidates:
        j = 0
        while j < len(rest) and rest[j] in _VOWELS:
            j += 1
        if onset in _ONSETS and _rhyme_ok(onset, rest[:j], rest[j:]):
            return onset, rest[:j], rest[j:]
    return None


def is_syllable(syllable: str) -> bool:
    """True if ``syllable`` (any case, tones allowed) is a well-formed Vietnamese syllable.

    >>> [is_syllable(w) for w in ("Người", "khuỷu", "xyzzy", "ca", "ci", "kan")]
    [True, True, False, True, False, False]
    """
    base = "".join(c for c in unicodedata.normalize("NFD", syllable.lower()) if c not in TONE_MARKS)
    return parse_syllable(unicodedata.normalize("NFC", base)) is not None


def _tone_index(vowels: str, final: str) -> int:
    """Index in ``vowels`` of the letter that carries the tone.

    The project's canonical style is hòa, thủy, khỏe (mark on the first vowel of an
    open oa/oe/uy).  Vietnamese keyboard tools usually call this the *old* style
    (kiểu cũ) and hoà/thuỷ/khoẻ the *new* one (kiểu mới); whichever the name, both
    are accepted on input and stored as hòa.  Everything else is the same in both.
    """
    hooked = [i for i, c in enumerate(vowels) if c in "ăâêôơư"]
    if hooked:  # ươ -> ơ, uyê -> ê, ưa -> ư
        return hooked[-1]
    if final:  # hoàng, huỳnh
        return len(vowels) - 1
    return 1 if len(vowels) == 3 else 0  # khuỷu, ngoài / mía, múa, hòa, thủy


def place_tone(syllable: str, tone: str) -> str | None:
    """Put combining ``tone`` on the right vowel of a toneless syllable; None if not Vietnamese.

    >>> from search_index.chars import ACUTE, DOT, GRAVE
    >>> place_tone("tiêng", ACUTE), place_tone("hoa", GRAVE), place_tone("gla", DOT)
    ('tiếng', 'hòa', None)
    """
    parsed = parse_syllable(syllable.lower())
    if parsed is None:
        return None
    onset, vowels, final = parsed
    at = len(onset) + _tone_index(vowels, final)
    return unicodedata.normalize("NFC", syllable[: at + 1] + tone + syllable[at + 1:])


@memo(max_bytes=4 << 20)  # words repeat: each distinct one is placed once
def _canonical_tone(word: str) -> str:
    """Move a misplaced tone mark (hoà -> hòa) in one NFC word; leave non-Vietnamese alone."""
    nfd = unicodedata.normalize("NFD", word)
    if not any(c in TONE_MARKS for c in nfd):
        return word
    clusters: list[list] = []  # [base, letter-forming marks, tone marks]
    for ch in nfd:
        if is_mark(ch):
            if not clusters:
                return word
            clusters[-1][2 if ch in TONE_MARKS else 1] += ch
        else:
            clusters.append([ch, "", ""])
    tones = [i for i, c in enumerate(clusters) if c[2]]
    if len(tones) != 1 or len(clusters[tones[0]][2]) != 1:
        return word
    letters = [unicodedata.normalize("NFC", b.lower() + m) for b, m, _ in clusters]
    if any(len(x) != 1 for x in letters):  # ơ̆, İ, ...: not a Vietnamese letter
        return word
    parsed = parse_syllable("".join(letters))
    if parsed is None:
        return word
    onset, vowels, final = parsed
    src, dst = tones[0], len(onset) + _tone_index(vowels, final)
    glide = len(onset) - 1 if onset in ("qu", "gi") else len(onset)
    if src == dst or not glide <= src < len(onset) + len(vowels):
        return word  # already canonical, or the mark sits on a consonant: not ours to move
    clusters[dst][2], clusters[src][2] = clusters[src][2], ""
    return unicodedata.normalize("NFC", "".join(b + m + t for b, m, t in clusters))


# --- storage form ---------------------------------------------------------------------
def _drop_orphan_marks(word: str) -> str:
    i = 0
    while i < len(word) and is_mark(word[i]):
        i += 1
    return word[i:]


def clean(text: str) -> str:
    """The storage form: NFC, one apostrophe, one mark order, canonical tones, one space.

    >>> clean("  Hoà\\tbình\\x00 ") , clean("thuỷ") == clean("thủy")
    ('Hòa bình', True)
    >>> clean("e\\u0301\\u0302") == clean("e\\u0302\\u0301") == "ế"
    True
    >>> clean("’bơ̆k") , clean("diʔ.L  dɔŋ"), clean("\\u0301"), clean("a \\u0301b")
    ('ʼbơ̆k', 'diʔ.L dɔŋ', '', 'a b')
    """
    # White space to one space; controls, ZWJ/BOM and lone surrogates out; one apostrophe.
    # Nothing after that crosses a space (a mark belongs to the letter before it, a tone
    # is placed inside its word), so each chunk between spaces is cleaned on its own.
    return " ".join([w for w in map(_clean_chunk, text.translate(CLEAN_TABLE).split()) if w])


@memo(max_bytes=8 << 20)  # texts and queries repeat a small vocabulary
def _clean_chunk(chunk: str) -> str:
    """``clean`` of text without white space (after ``CLEAN_TABLE``)."""
    text = unicodedata.normalize("NFC", _order_marks(unicodedata.normalize("NFD", chunk)))
    # A mark at the start of a chunk has no letter to sit on.
    text = _drop_orphan_marks(text)
    parts, last = [], 0
    for start, end in spans(text):
        parts += [text[last:start], _canonical_tone(text[start:end])]
        last = end
    parts.append(text[last:])
    return "".join(parts)


# --- search keys ----------------------------------------------------------------------
def exact_key(text: str) -> str:
    """Stored form, case-folded.

    >>> exact_key("Hoà  BÌNH")
    'hòa bình'
    """
    return unicodedata.normalize("NFC", clean(text).casefold())


@functools.lru_cache(maxsize=64)
def _compiled(rules: Rules) -> tuple[re.Pattern | None, re.Pattern | None, dict[str, str]]:
    """Regexes for one rule set; rule strings are folded like the text they must match."""
    marks = sorted({m for m in (exact_key(t) for t in rules.tone_marks) if m}, key=lambda s: (-len(s), s))
    # A register mark only counts at the end of a syllable: `kan.L`, not `.Lx`.
    # IGNORECASE: words() applies it to clean (not case-folded) text.
    tone_re = re.compile("(?:%s)(?!\\w)" % "|".join(map(re.escape, marks)), re.IGNORECASE) if marks else None
    table: dict[str, str] = {}
    for src, dst in rules.equivalences:  # first definition of a folded key wins
        table.setdefault(loose_key(src), loose_key(dst))
    for src in rules.ignorable:
        table.setdefault(loose_key(src), "")
    table.pop("", None)
    # Longest match first, then alphabetical, so `ŋʷ` beats `ŋ` whatever the file order.
    ordered = sorted(table, key=lambda s: (-len(s), s))
    repl_re = re.compile("|".join(map(re.escape, ordered))) if ordered else None
    return tone_re, repl_re, table


def _strip(text: str, drop) -> str:
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", text) if not drop(c)))


def _without_register(exact: str, rules: Rules | None) -> str:
    tone_re = _compiled(rules)[0] if rules is not None else None
    return tone_re.sub("", exact) if tone_re is not None else exact


def toneless_key(text: str, rules: Rules | None = None) -> str:
    """Exact key without the five Vietnamese tones (and the language's register marks).

    Vowel letters ă â ê ô ơ ư, đ and the breve of ŏ ĕ ơ̆ are kept.

    >>> toneless_key("Người Việt"), toneless_key("ŏ̀ ơ̆")
    ('ngươi viêt', 'ŏ ơ̆')
    """
    return _toneless_from_exact(exact_key(text), rules)


def _toneless_from_exact(exact: str, rules: Rules | None) -> str:
    text = _without_register(exact, rules)
    return " ".join(_strip(text, TONE_MARKS.__contains__).split())


def loose_key(text: str, rules: Rules | None = None) -> str:
    """Every mark removed, đ→d, apostrophes dropped, then the language's equivalences.

    Order (documented, deterministic): exact key → register marks removed → all
    combining marks removed → ``đ→d`` → apostrophes dropped → one left-to-right pass
    of the rule table, longest match first; rule targets are folded the same way
    beforehand (``ʌ→ơ`` is stored as ``ʌ→o``) and are not rescanned.

    >>> loose_key("Đường ʼBăh"), loose_key("nước")
    ('duong bah', 'nuoc')
    """
    return _loose_from_exact(exact_key(text), rules)


def _loose_from_exact(exact: str, rules: Rules | None) -> str:
    text = _without_register(exact, rules)
    text = _strip(text, is_mark).replace("đ", "d").replace("\u00f0", "d").replace(APOSTROPHE, "")
    if rules is not None:
        _, repl_re, table = _compiled(rules)
        if repl_re is not None:
            text = repl_re.sub(lambda m: table[m.group(0)], text)
    return " ".join(text.split())


def words(text: str, rules: Rules | None = None, *, is_clean: bool = False) -> list[str]:
    """Tokens of ``clean(text)``: runs of letters, marks, digits and the apostrophe.

    There is no query language: punctuation (``( ) * ? " : ^ ~ -``) only separates,
    and words such as ``AND``/``OR`` are text like any other.
    Case is kept.  With ``rules``, the language's register marks are removed first, so
    Peiros's ``kan.L`` gives ``['kan']`` rather than ``['kan', 'L']``.

    >>> words('ơ̆k "ŏ̀t"* AND (ʼbăh) -x:y kan.L')
    ['ơ̆k', 'ŏ̀t', 'AND', 'ʼbăh', 'x', 'y', 'kan', 'L']

    ``is_clean=True`` skips ``clean()`` for text that is already in storage form.
    """
    if not is_clean:
        text = clean(text)
    if rules is not None and _compiled(rules)[0] is not None:
        text = _compiled(rules)[0].sub(" ", text)
    out = []
    for start, end in spans(text):
        token = text[start:end]
        token = _drop_orphan_marks(token)  # a mark stranded after punctuation
        if token and any(c.isalnum() and c != APOSTROPHE for c in token):
            out.append(token)
    return out


class Keys(NamedTuple):
    exact: str
    toneless: str
    loose: str


def keys(text: str, rules: Rules | None = None, *, is_clean: bool = False) -> Keys:
    """All three search keys at once (``is_clean=True``: ``text`` is already ``clean``).

    >>> keys("Hoà")
    Keys(exact='hòa', toneless='hoa', loose='hoa')
    """
    # clean() once: it is the expensive step
    exact = unicodedata.normalize("NFC", text.casefold()) if is_clean else exact_key(text)
    return Keys(exact, _toneless_from_exact(exact, rules), _loose_from_exact(exact, rules))
