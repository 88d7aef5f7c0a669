"""Form content to entry state, for the fields a form row carries as a list: notes by type,
links to other entries, pictures, example translations, a sense's level.

Where it sits: ``workflow.complete`` builds the state an entry should have from a form's
content (or a revision's snapshot, to restore it) with these functions. A form row that
continues a stored row names it by its index (``key``): a link the form shows unchanged
keeps the target the import found (``kept_relation``), and a picture keeps its file name,
which a form never sets. Rows without a ``key`` or with ``target`` are states (imports,
restores) and are taken as they are.

Text in any language (notes, translations, captions, dialect names) is kept as the LIFT
reader keeps it (``plain_text``: NFC, line breaks, no surrounding space): ``normalize.clean``
is for lexicon text and would turn an English "don't" into "donʼt" and join lines, so an
imported note would change on its first save in the form (and in the LIFT export).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from search_index import normalize

# Control characters a text field never keeps (tabs and line breaks stay).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any, empty: Any = None) -> Any:
    """``value`` in storage form, or ``empty`` when nothing is left."""
    value = normalize.clean(str(value)) if value is not None else ""
    return value if value else empty


def plain_text(value: Any, empty: Any = None) -> Any:
    """Text in any language as the LIFT reader stores it: NFC, line breaks as \\n (a form
    sends \\r\\n), no control characters, no space around it; ``empty`` when nothing is left.

    >>> plain_text("  I don't\\r\\nknow  it "), plain_text(" \\x00 ")
    ("I don't\\nknow  it", None)
    """
    if value is None:
        return empty
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROLS.sub("", text).strip()
    return text if text else empty


def _keyed(rows: list[dict] | None, key: Any) -> dict | None:
    """The stored row that a form row names by its index (``key``), if there is one."""
    try:
        i = int(key)
    except (TypeError, ValueError):
        return None
    return rows[i] if rows is not None and 0 <= i < len(rows) else None


def kept_relation(row: dict[str, Any], stored: list[dict] | None) -> dict | None:
    """The stored relation that a form row keeps: the row names it (``key``) and still shows
    the entry it was shown with (``shown``), so the link stays as the import wrote it (a
    FieldWorks id and the target's source key). None: the row is a new link."""
    old = _keyed(stored, row.get("key"))
    if old is None or (row.get("ref") or "").strip() != (row.get("shown") or "").strip():
        return None
    return old


def notes(rows: list[dict] | None) -> list[dict]:
    """Notes by type with their text in storage form (empty ones dropped)."""
    return [{"type": (n.get("type") or "").strip(), "lang": (n.get("lang") or "").strip(),
             "text": plain_text(n.get("text"), "")}
            for n in rows or [] if plain_text(n.get("text"))]


def relations(rows: list[dict] | None, stored: list[dict] | None) -> list[dict]:
    """Relations from states (with ``target``: kept as they are) or form rows (a kept link,
    or a new one that names its target by public id: ``target`` None)."""
    out = []
    for r in rows or []:
        kind = (r.get("type") or "").strip()
        if "target" in r:
            if r.get("ref") or r.get("target"):
                out.append({"type": kind, "ref": r.get("ref") or "", "target": r["target"]})
            continue
        old = kept_relation(r, stored)
        if old is not None:
            out.append({"type": kind, "ref": old.get("ref") or "", "target": old.get("target")})
        elif (r.get("ref") or "").strip():
            out.append({"type": kind, "ref": r["ref"].strip(), "target": None})
    return out


def pictures(rows: list[dict] | None, stored: list[dict] | None) -> list[dict]:
    """Pictures from states, or form rows that name a stored picture (``key``): a form
    edits captions and removes pictures, and never names a file itself."""
    out = []
    for p in rows or []:
        if "key" in p:
            old = _keyed(stored, p["key"])
            if old is not None:
                out.append({"href": old.get("href") or "",
                            "caption": plain_text(p.get("caption"), "")})
        elif p.get("href") or p.get("caption"):
            out.append({"href": p.get("href") or "", "caption": plain_text(p.get("caption"), "")})
    return out


def example(x: dict[str, Any]) -> dict[str, Any]:
    """An example with its translations in other languages (empty ones dropped)."""
    return {"text": clean_text(x.get("text"), ""),
            "translation_vi": clean_text(x.get("translation_vi"), ""),
            "translations": [{"lang": (t.get("lang") or "").strip(),
                              "text": plain_text(t.get("text"), "")}
                             for t in x.get("translations") or [] if plain_text(t.get("text"))]}


def level(value: Any, before: int) -> int:
    """A sense's level: at most one deeper than the sense before it (-1 for the first)."""
    try:
        wanted = int(value or 0)
    except (TypeError, ValueError):
        wanted = 0
    return max(0, min(wanted, before + 1))
