"""One LIFT value read with the checks a CSV cell gets, and the problems found so far.

Where it sits: the base of ``lift_in``'s reader. ``value`` reads an element's text (or a
trait's value) in storage form, refusing bad characters and overlong text with the element's
line; ``take`` does that for an element the model holds and marks it as a slot, so
``lift_out`` can put the stored element back while the model still says the same.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .lift_xml import TRAIT_KINDS, mark, text_of, value_of
from .records import ImportProblem
from .table_in import LIMITS
from .text import bad_character

__all__ = ["LIMITS", "ValueReader"]


class ValueReader:
    """Problems (stop the import) and warnings (do not), each with its XML line."""

    def __init__(self) -> None:
        self.problems: list[ImportProblem] = []
        self.warnings: list[ImportProblem] = []

    def problem(self, el: ET.Element, message: str, where: str | None = None) -> None:
        self.problems.append(ImportProblem(getattr(el, "line", None), where or el.tag, message))

    def warn(self, el: ET.Element, message: str) -> None:
        self.warnings.append(ImportProblem(getattr(el, "line", None), el.tag, message))

    def value(self, kind: str, elements: list[ET.Element], limit: str | None = None,
              where: str | None = None) -> str:
        """``value_of`` with the checks CSV cells get: bad characters and length."""
        for el in elements:
            bad = bad_character(el.get("value") or "" if kind in TRAIT_KINDS else text_of(el),
                                multiline=True)
            if bad:
                self.problem(el, bad, where)
                return ""
        value = value_of(kind, elements)
        maximum = LIMITS.get(limit or kind)
        if maximum is not None and len(value) > maximum:
            self.problem(elements[0], f"{len(value)} characters; at most {maximum} fit", where)
        return value

    def take(self, parent, child, kind: str) -> str | None:
        """The value of one modelled element, which is marked as a slot."""
        if parent is None or child is None:
            return None
        value = self.value(kind, [child], where=parent.tag if child.tag == "form" else None)
        mark(parent, child, kind)
        return value or None
