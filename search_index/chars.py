"""Characters: combining marks, tone marks, the apostrophe, and runs of word characters.

Where it sits: a leaf under ``normalize`` (storage form and search keys), ``typing_decode``
and the dictionary's alphabet checks and highlighting, which all need the same answer to
"is this a mark, is this part of a word". Python's ``\\w`` splits letters that have no
precomposed form (``ơ̆``, ``ŏ̀``), so words are runs of letters, digits *and* marks.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["APOSTROPHE", "GRAVE", "ACUTE", "TILDE", "HOOK", "DOT", "TONE_MARKS", "is_mark",
           "is_word_char", "spans", "CLEAN_TABLE"]

#: MODIFIER LETTER APOSTROPHE: a Unicode *letter* (Lm), so tokenisers keep
#: Hrê/Co words such as ``ʼbăh`` in one piece, unlike U+0027 or U+2019.
APOSTROPHE = "\u02bc"

GRAVE, ACUTE, TILDE, HOOK, DOT = "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"
#: The five Vietnamese tone marks as combining characters (huyền sắc ngã hỏi nặng).
TONE_MARKS = frozenset(GRAVE + ACUTE + TILDE + HOOK + DOT)


def is_mark(ch: str) -> bool:
    """A combining mark (categories Mn, Mc, Me)."""
    return unicodedata.category(ch)[0] == "M"


def is_word_char(ch: str) -> bool:
    """A character of a word: a letter, digit or combining mark."""
    # str.isalnum() covers letters incl. modifier letters (ʼ ʰ ː) and digits, but not
    # combining marks, which is why `\w` would split ``ơ̆`` and ``ŏ̀``.
    return ch.isalnum() or is_mark(ch)


def _scan_unicode() -> tuple[list[str], dict[int, str | None]]:
    """The combining marks, and the table that maps white space to a space and drops
    controls, format characters and lone surrogates (the same classes as ``is_mark`` and
    ``clean``'s rules, computed once so that each text is scanned in C). Marks, controls and
    format characters lie only in planes 0, 1 and 14."""
    marks, table = [], {}
    wanted = {"Mn", "Mc", "Me", "Cc", "Cf", "Cs"}
    for first, end in ((0, 0x20000), (0xE0000, 0xF0000)):
        for code, cat in enumerate(map(unicodedata.category, map(chr, range(first, end))), first):
            if cat in wanted:
                if cat[0] == "M":
                    marks.append(chr(code))
                elif not chr(code).isspace():
                    table[code] = None
    table.update((code, " ") for code in range(0x3001) if chr(code).isspace())  # all below U+3001
    return marks, table


def _char_class(chars: list[str]) -> str:
    """The inside of a regex character class matching ``chars`` (sorted), as ranges."""
    ranges, start = [], None
    for prev, ch in zip([None, *chars], [*chars, None]):
        if start is None:
            start = ch
        elif ch is None or ord(ch) != ord(prev) + 1:
            ranges.append(f"{re.escape(start)}-{re.escape(prev)}" if start != prev else re.escape(start))
            start = ch
    return "".join(ranges)


MARKS, CLEAN_TABLE = _scan_unicode()
CLEAN_TABLE.update({ord(c): APOSTROPHE for c in "'\u2019\u2018\u201b\u2032`\u00b4\uff07"})
# A run of letters, digits and marks: ``[^\W_]`` is exactly str.isalnum().
WORD_RUN = re.compile(f"(?:[^\\W_]|[{_char_class(MARKS)}])+")
# The same for text without ``_`` and without characters beyond U+FFFF (nearly all text),
# as one character class, which the regex engine tests about twice as fast.
WORD_RUN_BMP = re.compile(f"[\\w{_char_class([m for m in MARKS if m <= chr(0xFFFF)])}]+")


def spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every maximal run of letters, digits and marks.

    >>> spans("ơ̆k, ŏ̀t_2"), spans("a\U0001d165b c")
    ([(0, 3), (5, 8), (9, 10)], [(0, 3), (4, 5)])
    """
    run = WORD_RUN if "_" in text or (text and max(text) > "\uffff") else WORD_RUN_BMP
    return [m.span() for m in run.finditer(text)]
