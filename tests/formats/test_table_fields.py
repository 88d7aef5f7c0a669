"""The FieldWorks fields the model holds (lexeme form, notes by type, relations, subsenses,
pictures, examples' translations) in the CSV/XLSX and CLDF exports, and the CSV/XLSX import
that reads them back (issue 14 §3, §5).

The entries are made directly with ``assign_state`` (as a LIFT import leaves them: with
definitions, a pronunciation, kept FieldWorks XML in ``extra``), exported through the real
export path, and imported with the real importer: into the same database nothing changes
(no new revision), into an empty one the fields come back. Hrê tokens (``zatok``,
``bơ̆nxa``, ``kelop``) are made up; so are the guids.
"""
from __future__ import annotations

import csv
import io
import logging
import zipfile

import pytest
from pycldf import Dataset
from sqlalchemy import func, select

from conftest import get_state_close, make_app
from dictionary.catalog import ensure_catalog
from dictionary.curation.export import export_chunks, relation_public_ids
from dictionary.curation.importer import ImportFailed, import_lexicon
from dictionary.db import get_db
from dictionary.formats import parse_lexicon
from dictionary.formats.table_out import CURATED_HEADER
from dictionary.models import PUBLISHED, Entry, Language, Revision, Source
from dictionary.parts_of_speech import load_parts_of_speech
from dictionary.revisions import assign_state, entry_state, record

GUID = "5d2c8f0e-1111-4a4a-9b9b-00000000000{}"
ZATOK, BONXA, KO = (f"nhomthu:{GUID.format(n)}" for n in (1, 2, 3))
LIFT_XML = ('<entry><etymology type="borrowed" source="Vietnamese"><form lang="vi"><text>nhà'
            '</text></form></etymology><field type="literal-meaning"><form lang="en"><text>'
            'the: house\nof us</text></form></field></entry>')


def sense(gloss, level=0, **more):
    state = {"gloss_vi": gloss, "gloss_en": None, "definition": None, "semantic_field": None,
             "concept_id": None, "concept_gloss": None, "gloss_note": None, "level": level,
             "notes": [], "relations": [], "pictures": [], "extra": {}, "examples": []}
    return {**state, **more}


def state(headword, senses, **more):
    base = {"headword": headword, "part_of_speech": "noun", "form_kind": "orthographic",
            "pronunciation": None, "variety": None, "note": None, "lexeme_form": None,
            "notes": [], "relations": [], "license": "CC-BY-4.0", "source": "nhomthu",
            "extra": {}, "senses": senses, "variants": []}
    return {**base, **more}


ENTRIES = {
    ZATOK: state(
        "mwa-zatok", lexeme_form="zatok", pronunciation="mwaˈzatok", variety="Ba Tơ",
        form_kind="phonetic", license="CC-BY-SA-4.0", note="Ghi chú chung.",
        extra={"lift": LIFT_XML},
        notes=[{"type": "usage", "lang": "vi", "text": "lời nói: lịch sự\ndòng hai"},
               {"type": "bibliography", "lang": "en", "text": "Notes, p. 12 \\ C:\\new"}],
        relations=[{"type": "synonym", "ref": f"bonxa_{GUID.format(2)}", "target": BONXA},
                   {"type": "compare", "ref": "kelop_9f", "target": None}],
        variants=[{"form": "zatôk", "kind": "dialect", "label": "Ba Tơ"},
                  {"form": "zatoq", "kind": "spelling", "label": None}],
        senses=[
            sense("nhà; căn nhà", gloss_en="house", definition="Nơi ở của một gia đình.",
                  concept_gloss="HOUSE", extra={"lift": "<sense/>"},
                  notes=[{"type": "grammar", "lang": "vi", "text": "danh từ đếm được"}],
                  relations=[{"type": "antonym", "ref": f"ko_{GUID.format(3)}",
                              "target": KO}],
                  pictures=[{"href": "C:\\Hình\\chim.jpg", "caption": "nhà: sàn"},
                            {"href": "pictures/nha2.png", "caption": ""}],
                  examples=[{"text": "zatok bơ̆nxa", "translation_vi": "nhà của tôi",
                             "translations": [{"lang": "en", "text": "my house"},
                                              {"lang": "fr", "text": "ma maison"}]},
                            {"text": "zatok kelop", "translation_vi": "",
                             "translations": [{"lang": "en", "text": "a fine\nhouse"}]}]),
            sense("mái nhà", level=1, examples=[
                {"text": "zatok zatok", "translation_vi": "nhà nhà", "translations": []}]),
            sense("nóc nhà", level=2, notes=[{"type": "encyclopedic", "lang": "und",
                                              "text": "-ghi chú"}]),
            sense("gia đình", level=1),
            sense("họ hàng"),
        ]),
    BONXA: state("bơ̆nxa", senses=[sense("đẹp")], relations=[
        {"type": "synonym", "ref": f"zatok_{GUID.format(1)}", "target": ZATOK}]),
    KO: state("-ko", senses=[sense("hậu tố")], notes=[
        {"type": "grammar", "lang": "vi", "text": "=hậu tố"}]),
}


