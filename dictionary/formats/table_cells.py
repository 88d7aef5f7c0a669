r"""The list cells of the curated table: notes by type, relations, pictures and examples'
translations, one item per line of the cell, both ways.

Where it sits: ``table_out`` writes an entry's lists with ``*_cell``; ``table_in`` reads a
cell back with ``read_cell``, which returns the model's items (``revisions.NoteState``,
``RelationState``, ``PictureState``, ``TranslationState``) or says what is wrong. Plain text:
no Flask, no database.

Every item is one line, ``LABEL: VALUE``, split at the first ``:`` that is not escaped and
not followed by ``\`` or ``/`` (so ``C:\Hình\chim.jpg`` and ``http://…`` need no escaping):

- notes: ``type [lang]: text`` (without ``[lang]`` the note is Vietnamese, ``vi``);
- relations: ``type: target`` (a public id such as ``hre-000042``, an ``id`` of the same
  sheet, or the target as the source file names it);
- pictures: ``file: caption`` (or just ``file``);
- example translations: ``lang: text``.

Inside an item a line break is written ``\n`` (a carriage return ``\r``), a ``:`` in a
label ``\:``, and a backslash that comes before ``n``, ``r``, ``:``, another backslash or
the end of the text is doubled; any other backslash is itself. Blank lines are skipped.

>>> note_cell([{"type": "usage", "lang": "vi", "text": "lịch sự\ntrang trọng"}])
'usage [vi]: lịch sự\\ntrang trọng'
>>> notes, wrong = read_cell(NOTES, "usage [vi]: lịch sự\\ntrang trọng\ngrammar: từ: nội")
>>> [(n["type"], n["lang"], n["text"]) for n in notes], wrong
([('usage', 'vi', 'lịch sự\ntrang trọng'), ('grammar', 'vi', 'từ: nội')], None)
>>> read_cell(PICTURES, "C:\\Hình\\chim.jpg: con chim")
([{'href': 'C:\\Hình\\chim.jpg', 'caption': 'con chim'}], None)
>>> print(read_cell(RELATIONS, "đồng nghĩa hre-000042")[1])  # doctest: +ELLIPSIS
line 1 of the cell, "đồng nghĩa hre-000042": write each relation as "type: target" (...)
"""
from __future__ import annotations

import re
import unicodedata

NOTES, RELATIONS, PICTURES, TRANSLATIONS = "notes", "relations", "pictures", "translations"
DEFAULT_NOTE_LANG = "vi"
_LINES = re.compile(r"\r\n|\r|\n")
_ESCAPES = {"\\": "\\", "n": "\n", "r": "\r", ":": ":"}
_LANG = re.compile(r"(.*?)\s*\[([^\[\]]*)\]", re.DOTALL)  # "type [lang]"
# How a line of each kind is written, for the messages.
SHAPES = {NOTES: ('note', '"type [lang]: text" (e.g. "usage [vi]: lời nói lịch sự")'),
          RELATIONS: ('relation', '"type: target" (e.g. "synonym: hre-000042")'),
          PICTURES: ('picture', '"file: caption" (or just "file")'),
          TRANSLATIONS: ('translation', '"lang: text" (e.g. "en: my house")')}


# ---- escaping --------------------------------------------------------------------------------
def escape(text: str, *, label: bool = False) -> str:
    r"""One item's text on one line (``label``: a ``:`` is escaped too, unless a ``\`` or
    ``/`` follows it, where no line is split).

    >>> escape("a\nb"), escape("C:\\new"), escape("x:y", label=True), escape("C:\\x", label=True)
    ('a\\nb', 'C:\\\\new', 'x\\:y', 'C:\\x')
    """
    out = []
    for i, ch in enumerate(text):
        after = text[i + 1:i + 2]
        if ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\\":
            out.append("\\\\" if after in ("", "\\", "n", "r", ":", "\n", "\r") else "\\")
        elif ch == ":" and label and after not in ("\\", "/"):
            out.append("\\:")
        else:
            out.append(ch)
    return "".join(out)


def unescape(text: str) -> str:
    r"""The inverse of ``escape``.

    >>> unescape(r"a\nb"), unescape(r"C:\\new"), unescape(r"x\:y"), unescape(r"C:\x")
    ('a\nb', 'C:\\new', 'x:y', 'C:\\x')
    """
    out, i = [], 0
    while i < len(text):
        pair = text[i:i + 2]
        if len(pair) == 2 and pair[0] == "\\" and pair[1] in _ESCAPES:
            out.append(_ESCAPES[pair[1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def split_item(line: str) -> tuple[str, str] | None:
    """(label, value) of an item line, still escaped, or None without a separator."""
    i = 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == ":" and line[i + 1:i + 2] not in ("\\", "/"):
            return line[:i], line[i + 1:]
        i += 1
    return None


def _item(label: str, value: str) -> str:
    return f"{escape(label, label=True)}: {escape(value)}" if value else \
        escape(label, label=True)


# ---- writing ---------------------------------------------------------------------------------
def note_cell(notes: list[dict]) -> str:
    return "\n".join(_item(f"{n.get('type') or ''} [{n.get('lang') or ''}]", n.get("text") or "")
                     for n in notes)


def relation_cell(relations: list[dict], public_id=lambda target: None) -> str:
    """``public_id(target)``: the public id of the entry a resolved relation points at (so
    the sheet means something outside this database), else None: the ref as written."""
    return "\n".join(
        f"{escape(r.get('type') or '', label=True)}: "
        f"{escape((r.get('target') and public_id(r['target'])) or r.get('ref') or '')}"
        for r in relations)


def picture_cell(pictures: list[dict]) -> str:
    return "\n".join(_item(p.get("href") or "", p.get("caption") or "") for p in pictures)


def translation_cell(translations: list[dict]) -> str:
    return "\n".join(f"{escape(t.get('lang') or '', label=True)}: {escape(t.get('text') or '')}"
                     for t in translations)


# ---- reading ---------------------------------------------------------------------------------
def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", unescape(text)).strip()


def read_cell(kind: str, cell: str) -> tuple[list[dict], str | None]:
    """The items of a cell of ``kind`` (``NOTES``, ``RELATIONS``, ``PICTURES``,
    ``TRANSLATIONS``), or what is wrong with its first bad line. Text is NFC and trimmed."""
    items: list[dict] = []
    for number, line in enumerate(_LINES.split(cell), 1):
        if not line.strip():
            continue
        parts = split_item(line)
        if parts is None and kind == PICTURES:
            parts = (line, "")
        label, value = (_clean(p) for p in parts) if parts is not None else ("", "")
        item = _parse(kind, label, value) if parts is not None else None
        if item is None:
            what, shape = SHAPES[kind]
            return [], (f'line {number} of the cell, "{line.strip()[:60]}": write each {what} '
                        f"as {shape}")
        items.append(item)
    return items, None


def _parse(kind: str, label: str, value: str) -> dict | None:
    if kind == NOTES:
        found = _LANG.fullmatch(label)
        kind_, lang = (found.group(1), found.group(2).strip()) if found else \
            (label, DEFAULT_NOTE_LANG)
        return {"type": kind_, "lang": lang or "", "text": value} if value and kind_ else None
    if kind == RELATIONS:
        return {"type": label, "ref": value, "target": None} if value else None
    if kind == PICTURES:
        return {"href": label, "caption": value} if label else None
    return {"lang": label, "text": value} if label and value else None
