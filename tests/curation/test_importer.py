"""The importer on real files: the bundled starter CSVs and small synthetic curated files.

Every test runs against a real SQLite file (the ``app`` fixture of conftest.py). Hrê/Co
tokens in the fixtures are made up (``zatok``, ``bimlu``) and are not real words.
"""
from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dictionary import REPO_ROOT
from dictionary.db import get_db
from dictionary.curation.importer import ImportFailed, import_lexicon
from dictionary.models import Entry, IndexQueue, Revision, Sense

DATA = REPO_ROOT / "data"
FIXTURES = REPO_ROOT / "tests" / "fixtures"
CURATED = (FIXTURES / "curated.csv").read_text(encoding="utf-8")


def run(app, path, lang="hre", *, data_dir=DATA, dry_run=False):
    with app.app_context(), get_db().Session() as s:
        return import_lexicon(s, path, lang, dry_run=dry_run, data_dir=data_dir)


def failure(app, path, lang="hre", *, data_dir=DATA) -> list[str]:
    with pytest.raises(ImportFailed) as info:
        run(app, path, lang, data_dir=data_dir)
    return [str(e) for e in info.value.errors]


def counts(app) -> tuple[int, int, int]:
    with app.app_context(), get_db().Session() as s:
        return tuple(s.scalar(select(func.count(m.id))) for m in (Entry, IndexQueue, Revision))


def entry(app, **where) -> Entry:
    with app.app_context(), get_db().Session() as s:
        e = s.scalars(select(Entry).filter_by(**where)).one()
        # Load what the assertions read before the session closes.
        _ = (e.language.code, e.source and e.source.key, [x.examples for x in e.senses], e.variants)
        return e


def write(tmp_path, name, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def planner_statistics(app) -> int:
    """How many statistics rows the query planner has for the entry table."""
    with app.app_context(), get_db().engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
                                        ).first():
                return 0
            return conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'entry'").scalar()
        return conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stats WHERE tablename = 'entry'").scalar()


def test_an_import_leaves_the_planner_statistics_fresh(app):
    """Without statistics SQLite walked the status index beside ``source_key IN (…)``: 47 ms
    per entry page at 100,000 entries instead of 0.2 ms."""
    assert planner_statistics(app) == 0
    run(app, DATA / "hre_starter.csv", "hre")
    assert planner_statistics(app) > 0


# ---- the bundled starter lexicons ------------------------------------------------------------
def test_starter_files_import_with_stable_public_ids(app):
    hre = run(app, DATA / "hre_starter.csv", "hre")
    cua = run(app, DATA / "cua_starter.csv", "cua")
    assert (hre.format, hre.created, hre.updated, hre.unchanged) == ("starter", 102, 0, 0)
    assert (cua.created, cua.updated, cua.unchanged) == (301, 0, 0)
    assert [r.public_id for r in hre.rows[:3]] == ["hre-000001", "hre-000002", "hre-000003"]
    assert hre.rows[-1].public_id == "hre-000102" and cua.rows[-1].public_id == "cua-000301"
    assert hre.rows[0].line == 2 and hre.rows[0].action == "created"
    assert hre.ignored_columns == []
    assert counts(app) == (403, 403, 403)

    e = entry(app, public_id="hre-000001")
    assert (e.headword, e.source_key, e.form_kind, e.status, e.reviewed) == (
        "diʔ.L dɔŋ", "peiros2004:Hre-1_all-1", "phonetic", "published", False)
    assert (e.pronunciation, e.variety, e.license, e.source.key, e.language.code) == (
        "d i ʔ L/⁵⁵ + d ɔ ŋ", "Hre (Peiros 2004)", "CC-BY-4.0", "peiros2004", "hre")
    assert e.headword_key == "di dong"  # derived by the session hook, not by the importer
    [sense] = e.senses
    assert (sense.gloss_vi, sense.gloss_en, sense.concept_id, sense.concept_gloss,
            sense.semantic_field, sense.gloss_note) == (
        "toàn bộ; tất cả", "all", "98", "ALL", "Quantity", None)
    assert e.extra["source_value"] == "diʔ.L dɔŋ"
    assert e.extra["cognate_set"] == "peiros2004:2648;peiros2004:3006"
    assert e.extra["needs_review"] == "no" and e.extra["loan"] == "no"
    assert set(e.extra) == {
        "source_value", "vietnamese_match", "vietnamese_source", "vietnamese_all",
        "vietnamese_related_concepts", "needs_review", "review_reason", "ontological_category",
        "loan", "cognate_set", "source_comment", "source_form_id", "source_form_note"}

    # The one concept without a Vietnamese gloss is imported, flagged for review.
    fat = entry(app, source_key="peiros2004:Hre-26_fatn-1")
    assert (fat.senses[0].gloss_vi, fat.senses[0].gloss_note) == (
        "", "no Vietnamese gloss for this concept")
    assert entry(app, source_key="sidwell2015:" + _first_sidwell_id()).source.key == "sidwell2015"

    with app.app_context(), get_db().Session() as s:
        rev = s.scalars(select(Revision).where(Revision.entry_public_id == "hre-000001")).one()
        assert (rev.author, rev.summary) == ("import:hre_starter.csv", "created")
        assert rev.snapshot["headword"] == "diʔ.L dɔŋ"
        assert rev.snapshot["senses"][0]["gloss_vi"] == "toàn bộ; tất cả"
        # Homographs: same exact key in one language, numbered by source_key.
        sak = s.execute(select(Entry.source_key, Entry.homograph)
                        .where(Entry.headword == "sak.L").order_by(Entry.source_key)).all()
        assert sak == [("peiros2004:Hre-27_feather-1", 1), ("peiros2004:Hre-36_hair-1", 2)]
        numbered = s.execute(select(Entry.public_id).where(Entry.homograph.is_not(None))).scalars()
        assert sorted(pid[:3] for pid in numbered) == ["cua"] * 41 + ["hre"] * 2