def make_entries(app, data_dir, entries=ENTRIES) -> dict[str, str]:
    """The entries, published, with a revision each; returns source key → public id."""
    with app.app_context(), get_db().Session() as s:
        ensure_catalog(s, data_dir)
        hre = s.scalar(select(Language).where(Language.code == "hre"))
        sources = {x.key: x for x in s.scalars(select(Source))}
        made = []
        for key, want in entries.items():
            entry = Entry(language=hre, source_key=key, status=PUBLISHED)
            assign_state(entry, want, sources[want["source"]])
            s.add(entry)
            record(s, entry, "created", author="test")
            made.append(entry)
        s.commit()
        return {e.source_key: e.public_id for e in made}


def states(app) -> dict[str, dict]:
    with app.app_context(), get_db().Session() as s:
        return {e.public_id: entry_state(e) for e in s.scalars(select(Entry))}


def revisions(app) -> int:
    with app.app_context(), get_db().Session() as s:
        return s.scalar(select(func.count(Revision.id)))


def export(app, fmt: str) -> bytes:
    with app.app_context(), get_db().Session() as s:
        return b"".join(export_chunks(s, fmt, "hre", True))


def run_import(app, data: bytes, name: str, data_dir):
    with app.app_context(), get_db().Session() as s:
        return import_lexicon(s, None, "hre", data=data, file_name=name, data_dir=data_dir)


@pytest.fixture
def fw_app(app, data_dir):
    app.config["public_ids"] = make_entries(app, data_dir)
    return app


@pytest.fixture
def empty_app(tmp_path):
    app = make_app(tmp_path / "empty" / "instance")
    yield app
    get_state_close(app)


