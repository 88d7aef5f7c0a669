"""Exports on real data: the bundled starter lexicons plus a synthetic curated file are
imported with the real importer, exported as CSV, XLSX and CLDF, and the CSV is imported
again into an empty dictionary, which must then hold the same entries.

Hrê/Co tokens in the synthetic file (``zatok``, ``bơ̆nxa``, ``kelop``) are made up.
"""
from __future__ import annotations

import codecs
import io
import logging
import zipfile

import openpyxl
import pytest
from pycldf import Dataset
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from conftest import get_state_close, make_app
from dictionary import REPO_ROOT
from dictionary.formats.cldf_out import export_cldf
from dictionary.db import get_db
from dictionary.formats.table_out import CURATED_HEADER, curated_rows, export_csv, export_xlsx
from dictionary.curation.importer import ImportFailed, import_lexicon
from dictionary.formats import _Parser, is_known_column, parse_lexicon
from dictionary.formats.xlsx_in import read_xlsx_table
from dictionary.models import Entry, Language, Sense
from dictionary.parts_of_speech import load_parts_of_speech

DATA = REPO_ROOT / "data"
SYNTHETIC = """id,headword,part_of_speech,vietnamese,english,example,example_vi,variant,semantic_field,source,concept_id,note
s1,zatok,danh từ,nhà; căn nhà,house,zatok bơ̆nxa,nhà của tôi,zatôk; zatoq,Nhà cửa,nhomthu,1252,"ghi chú, có dấu phẩy
và một dòng thứ hai"
,,,,,zatok kelop,nhà đẹp,,,,,
,,,"mái nhà",roof,"bơ̆nxa
zatok",,,,,,
,,,,,zatok zatok,,,,,,
s2,ʼbơ̆nxa,tính từ,đẹp,,,,ʼbơnxa,,nhomthu,,
s3,kelop,,đi,to go,,,,,nhomthu,,
"""


@pytest.fixture
def empty_app(tmp_path):
    """An empty dictionary beside ``bundled_copy`` (which ``app`` would share a folder with)."""
    app = make_app(tmp_path / "empty" / "instance")
    yield app
    get_state_close(app)


@pytest.fixture
def source_app(bundled_copy, data_dir, tmp_path):
    """The bundled lexicons plus the synthetic curated file (Hrê)."""
    path = tmp_path / "synthetic.csv"
    path.write_text(SYNTHETIC, encoding="utf-8")
    run_import(bundled_copy, path, "hre", data_dir)
    return bundled_copy


def run_import(app, path, lang, data_dir):
    with app.app_context(), get_db().Session() as s:
        return import_lexicon(s, path, lang, data_dir=data_dir)


def query(lang: str | None = None):
    q = (select(Entry).join(Language).order_by(Entry.id)
         .options(selectinload(Entry.language), selectinload(Entry.source),
                  selectinload(Entry.variants),
                  selectinload(Entry.senses).selectinload(Sense.examples)))
    return q if lang is None else q.where(Language.code == lang)


def load(app, lang: str | None = None) -> list[Entry]:
    with app.app_context(), get_db().Session() as s:
        return list(s.scalars(query(lang)))


def exportable(entry: Entry) -> bool:
    """The curated format needs a Vietnamese gloss in every sense (the starter data has an
    empty one where ``needs_review`` is yes)."""
    return all(sense.gloss_vi for sense in entry.senses)


def content(entry: Entry) -> dict:
    return {
        "headword": entry.headword, "part_of_speech": entry.part_of_speech,
        "source": entry.source.key, "note": entry.note, "license": entry.license,
        "senses": [(s.gloss_vi, s.gloss_en, s.semantic_field, s.concept_id,
                    [(x.text, x.translation_vi) for x in s.examples]) for s in entry.senses],
        "variants": [v.form for v in entry.variants],
    }


def write_export(chunks, path):
    with open(path, "wb") as f:
        for chunk in chunks:
            f.write(chunk)
    return path


# ---- CSV ------------------------------------------------------------------------------------
def test_csv_export_reimports_into_an_empty_dictionary(source_app, empty_app, data_dir,
                                                        tmp_path):
    originals = {}
    for lang in ("hre", "cua"):
        entries = [e for e in load(source_app, lang) if exportable(e)]
        originals.update((f"{e.source.key}:{e.public_id}", content(e)) for e in entries)
        path = write_export(export_csv(entries), tmp_path / f"{lang}.csv")
        report = run_import(empty_app, path, lang, data_dir)
        assert (report.format, report.encoding, report.created) == (
            "curated", "utf-8-sig", len(entries))
    reimported = {e.source_key: content(e) for e in load(empty_app)}
    assert len(originals) == 102 + 301 - 2 + 3
    assert reimported == originals
    zatok = originals["nhomthu:hre-000103"]
    assert zatok["senses"][0][4] == [("zatok bơ̆nxa", "nhà của tôi"), ("zatok kelop", "nhà đẹp")]
    assert zatok["senses"][1][4] == [("bơ̆nxa zatok", ""), ("zatok zatok", "")]


