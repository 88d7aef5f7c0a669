"""Caches that anyone's query fills are bounded in bytes, and a stream of unique long words
leaves the server's memory flat (the fuzzy tier never expands a word that cannot be a typo)."""
from __future__ import annotations

import functools
import gc
import importlib
import pkgutil
import random
import string
import threading
import tracemalloc

import search_index
from search_index import documents
from search_index.memo import memo, sizeof
from search_index.vocabulary import Vocabulary


def test_a_cache_never_holds_more_bytes_than_its_budget():
    @memo(max_bytes=50_000, max_entry=5_000)
    def upper(text):
        return text.upper()

    for i in range(5_000):
        upper(f"{i:05d}" * (i % 40 + 1))
        assert upper.cache_info().bytes <= 50_000
    info = upper.cache_info()
    held = sum(sizeof(k) + sizeof(k[0].upper()) for k in upper.cache_keys())
    assert info.entries == len(upper.cache_keys()) > 50
    assert held < info.bytes <= 50_000  # the estimate includes the cache's own overhead


def test_a_result_larger_than_an_entry_is_returned_but_not_kept():
    @memo(max_bytes=100_000, max_entry=1_000)
    def repeat(word, n):
        return word * n

    assert repeat("ab", 2_000) == "ab" * 2_000
    assert repeat.cache_info().entries == 0
    repeat("ab", 2)
    assert repeat.cache_info().entries == 1


def test_least_recently_used_entries_go_first():
    @memo(max_bytes=3 * 400, max_entry=400)
    def same(word):
        return word

    same("a"), same("b"), same("c")
    same("a")  # used again: now the most recent
    same("d")
    keys = [k[0] for k in same.cache_keys()]
    assert "a" in keys and "d" in keys and "b" not in keys


def test_the_byte_count_stays_exact_under_threads():
    @memo(max_bytes=20_000, max_entry=2_000)
    def pad(word):
        return word.ljust(40)

    def hammer(seed):
        rng = random.Random(seed)
        for _ in range(3_000):
            pad(str(rng.randrange(400)))

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    info = pad.cache_info()
    expected = sum(sizeof(k) + sizeof(k[0].ljust(40)) + 160 for k in pad.cache_keys())
    assert info.bytes == expected <= 20_000


def test_no_search_cache_is_bounded_by_count_alone():
    """``functools.lru_cache`` is only allowed where its key is configuration (a rule set),
    never text a query brings."""
    checked = 0
    for info in pkgutil.iter_modules(search_index.__path__):
        module = importlib.import_module(f"search_index.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, functools._lru_cache_wrapper) and obj.__module__ == module.__name__:
                checked += 1
                maxsize = obj.cache_parameters()["maxsize"]
                assert maxsize is not None and maxsize <= 64, f"{module.__name__}.{name}"
    assert checked >= 3  # the collation and rule caches were found


# ---- the fuzzy map ----------------------------------------------------------------------------
class _View:
    def __init__(self, words):
        self._words = frozenset(words)

    def words(self, _field):
        return self._words


def test_a_word_longer_than_any_indexed_word_is_not_expanded():
    vocab = Vocabulary("loose")
    vocab.refresh(_View({"hre:tieng", "hre:nuoc", "vi:truong"}), 1)
    assert vocab.longest == 6
    assert vocab.near("hre", "tiegn", 1) == [(1, "hre:tieng")]
    documents.deletes.cache_clear()
    for word in ("q" * 200, "tiengggggg", "x" * 33):
        assert vocab.near_any(("hre", "vi"), word, 2) == []
    assert documents.deletes.cache_info().misses == 0  # no neighbourhood was computed
    assert vocab.near_any(("hre",), "tiengg", 1) == [(1, "hre:tieng")]  # 6 + 1: still looked up


def test_the_longest_word_follows_the_vocabulary():
    vocab = Vocabulary("loose")
    vocab.refresh(_View({"hre:tieng", "hre:abcdefghij"}), 1)
    assert vocab.longest == 10
    vocab.refresh(_View({"hre:tieng"}), 2)
    assert vocab.longest == 5


# ---- the whole request path -------------------------------------------------------------------
def _unique_words(n: int, length: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(string.ascii_lowercase, k=length)) for _ in range(n)]


def test_memory_stays_flat_under_unique_long_words(bundled_copy):
    """The outside probe: each search a new random 200-letter word. It grew the server by
    5.6 MB a request; now a thousand of them leave no trace beyond noise."""
    client = bundled_copy.test_client()
    for word in _unique_words(50, 200, seed=1):  # first requests allocate for good
        assert client.get("/api/v1/search", query_string={"q": word}).status_code == 200
        assert client.get("/search", query_string={"q": word}).status_code == 200
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for word in _unique_words(1_000, 200, seed=2):
            response = client.get("/api/v1/search", query_string={"q": word})
            assert response.status_code == 200 and response.get_json()["results"] == []
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 256 * 1024, f"grew {grown} bytes over 1,000 unique long words"
