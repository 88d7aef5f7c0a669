"""Tables and fuzzy maps saved beside a segment (search_index/snapshot.py), and the merge
policy that keeps large segments (search_index/store.py), on real Whoosh indexes.

The size thresholds are lowered for these small indexes (module constants, as a lexicon
of 100,000 entries would cross them)."""
from __future__ import annotations

import pytest

from dictionary import REPO_ROOT
from search_index import SearchIndex, make_document, snapshot, store
from search_index.orthography import load_rules

RULES = load_rules(REPO_ROOT / "data" / "orthography")
GLOSSES = ["con chó", "con mèo", "cây", "nước", "tiếng nói", "mặt trời"]


def hw(n: int) -> str:
    return f"zab{'o' * (n % 7)}k{n}"


def doc(n: int) -> dict:
    return make_document({"id": f"hre-{n}", "lang": "hre", "headword": hw(n),
                          "glosses": [GLOSSES[n % len(GLOSSES)]]}, RULES["hre"])


@pytest.fixture
def index(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "SAVE_MIN_DOCS", 5)
    ix = SearchIndex(tmp_path / "index")
    with ix.write_lock(1):
        ix.build([doc(n) for n in range(20)])
    yield ix
    ix.close()


def generation(ix: SearchIndex):
    return ix.path / (ix.path / "CURRENT").read_text()


def test_a_second_process_loads_what_the_first_saved(index):
    index.warm_up()
    saved = sorted(p.suffix for p in generation(index).glob("MAIN_*.*") if p.suffix != ".lock"
                   and p.suffix in (".tables", ".fuzzy"))
    assert saved == [".fuzzy", ".tables"]
    again = SearchIndex(index.path)  # another process: nothing in memory yet
    again.warm_up()
    built, loaded = index.view().leaves[0][0], again.view().leaves[0][0]
    assert loaded.rows == built.rows and loaded.hits == built.hits
    for slot in range(6):
        assert loaded.sorted_keys(slot) == built.sorted_keys(slot)
    for side in ("hw", "vi"):
        assert again._vocabularies[side].variants == index._vocabularies[side].variants
        assert again._vocabularies[side].longest == index._vocabularies[side].longest
    for query in ("con cho", hw(4), "tieng", "mat troi", "nuco", hw(5)[:-1] + "x"):  # exact … fuzzy
        assert again.search(query, ["hre"], RULES).hits == index.search(query, ["hre"], RULES).hits
    again.close()


def test_an_unreadable_file_is_built_again(index):
    index.warm_up()
    tables = next(generation(index).glob("MAIN_*.tables"))
    tables.write_bytes(b"not marshal")
    again = SearchIndex(index.path)
    assert again.search(hw(4), ["hre"], RULES).hits[0].id == "hre-4"
    assert tables.read_bytes() != b"not marshal"  # written again
    again.close()


def test_edits_never_merge_the_large_segment_and_its_files_stay(index, monkeypatch):
    monkeypatch.setattr(store, "KEEP_SEGMENT_DOCS", 10)
    index.warm_up()
    base = index.searcher().reader().leaf_readers()[0][0].segment().segment_id()
    for n in range(20, 60):  # enough single-document segments for Whoosh to merge some
        with index.write_lock(1):
            index.write([doc(n)], [f"hre-{n - 20}"] if n % 3 == 0 else [])
        segments = [leaf.segment().segment_id()
                    for leaf, _ in index.searcher().reader().leaf_readers()]
        assert segments[0] == base
    assert len(segments) < 40  # the small ones were merged among themselves
    assert (generation(index) / f"{base}.tables").exists()
    assert index.search(hw(53), ["hre"], RULES).hits[0].id == "hre-53"
    assert "hre-4" not in {h.id for h in index.search(hw(4), ["hre"], RULES).hits}  # deleted
