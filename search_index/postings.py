"""Lists of document numbers: union across languages, intersection across words.

Where it sits: under ``query``. Every row of the lookup tables (``tables``) gives ascending
document numbers, so a union is a merge and an intersection walks the shortest list and
probes the others by bisection.
"""
from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Iterator, Sequence

# Lists longer than this are merged lazily (``heapq.merge``) rather than sorted whole.
SMALL = 64


def ascending(lists: list[Iterable[int]]) -> Iterable[int]:
    """The union of ascending, disjoint ``lists`` (one per language), ascending. A long
    intersection comes as an iterator and is merged lazily."""
    if len(lists) == 1:
        return lists[0]
    if all(isinstance(docs, Sequence) for docs in lists) and sum(map(len, lists)) <= SMALL:
        return sorted([d for docs in lists for d in docs])
    return heapq.merge(*lists)


def intersection(lists: list[Sequence[int]]) -> Sequence[int] | Iterator[int]:
    """Documents in all of the ascending ``lists``: the shortest list is walked and the
    others probed by bisection, so a long list (``cái``, ``con``) costs a few steps per
    candidate, not a walk."""
    if len(lists) == 1:
        return lists[0]
    shortest, *others = sorted(lists, key=len)
    found = (d for d in shortest if all(contains(o, d) for o in others))
    return list(found) if len(shortest) <= SMALL else found


def contains(docs: Sequence[int], d: int) -> bool:
    i = bisect.bisect_left(docs, d)
    return i < len(docs) and docs[i] == d
