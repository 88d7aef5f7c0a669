"""Which writing system of a LIFT file holds what: the linguist's mapping, and its defaults.

Where it sits: ``lift_in`` asks ``WritingSystems.role`` for every form and gloss it reads,
and counts them here by where they were found, so the dry run can list the file's writing
systems with counts and the role each one got (``table``). FieldWorks projects name
writing systems freely (``qaa-x-hre``, ``hre-Latn``, ``seh``, ``gsl-Qaaa-x-orth``); the
linguist maps them (``ImportMapping.ws``: ``--ws CODE=ROLE`` on the command line, a select
per writing system on the import page). Without a mapping:

- the import's language (``hre``, ``hre-Latn``, ``x-hre``) is the headword, and its
  ``-fonipa`` forms are phonetic transcription;
- when the first entry's lexical unit has no form in that language but one in exactly one
  other (non-phonetic) writing system, that one is taken as the headword's, with a warning
  that says so;
- ``vi`` is the Vietnamese gloss; every other gloss language is kept as another language's
  gloss (English in ``gloss_en``, the rest in ``extra["glosses"]``).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
import xml.etree.ElementTree as ET

from search_index import normalize

from .lift_xml import is_audio, is_ipa, is_lang, text_of
from .records import HEADWORD, IGNORE, OTHER_GLOSS, PHONETIC_WS, VIETNAMESE, WS_ROLES, ImportProblem

# Where a form was found, in the order the table lists them.
CONTEXTS = ("lexical-unit", "citation", "pronunciation", "variant", "gloss", "definition",
            "example", "translation", "note")
GLOSS_CONTEXTS = ("gloss", "definition", "translation", "note")
NO_LANG = "und"  # a form or gloss without a lang attribute (ELAN writes some): "undetermined"


def parse_ws_option(values: Iterable[str]) -> dict[str, str]:
    """``--ws CODE=ROLE`` options as a mapping; ``ValueError`` with a message for people.

    >>> parse_ws_option(["qaa-x-hre=headword", "EN=gloss"])
    {'qaa-x-hre': 'headword', 'en': 'gloss'}
    """
    mapping: dict[str, str] = {}
    for value in values:
        code, sep, role = value.partition("=")
        code, role = code.strip().casefold(), role.strip().casefold()
        if not sep or not code:
            raise ValueError(f'"{value}": write CODE=ROLE, e.g. qaa-x-hre=headword')
        if role not in WS_ROLES:
            raise ValueError(f'"{value}": the role must be one of {", ".join(WS_ROLES)}')
        mapping[code] = role
    return mapping


class WritingSystems:
    """The roles of one file's writing systems, and where each was found how often."""

    def __init__(self, lang: str | None, mapping: dict[str, str] | None = None) -> None:
        self.lang = lang
        self.mapping = {k.casefold(): v for k, v in (mapping or {}).items()}
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.inferred: str | None = None  # the headword's writing system, when guessed

    def code(self, el: ET.Element) -> str:
        return (el.get("lang") or "").casefold() or NO_LANG

    def count(self, context: str, elements: Iterable[ET.Element]) -> None:
        for el in elements:
            if not is_audio(el):
                self.counts[self.code(el)][context] += 1

    def role(self, el: ET.Element) -> str | None:
        """What ``el`` (a form or a gloss) holds; None: nothing the model keeps."""
        code = self.code(el)
        if code in self.mapping:
            return self.mapping[code]
        if is_audio(el):
            return None
        if self.lang and is_lang(el, self.lang) or code == self.inferred or (
                self.inferred and is_ipa(el) and is_lang(el, self.inferred.split("-")[0])):
            return PHONETIC_WS if is_ipa(el) else HEADWORD
        if is_lang(el, "vi"):
            return VIETNAMESE
        return OTHER_GLOSS

    def headword_forms(self, forms: list[ET.Element]) -> list[ET.Element]:
        """The forms that may be the headword: mapped or defaulted to it, orthographic
        before phonetic transcription (a file may have only the latter)."""
        mine = [f for f in forms if self.role(f) in (HEADWORD, PHONETIC_WS)]
        return sorted(mine, key=lambda f: (self.role(f) != HEADWORD, is_ipa(f)))

    def definition(self, forms: list[ET.Element]) -> ET.Element | None:
        """The definition the model keeps: the Vietnamese one, else the English one (unless
        English is mapped away)."""
        return next((f for f in forms if self.role(f) == VIETNAMESE), None) or next(
            (f for f in forms if is_lang(f, "en") and self.role(f) == OTHER_GLOSS), None)

    def infer(self, units: Iterable[ET.Element]) -> None:
        """Guess the headword's writing system from the first entry's lexical unit (and
        citation) when nothing is mapped to it and they have no form in the import's
        language: the one (non-phonetic) writing system they use, if there is exactly one."""
        if HEADWORD in self.mapping.values():
            return
        codes = {self.code(f) for unit in units for f in unit.findall("form")
                 if not is_audio(f)}
        if self.lang and any(is_lang(ET.Element("form", lang=c), self.lang) for c in codes):
            return
        plain = {c for c in codes if "fonipa" not in c.split("-") and c not in self.mapping}
        if len(plain) == 1 and NO_LANG not in plain:
            self.inferred = plain.pop()

    def warnings(self) -> list[ImportProblem]:
        if self.inferred is None:
            return []
        return [ImportProblem(None, "lexical-unit", (
            f'the headwords are read from writing system "{self.inferred}", the only one of '
            f"the file's lexical units (map it to say so: --ws {self.inferred}=headword)"))]

    def table(self) -> list[dict]:
        """Every writing system found, most used first: code, counts by context, role."""
        rows = []
        for code, counts in self.counts.items():
            probe = ET.Element("form", lang="" if code == NO_LANG else code)
            role = self.role(probe)
            if role == OTHER_GLOSS and code not in self.mapping and not any(
                    counts[c] for c in GLOSS_CONTEXTS):
                role = IGNORE  # only ever a form: kept in the entry's LIFT data
            rows.append({"code": code, "total": sum(counts.values()), "role": role or IGNORE,
                         "mapped": code in self.mapping,
                         "counts": {c: counts[c] for c in CONTEXTS if counts[c]}})
        return sorted(rows, key=lambda r: (-r["total"], r["code"]))


def other_glosses(glosses: Iterable[ET.Element], ws: WritingSystems) -> dict[str, str]:
    """Glosses kept as another language's (not Vietnamese, not English): code → text, in
    storage form, several of one language joined with "; "."""
    found: dict[str, list[str]] = {}
    for gloss in glosses:
        if ws.role(gloss) == OTHER_GLOSS and not is_lang(gloss, "en"):
            text = normalize.clean(text_of(gloss))
            if text:
                found.setdefault(ws.code(gloss), []).append(text)
    return {code: "; ".join(texts) for code, texts in found.items()}
