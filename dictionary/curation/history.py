"""An entry's history as field-level differences between two revision snapshots.

Where it sits: the history page and the conflict page (``admin.entries``) show what changed
between two ``Revision.snapshot`` values (the shape of ``revisions.entry_state``); nothing
here reads or writes the database.
"""
from __future__ import annotations

import json
from typing import Any

from ..revisions import EntrySnapshot, EntryState
from .workflow import SENSE_FIELDS

_TOP = ("status", "reviewed", "headword", "homograph", "lexeme_form", "part_of_speech",
        "form_kind", "pronunciation", "variety", "note", "license", "source")
# Lists of small records, shown one line per item (``_line``), entry's and senses'.
_LISTS = ("notes", "relations", "pictures")
_SENSE_SHOWN = SENSE_FIELDS[:-1]
_VARIANT = ("form", "kind", "label")


def _shown(value: Any) -> Any:
    return value if isinstance(value, (str, int, bool)) else json.dumps(value, ensure_ascii=False)


def _line(kind: str, item: dict) -> str:
    """A note, link, picture or translation as one line of the diff table.

    >>> _line("notes", {"type": "grammar", "lang": "vi", "text": "x"})
    'grammar [vi]: x'
    >>> _line("relations", {"type": "synonym", "ref": "hre-000002", "target": None})
    'synonym: hre-000002'
    """
    if kind == "notes":
        return f"{item.get('type') or '—'} [{item.get('lang') or '?'}]: {item.get('text') or ''}"
    if kind == "relations":
        return f"{item.get('type') or '—'}: {item.get('ref') or item.get('target') or ''}"
    if kind == "pictures":
        return f"{item.get('caption') or '—'} ({item.get('href') or ''})"
    return f"{item.get('lang') or '?'}: {item.get('text') or ''}"  # a translation


def flatten(snapshot: EntrySnapshot | EntryState | None) -> dict[tuple, Any]:
    """A snapshot as field path → value; empty values are left out.

    >>> flatten({"headword": "zơ̆tok", "status": "draft", "reviewed": False, "variants": [],
    ...          "senses": [{"gloss_vi": "gậy", "examples": [{"text": "bơ̆nxa"}]}]})
    {('status',): 'draft', ('reviewed',): False, ('headword',): 'zơ̆tok', \
('senses', 0, 'gloss_vi'): 'gậy', ('senses', 0, 'examples', 0, 'text'): 'bơ̆nxa'}
    """
    out: dict[tuple, Any] = {}

    def put(path: tuple, value: Any) -> None:
        if value not in (None, "", {}, []):
            out[path] = _shown(value)

    snapshot = snapshot or {}
    for name in _TOP:
        put((name,), snapshot.get(name))
    for key, value in sorted((snapshot.get("extra") or {}).items()):
        put(("extra", key), value)
    for kind in _LISTS[:2]:
        for k, item in enumerate(snapshot.get(kind) or []):
            put((kind, k), _line(kind, item))
    for i, sense in enumerate(snapshot.get("senses") or []):
        for name in _SENSE_SHOWN:
            put(("senses", i, name), sense.get(name))
        put(("senses", i, "level"), sense.get("level") or None)  # 0 (a sense) is no news
        for key, value in sorted((sense.get("extra") or {}).items()):
            put(("senses", i, "extra", key), value)
        for kind in _LISTS:
            for k, item in enumerate(sense.get(kind) or []):
                put(("senses", i, kind, k), _line(kind, item))
        for j, x in enumerate(sense.get("examples") or []):
            put(("senses", i, "examples", j, "text"), x.get("text"))
            put(("senses", i, "examples", j, "translation_vi"), x.get("translation_vi"))
            for k, t in enumerate(x.get("translations") or []):
                put(("senses", i, "examples", j, "translations", k), _line("translations", t))
    for i, variant in enumerate(snapshot.get("variants") or []):
        for name in _VARIANT:
            put(("variants", i, name), variant.get(name))
    return out


def _rank(path: tuple) -> tuple:
    head = path[0]
    if head in _TOP:
        return (0, _TOP.index(head))
    if head == "extra":
        return (1, path[1])
    if head in _LISTS:
        return (2, _LISTS.index(head), path[1])
    if head == "variants":
        return (4, path[1], _VARIANT.index(path[2]))
    sub = path[2]
    if sub in _SENSE_SHOWN:
        inner: tuple = (0, _SENSE_SHOWN.index(sub))
    elif sub == "level":
        inner = (0, -1)
    elif sub == "extra":
        inner = (1, path[3])
    elif sub in _LISTS:
        inner = (2, _LISTS.index(sub), path[3])
    else:  # examples: text, translation_vi, then translations (in that string order)
        inner = (3, *path[3:])
    return (3, path[1], inner)


def diff(before: EntrySnapshot | EntryState | None,
         after: EntrySnapshot | EntryState | None) -> list[tuple[tuple, Any, Any]]:
    """(field path, before, after) for every field that differs, in reading order; senses,
    examples and variants are compared by position.

    >>> diff({"headword": "a", "senses": [{"gloss_vi": "x"}]},
    ...      {"headword": "b", "senses": [{"gloss_vi": "x"}, {"gloss_vi": "y"}]})
    [(('headword',), 'a', 'b'), (('senses', 1, 'gloss_vi'), None, 'y')]
    """
    old, new = flatten(before), flatten(after)
    paths = sorted(set(old) | set(new), key=_rank)
    return [(p, old.get(p), new.get(p)) for p in paths if old.get(p) != new.get(p)]
