"""Index documents (search_index/documents.py): what a worker process makes is what the
caller's process would make."""
from __future__ import annotations


from dictionary import REPO_ROOT
from search_index import make_document, make_documents
from search_index.documents import (
    EXACT,
    HW_WORD,
    LOOSE,
    VI_EXAMPLE_PAIR,
    VI_PAIR,
    VI_WHOLE,
    VI_WORD,
    decode_lookup,
)
from search_index.orthography import load_rules

RULES = load_rules(REPO_ROOT / "data" / "orthography")
DOCS = [
    {"id": "hre-1", "lang": "hre", "headword": "ʼbơ̆k zabok", "variants": ["zabŏk"],
     "glosses": ["con chó đen", "hòa bình"], "examples": [("zabok zo", "chó chạy")]},
    {"id": "cua-1", "lang": "cua", "headword": "zápa", "glosses": ["tiếng nói"]},
]


def test_a_worker_process_makes_the_same_documents_in_the_same_order():
    here = [make_document(d, RULES[d["lang"]]) for d in DOCS]
    assert list(make_documents(DOCS, RULES, workers=1)) == here
    assert list(make_documents(DOCS, RULES)) == here  # few entries: no worker


def test_the_lookup_column_holds_hit_and_keys_per_strictness_and_slot():
    lookup = decode_lookup(make_document(DOCS[0], RULES["hre"])["lookup"])
    assert lookup.hit == ("hre-1", "hre", "ʼbơ̆k zabok")
    keys = {(strict, slot): found for strict, slot, found in lookup.keys}
    assert keys[LOOSE, VI_WORD] == ["hre:binh", "hre:cho", "hre:con", "hre:den", "hre:hoa"]
    assert "hre:hòa bình" in keys[EXACT, VI_WHOLE] and "hre:con chó" in keys[EXACT, VI_PAIR]
    assert (EXACT, VI_EXAMPLE_PAIR) not in keys and keys[LOOSE, VI_EXAMPLE_PAIR] == ["hre:cho chay"]
    assert keys[LOOSE, HW_WORD] == ["hre:bok", "hre:zabok"]  # ʼbơ̆k, zabok; the variant zabŏk too
