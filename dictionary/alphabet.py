"""The alphabet of a Hrê or Co headword: which characters a vernacular form may contain.

Where it sits in the data flow: pure functions over text and an ``orthography.Rules``
value (read from ``data/orthography/<lang>.toml``), no Flask and no database. The quality
lists (``dictionary.quality``) run them over stored headwords and variants; entry forms
may run them over what an editor types, to warn before saving. Nothing is ever changed:
a character outside the alphabet is reported, never replaced.

The alphabet of a language is:

* the Vietnamese letters ``a``–``z`` and ``ă â đ ê ô ơ ư`` (either case), each vowel with
  at most one of the five Vietnamese tone marks (grave, acute, tilde, hook, dot below);
* the breve letters of the Vietnamese-based Bahnaric spellings, which have no precomposed
  form: ``ŏ ĕ ơ̆ ê̆`` (o, e, ơ, ê with combining breve U+0306), with a tone mark as well;
* the glottal/prefix apostrophe ``ʼ`` (U+02BC; ``normalize.clean`` turns every apostrophe
  variant into it);
* every letter the language's ``Rules`` name: ``letters`` (the ``[keyboard]`` buttons),
  both sides of the ``[search.equivalences]``, ``ignorable`` and ``tone_marks``. So the IPA
  letters of the bundled phonetic transcriptions (``ŋ ɔ ɛ ə ʔ ː ʰ`` …) are in the
  alphabet of the language whose file lists them, and nowhere else. A listed letter that
  is searched as a vowel (its loose key is made of ``a e i o u y``: ``ɔ→o``, ``ɨ→ư``) may
  carry a tone mark too (``ɛ̃`` = ``ɛ`` with the tilde);
* not letters, and always allowed: white space, the digits ``0``–``9``, and punctuation
  (Unicode categories P*: hyphen, dashes, brackets, quotes, ``. , ; : ! ? /``).

Everything else is outside: letters of other scripts (a Cyrillic ``о`` that looks like
``o``), IPA letters the language's file does not list, symbols (``+ = ~ ^``), superscript
digits, a tone mark on a consonant (``ḿ``), two tone marks on one vowel, and marks that
form no letter above (``o`` with a caron). Text is checked in its storage form
(``normalize.clean``), one *letter* at a time: a base character with the combining marks
that follow it, so ``ơ̆`` is one letter, not ``ơ`` plus a stray breve.
"""
from __future__ import annotations

import functools
import unicodedata

from search_index import normalize
from search_index.chars import is_mark
from search_index.rules import Rules

__all__ = ["outside_alphabet", "code_points", "VIETNAMESE_LETTERS", "BREVE_LETTERS"]

VIETNAMESE_LETTERS = "abcdefghijklmnopqrstuvwxyzăâđêôơư"
BREVE_LETTERS = ("ŏ", "ĕ", "ơ̆", "ê̆")
_VOWELS = frozenset("aeiouy")
_DIGITS = frozenset("0123456789")

# A letter as (lower-case base, letter-forming marks sorted): tone marks are counted apart.
_Key = tuple[str, tuple[str, ...]]


def _letters(text: str) -> list[str]:
    """Split NFD ``text`` into base characters, each with the marks that follow it.

    >>> nfd = unicodedata.normalize("NFD", "bơ̆ ạ")
    >>> [unicodedata.normalize("NFC", x) for x in _letters(nfd)]
    ['b', 'ơ̆', ' ', 'ạ']
    """
    out: list[str] = []
    for ch in text:
        if out and is_mark(ch) and not out[-1].isspace():
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _split(letter: str) -> tuple[_Key, tuple[str, ...]]:
    """(base and letter-forming marks, tone marks) of one NFD letter."""
    marks = letter[1:]
    tones = tuple(m for m in marks if m in normalize.TONE_MARKS)
    others = tuple(sorted(m for m in marks if m not in normalize.TONE_MARKS))
    return (letter[0].lower(), others), tones


