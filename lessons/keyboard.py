"""The dictionary's orthography as the lessons see it: text rules and on-screen letters.

Where it sits: ``data/orthography/<code>.toml`` is read once by ``dictionary.derive.rules_in``
(the same cached ``Rules`` the search index and the headword keys use); ``grading`` checks
typed answers with these rules, ``content`` finds the taught word in an example with them,
and the typing exercises show ``letters(code)`` as buttons, so a learner on a phone without a
Hrê keyboard can type ơ̆ or ʼ. Nothing language-specific is written here.

>>> letters("hre")[:3]
['ʼ', 'ŏ', 'ơ̆']
>>> rules_for("hre").tone_marks, rules_for("xx") is None
(('.L', '.T'), True)
"""
from __future__ import annotations

from flask import current_app, has_app_context

from dictionary.config import REPO_ROOT
from dictionary.derive import rules_in
from search_index.rules import Rules

__all__ = ["letters", "rules_for"]

# Outside an app (doctests, scripts) the bundled rule files are used; inside one, the app's
# configured folder, exactly as the search index reads it.
_DEFAULT_DIR = str(REPO_ROOT / "data" / "orthography")


def _directory() -> str:
    if has_app_context():
        return str(current_app.config["ORTHOGRAPHY_DIR"])
    return _DEFAULT_DIR


def rules_for(language_code: str) -> Rules | None:
    """The text rules of one lexicon language (None for a language without a rule file:
    the plain rules then apply, as in search)."""
    return rules_in(_directory()).get(language_code)


def letters(language_code: str) -> list[str]:
    """The on-screen keyboard letters of ``[keyboard] letters`` in the language's file, in
    the file's order (empty for a language without a file or without letters)."""
    rules = rules_for(language_code)
    return list(rules.letters) if rules is not None else []
