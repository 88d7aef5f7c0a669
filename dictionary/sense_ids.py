"""Public ids of senses and examples, for whatever points into the lexicon from outside.

Where it sits: an entry's public id (``hre-000123``) is stable; a sense is named by it and
its number in the entry (``hre-000123/1``, 1-based, as the entry page numbers senses and
anchors them ``#s1``), an example by the sense's id and its number (``hre-000123/1/2``).
``lessons`` stores these, never lexicon text, and reads the text through ``resolve`` when it
shows it. A merge moves senses to another entry: ``entries_merged`` carries the map of old
ids to new ones (``refs``) so followers can re-point.

>>> parse("hre-000123/1")
Ref(public_id='hre-000123', sense=1, example=None)
>>> parse("cua-000007/2/3").example
3
>>> sense_id("hre-000123", 0)
'hre-000123/1'
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .models import PUBLISHED, Entry, Example, Sense

_REF = re.compile(r"([a-z]{2,8}-\d{1,9})/([1-9]\d{0,3})(?:/([1-9]\d{0,3}))?")


class Ref(NamedTuple):
    public_id: str
    sense: int  # 1-based
    example: int | None  # 1-based, None for a sense

    def __str__(self) -> str:
        tail = f"/{self.example}" if self.example is not None else ""
        return f"{self.public_id}/{self.sense}{tail}"


def parse(ref: str) -> Ref:
    """``ValueError`` unless ``ref`` is a sense id or an example id."""
    m = _REF.fullmatch(ref.strip())
    if not m:
        raise ValueError(f"{ref!r} is not a sense id (hre-000123/1) or an example id "
                         "(hre-000123/1/2)")
    return Ref(m[1], int(m[2]), int(m[3]) if m[3] else None)


def sense_id(public_id: str, position: int) -> str:
    """The id of the sense at ``position`` (0-based, ``Sense.position``) of an entry."""
    return f"{public_id}/{position + 1}"


def example_id(public_id: str, sense_position: int, example_position: int) -> str:
    return f"{public_id}/{sense_position + 1}/{example_position + 1}"


def ids_of(entry: Entry) -> dict[int, str]:
    """Sense row id → public sense id, for every sense of ``entry`` as it stands."""
    return {s.id: sense_id(entry.public_id, s.position) for s in entry.senses}


def resolve(session: Session, refs: Iterable[str], *, published_only: bool = True
            ) -> dict[str, Sense | Example]:
    """The sense or example each id names, for those that exist (and belong to a published
    entry, unless ``published_only`` is false), with entry, senses and examples loaded.
    Ids that do not parse or do not resolve are absent from the result."""
    wanted: dict[str, Ref] = {}
    for ref in refs:
        try:
            wanted[ref] = parse(ref)
        except ValueError:
            continue
    if not wanted:
        return {}
    query = (select(Entry)
             .where(Entry.public_id.in_({r.public_id for r in wanted.values()}))
             .options(selectinload(Entry.senses).selectinload(Sense.examples),
                      selectinload(Entry.language)))
    if published_only:
        query = query.where(Entry.status == PUBLISHED)
    entries = {e.public_id: e for e in session.scalars(query)}
    found: dict[str, Sense | Example] = {}
    for ref, r in wanted.items():
        entry = entries.get(r.public_id)
        senses = {s.position + 1: s for s in entry.senses} if entry else {}
        sense = senses.get(r.sense)
        if sense is None:
            continue
        if r.example is None:
            found[ref] = sense
            continue
        examples = {x.position + 1: x for x in sense.examples}
        if r.example in examples:
            found[ref] = examples[r.example]
    return found