# ---- the cells ------------------------------------------------------------------------------
def test_the_new_columns_follow_the_old_ones_and_hold_the_fields(fw_app):
    ids = fw_app.config["public_ids"]
    data = export(fw_app, "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == list(CURATED_HEADER)
    assert CURATED_HEADER[:12] == ("id", "headword", "part_of_speech", "vietnamese", "english",
                                   "example", "example_vi", "variant", "semantic_field",
                                   "source", "concept_id", "note")
    zatok = next(i for i, r in enumerate(rows) if r["id"] == ids[ZATOK])
    first = rows[zatok]
    assert first["lexeme_form"] == "zatok"
    assert first["notes"] == ("usage [vi]: lời nói: lịch sự\\ndòng hai\n"
                              "bibliography [en]: Notes, p. 12 \\ C:\\\\new")
    # A relation whose target was found names it by its public id; the other as written.
    assert first["relations"] == f"synonym: {ids[BONXA]}\ncompare: kelop_9f"
    assert first["sense_level"] == "" and first["sense_notes"] == "grammar [vi]: danh từ đếm được"
    assert first["sense_relations"] == f"antonym: {ids[KO]}"
    assert first["pictures"] == "C:\\Hình\\chim.jpg: nhà: sàn\npictures/nha2.png"
    assert first["example_translations"] == "en: my house\nfr: ma maison"
    assert first["other_fields"] == ("etymology (Vietnamese): nhà\n"
                                      "field (literal-meaning): the: house\\nof us")
    following = rows[zatok + 1:zatok + 6]
    assert [(r["headword"], r["vietnamese"], r["example"], r["sense_level"],
             r["example_translations"]) for r in following] == [
        ("", "", "zatok kelop", "", "en: a fine\\nhouse"), ("", "mái nhà", "zatok zatok", "1", ""),
        ("", "nóc nhà", "", "2", ""), ("", "gia đình", "", "1", ""), ("", "họ hàng", "", "", "")]
    assert following[2]["sense_notes"] == "encyclopedic [und]: -ghi chú"
    ko = next(r for r in rows if r["id"] == ids[KO])
    assert (ko["headword"], ko["notes"]) == ("'-ko", "grammar [vi]: =hậu tố")


def test_relation_targets_are_looked_up_by_language(fw_app):
    ids = fw_app.config["public_ids"]
    with fw_app.app_context(), get_db().Session() as s:
        assert relation_public_ids(s, "hre") == {
            ("hre", BONXA): ids[BONXA], ("hre", KO): ids[KO], ("hre", ZATOK): ids[ZATOK]}
        assert relation_public_ids(s, "cua") == {}


# ---- round trips ----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_our_export_imported_into_the_same_database_changes_nothing(fw_app, data_dir, fmt):
    before, count = states(fw_app), revisions(fw_app)
    report = run_import(fw_app, export(fw_app, fmt), f"back.{fmt}", data_dir)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert report.ignored_columns == ["other_fields"]  # shown, never read back
    assert states(fw_app) == before  # definitions, extra, variant kinds… kept as they were
    assert revisions(fw_app) == count


def test_a_sheet_without_the_new_columns_takes_nothing_away(fw_app, data_dir):
    ids = fw_app.config["public_ids"]
    before = states(fw_app)
    rows = list(csv.reader(io.StringIO(export(fw_app, "csv").decode("utf-8-sig"))))
    old = "\n".join(",".join(f'"{c}"' for c in row[:12]) for row in rows) + "\n"
    report = run_import(fw_app, old.encode("utf-8"), "old.csv", data_dir)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    # An edited gloss changes the gloss, and only the gloss.
    edited = old.replace('"hậu tố"', '"hậu tố; tiếp tố"')
    report = run_import(fw_app, edited.encode("utf-8"), "old.csv", data_dir)
    assert (report.updated, report.unchanged) == (1, 2)
    after = states(fw_app)
    assert after[ids[KO]]["senses"][0]["gloss_vi"] == "hậu tố; tiếp tố"
    after[ids[KO]]["senses"][0]["gloss_vi"] = "hậu tố"
    assert after == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_our_export_restores_the_fields_in_an_empty_dictionary(fw_app, empty_app, data_dir,
                                                               fmt):
    ids = fw_app.config["public_ids"]
    report = run_import(empty_app, export(fw_app, fmt), f"backup.{fmt}", data_dir)
    assert report.created == 3
    with empty_app.app_context(), get_db().Session() as s:
        restored = {e.source_key: e for e in s.scalars(select(Entry))}
        zatok, bonxa, ko = (restored[f"nhomthu:{ids[k]}"] for k in (ZATOK, BONXA, KO))
        want = ENTRIES[ZATOK]
        assert (zatok.headword, zatok.lexeme_form, zatok.notes) == (
            "mwa-zatok", "zatok", want["notes"])
        # Relations point at the restored entries; the ref is the public id the file gave.
        assert zatok.relations == [
            {"type": "synonym", "ref": ids[BONXA], "target": bonxa.source_key},
            {"type": "compare", "ref": "kelop_9f", "target": None}]
        assert bonxa.relations == [
            {"type": "synonym", "ref": ids[ZATOK], "target": zatok.source_key}]
        assert [(x.level, x.gloss_vi) for x in zatok.senses] == [
            (s["level"], s["gloss_vi"]) for s in want["senses"]]
        for got, sent in zip(zatok.senses, want["senses"]):
            assert (got.notes, got.pictures) == (sent["notes"], sent["pictures"])
            assert [(x.text, x.translation_vi, x.translations) for x in got.examples] == [
                (x["text"], x["translation_vi"], x["translations"]) for x in sent["examples"]]
        assert zatok.senses[0].relations == [
            {"type": "antonym", "ref": ids[KO], "target": ko.source_key}]
        assert (ko.headword, ko.notes) == ("-ko", ENTRIES[KO]["notes"])
        # What the curated format does not carry is not there (the LIFT export carries it).
        assert (zatok.extra, zatok.senses[0].definition, zatok.pronunciation) == ({}, None, None)
    # Exported again and imported into the same (restored) dictionary: nothing changes.
    again = run_import(empty_app, export(empty_app, fmt), f"again.{fmt}", data_dir)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


# ---- problems -------------------------------------------------------------------------------
HEADER = ("id,headword,vietnamese,source,example,example_vi,notes,relations,sense_level,"
          "sense_notes,pictures,example_translations,lexeme_form\n")


def problems(body: str) -> list[str]:
    sources = {"nhomthu": {"key": "nhomthu", "license": "CC-BY-4.0"}}
    with pytest.raises(ImportFailed) as info:
        parse_lexicon((HEADER + body).encode("utf-8"), sources=sources,
                      parts_of_speech=load_parts_of_speech(data_dir_path()))
    return [str(e) for e in info.value.errors]


def data_dir_path():
    from dictionary import REPO_ROOT
    return REPO_ROOT / "data"


def test_cells_that_do_not_say_what_they_hold_are_named():
    assert problems(
        'z1,zatok,nhà,nhomthu,,,usage lịch sự,,1,,,,\n'
        ',,mái nhà,,,,,,x,,,,\n'
        ',,nóc,,,,,,3,grammar,,,\n'
        ',,,,,,,,,,,en: a house,\n'
        ',,,,,,,,,,a.jpg,,\n'
        ',,,,,,,,,,,,zatok\n'
        'z2,kelop,đi,nhomthu,,,,"synonym: z2\nđồng nghĩa",,,,,\n') == [
        'line 2, column "sense_level": the first sense of an entry has level 0 (leave it '
        'empty): a subsense needs a sense above it',
        'line 2, column "notes": line 1 of the cell, "usage lịch sự": write each note as '
        '"type [lang]: text" (e.g. "usage [vi]: lời nói lịch sự")',
        'line 3, column "sense_level": "x" is not a level: leave it empty for a sense, write '
        '1 for a subsense, 2 for a subsense of a subsense …',
        'line 4, column "sense_level": level 3 here, but the sense above has level 0: a '
        'subsense is at most one level below the sense before it',
        'line 4, column "sense_notes": line 1 of the cell, "grammar": write each note as '
        '"type [lang]: text" (e.g. "usage [vi]: lời nói lịch sự")',
        'line 5, column "example_translations": a translation without an example',
        'line 6, column "vietnamese": empty gloss',
        'line 7, column "lexeme_form": a row with an empty headword continues the entry of '
        'line 2; write its lexeme form on that row',
        'line 8, column "relations": line 2 of the cell, "đồng nghĩa": write each relation as '
        '"type: target" (e.g. "synonym: hre-000042")']


def test_a_linguists_sheet_may_relate_its_own_rows(app, data_dir):
    sheet = ("id,headword,vietnamese,source,relations,sense_level,notes\n"
             "z1,zatok,nhà,nhomthu,synonym: z2,,usage: lịch sự\n"
             ",,mái nhà,,,1,\n"
             "z2,bơ̆nxa,căn nhà,nhomthu,compare: hre-999999,,\n")
    run_import(app, sheet.encode("utf-8"), "sheet.csv", data_dir)
    with app.app_context(), get_db().Session() as s:
        zatok, bonxa = s.scalars(select(Entry).order_by(Entry.id))
        assert zatok.relations == [{"type": "synonym", "ref": "z2", "target": "nhomthu:z2"}]
        assert zatok.notes == [{"type": "usage", "lang": "vi", "text": "lịch sự"}]
        assert [x.level for x in zatok.senses] == [0, 1]
        assert bonxa.relations == [{"type": "compare", "ref": "hre-999999", "target": None}]


# ---- CLDF -----------------------------------------------------------------------------------
def test_cldf_holds_the_fields_and_validates(fw_app, tmp_path, caplog):
    ids = fw_app.config["public_ids"]
    with zipfile.ZipFile(io.BytesIO(export(fw_app, "cldf"))) as archive:
        assert "cldf/relations.csv" in archive.namelist()
        archive.extractall(tmp_path)
    dataset = Dataset.from_metadata(tmp_path / "cldf" / "Dictionary-metadata.json")
    with caplog.at_level(logging.INFO):
        assert dataset.validate(log=logging.getLogger("cldf-validate"))
    assert caplog.records == []
    entries = {r["ID"]: r for r in dataset["EntryTable"]}
    zatok = entries[ids[ZATOK]]
    assert (zatok["Lexeme_Form"], zatok["Notes"]) == ("zatok", ENTRIES[ZATOK]["notes"])
    assert [f["kind"] for f in zatok["Other_Fields"]] == ["etymology", "field"]
    senses = {r["ID"]: r for r in dataset["SenseTable"]}
    z = ids[ZATOK]
    assert [(senses[f"{z}-{n}"]["Level"], senses[f"{z}-{n}"]["Parent_Sense_ID"])
            for n in range(1, 6)] == [(0, None), (1, f"{z}-1"), (2, f"{z}-2"), (1, f"{z}-1"),
                                      (0, None)]
    assert senses[f"{z}-1"]["Pictures"] == ENTRIES[ZATOK]["senses"][0]["pictures"]
    assert senses[f"{z}-3"]["Notes"] == ENTRIES[ZATOK]["senses"][2]["notes"]
    examples = {r["ID"]: r for r in dataset["ExampleTable"]}
    assert examples[f"{z}-1-1"]["Translations"] == [
        {"lang": "en", "text": "my house"}, {"lang": "fr", "text": "ma maison"}]
    relations = [dict(r) for r in dataset["relations.csv"]]
    assert [(r["Entry_ID"], r["Sense_ID"], r["Type"], r["Target"], r["Target_Entry_ID"])
            for r in relations if r["Entry_ID"] == z] == [
        (z, None, "synonym", ids[BONXA], ids[BONXA]), (z, None, "compare", "kelop_9f", None),
        (z, f"{z}-1", "antonym", ids[KO], ids[KO])]
    metadata = (tmp_path / "cldf" / "Dictionary-metadata.json").read_text(encoding="utf-8")
    assert "subsense" in metadata and "Notes by type" in metadata


def test_a_relation_to_an_entry_outside_the_export_has_no_foreign_key(fw_app, tmp_path):
    ids = fw_app.config["public_ids"]
    with fw_app.app_context(), get_db().Session() as s:
        s.scalar(select(Entry).where(Entry.source_key == KO)).status = "draft"
        s.commit()
        data = b"".join(export_chunks(s, "cldf", "hre", False))  # published only
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path)
    dataset = Dataset.from_metadata(tmp_path / "cldf" / "Dictionary-metadata.json")
    assert dataset.validate()
    antonym = next(r for r in dataset["relations.csv"] if r["Type"] == "antonym")
    assert (antonym["Target"], antonym["Target_Entry_ID"]) == (ids[KO], None)


