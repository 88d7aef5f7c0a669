"""Sort order and browse letters (ICU collation through PyICU).

Where it sits in the data flow: when an entry is saved, its headword (already
``normalize.clean``-ed) gets a ``sort_key`` (bytes, stored and used in ``ORDER BY``) and
a ``first_letter`` for the A–Z browse pages.  The order is ICU's Vietnamese one
(``a ă â b c d đ e ê …``, tones ``a à ả ã á ạ``), plus the tailoring a linguist wrote in
``data/orthography/<lang>.toml``.  Never sort by code point: that puts ``đ`` after ``z``.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import icu

from .normalize import clean, toneless_key
from .rules import OrthographyError, Rules

__all__ = ["check_tailoring", "first_letter", "sort_key", "sort_key_func", "sorted_letters"]


@functools.lru_cache(maxsize=1)
def _vietnamese_rules() -> str:
    # ICU's own vi tailoring (CLDR): ă â đ ê ô ơ ư as letters, tone order as secondary.
    return icu.Collator.createInstance(icu.Locale("vi")).getRules()


@functools.lru_cache(maxsize=32)
def _collator(rules: Rules | None) -> icu.RuleBasedCollator:
    text = _vietnamese_rules()
    if rules is not None and rules.tailoring:
        text += "\n" + rules.tailoring
    try:
        return icu.RuleBasedCollator(text)
    except icu.ICUError as exc:
        lang = rules.lang if rules is not None else "vi"
        raise OrthographyError(f"{lang}: collation.tailoring is not valid ICU rule syntax: {exc}") from exc


def check_tailoring(rules: Rules, where: str) -> None:
    """Raise ``OrthographyError`` naming ``where`` if ICU rejects the tailoring."""
    try:
        _collator(rules)
    except OrthographyError as exc:
        raise OrthographyError(f"{where}: {exc}") from exc


@functools.lru_cache(maxsize=32)
def sort_key_func(rules: Rules | None = None) -> Callable[[str], bytes]:
    """A ``key=`` function for ``sorted`` (cached per rule set).

    >>> words = "đ ơ ă z a ch c gi g á à ê e ô b â o d".split()
    >>> " ".join(sorted(words, key=sort_key_func(None)))
    'a à á ă â b c ch d đ e ê g gi o ô ơ z'
    """
    collator = _collator(rules)

    def key(text: str) -> bytes:
        return collator.getSortKey(clean(text))

    return key


def sort_key(text: str, rules: Rules | None = None) -> bytes:
    """ICU sort key of the storage form of ``text``.

    >>> sort_key("ạ") > sort_key("á") > sort_key("ã") > sort_key("ả") > sort_key("à") > sort_key("a")
    True
    """
    return sort_key_func(rules)(text)


def sorted_letters(letters: Iterable[str], rules: Rules | None = None) -> list[str]:
    """Distinct letters in collation order (ties broken by the string, for stability).

    >>> sorted_letters(["ư", "ŋ", "ɔ", "o", "n", "u", "đ", "d", "ŋ"])
    ['d', 'đ', 'n', 'ŋ', 'o', 'ɔ', 'u', 'ư']
    """
    key = sort_key_func(rules)
    distinct = dict.fromkeys(c for c in (clean(x) for x in letters) if c)
    return sorted(distinct, key=lambda s: (key(s), s))


def _first_grapheme(text: str) -> str:
    it = icu.BreakIterator.createCharacterInstance(icu.Locale.getRoot())  # not thread-safe: one per call
    it.setText(text)
    it.first()
    end16 = it.nextBoundary()  # UTF-16 code units, not Python indices
    return text.encode("utf-16-le")[: 2 * end16].decode("utf-16-le")


@functools.lru_cache(maxsize=32)
def _contractions(rules: Rules | None) -> tuple[str, ...]:
    """Multi-letter units the tailoring defines (``&b < ʼb`` makes ``ʼb`` one letter)."""
    if rules is None or not rules.tailoring:
        return ()
    _collator(rules)  # raises OrthographyError with a clear message if the rules are bad
    tailored = icu.RuleBasedCollator(rules.tailoring).getTailoredSet(icu.UnicodeSet())
    found = {toneless_key(s, rules) for s in tailored}
    multi = {s for s in found if s and _first_grapheme(s) != s}
    return tuple(sorted(multi, key=lambda s: (-len(s), s)))


def first_letter(text: str, rules: Rules | None = None) -> str:
    """The browse letter: first grapheme of the toneless, case-folded headword.

    Digraphs (ch, ng, nh) are not letters unless the tailoring makes them contractions;
    IPA letters (ŋ ɔ ʔ) are letters of their own; leading punctuation is skipped.

    >>> [first_letter(w) for w in ("Ắt", "đường", "ŏ̀k", "ŋit", "ʔaŋuj", "(chó)", "")]
    ['ă', 'đ', 'ŏ', 'ŋ', 'ʔ', 'c', '']
    """
    key = toneless_key(text, rules)
    start = 0
    while start < len(key) and not key[start].isalnum():
        start += 1
    key = key[start:]
    if not key:
        return ""
    for unit in _contractions(rules):
        if key.startswith(unit) and _first_grapheme(key[len(unit) - 1:]) == key[len(unit) - 1]:
            return unit
    return _first_grapheme(key)
