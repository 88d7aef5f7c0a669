"""Checking answers with the dictionary's own text rules, and showing where a typo is.

Where it sits: the study pages post an answer → ``grade_typed`` (typed form, checked against
the ``content.SenseView`` read from the dictionary at that moment) or ``grade_choice`` (a
picked option, checked against the signed ``exercises.Exercise``) → ``Grade`` → the review
log (``review.record_answer``: rating and match tier) and the feedback on the page.

Tiers for a typed form, by the keys of ``search_index.normalize`` with the language's rules
(``data/orthography/<code>.toml``):

- ``exact`` (rating 3, Good): the same storage form, case aside (the exact key);
- ``almost`` (rating 2, Hard): same letters with other tones (toneless key, which also drops
  register marks such as ``.L``), the same loose key (no marks, the language's equivalences:
  ``ŋ`` = ``ng``), or a listed variant at any of these tiers. The page says "right, check
  the marks" and shows ``diff``;
- ``wrong`` (rating 1, Again): anything else, and an empty answer.

Never Easy: a typed answer says nothing about how easy recall was, and FSRS reads Hard for a
failure as a pass, which is why "almost" is kept for the tolerance tier only.

``diff`` compares the typed text with the headword on grapheme clusters (a letter and its
combining marks are one unit, so ``ơ̆`` is never split into ``ơ`` and a stray breve):
``equal`` (typed right), ``replace`` (this part of the headword was typed differently),
``insert`` (this part of the headword is missing), ``delete`` (typed, but not in the
headword). The texts of every segment but ``delete`` spell the headword.
"""
from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field

from search_index import normalize
from search_index.chars import is_mark
from search_index.rules import Rules

from .content import SenseView
from .exercises import WORD_BANK, Exercise, tiles
from .keyboard import rules_for

__all__ = ["ALMOST", "EXACT", "WRONG", "Grade", "clusters", "diff", "grade_choice",
           "grade_typed", "rules_for"]

EXACT, ALMOST, WRONG = "exact", "almost", "wrong"
RATING = {EXACT: 3, ALMOST: 2, WRONG: 1}  # fsrs Rating: Good, Hard, Again


@dataclass(frozen=True)
class Grade:
    match: str  # exact | almost | wrong
    rating: int  # 3 | 2 | 1
    diff: list[tuple[str, str]] = field(default_factory=list)
    expected: str = ""  # what the answer was compared with (the headword, the option)

    @property
    def correct(self) -> bool:
        return self.match != WRONG


def clusters(text: str) -> list[str]:
    """Grapheme clusters of NFC ``text``: each letter with the combining marks after it.

    >>> clusters("mơ̆́ng")
    ['m', 'ơ̆́', 'n', 'g']
    """
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if out and is_mark(ch):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def diff(typed: str, expected: str) -> list[tuple[str, str]]:
    """Segments from ``typed`` to ``expected`` (case is not a difference).

    >>> diff("zơng", "zơ̆ng")
    [('equal', 'z'), ('replace', 'ơ̆'), ('equal', 'ng')]
    >>> diff("kann", "kan.L")
    [('equal', 'kan'), ('replace', '.L')]
    """
    a, b = clusters(typed), clusters(expected)
    fold = [c.casefold() for c in a], [c.casefold() for c in b]
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, fold[0], fold[1], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        text = "".join(a[i1:i2]) if op == "delete" else "".join(b[j1:j2])
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out


def _tier(typed: normalize.Keys, form: str, rules: Rules | None) -> str | None:
    want = normalize.keys(form, rules)
    if typed.exact == want.exact:
        return EXACT
    if typed.toneless == want.toneless or typed.loose == want.loose:
        return ALMOST
    return None


def grade_typed(typed: str, view: SenseView, rules: Rules | None) -> Grade:
    """Grade a typed form against ``view.headword`` and its listed variants."""
    answer = normalize.clean(typed or "")
    expected = view.headword
    if not answer:
        return Grade(WRONG, RATING[WRONG], [("insert", expected)] if expected else [], expected)
    keys = normalize.keys(answer, rules)
    match = _tier(keys, expected, rules) or WRONG
    if match == WRONG and any(_tier(keys, v, rules) for v in view.variants):
        match = ALMOST  # a listed variant: right, but the lesson teaches the headword
    segments = [("equal", expected)] if match == EXACT else diff(answer, expected)
    return Grade(match, RATING[match], segments, expected)


def grade_choice(chosen: str, exercise: Exercise) -> Grade:
    """A picked option (or, for a word bank, the tiles in the order placed, joined by
    spaces): right (3) or wrong (1). Options are compared in storage form, case aside."""
    chosen = normalize.clean(chosen or "")
    if exercise.type == WORD_BANK:
        right = bool(chosen) and [normalize.exact_key(t) for t in tiles(chosen)] == \
            [normalize.exact_key(t) for t in tiles(exercise.answer)]
    else:
        right = bool(chosen) and normalize.exact_key(chosen) == normalize.exact_key(exercise.answer)
    match = EXACT if right else WRONG
    return Grade(match, RATING[match], [], exercise.answer)
