"""A query read in each language: as typed, and as Telex or VNI typing when that decodes.

Where it sits: the first stage of a search (``query.Search.prepare``). The query, already
in storage form (``normalize.clean``), is split into words and keyed under each language's
rules exactly as ``documents`` keys the texts, so a lookup is a plain key comparison.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from . import normalize
from .documents import word_keys
from .memo import memo
from .rules import Rules
from .typing_decode import typing_candidates

# Words of a query looked at; the rest is ignored (never an error).
MAX_QUERY_WORDS = 8


class Words(NamedTuple):
    """A query reading in one language: the whole-text keys and each word's keys."""

    whole: normalize.Keys
    words: tuple[normalize.Keys, ...]


def reading_words(reading: str, rules: Rules | None) -> Words:
    """Keys of one reading (clean text) under one language's rules."""
    words = tuple(k for chunk in reading.split(" ") for k in chunk_keys(chunk, rules))
    words = words[:MAX_QUERY_WORDS]
    # Whole keys are joined word keys, exactly as documents.text_keys builds them.
    return Words(normalize.Keys(" ".join([k.exact for k in words]),
                                 " ".join([k.toneless for k in words]),
                                 " ".join([k.loose for k in words])), words)


@memo(max_bytes=8 << 20, max_entry=1024)
def chunk_keys(chunk: str, rules: Rules | None) -> tuple[normalize.Keys, ...]:
    """Keys of the words of one chunk of a reading (words never span a space). Cached:
    queries repeat a small vocabulary."""
    return tuple(word_keys(w, rules) for w in normalize.words(chunk, rules, is_clean=True))


class Form(NamedTuple):
    """One reading of the query (as typed, or decoded from Telex/VNI), per language."""

    typed_as: str | None  # the decoded text, when this reading is a Telex/VNI decoding
    langs: dict[str, Words]  # only languages where the reading has words


def prepare(text: str, langs: Sequence[str], rules: dict[str, Rules]) -> list[Form]:
    """The readings of ``text`` (clean) that have words in at least one of ``langs``."""
    forms = []
    for reading in [text, *typing_candidates(text, is_clean=True)]:
        per_lang = {}
        for lang in langs:
            w = reading_words(reading, rules.get(lang))
            if w.words:
                per_lang[lang] = w
        if per_lang:
            forms.append(Form(None if reading is text else reading, per_lang))
    return forms