def _first_sidwell_id() -> str:
    for line in (DATA / "cua_starter.csv").read_text(encoding="utf-8").splitlines():
        if line.startswith("sidwell2015:"):
            return line.split(",")[0].split(":", 1)[1]
    raise AssertionError("no Sidwell row")


def test_reimport_changes_nothing(app):
    first = run(app, DATA / "hre_starter.csv", "hre")
    before = entry(app, public_id="hre-000050")
    again = run(app, DATA / "hre_starter.csv", "hre")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 102)
    assert [r.public_id for r in again.rows] == [r.public_id for r in first.rows]
    assert {r.action for r in again.rows} == {"unchanged"}
    assert counts(app) == (102, 102, 102)  # no new queue rows, no new revisions
    after = entry(app, public_id="hre-000050")
    assert (after.version, after.updated_at) == (before.version, before.updated_at)
    assert again.summary() == ("hre_starter.csv (starter format, hre): 102 entries; "
                               "0 created, 0 updated, 102 unchanged")


def test_changed_gloss_updates_one_entry_in_place(app, tmp_path):
    run(app, DATA / "hre_starter.csv", "hre")
    text = (DATA / "hre_starter.csv").read_text(encoding="utf-8")
    assert text.count(",tro,exact,") == 1
    changed = write(tmp_path, "hre_starter.csv", text.replace(",tro,exact,", ",tro bếp,exact,"))
    report = run(app, changed, "hre")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 101)
    [row] = [r for r in report.rows if r.action == "updated"]
    assert (row.line, row.public_id, row.headword) == (3, "hre-000002", "blɔ tanuh.L")
    e = entry(app, public_id="hre-000002")
    assert [s.gloss_vi for s in e.senses] == ["tro bếp"]
    assert e.version == 2
    assert counts(app) == (102, 103, 103)
    with app.app_context(), get_db().Session() as s:
        assert s.scalars(select(Revision.summary).where(Revision.entry_public_id == "hre-000002")
                         .order_by(Revision.id)).all() == ["created", "updated"]
        assert s.scalar(select(func.count(Sense.id))) == 102  # the old sense was replaced


