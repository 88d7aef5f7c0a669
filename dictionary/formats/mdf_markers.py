r"""What each marker of a Toolbox/MDF file holds: the defaults of standard MDF, the
linguist's mapping over them, and the marker files (TOML) that carry such a mapping.

Where it sits: before ``mdf_in`` reads the records of a file, ``marker_meanings`` merges
``ImportMapping.markers`` (from ``--markers FILE`` on the command line, the import page, or
what the source remembers) over ``DEFAULT_MARKERS``; ``load_marker_file`` reads such a file
and ``MEANINGS`` lists what a marker can hold, for the CLI and the page to show. Pure
functions, no I/O.

A marker file::

    # Selaru: the national-language gloss is Indonesian, not Vietnamese
    [markers]
    gn = "gloss:id"
    ph = "phonetic"
    xp = "ignore"

The meanings (``<code>`` is a language code such as ``id``, ``zh``, ``fr``):

==================  ==========================================================================
headword            the marker that starts a record (``\lx``; only one marker)
homograph           homograph number (``\hm``)
pos                 part of speech (``\ps``), for the senses that follow it
sense               starts the next sense (``\sn``)
gloss:vi            Vietnamese gloss; ``gloss:en`` English gloss; ``gloss:<code>`` a gloss in
                    another language, kept by its code (``ParsedSense.extra["glosses"]``)
definition:vi       definition; ``definition:en`` the English one (used when there is no
                    Vietnamese one); ``definition:<code>`` kept (``extra["definitions"]``)
example             example sentence (``\xv``)
translation:vi      its Vietnamese translation; ``translation:en`` its English one (kept,
                    ``extra["xe"]``); ``translation:<code>`` kept (``extra["translations"]``)
variant             variant form (``\va``); ``variant_label`` a comment on it (``\ve``)
phonetic            phonetic transcription: the entry's pronunciation (``\ph``)
semantic_field      semantic domain (``\sd``); ``note`` note (``\nt``); ``date`` last edit
                    (``\dt``)
subentry            starts a subentry, imported as an entry of its own (``\se``)
ignore              dropped
keep                kept as it is in the entry's ``extra["mdf"]`` (every marker not listed)
==================  ==========================================================================
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

from .records import ImportFailed, ImportProblem

HEADWORD, HOMOGRAPH, POS, SENSE = "headword", "homograph", "pos", "sense"
GLOSS, DEFINITION, TRANSLATION = "gloss", "definition", "translation"  # each with a language
EXAMPLE, VARIANT, VARIANT_LABEL = "example", "variant", "variant_label"
PHONETIC, SEMANTIC_FIELD, NOTE, DATE = "phonetic", "semantic_field", "note", "date"
SUBENTRY, IGNORE, KEEP = "subentry", "ignore", "keep"
_PLAIN = (HEADWORD, HOMOGRAPH, POS, SENSE, EXAMPLE, VARIANT, VARIANT_LABEL, PHONETIC,
          SEMANTIC_FIELD, NOTE, DATE, SUBENTRY, IGNORE, KEEP)
_WITH_LANGUAGE = (GLOSS, DEFINITION, TRANSLATION)

#: What a marker can hold, as a marker file or the import page writes it.
MEANINGS: tuple[str, ...] = (
    HEADWORD, HOMOGRAPH, POS, SENSE, "gloss:vi", "gloss:en", "gloss:<code>", "definition:vi",
    "definition:en", "definition:<code>", EXAMPLE, "translation:vi", "translation:en",
    "translation:<code>", VARIANT, VARIANT_LABEL, PHONETIC, SEMANTIC_FIELD, NOTE, DATE, SUBENTRY,
    IGNORE, KEEP)

#: Standard MDF (Coward & Grimes, *Making Dictionaries*, SIL 2000) with Vietnamese as the
#: national language. Any other marker is ``keep``.
DEFAULT_MARKERS: dict[str, str] = {
    "lx": HEADWORD, "hm": HOMOGRAPH, "ps": POS, "sn": SENSE,
    "gn": "gloss:vi", "ge": "gloss:en", "dn": "definition:vi", "de": "definition:en",
    "xv": EXAMPLE, "xn": "translation:vi", "xe": "translation:en",
    "va": VARIANT, "ve": VARIANT_LABEL, "ph": PHONETIC, "sd": SEMANTIC_FIELD, "nt": NOTE,
    "dt": DATE, "se": SUBENTRY,
}

_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
_MARKER = re.compile(r"[^\s\\]+")


@dataclass(frozen=True)
class Meaning:
    """What a marker holds: ``kind`` (one of the names above) and, for a gloss, definition
    or translation, the language (``vi``, ``en`` or another code)."""

    kind: str
    lang: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.lang}" if self.lang else self.kind


KEPT = Meaning(KEEP)


def parse_meaning(text: str) -> Meaning:
    """``text`` as a ``Meaning``; ``ValueError`` says what is wrong with it.

    >>> parse_meaning(" Gloss:id "), parse_meaning("gloss:VI").lang, str(parse_meaning("note"))
    (Meaning(kind='gloss', lang='id'), 'vi', 'note')
    >>> parse_meaning("gloss")
    Traceback (most recent call last):
    ValueError: "gloss" needs a language: gloss:vi, gloss:en or gloss:<code> (such as gloss:id)
    """
    kind, colon, lang = text.strip().partition(":")
    kind = kind.strip().lower()
    lang = lang.strip()
    if kind in _WITH_LANGUAGE:
        if not lang:
            raise ValueError(f'"{kind}" needs a language: {kind}:vi, {kind}:en or '
                             f"{kind}:<code> (such as {kind}:id)")
        if not _LANGUAGE.fullmatch(lang):
            raise ValueError(f'"{lang}" in "{text.strip()}" is not a language code (such as '
                             "vi, en, id, zh, qaa-x-hre)")
        return Meaning(kind, lang.lower() if lang.lower() in ("vi", "en") else lang)
    if kind in _PLAIN and not colon:
        return Meaning(kind)
    raise ValueError(f'unknown meaning "{text.strip()}"; a marker can hold: '
                     f"{', '.join(MEANINGS)}")


def marker_name(text: str) -> str:
    """A marker as a mapping names it, without its backslash; ``ValueError`` when it is
    not one.

    >>> marker_name("\\\\gn"), marker_name(" ph ")
    ('gn', 'ph')
    """
    name = text.strip().removeprefix("\\")
    if not _MARKER.fullmatch(name):
        raise ValueError(f'"{text}" is not a marker (a name such as gn or ph, with or without '
                         "its backslash, and no spaces)")
    return name


def marker_meanings(markers: Mapping[str, str] | None = None) -> dict[str, Meaning]:
    """Every marker with a meaning: ``DEFAULT_MARKERS`` with ``markers`` over them. A marker
    mapped to ``headword`` replaces ``\\lx`` (which is then kept). ``ImportFailed`` lists
    every marker or meaning that is not one, and a mapping with no headword or two.

    >>> found = marker_meanings({"gn": "gloss:id", "\\\\ph": "ignore"})
    >>> str(found["gn"]), str(found["ge"]), str(found["ph"]), "zz" in found
    ('gloss:id', 'gloss:en', 'ignore', False)
    """
    problems: list[ImportProblem] = []
    chosen: dict[str, Meaning] = {}
    for marker, meaning in (markers or {}).items():
        try:
            chosen[marker_name(marker)] = parse_meaning(meaning)
        except ValueError as exc:
            problems.append(ImportProblem(None, None, f"marker mapping {marker} = "
                                                      f"{meaning!r}: {exc}"))
    found = {m: parse_meaning(text) for m, text in DEFAULT_MARKERS.items()}
    if any(m.kind == HEADWORD for m in chosen.values()):
        found = {m: KEPT if v.kind == HEADWORD else v for m, v in found.items()}
    found.update(chosen)
    problems += headword_problems(found)
    if problems:
        raise ImportFailed(errors=problems)
    return found


def headword_problems(found: Mapping[str, Meaning]) -> list[ImportProblem]:
    headwords = sorted(m for m, v in found.items() if v.kind == HEADWORD)
    if not headwords:
        return [ImportProblem(None, None, "no marker holds the headword: map the marker that "
                                          'starts each record to "headword" (in MDF, lx)')]
    if len(headwords) > 1:
        names = ", ".join(f"\\{m}" for m in headwords)
        return [ImportProblem(None, None, f"{names} are all mapped to headword; only one marker "
                                          "starts the records")]
    return []


def markers_for(found: Mapping[str, Meaning], kind: str, lang: str | None = None) -> list[str]:
    """The markers that hold ``kind`` (in ``lang``), as ``\\gn``, for messages."""
    return [f"\\{m}" for m, v in found.items() if v.kind == kind and (lang is None or
                                                                       v.lang == lang)]


def load_marker_file(text: str) -> dict[str, str]:
    r"""A marker file's mapping, marker (without backslash) → meaning, each checked;
    ``ImportFailed`` lists every problem with its line.

    >>> load_marker_file('[markers]\ngn = "gloss:id"\n"\\\\ph" = "Phonetic"\n')
    {'gn': 'gloss:id', 'ph': 'phonetic'}
    >>> try:
    ...     load_marker_file('[markers]\ngn = "gloss:id"\nxp = "glossary"\n')
    ... except ImportFailed as exc:
    ...     print(str(exc)[:48])
    line 3: marker "xp": unknown meaning "glossary";
    """
    try:
        data = tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ImportFailed(f"the marker file is not valid TOML: {exc}; write one line per "
                           'marker under [markers], such as gn = "gloss:id"') from None
    problems: list[ImportProblem] = []
    for key in data:
        if key != "markers":
            problems.append(ImportProblem(_line_of(text, key, table=True), None, (
                f'"{key}" is not part of a marker file; it holds one table, [markers], with '
                'one line per marker such as gn = "gloss:id"')))
    table = data.get("markers")
    if not isinstance(table, dict):
        if table is None:
            problems.append(ImportProblem(None, None, "the marker file has no [markers] table; "
                                                      "write [markers] on its first line, then "
                                                      'one line per marker such as gn = "gloss:id"'))
        raise ImportFailed(errors=problems)
    mapping: dict[str, str] = {}
    start = _line_of(text, "markers", table=True) or 0
    for key, value in table.items():
        line = _line_of(text, key, after=start)
        try:
            name = marker_name(key)
            if not isinstance(value, str):
                raise ValueError(f"the meaning must be text in quotes, such as \"gloss:id\"; "
                                 f"found {value!r}")
            mapping[name] = str(parse_meaning(value))
        except ValueError as exc:
            problems.append(ImportProblem(line, None, f'marker "{key}": {exc}'))
    if not problems:
        headwords = [m for m, v in mapping.items() if v == HEADWORD]
        if len(headwords) > 1:
            problems += [ImportProblem(_line_of(text, headwords[1], after=start), None, (
                f"{', '.join(chr(92) + m for m in headwords)} are all mapped to headword; only "
                "one marker starts the records"))]
    if problems:
        raise ImportFailed(errors=problems)
    marker_meanings(mapping)  # no headword left (lx = "keep"): said now, not at the import
    return mapping


def _line_of(text: str, key: str, *, table: bool = False, after: int = 0) -> int | None:
    """The line where ``key`` is defined: as a key (quoted or not), or as a ``[table]``;
    only lines after line ``after`` are looked at."""
    quoted = {key, f'"{key}"', f"'{key}'", '"' + key.replace("\\", "\\\\") + '"'}
    names = "|".join(re.escape(n) for n in sorted(quoted))
    patterns = [re.compile(rf"\s*(?:{names})\s*=")]
    if table:
        patterns.insert(0, re.compile(rf"\s*\[+\s*(?:{names})\s*[\].]"))
    for pattern in patterns:
        for number, line in enumerate(text.splitlines(), 1):
            if number > after and pattern.match(line):
                return number
    return None
