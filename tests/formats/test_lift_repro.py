"""One test per reproduction file of issue 14 (``../shared/data/realdata/repro/``: single
entries cut from real FieldWorks exports, MIT; see its SOURCES.md): each shows one normal
FieldWorks structure that the importer used to refuse or get wrong.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dictionary.curation.import_sources import NewSource
from dictionary.curation.importer import import_lexicon
from dictionary.db import get_db
from dictionary.models import DRAFT, Entry
from realdata import REALDATA

REPRO = REALDATA / "repro"


@pytest.fixture
def app(app, data_dir):
    app.config["DATA_DIR"] = str(data_dir)
    return app


def run(app, name: str, **options):
    with app.app_context(), get_db().Session() as s:
        return import_lexicon(s, REPRO / name, "hre", data_dir=app.config["DATA_DIR"],
                              new_source=NewSource("repro", "FieldWorks samples", "MIT"),
                              **options)


def entries(app) -> list[Entry]:
    with app.app_context(), get_db().Session() as s:
        found = list(s.scalars(select(Entry).order_by(Entry.id)))
        for e in found:
            _ = (e.senses, e.variants)  # loaded before the session closes
        return found


def test_the_citation_form_is_the_headword(app):
    run(app, "citation_form_headword.lift")
    (entry,) = entries(app)
    assert entry.headword == "mwadia"  # not the lexeme form "adia", which stays in the data
    assert "<text>adia</text>" in entry.extra["lift"]


def test_a_citation_only_entry_imports(app):
    run(app, "citation_only_entry.lift")
    assert [e.headword for e in entries(app)] == ["gáfuulandiŋ"]


def test_do_not_publish_in_is_respected(app):
    report = run(app, "do_not_publish.lift", status="published")
    assert [e.status for e in entries(app)] == [DRAFT]
    assert any("do-not-publish-in" in w.message for w in report.warnings)


def test_fieldworks_homograph_numbers_are_kept(app):
    text = (REPRO / "flex_homograph_numbers.lift").read_text(encoding="utf-8")
    orders = [int(n) for n in re.findall(r'<entry [^>]*order="(\d+)"', text)]
    run(app, "flex_homograph_numbers.lift")
    assert [e.homograph for e in entries(app)] == orders == [6, 4, 5, 1, 2, 3]


def test_a_variant_entry_without_a_sense_comes_in_as_a_draft(app):
    report = run(app, "variant_entry_without_sense.lift", status="published")
    found = {e.headword: e for e in entries(app)}
    assert set(found) == {"nefi", "nofi"}
    assert (found["nofi"].status, found["nofi"].senses) == (DRAFT, [])
    assert found["nefi"].status == "published"  # glossed in Vietnamese: as asked
    assert any("have no sense" in w.message for w in report.warnings)


def test_allomorphs_are_not_spelling_variants(app):
    report = run(app, "allomorph_order.lift")
    (entry,) = entries(app)
    assert entry.headword == "mu-" and entry.variants == []
    assert entry.extra["lift"].count("<variant>") == 7  # kept as they were
    assert any(w.message.startswith("7 allomorphs") for w in report.warnings)


@pytest.mark.parametrize("name, data", [
    ("breve.lift", '<?xml version="1.0"?><lift version="0.13"><entry id="x"><lexical-unit>'
                   '<form lang="hre"><text>\u0306</text></form></lexical-unit><sense>'
                   '<gloss lang="vi"><text>thử</text></gloss></sense></entry></lift>'),
    ("breve.csv", "headword,vietnamese,source\n\u0306,thử,nhomthu\n"),
    ("breve.db", "\\lx \u0306\n\\gn thử\n"),
])
def test_a_headword_that_is_a_lone_breve_is_not_called_empty(app, tmp_path, name, data):
    from dictionary.curation.importer import ImportFailed

    (tmp_path / name).write_text(data, encoding="utf-8")
    with app.app_context(), get_db().Session() as s, pytest.raises(ImportFailed) as refused:
        import_lexicon(s, tmp_path / name, "hre", data_dir=app.config["DATA_DIR"],
                       source=None if name.endswith(".csv") else "nhomthu")
    assert "only a combining mark (U+0306 COMBINING BREVE) with no letter" in str(refused.value)