@functools.lru_cache(maxsize=16)
def _alphabet(rules: Rules | None) -> tuple[dict[_Key, bool], frozenset[_Key]]:
    """The letters of a language: key → may carry a tone mark; plus the listed letters
    kept exactly as written (a file may list a toned letter such as ``ú``)."""
    names = [*VIETNAMESE_LETTERS, *BREVE_LETTERS, normalize.APOSTROPHE]
    if rules is not None:
        names += [*rules.letters, *rules.ignorable, *rules.tone_marks]
        names += [x for pair in rules.equivalences for x in pair]
    letters: dict[_Key, bool] = {}
    exact: set[_Key] = set()
    for name in names:
        for letter in _letters(unicodedata.normalize("NFD", normalize.clean(name))):
            if not letter[0].isalpha():
                continue  # punctuation inside a rule string (".L") is allowed anyway
            key, tones = _split(letter)
            exact.add((key[0], tuple(sorted(letter[1:].lower()))))
            bare = unicodedata.normalize("NFC", key[0] + "".join(key[1])) if tones else \
                unicodedata.normalize("NFC", letter.lower())
            loose = normalize.loose_key(bare, rules)
            vowel = bool(loose) and set(loose) <= _VOWELS
            letters[key] = letters.get(key, False) or vowel
    return letters, frozenset(exact)


@functools.lru_cache(maxsize=8192)
def _allowed(letter: str, rules: Rules | None) -> bool:
    base = letter[0]
    if is_mark(base):
        return False  # a mark with no letter to sit on
    category = unicodedata.category(base)
    if len(letter) == 1 and (base.isspace() or base in _DIGITS or category[0] == "P"):
        return True
    if category[0] != "L":
        return False  # symbols, superscript digits, other digits, marks on a digit
    letters, exact = _alphabet(rules)
    if (base.lower(), tuple(sorted(letter[1:].lower()))) in exact:
        return True
    key, tones = _split(letter)
    if key not in letters:
        return False
    return not tones or (len(tones) == 1 and letters[key])


@functools.lru_cache(maxsize=16)
def _plain(rules: Rules | None) -> frozenset[str]:
    """Single code points that are a whole allowed letter (or space, digit, punctuation)
    by themselves: a text made only of these needs no letter-by-letter look (the common
    case, a set comparison in C). Combining marks are never in it."""
    # Basic Latin to IPA and modifier letters, Vietnamese precomposed letters, punctuation.
    candidates = {chr(c) for first, end in ((0x20, 0x300), (0x1E00, 0x1F00), (0x2000, 0x2070))
                  for c in range(first, end)}
    if rules is not None:
        candidates.update(*rules.letters, *rules.ignorable, *rules.tone_marks,
                          *(x for pair in rules.equivalences for x in pair))
    return frozenset(c for c in candidates if not is_mark(c) and all(
        _allowed.__wrapped__(x, rules) for x in _letters(unicodedata.normalize("NFD", c))))


def outside_alphabet(text: str, rules: Rules | None, *, is_clean: bool = False) -> list[str]:
    """The letters of ``text`` outside the language's alphabet (see the module docstring),
    in order of first appearance, each once, in NFC (a letter may be a base character with
    combining marks). ``rules=None``: the Vietnamese letters only. ``is_clean=True``: the
    text is already in storage form (a stored headword), which skips ``normalize.clean``,
    three quarters of the cost.

    >>> from search_index.rules import Rules
    >>> hre = Rules("hre", "Hrê", equivalences=(("ŋ", "ng"), ("ɔ", "o")), ignorable=("ʔ",),
    ...             tone_marks=(".L",), letters=("ʼ", "ŋ", "ɔ"))
    >>> outside_alphabet("bơ̆nxa zatọk ĕ Ŏ ê̆ Đàng", None)
    []
    >>> outside_alphabet("’bơ̆k ŋɔ̀ʔ.L, 12 (xa-ta)", hre)
    []
    >>> outside_alphabet("ŋɔ", None)
    ['ŋ', 'ɔ']
    >>> outside_alphabet("zaʃɯk ʃa", hre)
    ['ʃ', 'ɯ']
    >>> outside_alphabet("zatоk", hre)  # a Cyrillic о
    ['о']
    >>> outside_alphabet("ḿa ŋ̀ ǒ", hre)  # tone on a consonant; caron forms no letter
    ['ḿ', 'ŋ̀', 'ǒ']
    >>> outside_alphabet("ta⁵⁵ + zat~", hre)
    ['⁵', '+', '~']
    """
    text = text if is_clean else normalize.clean(text)
    if set(text) <= _plain(rules):
        return []
    nfd = unicodedata.normalize("NFD", text)
    found: dict[str, None] = {}
    for letter in _letters(nfd):
        if not _allowed(letter, rules):
            found.setdefault(unicodedata.normalize("NFC", letter), None)
    return list(found)


def code_points(text: str) -> str:
    """Code points for people checking a character they cannot tell apart by eye.

    >>> code_points("ɔ"), code_points("ŋ̀")
    ('U+0254', 'U+014B U+0300')
    """
    return " ".join(f"U+{ord(c):04X}" for c in text)