# ---- the curated format ----------------------------------------------------------------------
def test_curated_csv(app, data_dir):
    report = run(app, FIXTURES / "curated.csv", data_dir=data_dir)
    assert (report.format, report.created, report.ignored_columns) == ("curated", 3, ["comment"])
    assert [(r.line, r.public_id, r.headword) for r in report.rows] == [
        (2, "hre-000001", "zatok"), (4, "hre-000002", "bimlu"), (5, "hre-000003", "kelop")]
    zatok = entry(app, public_id="hre-000001")
    assert (zatok.source_key, zatok.source.key, zatok.part_of_speech, zatok.form_kind) == (
        "nhomthu:z1", "nhomthu", "noun", "orthographic")
    # A curated file's new entries start as drafts: they go through review like form edits.
    assert (zatok.status, zatok.reviewed, zatok.license, zatok.homograph) == (
        "draft", False, "CC-BY-4.0", None)
    assert [(s.position, s.gloss_vi, s.gloss_en, s.semantic_field) for s in zatok.senses] == [
        (0, "nhà; căn nhà", "house", "Nhà cửa"), (1, "mái nhà", "roof", None)]
    assert [s.glosses_vi for s in zatok.senses] == [["nhà", "căn nhà"], ["mái nhà"]]
    assert [(x.text, x.translation_vi) for x in zatok.senses[0].examples] == [
        ("zatok bimlu", "nhà của tôi")]
    assert [(v.form, v.kind) for v in zatok.variants] == [("zatôk", "spelling"), ("zatoq", "spelling")]
    bimlu = entry(app, public_id="hre-000002")
    assert bimlu.part_of_speech == "verb"
    assert bimlu.senses[0].examples[0].text == "bimlu, zatok"
    kelop = entry(app, public_id="hre-000003")
    assert (kelop.part_of_speech, kelop.note) == ("adjective", "một ghi chú, có dấu phẩy")

    again = run(app, FIXTURES / "curated.csv", data_dir=data_dir)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_curated_tsv_with_vietnamese_headers_and_continuation_rows(app, data_dir):
    report = run(app, FIXTURES / "curated_vi.tsv", data_dir=data_dir)
    assert (report.format, report.created, report.ignored_columns) == ("curated", 2, [])
    assert [(r.line, r.headword) for r in report.rows] == [(2, "ʼdrubo"), (6, "mifan")]
    drubo = entry(app, public_id="hre-000001")
    # No id column: the stable key is the source plus the loose headword and first gloss.
    assert drubo.source_key == "nhomthu:drubo|con cho"
    assert [s.gloss_vi for s in drubo.senses] == ["con chó", "chó săn"]
    assert [(x.position, x.text, x.translation_vi) for x in drubo.senses[0].examples] == [
        (0, "ʼdrubo kelop", "con chó đẹp"), (1, "ʼdrubo zatok", "con chó ở nhà")]
    assert entry(app, public_id="hre-000002").part_of_speech == "interjection"


def test_semicolon_delimiter_is_sniffed(app, data_dir, tmp_path):
    path = write(tmp_path, "semi.csv", "headword;vietnamese;source\nzatok;nhà, cửa;nhomthu\n")
    report = run(app, path, data_dir=data_dir)
    assert report.created == 1
    assert entry(app, public_id="hre-000001").senses[0].gloss_vi == "nhà, cửa"


def test_reimport_replaces_senses_and_variants(app, data_dir, tmp_path):
    run(app, FIXTURES / "curated.csv", data_dir=data_dir)
    lines = CURATED.splitlines()
    lines[1] = lines[1].replace("zatôk; zatoq", "")
    del lines[2]  # the second sense of zatok
    report = run(app, write(tmp_path, "curated.csv", "\n".join(lines) + "\n"), data_dir=data_dir)
    assert [(r.action, r.public_id) for r in report.rows] == [
        ("updated", "hre-000001"), ("unchanged", "hre-000002"), ("unchanged", "hre-000003")]
    zatok = entry(app, public_id="hre-000001")
    assert ([s.gloss_vi for s in zatok.senses], zatok.variants) == (["nhà; căn nhà"], [])


# ---- encodings -------------------------------------------------------------------------------
@pytest.mark.parametrize("encoded", [
    codecs.BOM_UTF8 + CURATED.encode("utf-8"),
    CURATED.encode("utf-16"),  # with BOM, native order
    codecs.BOM_UTF16_LE + CURATED.encode("utf-16-le"),
    codecs.BOM_UTF16_BE + CURATED.encode("utf-16-be"),
    CURATED.replace("\n", "\r\n").encode("utf-8"),
], ids=["utf8-bom", "utf16", "utf16-le", "utf16-be", "crlf"])
def test_encodings_and_line_ends(app, data_dir, tmp_path, encoded):
    report = run(app, write(tmp_path, "x.csv", encoded), data_dir=data_dir)
    assert [(r.headword, r.action) for r in report.rows] == [
        ("zatok", "created"), ("bimlu", "created"), ("kelop", "created")]
    assert report.ignored_columns == ["comment"]  # the BOM is not part of the first header
    assert entry(app, public_id="hre-000001").source_key == "nhomthu:z1"
    again = run(app, FIXTURES / "curated.csv", data_dir=data_dir)
    assert again.unchanged == 3