def test_csv_layout(source_app):
    entries = [e for e in load(source_app, "hre") if e.source.key == "nhomthu"]
    data = b"".join(export_csv(entries))
    assert data.startswith(codecs.BOM_UTF8 + b"id,headword,part_of_speech,vietnamese,")
    assert b"\r\n" in data
    rows = list(curated_rows(entries))
    assert [r[:4] for r in rows] == [
        ["hre-000103", "zatok", "noun", "nhà; căn nhà"], ["", "", "", ""],
        ["", "", "", "mái nhà"], ["", "", "", ""],
        ["hre-000104", "ʼbơ̆nxa", "adjective", "đẹp"], ["hre-000105", "kelop", "", "đi"]]
    assert rows[0][CURATED_HEADER.index("variant")] == "zatôk; zatoq"
    assert rows[1][5:7] == ["zatok kelop", "nhà đẹp"]


def test_an_empty_gloss_is_exported_as_it_is_and_the_reimport_names_it(bundled_copy, empty_app,
                                                                        tmp_path):
    (entry,) = [e for e in load(bundled_copy, "hre") if not exportable(e)]
    path = write_export(export_csv([entry]), tmp_path / "review.csv")
    with pytest.raises(ImportFailed) as info:
        run_import(empty_app, path, "hre", DATA)
    assert [str(e) for e in info.value.errors] == ['line 2, column "vietnamese": empty gloss']


def test_formula_cells_are_guarded_but_the_glottal_mark_is_not(app, data_dir, tmp_path):
    path = tmp_path / "risky.csv"
    path.write_text("headword,vietnamese,english,source,note\n"
                    "-zatok,=HYPERLINK(\"http://x\"),+1,nhomthu,@SUM(A1)\n"
                    "ʼkelop,đẹp,ʼok,nhomthu,\n", encoding="utf-8")
    run_import(app, path, "hre", data_dir)
    entries = load(app)
    text = b"".join(export_csv(entries)).decode("utf-8-sig").splitlines()
    rest = "," * (len(CURATED_HEADER) - 12)  # the FieldWorks columns, empty here
    assert text[1] == ("hre-000001,'-zatok,,\"'=HYPERLINK(\"\"http://x\"\")\",'+1,,,,,nhomthu,,"
                       "'@SUM(A1)" + rest)
    assert text[2] == "hre-000002,ʼkelop,,đẹp,ʼok,,,,,nhomthu,," + rest
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(export_xlsx(entries))))
    row = [c for c in workbook.active[2]]
    assert [c.value for c in row[1:5]] == ["-zatok", None, '=HYPERLINK("http://x")', "+1"]
    assert all(c.data_type == "s" and c.quotePrefix for c in (row[1], row[3], row[4]))
    assert workbook.active["B3"].value == "ʼkelop" and not workbook.active["B3"].quotePrefix


def test_csv_is_streamed_lazily(source_app):
    consumed = []

    def entries():
        for entry in load(source_app):
            consumed.append(entry)
            yield entry

    chunks = export_csv(entries())
    assert next(chunks) == codecs.BOM_UTF8 + (",".join(CURATED_HEADER) + "\r\n").encode()
    assert consumed == []
    assert len(list(chunks)) >= 2 and len(consumed) == 102 + 301 + 3


# ---- XLSX -----------------------------------------------------------------------------------
def test_xlsx_export_holds_the_same_rows_and_parses_like_the_csv(source_app, tmp_path):
    entries = load(source_app, "hre")
    path = write_export(export_xlsx(entries), tmp_path / "hre.xlsx")
    table = read_xlsx_table(path.read_bytes(), is_known_column)
    assert table.header == list(CURATED_HEADER) and table.problems == []
    rows = [r for r in curated_rows(entries) if any(r)]
    assert [r.cells for r in table.rows] == rows

    exportable_entries = [e for e in entries if exportable(e)]
    sources = {k: {"key": k, "license": "CC-BY-4.0"} for k in ("peiros2004", "nhomthu")}
    pos = load_parts_of_speech(DATA)
    from_csv = parse_lexicon(b"".join(export_csv(exportable_entries)), sources=sources,
                             parts_of_speech=pos).entries
    table = read_xlsx_table(b"".join(export_xlsx(exportable_entries)), is_known_column)
    parser = _Parser(table, sources, pos)
    parser.curated()
    assert parser.problems == []
    for entry in (*from_csv, *parser.entries):
        entry.line = 0  # a note spanning lines shifts CSV line numbers, not row numbers
    assert parser.entries == from_csv


