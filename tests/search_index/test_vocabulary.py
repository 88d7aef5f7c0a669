"""The fuzzy map (search_index/vocabulary.py) on a real Whoosh index in tmp_path."""
from __future__ import annotations


import pytest

from dictionary import REPO_ROOT
from search_index import SearchIndex, make_document
from search_index.orthography import load_rules
from search_index.vocabulary import Vocabulary

RULES = load_rules(REPO_ROOT / "data" / "orthography")


def doc(i: str, lang: str, headword: str, *glosses: str) -> dict:
    return make_document({"id": i, "lang": lang, "headword": headword, "glosses": list(glosses),
                          "examples": [("zaxo zoqu", "ví dụ thôi")]}, RULES[lang])


@pytest.fixture
def index(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    with ix.write_lock(1):
        ix.build([doc("hre-1", "hre", "zabok 2x", "con chó đen", "9 con"),
                  doc("cua-1", "cua", "Zápa", "tiếng nói")])
    yield ix
    ix.close()


def test_indexed_words_are_single_words_only(index):
    view = index.view()
    assert view.words("vi_l") == {"hre:con", "hre:cho", "hre:den", "hre:9",
                                              "cua:tieng", "cua:noi"}
    # no whole texts (=), pairs (+) or example words (@)
    assert view.words("hw_l") == {"hre:zabok", "hre:2x", "cua:zapa"}


def test_near_finds_typos_including_transpositions(index):
    vocab = Vocabulary("vi_l")
    vocab.refresh(index.view(), generation=1)
    assert vocab.near("cua", "tiegn", 1) == [(1, "cua:tieng")]  # transposition = one edit
    assert vocab.near("cua", "tieng", 1) == [(0, "cua:tieng")]
    assert vocab.near("cua", "tieg", 1) == [(1, "cua:tieng")]  # deletion
    assert vocab.near("cua", "tiemg", 1) == [(1, "cua:tieng")]  # substitution
    assert vocab.near("cua", "tiiengg", 1) == []  # two edits in a short word: too far
    assert vocab.near("hre", "tieng", 1) == []  # other language
    assert vocab.near("hre", "co", 1) == []  # too short to correct
    assert vocab.near_any(("hre", "cua"), "tiegn", 1) == [(1, "cua:tieng")]  # one lookup, both


def test_refresh_adds_and_removes_only_what_changed(index):
    vocab = Vocabulary("vi_l")
    vocab.refresh(index.view(), generation=1)
    before = dict(vocab.variants)
    with index.write_lock(1):
        index.write([doc("hre-2", "hre", "zimlu", "nước")], ["cua-1"])
    vocab.refresh(index.view(), generation=2)
    assert vocab.near("hre", "nuoc", 1) == [(0, "hre:nuoc")]
    assert vocab.variants["con"] == before["con"]  # untouched words stay as they were
    # A deleted document's keys stay in its segment's tables until the segment is merged
    # away, so the map may still know "tieng"; lookups skip deleted documents, so nothing
    # is found:
    found = index.search("tiegn", ["cua"], RULES)
    assert found.hits == [] and found.suggestions == []
    # After a rebuild (one merged segment) the word is gone from the map too.
    with index.write_lock(1):
        index.build([doc("hre-1", "hre", "zabok", "con chó đen"), doc("hre-2", "hre", "zimlu", "nước")])
    vocab.refresh(index.view(), generation=3)
    assert "cua:tieng" not in vocab.words and "ieng" not in vocab.variants
    assert vocab.near("cua", "tieng", 1) == []
    vocab.refresh(index.view(), generation=3)  # same generation: no work
    assert vocab.generation == 3