def test_nfd_input_is_stored_nfc(app, data_dir, tmp_path):
    nfd = unicodedata.normalize("NFD", CURATED)
    assert nfd != CURATED
    report = run(app, write(tmp_path, "nfd.csv", nfd), data_dir=data_dir)
    assert report.created == 3
    zatok = entry(app, public_id="hre-000001")
    gloss = zatok.senses[0].gloss_vi
    assert gloss == "nhà; căn nhà" and unicodedata.is_normalized("NFC", gloss)
    assert zatok.variants[0].form == "zatôk" and len(zatok.variants[0].form) == 5
    # The NFC file describes the same entries.
    assert run(app, FIXTURES / "curated.csv", data_dir=data_dir).unchanged == 3


def test_invalid_utf8_names_the_line_and_changes_nothing(app, data_dir, tmp_path):
    data = CURATED.encode("utf-8").replace("mái nhà".encode("utf-8"), b"m\xe0i nh\xe0")
    errors = failure(app, write(tmp_path, "latin.csv", data), data_dir=data_dir)
    offset = data.index(b"\xe0")
    assert errors == [f"line 3: not valid UTF-8 (byte 0xE0 at column 5, byte offset {offset}); "
                      "save the file as UTF-8 (in Excel: File → Save As → “CSV UTF-8”)"]
    assert counts(app) == (0, 0, 0)


def test_binary_files_are_refused(app, tmp_path):
    errors = failure(app, write(tmp_path, "x.csv", b"headword,vietnamese\n\x00\x01\x02zatok\n"))
    assert errors == ["line 2: the file contains NUL bytes: this is a binary file, not a CSV/TSV "
                      "table; save the file as UTF-8 (in Excel: File → Save As → “CSV UTF-8”)"]
    errors = failure(app, write(tmp_path, "x.xlsx", b"PK\x03\x04\x14\x00\x06\x00rest"))
    # A zip archive is read as a workbook; a damaged one says so and what to do.
    assert errors[0].startswith("the workbook is damaged or not a real .xlsx file")
    errors = failure(app, write(tmp_path, "u16.csv", "headword,vietnamese\n".encode("utf-16-le")))
    assert "UTF-16 without a byte-order mark" in errors[0]
    assert counts(app) == (0, 0, 0)


# ---- validation ------------------------------------------------------------------------------
def test_missing_required_columns(app, data_dir, tmp_path):
    path = write(tmp_path, "x.csv", "Headword , English\nzatok,house\n")
    assert failure(app, path, data_dir=data_dir) == [
        'line 1: missing required columns "vietnamese", "source"; '
        "the header row has: Headword, English"]


def test_every_row_problem_is_reported_and_nothing_is_written(app, data_dir):
    errors = failure(app, FIXTURES / "bad_rows.csv", data_dir=data_dir)
    assert errors == [
        'line 2, column "headword": empty headword on the first data row; '
        "a row with an empty headword continues the entry above it",
        'line 3, column "part_of_speech": unknown part of speech "dtx"; use one of: '
        "danh từ (noun), động từ (verb), tính từ (adjective), trạng từ (adverb), "
        "đại từ (pronoun), số từ (numeral), loại từ (classifier), giới từ (preposition), "
        "liên từ (conjunction), trợ từ (particle), thán từ (interjection), cụm từ (phrase) "
        "(the list is data/parts_of_speech.toml)",
        'line 4, column "vietnamese": empty gloss',
        'line 5, column "id": duplicate id "b1" (also on line 3)',
        'line 6, column "source": unknown source "nosuch"; use a source key from '
        "data/languages.toml (nhomthu, peiros2004, sidwell2015), or add one there as a "
        "[[source]] table with key, license and citation",
        "line 7: 4 cells, but the header has 5 columns; a cell containing a comma must be quoted",
    ]
    assert counts(app) == (0, 0, 0)


