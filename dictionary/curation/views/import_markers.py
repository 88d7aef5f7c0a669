r"""What the import page says about a Toolbox file's markers and how it reads the choices:
the meanings a marker can hold in people's words, the options of each marker's select,
the encoding the file was read in, and the ``mk:<marker>`` fields posted back.

Where it sits: ``import_pages`` (the dry run's report, the problems of a file that cannot
be imported) and ``import_status`` put ``marker_context`` into ``_import_mapping.html``;
``import_mapping`` reads the form with ``chosen_meanings``. The vocabulary is
``formats.mdf_markers``'; the table comes from ``formats.mdf_found``.
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from ...formats.mdf_markers import (
    DATE, DEFINITION, EXAMPLE, GLOSS, HEADWORD, HOMOGRAPH, IGNORE, KEEP, NOTE, PHONETIC, POS,
    SEMANTIC_FIELD, SENSE, SUBENTRY, TRANSLATION, VARIANT, VARIANT_LABEL, parse_meaning)

FIELD, LANG_FIELD = "mk:", "mk_lang"  # mk:<marker> = meaning; the "other language" code
OTHER = "*"  # gloss:* etc.: in the language written in LANG_FIELD
MAX_MARKERS = 200  # a Toolbox file uses a few dozen
# A marker as the page may name it: letters, digits and _ . + - (no backslash, no space);
# header markers (``\_sh``) are not records' fields.
_MARKER = re.compile(r"[^\W_][\w.+-]{0,39}")

_PLAIN_LABELS = {
    HEADWORD: _l("headword (starts each record)"), HOMOGRAPH: _l("homograph number"),
    POS: _l("part of speech"), SENSE: _l("starts the next sense"),
    EXAMPLE: _l("example sentence"), VARIANT: _l("variant form"),
    VARIANT_LABEL: _l("comment on the variant"), PHONETIC: _l("phonetic transcription"),
    SEMANTIC_FIELD: _l("semantic domain"), NOTE: _l("note"),
    DATE: _l("date of the last edit"), SUBENTRY: _l("starts a subentry (an entry of its own)"),
    IGNORE: _l("ignore (dropped)"), KEEP: _l("keep as it is (other Toolbox fields)"),
}
_LANGUAGE_LABELS = {  # kind: (Vietnamese, English, in a code, in the other language)
    GLOSS: (_l("Vietnamese gloss"), _l("English gloss"),
            lambda code: _l("gloss in %(code)s", code=code),
            _l("gloss in the other language")),
    DEFINITION: (_l("Vietnamese definition"), _l("English definition"),
                 lambda code: _l("definition in %(code)s", code=code),
                 _l("definition in the other language")),
    TRANSLATION: (_l("Vietnamese translation of the example"),
                  _l("English translation of the example"),
                  lambda code: _l("translation of the example in %(code)s", code=code),
                  _l("translation of the example in the other language")),
}
_ORDER = (HEADWORD, HOMOGRAPH, POS, SENSE, GLOSS, DEFINITION, EXAMPLE, TRANSLATION, VARIANT,
          VARIANT_LABEL, PHONETIC, SEMANTIC_FIELD, NOTE, DATE, SUBENTRY, KEEP, IGNORE)

ORIGIN_LABELS = {
    "default": _l("standard MDF"), "kept": _l("not in standard MDF"),
    "file": _l("from the marker file"), "source": _l("remembered for this source"),
    "chosen": _l("chosen here"),
}

_ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "utf-16": "UTF-16",
              "cp1252": "Windows-1252 (cp1252)", "tcvn3": "TCVN3 (ABC)", "vni": "VNI-Windows"}


def encoding_label(encoding: str | None) -> str:
    """The encoding as people know it; a mixed one (``utf-8+cp1252``) names both.

    >>> encoding_label("utf-8+cp1252"), encoding_label("tcvn3"), encoding_label("")
    ('UTF-8 + Windows-1252 (cp1252)', 'TCVN3 (ABC)', '')
    """
    return " + ".join(_ENCODINGS.get(part, part) for part in (encoding or "").split("+") if part)


def options(languages: list[str]) -> list[tuple[str, Any]]:
    """(value, label) of every meaning, in the order people read an entry; a gloss,
    definition or translation in each of ``languages`` (besides vi and en), then in the
    other language whose code is written in the form (``mk_lang``)."""
    found: list[tuple[str, Any]] = []
    for kind in _ORDER:
        if kind not in _LANGUAGE_LABELS:
            found.append((kind, _PLAIN_LABELS[kind]))
            continue
        vi, en, in_code, written = _LANGUAGE_LABELS[kind]
        found += [(f"{kind}:vi", vi), (f"{kind}:en", en)]
        found += [(f"{kind}:{code}", in_code(code)) for code in languages]
        found.append((f"{kind}:{OTHER}", written))
    return found


def marker_context(markers: list[dict] | None, encoding: str | None) -> dict[str, Any]:
    """What ``_import_mapping.html`` needs for a Toolbox file (nothing for other files)."""
    markers = [m for m in markers or [] if _MARKER.fullmatch(str(m.get("marker", "")))]
    languages = sorted({m["meaning"].split(":", 1)[1] for m in markers
                        if ":" in m["meaning"]} - {"vi", "en"})
    return {"markers": markers, "marker_options": options(languages) if markers else [],
            "marker_origins": ORIGIN_LABELS, "encoding_label": encoding_label(encoding)}


def chosen_meanings(form) -> tuple[dict[str, str], list[str]]:
    """The ``mk:<marker>`` fields as a mapping (marker → meaning, as a marker file writes
    it), and the markers left out because the language written for them is not a code.
    Markers and meanings that are not ours are left out silently."""
    other = (form.get(LANG_FIELD) or "").strip()
    mapping: dict[str, str] = {}
    refused: list[str] = []
    for name, value in form.items():
        marker = name[len(FIELD):] if name.startswith(FIELD) else ""
        if not _MARKER.fullmatch(marker) or len(mapping) >= MAX_MARKERS:
            continue
        kind, colon, lang = value.partition(":")
        if colon and lang == OTHER and kind in _LANGUAGE_LABELS:
            value = f"{kind}:{other}"
        try:
            meaning = parse_meaning(value)
        except ValueError:
            if colon and lang == OTHER and kind in _LANGUAGE_LABELS:
                refused.append(marker)
            continue
        mapping[marker] = str(meaning)
    return mapping, refused