def test_the_bundled_lexicons_exported_and_imported_again_are_unchanged(bundled_copy):
    """Starter entries hold what the curated format has no column for (phonetic form,
    segments, concept glosses, the source's other columns in ``extra``): a re-import of
    their CSV keeps it."""
    from dictionary.formats.table_out import export_csv

    before, count = states(bundled_copy), revisions(bundled_copy)
    for lang in ("hre", "cua"):
        with bundled_copy.app_context(), get_db().Session() as s:
            entries = [e for e in s.scalars(select(Entry).join(Language)
                                            .where(Language.code == lang).order_by(Entry.id))
                       if all(x.gloss_vi for x in e.senses)]  # (the curated format needs one)
            data = b"".join(export_csv(entries))
        with bundled_copy.app_context(), get_db().Session() as s:
            report = import_lexicon(s, None, lang, data=data, file_name="back.csv")
        assert (report.created, report.updated) == (0, 0) and report.unchanged == len(entries)
    assert states(bundled_copy) == before and revisions(bundled_copy) == count


def test_a_relation_to_an_entry_made_in_the_forms_keeps_its_public_id(fw_app, data_dir):
    """An entry made in the forms has no key in a source, so a relation names it by its
    public id only (``target`` None); the re-import leaves it so."""
    ids = fw_app.config["public_ids"]
    with fw_app.app_context(), get_db().Session() as s:
        s.scalar(select(Entry).where(Entry.source_key == KO)).source_key = None
        bonxa = s.scalar(select(Entry).where(Entry.source_key == BONXA))
        bonxa.relations = [{"type": "compare", "ref": ids[KO], "target": None}]
        s.commit()
    before, count = states(fw_app), revisions(fw_app)
    report = run_import(fw_app, export(fw_app, "csv"), "back.csv", data_dir)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert states(fw_app) == before and revisions(fw_app) == count
