"""Memoisation bounded in bytes, for the caches that anyone's query can fill.

Where it sits: the text rules and the query engine cache their per-word and per-chunk work
(``normalize``, ``typing_decode``, ``query``, ``documents``), because a language has a small
vocabulary and the same words come back all day. ``functools.lru_cache`` bounds a cache by
its number of entries, and an entry's size is set by whoever typed the query: a stream of
unique 200-letter words once grew the server by 5.6 MB a request. Here every cache has a
budget in bytes (keys and results counted with ``sizeof``), and one result larger than
``max_entry`` is returned without being kept, so no single query can flush the useful
entries or hold a large result.

Hits cost one ``OrderedDict`` lookup and a ``move_to_end`` (both in C); the lock is taken only
to add and evict, so readers never wait on it.
"""
from __future__ import annotations

import functools
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple, TypeVar

T = TypeVar("T")

# What the cache itself spends per entry besides key and result: the ordered dict's node and
# slot, and the (result, size) pair. Measured with tracemalloc on CPython 3.11: about 150.
ENTRY_OVERHEAD = 160
_REF = 8  # an object that is shared, not owned by the entry (rule sets, functions): a pointer


def sizeof(obj: object) -> int:
    """Bytes an entry owns: strings and numbers, and containers of them, counted deeply.

    Any other object (a rule set, a function) is shared by many entries and counted as a
    reference.

    >>> sizeof("a") < sizeof("a" * 100) < sizeof(("a" * 100, "b"))
    True
    >>> sizeof(frozenset({"ab", "cd"})) > 2 * sizeof("ab")
    True
    """
    if isinstance(obj, (str, bytes, int, float)) or obj is None:
        return sys.getsizeof(obj)
    if isinstance(obj, (tuple, list, frozenset, set)):
        return sys.getsizeof(obj) + sum(map(sizeof, obj))
    return _REF


class MemoInfo(NamedTuple):
    hits: int
    misses: int
    entries: int
    bytes: int
    max_bytes: int


def memo(max_bytes: int, max_entry: int = 512) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Cache a pure function of hashable positional arguments within ``max_bytes``, least
    recently used first out; results bigger than ``max_entry`` bytes are not kept.

    >>> @memo(max_bytes=2_000, max_entry=600)
    ... def twice(s): return s * 2
    >>> twice("ab"), twice("ab"), twice.cache_info().hits
    ('abab', 'abab', 1)
    >>> for i in range(1_000): _ = twice(f"word{i}")
    >>> twice.cache_info().bytes <= 2_000
    True
    >>> len(twice("x" * 500)), "x" * 500 in [k[0] for k in twice.cache_keys()]
    (1000, False)
    """
    if max_entry > max_bytes:
        raise ValueError("max_entry must not exceed max_bytes")

    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        data: OrderedDict[tuple, tuple[T, int]] = OrderedDict()
        lock = threading.Lock()
        # held bytes, hits, misses: one list so the closure can rebind nothing
        stats = [0, 0, 0]
        move_to_end = data.move_to_end

        @functools.wraps(fn)
        def cached(*args):
            try:
                entry = data[args]
            except KeyError:
                pass
            else:
                try:
                    move_to_end(args)
                except KeyError:  # evicted by another thread in between: still a valid result
                    pass
                stats[1] += 1
                return entry[0]
            stats[2] += 1
            result = fn(*args)
            size = sizeof(args) + sizeof(result) + ENTRY_OVERHEAD
            if size > max_entry:
                return result
            with lock:
                if args not in data:
                    data[args] = (result, size)
                    stats[0] += size
                    while stats[0] > max_bytes:
                        stats[0] -= data.popitem(last=False)[1][1]
            return result

        def cache_info() -> MemoInfo:
            return MemoInfo(stats[1], stats[2], len(data), stats[0], max_bytes)

        def cache_clear() -> None:
            with lock:
                data.clear()
                stats[:] = [0, 0, 0]

        cached.cache_info = cache_info  # type: ignore[attr-defined]
        cached.cache_clear = cache_clear  # type: ignore[attr-defined]
        cached.cache_keys = lambda: list(data)  # type: ignore[attr-defined]
        return cached

    return decorate
