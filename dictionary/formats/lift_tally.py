"""What a LIFT file does many times is told once: a warning per kind, with a count.

Where it sits: ``lift_in`` adds here what does not stop an import but a linguist should
know, one entry or sense at a time (a sense without a Vietnamese gloss, a part of speech
not in our list…); the dry run shows one warning per kind with how many, the first lines
and, for parts of speech, the values, instead of one line per entry (a FieldWorks file of
8,000 entries gave 17,000 lines).
"""
from __future__ import annotations

from collections import Counter

from .records import ImportProblem

# What a file does many times is told once, with a count and the first lines.
GROUPED = {  # kind: (where, what)
    "unglossed": ("gloss", "{n} senses have no Vietnamese gloss (first on lines {lines}): their entries are "
             "imported as drafts, listed under Quality → without a Vietnamese gloss, and can "
             "be published once glossed"),
    "senseless": ("sense", "{n} entries have no sense (in FieldWorks, often a variant or an inflected form "
             "of another entry; first on lines {lines}): they are imported as drafts and "
             "cannot be published without a sense"),
    "unknown-pos": ("grammatical-info", "{n} senses have a part of speech that is not in "
                        "data/parts_of_speech.toml: {values} (first on lines {lines}); it stays "
                        "empty and the value is kept in the LIFT data (add an alias to the "
                        "list to map it)"),
    "mixed-pos": ("entry", "{n} entries have senses with different parts of speech ({values}; "
                         "first on lines {lines}): the entry takes the first, each sense "
                         "keeps its own in the LIFT data"),
    "allomorph": ("variant", "{n} allomorphs (variants with an environment or a morph type, "
                             "first on lines {lines}) are kept in the LIFT data, not made "
                             "spelling variants"),
    "unpublished": ("entry", "{n} entries are marked do-not-publish-in in FieldWorks (first "
                             "on lines {lines}): imported as drafts"),
    "deleted": ("entry", "{n} entries are marked deleted in FieldWorks (dateDeleted; first on lines "
                   "{lines}): not imported"),
}


class Tally:
    """Occurrences by kind (``GROUPED``), each with its line and a detail."""

    def __init__(self) -> None:
        self.found: dict[str, list[tuple[int | None, str]]] = {}

    def add(self, kind: str, el, detail: str = "") -> None:
        self.found.setdefault(kind, []).append((getattr(el, "line", None), detail))

    def warnings(self) -> list[ImportProblem]:
        """One warning per kind, with how many, the first lines and the values."""
        told = []
        for kind, found in self.found.items():
            lines = [line for line, _ in found if line is not None]
            values = Counter(detail for _, detail in found if detail)
            named = "; ".join(f"{v} ({n})" for v, n in values.most_common(12))
            where, what = GROUPED[kind]
            told.append(ImportProblem(lines[0] if lines else None, where, what.format(
                n=len(found), lines=", ".join(map(str, lines[:5])), values=named)))
        return told