def test_problem_locations_use_the_header_as_written(app, data_dir, tmp_path):
    path = write(tmp_path, "x.tsv", "Từ\tTừ loại\tNghĩa\tNguồn\nzatok\tdtx\tnhà\tnhomthu\n")
    assert failure(app, path, data_dir=data_dir)[0].startswith(
        'line 2, column "Từ loại": unknown part of speech "dtx"')


def test_duplicate_rows_without_ids(app, data_dir, tmp_path):
    path = write(tmp_path, "x.csv", "headword,vietnamese,source\nzatok,nhà,nhomthu\n"
                                    "Zatok,Nhà; cửa,nhomthu\n")
    assert failure(app, path, data_dir=data_dir) == [
        'line 3, column "headword": the same headword and first Vietnamese gloss as another row; '
        "give the rows an id column, or write further senses as continuation rows "
        "(empty headword) (also on line 2)"]


def test_duplicate_entry_id_in_starter_format(app, tmp_path):
    lines = (DATA / "hre_starter.csv").read_text(encoding="utf-8").splitlines()
    path = write(tmp_path, "dup.csv", "\n".join(lines[:4] + [lines[2]]) + "\n")
    assert failure(app, path) == [
        'line 5, column "entry_id": duplicate entry_id "peiros2004:Hre-2_ashes-1" (also on line 3)']


