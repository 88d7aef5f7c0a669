"""The in-memory lookup tables (search_index/tables.py) over a real Whoosh index in tmp_path."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from dictionary import REPO_ROOT
from search_index import SearchIndex, make_document
from search_index.orthography import load_rules
from search_index.store import CHECK_INTERVAL
from search_index.documents import HW_WHOLE, VI_PAIR, VI_WHOLE, VI_WORD
from search_index.tables import row_slots, slot_docs

ROOT = REPO_ROOT
RULES = load_rules(ROOT / "data" / "orthography")


def doc(i: str, headword: str, *glosses: str) -> dict:
    return make_document({"id": i, "lang": "hre", "headword": headword, "glosses": list(glosses)},
                         RULES["hre"])


@pytest.fixture
def index(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    with ix.write_lock(1):
        ix.build([doc("hre-1", "zabok", "con chó"), doc("hre-2", "zabu", "con mèo"),
                  doc("hre-3", "zaxi", "cây")])
    yield ix
    ix.close()


MARKERS = {"=": 0, "": 1, "+": 2}  # whole text, word, pair


def docs(view, field: str, key: str):
    """The documents of a key written as ``vi_l`` + ``hre:=con chó`` (side and strictness;
    ``=`` whole text, ``+`` pair, no mark one word)."""
    side, strict = field.split("_")
    lang, text = key.split(":", 1)
    marker = text[:1] if text[:1] in "=+" else ""
    slot = 2 * MARKERS[marker] + (side == "vi")
    return view.postings("xtl".index(strict), slot, f"{lang}:{text[len(marker):]}")


def ids(view, field: str, key: str) -> list[str]:
    return [view.hit(d)[0] for d in docs(view, field, key)]


def test_a_row_holds_every_place_a_text_occurs(index):
    view = index.view()
    row = view.row(2, "hre:con cho")  # loose: the gloss "con chó" of hre-1, whole and as a pair
    assert {slot: [view.hit(d)[0] for d in slot_docs(row, slot)] for slot in row_slots(row)} \
        == {VI_WHOLE: ["hre-1"], VI_PAIR: ["hre-1"]}
    with index.write_lock(1):
        index.write([doc("hre-4", "zazo", "ba con gà")], [])
    view = index.view()
    pair = view.leaves[-1][0].rows[2]["hre:ba con"]  # one place, one document
    assert isinstance(pair, int)  # is packed into one int, and read like any row
    assert ids(view, "vi_l", "hre:+ba con") == ["hre-4"] and ids(view, "vi_l", "hre:ba con") == []


def test_postings_span_segments_and_skip_deleted_documents(index):
    assert ids(index.view(), "vi_l", "hre:con") == ["hre-1", "hre-2"]
    with index.write_lock(1):
        index.write([doc("hre-4", "zazo", "con gà")], ["hre-2"])
    view = index.view()
    assert len(view.leaves) == 2  # the new document is in a segment of its own
    found = docs(view, "vi_l", "hre:con")
    assert list(found) == sorted(found)
    assert ids(view, "vi_l", "hre:con") == ["hre-1", "hre-4"]
    assert ids(view, "hw_x", "hre:=zabu") == []  # deleted: its keys linger, unseen
    # A row still lists the deleted document (no copy to filter it out); searches skip it.
    assert view.row(2, "hre:con meo") and view.deleted
    assert index.search("con mèo", ["hre"], RULES).hits == []
    assert [h.id for h in index.search("con", ["hre"], RULES).hits] == ["hre-1", "hre-4"]
    assert view.hit(docs(view, "hw_l", "hre:=zazo")[0]) == ("hre-4", "hre", "zazo")


def test_a_segment_is_read_once_and_shared_by_later_views(index):
    first = index.view()
    base = first.leaves[0][0]
    with index.write_lock(1):
        index.write([doc("hre-4", "zazo", "gà")], ["hre-3"])
    later = index.view()
    assert later is not first
    assert later.leaves[0][0] is base  # the old segment's tables were not read again
    assert later.leaves[0][2] != first.leaves[0][2]  # but its deletions are the new ones
    assert ids(first, "hw_l", "hre:=zaxi") == ["hre-3"]  # an older view stays consistent


def test_prefix_keys_merge_segments_in_order_each_key_once(index):
    with index.write_lock(1):
        index.write([doc("hre-4", "zabok", "chó")], [])  # "zabok" now in two segments
    keys = list(index.view().prefix_keys(HW_WHOLE, "hre:zab"))
    assert keys == ["hre:zabok", "hre:zabu"]
    assert list(index.view().prefix_keys(HW_WHOLE, "hre:zz")) == []
    assert index.view().prefix_list(HW_WHOLE, "hre:zab", 5) == keys  # the eager form
    assert index.view().prefix_list(HW_WHOLE, "hre:za", 2) == ["hre:zabok", "hre:zabu"]
    assert list(index.view().prefix_keys(VI_WORD, "hre:c")) == ["hre:cay", "hre:cho", "hre:con"]


def test_words_are_single_word_keys(index):
    assert index.view().words("vi_l") == {"hre:con", "hre:cho", "hre:meo", "hre:cay"}


def test_long_phrase_matches_in_both_languages_merge_in_order(tmp_path):
    """More matches than are intersected eagerly, in two languages at once: the lazy
    intersections of the two languages are merged in document order."""
    ix = SearchIndex(tmp_path / "index")
    docs = [make_document({"id": f"{lang}-{n}", "lang": lang, "headword": f"za{n}",
                           "glosses": ["con chó con mèo"]}, RULES[lang])
            for n in range(100) for lang in ("cua", "hre")]
    with ix.write_lock(1):
        ix.build(docs)
    found = ix.search("con chó con", ["hre", "cua"], RULES, 150)
    assert [h.id for h in found.hits] == [d["id"] for d in docs[:150]]
    assert {h.tier for h in found.hits} == {"exact"} and found.more
    ix.close()


def test_an_empty_index_has_empty_tables(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    with ix.write_lock(1):
        ix.build([])
    view = ix.view()
    assert docs(view, "hw_x", "hre:=zabok") == () and view.words("hw_l") == set()
    assert ix.search("zabok", ["hre"], RULES).hits == []


def test_writes_of_another_process_are_seen_after_the_check_interval(index):
    assert ids(index.view(), "hw_l", "hre:=zoru") == []
    script = (
        "import sys; from search_index import SearchIndex, make_document;"
        "from search_index.orthography import load_rules;"
        "r = load_rules(sys.argv[2])['hre']; ix = SearchIndex(sys.argv[1]);"
        "d = make_document({'id': 'hre-9', 'lang': 'hre', 'headword': 'zoru', 'glosses': []}, r);"
        "lock = ix.write_lock(5); lock.__enter__(); ix.write([d], [])"
    )
    subprocess.run([sys.executable, "-c", script, str(index.path), str(ROOT / "data" / "orthography")],
                   check=True, cwd=ROOT)
    time.sleep(CHECK_INTERVAL + 0.05)
    assert ids(index.view(), "hw_l", "hre:=zoru") == ["hre-9"]


def test_many_small_writes_merge_segments_and_stay_searchable(index):
    """One entry per write, as the review workflow publishes them: Whoosh merges the small
    segments every few writes. (whoosh3 3.54.0 failed on such a merge when postings were
    stored inline in the term dictionary, after the fifth write.)"""
    for n in range(12):
        with index.write_lock(1):
            index.write([doc(f"hre-{10 + n}", f"zeku{n}", f"hoa {n}")], [])
        if n % 3 == 0:  # and an update that replaces an existing document
            with index.write_lock(1):
                index.write([doc("hre-1", f"zabok{n}", "con chó")], [])
    view = index.view()
    assert len(view.leaves) < 12  # merged
    assert set(ids(view, "vi_l", "hre:hoa")) == \
        {f"hre-{10 + n}" for n in range(12)}
    found = index.search("zeku7", ["hre"], RULES)
    assert [h.id for h in found.hits][:1] == ["hre-17"]
    assert ids(view, "hw_l", "hre:=zabok9") == ["hre-1"]


def test_an_index_of_an_older_format_must_be_rebuilt(index):
    from search_index.store import FORMAT_FILE

    assert index.is_current()
    marker = index.path / (index.path / "CURRENT").read_text() / FORMAT_FILE
    marker.unlink()  # as written by code before the format marker existed
    assert not index.is_current()