# ---- CLDF -----------------------------------------------------------------------------------
def test_cldf_export_is_a_valid_dictionary(source_app, tmp_path, caplog):
    entries = load(source_app)
    path = write_export(export_cldf(entries, title="Từ điển Việt–Hrê · Việt–Co"),
                        tmp_path / "cldf.zip")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == [
            "cldf/Dictionary-metadata.json", "cldf/entries.csv", "cldf/examples.csv",
            "cldf/languages.csv", "cldf/senses.csv", "cldf/sources.bib"]
        archive.extractall(tmp_path / "out")
    dataset = Dataset.from_metadata(tmp_path / "out" / "cldf" / "Dictionary-metadata.json")
    with caplog.at_level(logging.INFO):
        assert dataset.validate(log=logging.getLogger("cldf-validate"))
    assert caplog.records == []  # not even a warning
    assert dataset.module == "Dictionary"
    assert dataset.properties["dc:title"] == "Từ điển Việt–Hrê · Việt–Co"
    assert dataset.properties["dc:license"] == "CC-BY-4.0"

    rows = {t: list(dataset[t]) for t in ("EntryTable", "SenseTable", "ExampleTable",
                                           "LanguageTable")}
    assert len(rows["EntryTable"]) == len(entries) == 102 + 301 + 3
    assert len(rows["SenseTable"]) == sum(len(e.senses) for e in entries)
    assert len(rows["ExampleTable"]) == 4
    assert {(r["ID"], r["Glottocode"]) for r in rows["LanguageTable"]} == {
        ("hre", "hree1244"), ("cua", "cuaa1241"), ("vie", "viet1252")}

    zatok = next(r for r in rows["EntryTable"] if r["ID"] == "hre-000103")
    assert (zatok["Headword"], zatok["Source"], zatok["Variants"], zatok["License"]) == (
        "zatok", ["nhomthu"], ["zatôk", "zatoq"], "CC-BY-4.0")
    first = next(r for r in rows["SenseTable"]
                 if r["ID"] == "hre-000103-1")
    assert (first["Description"], first["Gloss_en"], first["Example_IDs"]) == (
        "nhà; căn nhà", "house", ["hre-000103-1-1", "hre-000103-1-2"])
    example = next(r for r in rows["ExampleTable"] if r["ID"] == "hre-000103-1-1")
    assert (example["Primary_Text"], example["Translated_Text"],
            example["Meta_Language_ID"]) == ("zatok bơ̆nxa", "nhà của tôi", "vie")
    phonetic = next(r for r in rows["EntryTable"] if r["ID"] == "hre-000001")
    assert phonetic["Form_Kind"] == "phonetic" and phonetic["Source"] == ["peiros2004"]

    sources = {s.id: s for s in dataset.sources}
    assert set(sources) == {"peiros2004", "sidwell2015", "nhomthu"}
    assert sources["peiros2004"]["title"].startswith("Peiros, Ilia. 2004.")
    assert sources["peiros2004"]["note"] == "License: CC-BY-4.0"
    assert sources["peiros2004"]["url"] == "https://doi.org/10.5281/zenodo.13168443"


def test_affix_headwords_survive_the_csv_round_trip(app, data_dir, tmp_path):
    """The repro of issue 14 (``realdata/repro/affix_headwords.csv``): the CSV export writes
    ``'-ko`` so no spreadsheet runs it; the import takes the marker off again, so the same
    file re-imported changes nothing (before, ``-ko`` came back as ``ʼ-ko``)."""
    from realdata import REALDATA

    repro = REALDATA / "repro" / "affix_headwords.csv"
    run_import(app, repro, "hre", data_dir)
    assert [e.headword for e in load(app)] == ["-ko", "=mbo"]
    exported = write_export(export_csv(load(app)), tmp_path / "back.csv")
    assert "'-ko" in exported.read_text(encoding="utf-8-sig")
    report = run_import(app, exported, "hre", data_dir)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert [e.headword for e in load(app)] == ["-ko", "=mbo"]
    # An entry made in the forms has no key in its source: found by its public id all the same.
    with app.app_context(), get_db().Session() as s:
        s.scalar(select(Entry).where(Entry.headword == "=mbo")).source_key = None
        s.commit()
    report = run_import(app, exported, "hre", data_dir)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