def test_unknown_source_in_starter_format(app, tmp_path):
    lines = (DATA / "hre_starter.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",peiros2004,Hre-1_all-1", ",peiros2099,Hre-1_all-1")
    errors = failure(app, write(tmp_path, "x.csv", "\n".join(lines[:3]) + "\n"))
    assert errors == ['line 2, column "source": unknown source "peiros2099"; use a source key '
                      "from data/languages.toml (peiros2004, sidwell2015), or add one there "
                      "as a [[source]] table with key, license and citation"]


@pytest.mark.parametrize("text, expected", [
    ('headword,vietnamese,source\nzatok,nhà,nhomthu\n"bimlu,đi,nhomthu\nkelop,đẹp,nhomthu\n',
     'line 3: a quoted cell starts on this line but its closing quote (") is missing (the quoted '
     "cell runs on to line 4); the rest of the file was not read"),
    ('headword,vietnamese,source\nzatok,nhà,nhomthu\n"bimlu"x,đi,nhomthu\n',
     'line 3: text follows the closing quote (") of a cell; inside a quoted cell write a quote '
     'as ""; the rest of the file was not read'),
    ('headword,vietnamese,source\nzatok,nhà,nhomthu,thừa\n',
     "line 2: 4 cells, but the header has 3 columns; a cell containing a comma must be quoted"),
    ("headword\tvietnamese\tsource\nzatok\tnhà\n",
     "line 2: 2 cells, but the header has 3 columns; a cell containing a tab must be quoted"),
], ids=["unclosed-quote", "text-after-quote", "too-many-cells", "too-few-cells"])
def test_malformed_tables(app, data_dir, tmp_path, text, expected):
    assert failure(app, write(tmp_path, "x.csv", text), data_dir=data_dir) == [expected]
    assert counts(app) == (0, 0, 0)


@pytest.mark.parametrize("text, expected", [
    ("", "the file is empty"),
    ("\n\n", "the file is empty"),
    ("headword,vietnamese,source\n\n", "the file has a header row but no data rows"),
])
def test_empty_files(app, tmp_path, text, expected):
    assert failure(app, write(tmp_path, "x.csv", text)) == [expected]


def test_bad_characters_and_lengths(app, data_dir, tmp_path):
    long = "z" * 201
    text = ("headword,vietnamese,semantic_field,source\n"
            f"zat\x07ok,nhà,,nhomthu\n"
            f"bimlu,\"đi\nvề\",,nhomthu\n"
            f"{long},nhà,{'x' * 81},nhomthu\n"
            "kel\ue000op,đẹp,,nhomthu\n")
    assert failure(app, write(tmp_path, "x.csv", text), data_dir=data_dir) == [
        'line 2, column "headword": contains a control character (U+0007)',
        'line 3, column "vietnamese": contains a line break (U+000A)',
        'line 5, column "headword": 201 characters; at most 200 fit',
        'line 5, column "semantic_field": 81 characters; at most 80 fit',
        'line 6, column "headword": contains a private-use character (U+E000), usually from '
        "a legacy font; retype it in Unicode",
    ]


def test_continuation_row_rules(app, data_dir, tmp_path):
    text = ("id,headword,part_of_speech,vietnamese,english,source\n"
            "z1,zatok,danh từ,nhà,house,nhomthu\n"
            "z9,,,mái nhà,,\n"
            ",,động từ,dựng nhà,,\n"
            ",,,,roof,\n")
    assert failure(app, write(tmp_path, "x.csv", text), data_dir=data_dir) == [
        'line 3, column "id": a row with an empty headword continues the entry of line 2; '
        'leave its id empty (or repeat "z1")',
        'line 4, column "part_of_speech": the part of speech belongs to the entry, not the sense; '
        "write a different part of speech as a new entry (same headword, its own row)",
        'line 5, column "vietnamese": empty gloss',
    ]


def test_unknown_language(app):
    assert failure(app, DATA / "hre_starter.csv", "xyz") == [
        "unknown language 'xyz'; the languages in data/languages.toml are: hre, cua"]


# ---- all or nothing, dry runs, homographs ----------------------------------------------------
def test_one_bad_row_among_good_ones_writes_nothing(app, data_dir, tmp_path):
    text = ("headword,vietnamese,source\nzatok,nhà,nhomthu\nbimlu,đi,nhomthu\nkelop,đẹp,nhomthu\n"
            "mifan,ôi,nhomthu\ntozab,,nhomthu\ndrubo,chó,nhomthu\n")
    assert failure(app, write(tmp_path, "x.csv", text), data_dir=data_dir) == [
        'line 6, column "vietnamese": empty gloss']
    assert counts(app) == (0, 0, 0)


def test_dry_run_changes_nothing(app, data_dir, tmp_path):
    report = run(app, FIXTURES / "curated.csv", data_dir=data_dir, dry_run=True)
    assert (report.dry_run, report.created, report.updated, report.unchanged) == (True, 3, 0, 0)
    assert [r.public_id for r in report.rows] == [None, None, None]
    assert counts(app) == (0, 0, 0)
    assert report.summary() == ("curated.csv (curated format, hre): 3 entries; 3 would be "
                                "created, 0 would be updated, 0 unchanged\nIgnored columns: comment")

    run(app, FIXTURES / "curated.csv", data_dir=data_dir)
    before = counts(app)
    assert before == (3, 3, 3)
    changed = write(tmp_path, "curated.csv", CURATED.replace("beautiful", "pretty")
                    + ",tozab,,đêm,night,,,,,nhomthu,,\n")
    report = run(app, changed, data_dir=data_dir, dry_run=True)
    assert [(r.action, r.public_id) for r in report.rows] == [
        ("unchanged", "hre-000001"), ("unchanged", "hre-000002"), ("updated", "hre-000003"),
        ("created", None)]
    assert counts(app) == before
    assert entry(app, public_id="hre-000003").senses[0].gloss_en == "beautiful"


def test_homograph_numbers(app, data_dir, tmp_path):
    report = run(app, FIXTURES / "homographs.csv", data_dir=data_dir)
    assert [(r.public_id, r.headword) for r in report.rows] == [
        ("hre-000001", "Zatok"), ("hre-000002", "zatok"), ("hre-000003", "bimlu")]
    numbers = {e: entry(app, public_id=e).homograph for e in ("hre-000001", "hre-000002", "hre-000003")}
    assert numbers == {"hre-000001": 2, "hre-000002": 1, "hre-000003": None}  # by source_key

    # Another file adds a third "zatok" and a second "bimlu": the others are renumbered.
    more = write(tmp_path, "more.csv", "id,headword,vietnamese,source\na0,zatok,cột nhà,nhomthu\n"
                                       "a1,BIMLU,ngõ,nhomthu\n")
    report = run(app, more, data_dir=data_dir)
    assert report.created == 2 and report.renumbered == ["hre-000001", "hre-000002", "hre-000003"]
    got = {e: entry(app, public_id=e).homograph
           for e in ("hre-000001", "hre-000002", "hre-000003", "hre-000004", "hre-000005")}
    assert got == {"hre-000004": 1, "hre-000005": 1, "hre-000003": 2,
                   "hre-000002": 2, "hre-000001": 3}
    with app.app_context(), get_db().Session() as s:
        assert s.scalars(select(Revision.summary).where(Revision.entry_public_id == "hre-000003")
                         .order_by(Revision.id)).all() == ["created", "updated"]

    # Homographs are per language: the same headword in Co does not count.
    run(app, FIXTURES / "homographs.csv", "cua", data_dir=data_dir)
    assert entry(app, public_id="hre-000003").homograph == 2
    assert entry(app, public_id="cua-000003").homograph is None
    assert run(app, more, data_dir=data_dir).unchanged == 2


def test_renaming_a_headword_renumbers_both_groups(app, data_dir, tmp_path):
    run(app, FIXTURES / "homographs.csv", data_dir=data_dir)
    renamed = (FIXTURES / "homographs.csv").read_text(encoding="utf-8").replace(
        "h1,zatok,", "h1,bimlu,")
    report = run(app, write(tmp_path, "homographs.csv", renamed), data_dir=data_dir)
    assert [(r.public_id, r.action) for r in report.rows] == [
        ("hre-000001", "updated"), ("hre-000002", "updated"), ("hre-000003", "updated")]
    got = {e: (entry(app, public_id=e).headword, entry(app, public_id=e).homograph)
           for e in ("hre-000001", "hre-000002", "hre-000003")}
    assert got == {"hre-000001": ("Zatok", None), "hre-000002": ("bimlu", 1),
                   "hre-000003": ("bimlu", 2)}


def test_continuation_rows_add_variants_and_notes(app, data_dir, tmp_path):
    text = ("headword,vietnamese,variant,note,source\n"
            "zatok,nhà,zatôk,ghi chú một,nhomthu\n"
            ",,zatôk; zatoq,ghi chú hai,\n")
    run(app, write(tmp_path, "x.csv", text), data_dir=data_dir)
    e = entry(app, public_id="hre-000001")
    assert ([v.form for v in e.variants], e.note, len(e.senses)) == (
        ["zatôk", "zatoq"], "ghi chú một\nghi chú hai", 1)


def test_repeated_column_is_an_error(app, data_dir, tmp_path):
    path = write(tmp_path, "x.csv", "headword,vietnamese,Nghĩa,source\nzatok,nhà,nhà,nhomthu\n")
    assert failure(app, path, data_dir=data_dir) == [
        'line 1, column "Nghĩa": repeats column "vietnamese" (column 2)']


def test_deleted_entries_stay_deleted_and_leave_the_numbering(app):
    run(app, DATA / "hre_starter.csv", "hre")
    with app.app_context(), get_db().Session() as s:
        s.scalars(select(Entry).where(Entry.public_id == "hre-000028")).one().status = "deleted"
        s.commit()
    report = run(app, DATA / "hre_starter.csv", "hre")
    assert (report.updated, report.unchanged) == (1, 101)
    # hre-000028 and hre-000037 were the homographs 1 and 2 of "sak.L".
    assert [r.public_id for r in report.rows if r.action == "updated"] == ["hre-000037"]
    assert entry(app, public_id="hre-000037").homograph is None
    deleted = entry(app, public_id="hre-000028")
    assert (deleted.status, deleted.homograph) == ("deleted", 1)


def test_cli_uses_the_same_code_path(app, tmp_path):
    runner = app.test_cli_runner()
    with app.app_context():  # `flask` itself pushes one; app.cli alone does not
        result = runner.invoke(args=["import-lexicon", str(DATA / "hre_starter.csv"),
                                     "--lang", "hre", "--dry-run"])
    assert result.exit_code == 0
    assert "line 2: created   (new)  diʔ.L dɔŋ" in result.output
    assert result.output.rstrip().endswith(
        "Dry run, nothing changed: hre_starter.csv (starter format, hre): 102 entries; "
        "102 would be created, 0 would be updated, 0 unchanged")
    assert counts(app) == (0, 0, 0)
    bad = write(tmp_path, "bad.csv", "headword,english\nzatok,house\n")
    with app.app_context():
        result = runner.invoke(args=["import-lexicon", str(bad), "--lang", "hre"])
    assert result.exit_code == 1
    assert 'missing required columns "vietnamese", "source"' in result.output


def test_starter_file_under_the_wrong_language_is_refused(app):
    errors = failure(app, DATA / "hre_starter.csv", "cua")
    assert errors[0] == ("line 2, column \"variety\": 'Hre (Peiros 2004)' is not a variety of "
                         "'cua' (data/languages.toml lists: Cua, Kor=Cua)")
    assert errors[-1].endswith("… and 82 more rows like these")
    assert counts(app) == (0, 0, 0)


# ---- optimistic locking: an editor's save racing an import (issue 10, item 7) ------------------
RACE_BASE = ("id,headword,vietnamese,source\n"
             "t1,tok0001,nghĩa một,nhomthu\nt2,tok0002,nghĩa hai,nhomthu\n")
RACE_CHANGED = RACE_BASE.replace("nghĩa một", "nghĩa mới").replace("nghĩa hai", "nghĩa khác")


def _edit_in_another_session(app, headword: str, gloss: str) -> None:
    """An editor's save, committed by its own connection (as a request thread would)."""
    with app.app_context(), get_db().Session() as other:
        e = other.scalars(select(Entry).where(Entry.headword == headword)).one()
        e.senses[0].gloss_vi = gloss
        e.note = "sửa tay"
        other.commit()


def _state(app) -> list[tuple]:
    with app.app_context(), get_db().Session() as s:
        return sorted((e.public_id, e.version, e.note, e.senses[0].gloss_vi)
                      for e in s.scalars(select(Entry)))


def test_an_edit_committed_while_the_import_writes_is_refused_cleanly(app, data_dir):
    from dictionary.curation.importer import SAVING, ImportConflict
    from dictionary.models import ImportBatch

    with app.app_context(), get_db().Session() as s:
        import_lexicon(s, None, "hre", data=RACE_BASE.encode(), file_name="a.csv",
                       data_dir=data_dir)
    calls = []

    def race(phase, done, total):
        # The import has read the entries (the plan) and is about to write them: an editor
        # saves tok0002 now, from another connection. Before the fix its flush raised
        # StaleDataError (an HTTP 500 on the import page).
        if phase == SAVING and not calls:
            calls.append(phase)
            _edit_in_another_session(app, "tok0002", "nghĩa của biên tập viên")

    with app.app_context(), get_db().Session() as s:
        with pytest.raises(ImportConflict) as info:
            import_lexicon(s, None, "hre", data=RACE_CHANGED.encode(), file_name="b.csv",
                           data_dir=data_dir, progress=race)
    assert calls == [SAVING]
    [problem] = info.value.errors
    assert problem.line == 3 and "entry hre-000002 (tok0002) was saved by someone else while " \
                                 "the import was being written; nothing was imported" in problem.message
    assert _state(app) == [("hre-000001", 1, None, "nghĩa một"),  # the import wrote nothing
                           ("hre-000002", 2, "sửa tay", "nghĩa của biên tập viên")]
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count(ImportBatch.id))) == 1
        assert s.scalar(select(func.count(Revision.id))) == 2


