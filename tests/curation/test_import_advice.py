"""Import problems a linguist can act on (issue 14 §4): each kind of problem the importers
produce gets a title saying what is wrong and advice saying what to do in the linguist's own
tool (FLEx for LIFT, Toolbox for MDF, Excel or LibreOffice for CSV/XLSX), on the import pages
(Vietnamese by default, English on request) and in the CLI (English).

Real files from ``../shared/data/realdata/`` (read in place, never copied; see its SOURCES.md)
go through the real importer; the synthetic files use made-up tokens (``zuxo``), not Hrê or
Co words. The messages matched are made by the real readers, not retyped here.
"""
from __future__ import annotations

import gzip
import io
import json

import pytest
from markupsafe import escape
from sqlalchemy import select

from conftest import csrf_token, get_state_close
from realdata import REALDATA
from test_admin_import import client_for, curation_app, text, upload
from test_import_jobs import follow, job_url

from dictionary.curation.import_advice import (
    FORMAT_TOOLS, KINDS, LIFT, TABLE, TOOLBOX, _RULES, advice_refs, classify, explain)
from dictionary.curation.import_jobs import ImportJob
from dictionary.curation.import_report import problem_kinds, problems_summary
from dictionary.curation.importer import ImportFailed, import_lexicon
from dictionary.db import get_db
from dictionary.formats import checks, code_pages, lift_tally, mdf_in, mdf_markers, mdf_records
from dictionary.formats import text as ftext
from dictionary.formats import xlsx_in
from dictionary.formats.records import ImportProblem
from dictionary.limits import too_many_rows

BREVE = "\u0306"
LONE_MARKS = "id,headword,vietnamese,source\n" + "".join(
    f"r{i},{BREVE},thử,nhomthu\n" for i in range(30)) + "z,zuxo,,nhomthu\n"
ONE_LONE_MARK = f"id,headword,vietnamese,source\nr1,{BREVE},thử,nhomthu\nz,zuxo,nhà,nhomthu\n"


@pytest.fixture
def capp(tmp_path):
    app = curation_app(tmp_path)
    yield app
    get_state_close(app)


