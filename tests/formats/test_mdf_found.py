r"""The markers a Toolbox file uses, as the dry run lists them: counts, first line, a sample
and the meaning each got with where from, also when the file cannot be imported as read.
Synthetic records (made-up tokens ``kelop``, ``zuxo``)."""
from __future__ import annotations

import pytest

from dictionary import REPO_ROOT
from dictionary.formats import parse_lexicon
from dictionary.formats.mdf_in import parse_mdf
from dictionary.formats.records import ImportFailed, ImportMapping
from dictionary.parts_of_speech import load_parts_of_speech

POS = load_parts_of_speech(REPO_ROOT / "data")
TEXT = ("\\_sh v3.0  400  MDF 4.0\n\\lx kelop\n\\gn cantik\n\\gr\n\\xp x\u0007y\n\n"
        "\\lx zuxo\n\\gn rumah\n\\gr besar\n")


def table(found: list[dict]) -> dict[str, tuple]:
    return {m["marker"]: (m["count"], m["filled"], m["line"], m["sample"], m["meaning"],
                          m["origin"]) for m in found}


def test_the_markers_found_with_their_meanings_and_origins():
    found: list[dict] = []
    mapping = ImportMapping(markers={"\\gn": "gloss:id", "gr": "gloss:vi"},
                            origins={"\\gn": "file"})
    parse_mdf(TEXT, source="s", sources={"s": {}}, parts_of_speech=POS, mapping=mapping,
              markers_out=found)
    assert [m["marker"] for m in found] == ["lx", "gn", "gr", "xp"]  # (no header marker)
    assert table(found) == {
        "lx": (2, 2, 2, "kelop", "headword", "default"),
        "gn": (2, 2, 3, "cantik", "gloss:id", "file"),
        "gr": (2, 1, 4, "besar", "gloss:vi", "chosen"),
        "xp": (1, 1, 5, "xy", "keep", "kept")}


def test_a_file_that_fails_still_says_its_markers_and_encoding():
    two = ImportMapping(markers={"gn": "headword"}, origins={"gn": "source"})
    data = TEXT.replace("cantik", "cant\u00efk").encode("cp1252")
    with pytest.raises(ImportFailed) as failed:
        parse_lexicon(data, sources={"s": {}}, parts_of_speech=POS, source="s",
                      mapping=ImportMapping(markers={**two.markers, "lx": "headword"},
                                            origins=two.origins))
    assert "are all mapped to headword" in str(failed.value)
    assert failed.value.encoding == "cp1252"
    assert table(failed.value.markers)["gn"] == (2, 2, 3, "cantïk", "headword", "source")
    assert table(failed.value.markers)["lx"][4:] == ("headword", "default")
    # A record the parse refuses: the table is that of the mapping it used.
    with pytest.raises(ImportFailed) as failed:
        parse_mdf(TEXT + "\\lx zuxo\n", source="s", sources={"s": {}}, parts_of_speech=POS)
    assert "duplicate record" in str(failed.value)
    assert table(failed.value.markers)["lx"][:3] == (3, 3, 2)