def test_a_confirm_checks_the_versions_its_dry_run_saw(app, data_dir):
    from dictionary.curation.importer import ImportConflict

    with app.app_context(), get_db().Session() as s:
        import_lexicon(s, None, "hre", data=RACE_BASE.encode(), file_name="a.csv",
                       data_dir=data_dir)
    with app.app_context(), get_db().Session() as s:
        dry = import_lexicon(s, None, "hre", data=RACE_CHANGED.encode(), file_name="b.csv",
                             data_dir=data_dir, dry_run=True)
    assert dry.versions == {"hre-000001": 1, "hre-000002": 1}
    _edit_in_another_session(app, "tok0001", "nghĩa sau khi chạy thử")
    before = _state(app)
    with app.app_context(), get_db().Session() as s, pytest.raises(ImportConflict) as info:
        import_lexicon(s, None, "hre", data=RACE_CHANGED.encode(), file_name="b.csv",
                       data_dir=data_dir, expected=dry.versions)
    assert [(p.line, p.message.split(";")[0]) for p in info.value.errors] == [
        (2, "entry hre-000001 (tok0001) was changed by someone else after the dry run")]
    assert _state(app) == before
    with app.app_context(), get_db().Session() as s:  # a new dry run, then it goes through
        again = import_lexicon(s, None, "hre", data=RACE_CHANGED.encode(), file_name="b.csv",
                               data_dir=data_dir, dry_run=True)
    with app.app_context(), get_db().Session() as s:
        done = import_lexicon(s, None, "hre", data=RACE_CHANGED.encode(), file_name="b.csv",
                              data_dir=data_dir, expected=again.versions)
    assert (done.updated, done.batch_id) == (2, 2)