def dry_run(app, name: str, **options):
    """The real importer on a real file, as a dry run: the report, or ``ImportFailed``."""
    data = (REALDATA / name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    with app.app_context(), get_db().Session() as s:
        return import_lexicon(s, None, "hre", data=data, file_name=name.removesuffix(".gz"),
                              dry_run=True, source="nhomthu", data_dir=app.config["DATA_DIR"],
                              **options)


def about(kind, file_name=None):
    return explain(kind, file_name, locale="en")


# ---- the kinds ----------------------------------------------------------------------------------
def test_every_rule_names_a_kind_and_every_kind_has_a_title_and_advice_for_each_tool():
    assert {key for key, _, _ in _RULES} == set(KINDS)
    for key in KINDS:
        for tool in (None, LIFT, TOOLBOX, TABLE):
            told = about({"key": key, "tool": tool})
            assert told.known and told.title and told.advice, (key, tool)
    # A kind not known here keeps a plain title, and a kind from an old job (no key) too.
    assert about({"column": "headword", "count": 3}) == ("Problem in column headword", "", False)
    assert about(None) == ("Problem in the file", "", False)


LIFT_WARNINGS = {kind: ImportProblem(3, where, what.format(n=2, lines="3, 9", values="x (2)"))
                 for kind, (where, what) in lift_tally.GROUPED.items()}
FINDINGS = mdf_records.Findings(unglossed=[4], senseless=[5], dropped=[6], mixed=[7],
                                unknown_pos={"vt": [8]}, cleaned=[9], stray={"U+0007": None})


@pytest.mark.parametrize("problem, key, tool", [
    (ImportProblem(2, "từ", checks.empty_headword(BREVE)), "lone-mark", None),
    (ImportProblem(2, "lexical-unit", checks.empty_headword(BREVE)), "lone-mark", LIFT),
    (ImportProblem(2, "headword", checks.empty_headword(" ")), "empty-headword", None),
    (ImportProblem(2, "\\lx", checks.empty_headword("")), "empty-headword", TOOLBOX),
    (ImportProblem(9, None, too_many_rows(10)), "too-many-rows", None),
    (ImportProblem(2, "gloss", ftext.bad_character("a\u200bb")), "invisible-character", LIFT),
    (ImportProblem(2, "nghĩa", ftext.bad_character("\ue000")), "legacy-font", None),
    (ImportProblem(2, None, f"not valid UTF-8; {code_pages.TOOLBOX_ADVICE}"), "toolbox-encoding",
     TOOLBOX),
    (mdf_in.decoding_warnings("cp1252", [(3, "?", "±")])[0], "toolbox-cp1252", TOOLBOX),
    *[(w, key, LIFT) for key, w in zip(("unglossed", "senseless", "unknown-pos", "mixed-pos",
                                        "allomorph", "unpublished", "deleted"),
                                       LIFT_WARNINGS.values())],
    *[(w, key, tool) for (key, tool), w in zip((
        ("unglossed", TOOLBOX), ("senseless", None), ("empty-sense", TOOLBOX),
        ("mixed-pos", TOOLBOX), ("unknown-pos", TOOLBOX), ("stray-characters", TOOLBOX)),
        FINDINGS.warnings(["\\gn"]))],
    (ImportProblem(None, None, xlsx_in._ole2_message(b"")), "workbook", TABLE),
    (ImportProblem(4, None, ftext._quote_problem("unexpected end of data", 4, 9)), "csv-quoting",
     TABLE),
    (mdf_markers.headword_problems({})[0], "marker-mapping", TOOLBOX),
    (ImportProblem(None, "clip.wav", "this file is a video; please upload the sound only"),
     "audio-file", None),
    (ImportProblem(None, None, "something nobody has written yet"), None, None),
])
def test_the_messages_the_readers_make_are_told_apart(problem, key, tool):
    assert classify(problem) == (key, tool)


def test_a_file_whose_problems_do_not_say_their_tool_takes_it_from_its_name():
    too_big = ImportProblem(3, None, "the entry “zuxo” (line 3) has 300 senses; at most 200 "
                                     "senses fit in one entry (sense 201 starts here).")
    [kind] = problem_kinds([too_big])
    assert (kind["key"], kind["tool"]) == ("entry-too-big", None)
    assert "In FLEx" in about(kind, "zuxo.lift").advice
    assert "In Toolbox" in about(kind, "zuxo.db").advice
    assert "In Excel or LibreOffice" in about(kind, "zuxo.xlsx").advice
    # One problem that shows the tool speaks for the others of the file.
    refs = advice_refs([too_big, ImportProblem(9, "\\lx", checks.empty_headword(""))])
    assert [r["tool"] for r in refs] == [TOOLBOX, TOOLBOX]


# ---- real files through the real importer --------------------------------------------------
@pytest.mark.parametrize("name", [
    "FlexLiftExport.lift", "tha-food.lift", "RWC.lift", "AllFLExFields.lift", "MDFSampl.db",
    "iu_mien_samp.db", "repro/do_not_publish.lift", "repro/empty_template_sense.db",
    "repro/variant_entry_without_sense.lift", "repro/allomorph_order.lift",
])
def test_every_warning_of_a_real_file_comes_with_advice(capp, name):
    report = dry_run(capp, name)
    assert report.warnings
    refs = advice_refs(report.warnings, FORMAT_TOOLS[report.format])
    unexplained = [str(w) for w, ref in zip(report.warnings, refs) if not about(ref).known]
    assert not unexplained
    assert {ref["tool"] for ref in refs} == {TOOLBOX if name.endswith(".db") else LIFT}


def test_the_advice_for_a_flex_file_speaks_of_flex(capp):
    report = dry_run(capp, "FlexLiftExport.lift")
    told = {ref["key"]: about(ref) for ref in advice_refs(report.warnings, LIFT)}
    assert {"unglossed", "senseless", "allomorph", "mixed-pos", "headword-ws-inferred",
            "lift-header"} <= set(told)
    assert "Bulk Edit Entries" in told["unglossed"].advice
    assert "Insert ▸ Sense" in told["senseless"].advice


def test_a_cp1252_toolbox_file_is_told_about_toolbox_not_excel(capp):
    report = dry_run(capp, "MDFSampl.db")
    told = {ref["key"]: about(ref) for ref in advice_refs(report.warnings, TOOLBOX)}
    assert "SIL Converters" in told["toolbox-cp1252"].advice
    assert "\\ps" in told["unknown-pos"].advice
    assert not any("CSV UTF-8" in t.advice or "CSV UTF-8" in w.message
                   for t, w in zip(told.values(), report.warnings))


def test_a_toolbox_file_that_cannot_be_decoded_is_not_sent_to_excel(capp, tmp_path):
    (tmp_path / "bad.db").write_bytes(b"\\_sh v3.0  400  MDF 4.0\r\n\\lx zu\x00xo\r\n\\gn nha\r\n")
    with capp.app_context(), get_db().Session() as s, pytest.raises(ImportFailed) as failed:
        import_lexicon(s, tmp_path / "bad.db", "hre", source="nhomthu",
                       data_dir=capp.config["DATA_DIR"])
    [kind] = problem_kinds(failed.value.errors)
    told = about(kind, "bad.db")
    assert kind["key"] == "toolbox-encoding" and "SIL Converters" in told.advice
    assert "CSV UTF-8" not in told.advice + kind["examples"][0]["message"]
    # A table in Windows-1252 is told how to save it as UTF-8 from Excel or LibreOffice.
    (tmp_path / "bad.csv").write_bytes(b"headword,vietnamese,source\nd\xe9f,x,nhomthu\n")
    with capp.app_context(), get_db().Session() as s, pytest.raises(ImportFailed) as failed:
        import_lexicon(s, tmp_path / "bad.csv", "hre", data_dir=capp.config["DATA_DIR"])
    [kind] = problem_kinds(failed.value.errors)
    assert kind["key"] == "table-encoding" and "CSV UTF-8" in about(kind).advice


def test_an_entry_without_a_form_in_a_real_flex_file(capp):
    with pytest.raises(ImportFailed) as failed:
        dry_run(capp, "Gusillaay.lift.gz")
    [kind] = problem_kinds(failed.value.errors)
    assert (kind["key"], kind["tool"]) == ("empty-headword", LIFT)
    assert "Lexeme Form" in about(kind).advice
    json.dumps(problems_summary(failed.value))  # a background job keeps it as JSON


# ---- the pages -------------------------------------------------------------------------------
def post(client, data: str, name: str = "many.csv"):
    return client.post("/admin/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/admin/import"), "lang": "hre", "source": "",
        "status": "draft", "file": (io.BytesIO(data.encode()), name)})


