"""The entry form's row buttons without JavaScript: add, remove and move rows.

Where it sits: the form's rows (senses → examples → translations, variants, notes and links
of the entry and of each sense, pictures) are added, removed and moved by submit buttons
named ``action`` (``add_sense``, ``remove_example-1-0``, ``add_translation-0-2``…); the
view applies one to the form's data with ``row_action`` and shows the form again.
``static/entry-form.js`` does the same in the page with the same button values.
"""
from __future__ import annotations

import re
from typing import Any

from .. import limits
from . import form_fields as ff


def blank_sense() -> dict[str, Any]:
    return {"key": "", "level": "0", "gloss_vi": "", "gloss_en": "", "definition": "",
            "semantic_field": "", "dialects": "", "concept_id": "", "examples": [],
            "notes": [], "relations": [], "pictures": []}


def blank_example() -> dict[str, Any]:
    return {"text": "", "translation_vi": "", "translations": []}


def blank_variant() -> dict[str, str]:
    return {"form": "", "kind": "spelling", "label": ""}


# A button's kind → the list in the form data (names; each but the last is followed by a
# row number in the button's value), a blank row (None: rows cannot be added), the field
# to focus, and the most rows (a ``limits`` name or a number).
ROWS: dict[str, tuple[tuple[str, ...], Any, str, str | int]] = {
    "sense": (("senses",), blank_sense, "gloss_vi", "senses"),
    "variant": (("variants",), blank_variant, "form", "variants"),
    "note": (("notes",), ff.blank_note, "type", "notes"),
    "relation": (("relations",), ff.blank_relation, "type", "relations"),
    "example": (("senses", "examples"), blank_example, "text", "examples"),
    "sensenote": (("senses", "notes"), ff.blank_note, "type", "notes"),
    "senserelation": (("senses", "relations"), ff.blank_relation, "type", "relations"),
    "picture": (("senses", "pictures"), None, "caption", 0),
    "translation": (("senses", "examples", "translations"), ff.blank_translation, "lang",
                    ff.MAX_TRANSLATIONS),
}
_ROW_ACTION = re.compile(rf"(add|remove|up|down)_({'|'.join(ROWS)})((?:-\d{{1,3}}){{0,3}})\Z")


def row_action(data: dict[str, Any], action: str) -> str | None:
    """Apply a row button to form ``data`` in place; return the id of the field to focus
    next, or None when ``action`` is not a row button (or points at no row).

    >>> d = {"senses": [{"examples": []}, {"examples": [{"text": "a", "translations": []},
    ...                                                {"text": "b"}]}], "variants": []}
    >>> row_action(d, "up_example-1-1"), [x["text"] for x in d["senses"][1]["examples"]]
    ('senses-1-examples-0-text', ['b', 'a'])
    >>> row_action(d, "remove_sense-0"), len(d["senses"]), row_action(d, "add_variant")
    ('senses-0-gloss_vi', 1, 'variants-0-form')
    >>> row_action(d, "add_translation-0-1"), d["senses"][0]["examples"][1]["translations"]
    ('senses-0-examples-1-translations-0-lang', [{'lang': '', 'text': ''}])
    >>> row_action(d, "remove_sense-7") is None, row_action(d, "add_picture-0") is None
    (True, True)
    """
    match = _ROW_ACTION.match(action or "")
    if not match:
        return None
    verb, kind = match.group(1), match.group(2)
    numbers = [int(n) for n in match.group(3).split("-")[1:]]
    names, blank, first, most = ROWS[kind]
    if len(numbers) != len(names) - (1 if verb == "add" else 0):
        return None
    try:
        rows, prefix = data[names[0]], names[0]
        for name, n in zip(names[1:], numbers):
            rows, prefix = rows[n][name], f"{prefix}-{n}-{name}"
        if verb == "add":
            maximum = getattr(limits.current(), most) if isinstance(most, str) else most
            if blank is None or len(rows) >= maximum:
                return None
            rows.append(blank())
            return f"{prefix}-{len(rows) - 1}-{first}"
        i = numbers[-1]
        j = {"remove": i, "up": i - 1, "down": i + 1}[verb]
        if not (0 <= i < len(rows) and 0 <= j < len(rows)):
            return None
        if verb == "remove":
            rows.pop(i)
            return f"{prefix}-{min(i, len(rows) - 1)}-{first}" if rows else "headword"
        rows[i], rows[j] = rows[j], rows[i]
        return f"{prefix}-{j}-{first}"
    except (IndexError, KeyError, TypeError):
        return None
