"""The ``<?slot KIND?>`` machinery of ``lift_out``: put the model's values back where the
stored LIFT XML had them.

Where it sits: ``lift_in`` marks each element whose value the model holds with a slot
instruction in the XML it keeps; ``lift_out`` fills the slots from the model with these
functions: ``fill`` keeps the stored element while the model says the same and makes a new
one when the value was edited, ``fill_box`` does it inside a container (a note, a
definition), ``fill_list`` for variants and examples, ``insert`` places a new element where
LIFT's order (FieldWorks') puts it, and ``strip_slots`` takes the instructions out.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from .lift_xml import SLOT, value_of

INNER_ORDER = ("form", "translation", "media", "pronunciation", "relation", "note", "field",
               "trait")
Make = Callable[[str, "ET.Element | None"], ET.Element]


def slots_of(parent: ET.Element, kind: str) -> list[tuple[ET.Element, ET.Element | None]]:
    """The ``<?slot kind?>`` instructions among the children and the element after each."""
    children = list(parent)
    return [(c, children[i + 1] if i + 1 < len(children) else None)
            for i, c in enumerate(children)
            if c.tag is ET.PI and c.text.split()[:2] == [SLOT, kind]]


def remove(parent: ET.Element, slots, *, keep: bool) -> int | None:
    """Take the instructions out (and their elements, unless ``keep``); the first one's place."""
    at = list(parent).index(slots[0][0]) if slots else None
    for pi, el in slots:
        parent.remove(pi)
        if el is not None and not keep and el.tag is not ET.PI:
            parent.remove(el)
    return at


def fill(parent: ET.Element, order, kind: str, value: str | None, make: Make) -> None:
    """Put the model's ``value`` where the ``kind`` slots of ``parent`` are: the stored
    elements stay when they still give that value, else one new element takes their place."""
    slots = slots_of(parent, kind)
    olds = [el for _, el in slots if el is not None and el.tag is not ET.PI]
    same = bool(value) and bool(olds) and value_of(kind, olds) == value
    at = remove(parent, slots, keep=same)
    if value and not same:
        insert(parent, order, make(value, olds[0] if olds else None), at)


def fill_box(parent, order, tag: str, attrs: dict, kind: str, value: str | None,
              make: Make) -> None:
    """``_fill`` inside a container (``<definition>``, ``<note>``, ``<translation>`` …):
    the one holding the slot, else the first such container, else a new one."""
    box = next((c for c in parent if c.tag == tag and slots_of(c, kind)), None)
    if box is None:
        box = next((c for c in parent if c.tag == tag and c.get("type") == attrs.get("type")),
                   None)
    if box is None:
        if not value:
            return
        box = ET.Element(tag, attrs)
        insert(parent, order, box)
    fill(box, INNER_ORDER, kind, value, make)
    if not len(box) and not (box.text or "").strip():
        parent.remove(box)


def fill_list(parent, order, kind: str, items, key, build) -> None:
    """List slots (variants, examples): each item is written from the stored element with
    the same key, else the one at its position, else from nothing; stored elements left
    over were deleted from the model and go."""
    slots = [(pi, el) for pi, el in slots_of(parent, kind) if el is not None]
    olds = [el for _, el in slots]
    inner = {"variant": "form", "example": "text"}[kind]
    keys = [value_of(inner, [x for _, x in slots_of(el, inner) if x is not None]) for el in olds]
    base: list[ET.Element | None] = [None] * len(items)
    free = list(range(len(olds)))
    for i, item in enumerate(items):
        j = next((j for j in free if keys[j] == key(item)), None)
        if j is not None:
            base[i] = olds[j]
            free.remove(j)
    for i in range(len(items)):
        if base[i] is None and i in free:
            base[i] = olds[i]
            free.remove(i)
    at = remove(parent, slots, keep=False)
    for i, item in enumerate(items):
        insert(parent, order, build(item, base[i]), None if at is None else at + i)


def insert(parent: ET.Element, order, el: ET.Element, at: int | None = None) -> None:
    if at is None:  # before the first sibling that comes later in ``order``
        children = list(parent)
        rank = _rank(order, el.tag)
        at = next((i for i in range(len(children)) if _rank(order, _tag(children, i)) > rank),
                  len(children))
    parent.insert(at, el)


def _tag(children: list[ET.Element], i: int) -> str:
    """A child's tag; an instruction ranks as the element it stands in front of."""
    if children[i].tag is not ET.PI:
        return children[i].tag
    if children[i].text.split()[1:2] == ["senses"]:
        return "sense"
    return _tag(children, i + 1) if i + 1 < len(children) else ""


def _rank(order, tag: str) -> int:
    return order.index(tag) if tag in order else len(order)


def strip_slots(el: ET.Element) -> None:
    for parent in el.iter():
        for child in [c for c in parent if c.tag is ET.PI]:
            parent.remove(child)