def test_the_problems_page_says_what_to_do_in_vietnamese_and_in_english(capp):
    ref = {"key": "lone-mark", "tool": TABLE}
    english = explain(ref, locale="en")
    with capp.test_request_context():
        vietnamese = explain(ref, locale="vi")
    assert vietnamese.title != english.title  # the vi catalog translates it
    editor = client_for(capp, "editor")
    editor.set_cookie("ui_lang", "vi")
    page = text(post(editor, LONE_MARKS))
    assert str(escape(vietnamese.title)) in page and str(escape(vietnamese.advice)) in page
    assert '<td lang="en">' in page and "<tr><td>30</td><td>headword</td>" in page
    editor.set_cookie("ui_lang", "en")
    page = text(post(editor, LONE_MARKS))
    assert str(escape(english.title)) in page and str(escape(english.advice)) in page
    assert "UniKey" in page and "In Excel or LibreOffice Calc" in page
    # The title comes before the count and the first examples, line numbers kept.
    assert page.index(str(escape(english.title))) < page.index("<tr><td>30</td>")
    assert "line 2" in page
    assert str(escape(explain({"key": "empty-gloss"}, locale="en").title)) in page


def test_a_single_problem_gets_its_advice_too(capp):
    editor = client_for(capp, "editor")
    page = text(post(editor, ONE_LONE_MARK, "one.csv"))
    assert "Problems by kind" not in page  # one kind, one row: no table of kinds
    assert str(escape(about({"key": "lone-mark"}).title)) in page
    assert "UniKey" in page


def test_the_dry_run_report_gives_each_warning_its_advice(capp):
    editor = client_for(capp, "editor")
    data = (REALDATA / "tha-food.lift").read_bytes()
    page = text(upload(editor, data, "tha-food.lift", source="nhomthu"))
    assert "Dry run: nothing has been changed yet" in page, page
    for key in ("unglossed", "deleted", "senseless", "headword-ws-inferred"):
        told = about({"key": key, "tool": LIFT})
        assert str(escape(told.title)) in page and str(escape(told.advice)) in page, key
    assert "Bulk Edit Entries" in page
    assert '<span lang="en">' in page


def test_a_background_check_keeps_the_kinds_as_json_and_its_page_explains_them(tmp_path):
    app = curation_app(tmp_path, IMPORT_BACKGROUND_ROWS=5)
    try:
        editor = client_for(app, "editor")
        url = job_url(post(editor, LONE_MARKS))
        final, _, _ = follow(editor, url)
        assert final["state"] == "failed"
        with app.app_context(), get_db().Session() as s:
            job = s.scalar(select(ImportJob).order_by(ImportJob.id.desc()))
            kinds = job.error["kinds"]
        assert kinds[0]["key"] == "lone-mark" and kinds[0]["count"] == 30
        page = text(editor.get(url))
        assert str(escape(about(kinds[0]).title)) in page and "UniKey" in page
    finally:
        get_state_close(app)


# ---- the command line ------------------------------------------------------------------------
def test_the_command_line_says_what_to_do_in_english(capp, tmp_path):
    runner = capp.test_cli_runner()
    for name, data in (("one.csv", ONE_LONE_MARK), ("many.csv", LONE_MARKS)):
        (tmp_path / name).write_text(data, encoding="utf-8")
        result = runner.invoke(args=["import-lexicon", str(tmp_path / name), "--lang", "hre"])
        assert result.exit_code == 1
        told = about({"key": "lone-mark", "tool": TABLE})
        assert f"{told.title}\n" in result.output and f"What to do: {told.advice}" in result.output
    assert result.output.index("30 × column headword:") < result.output.index(told.title)
    report = runner.invoke(args=["import-lexicon", str(REALDATA / "MDFSampl.db"), "--lang",
                                 "hre", "--source", "nhomthu", "--dry-run"])
    assert report.exit_code == 0, report.output
    assert "What to do: Check that the letters of the lines shown read correctly" in report.output
