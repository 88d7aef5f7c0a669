"""The import page reads a FieldWorks file the way the linguist says: a new source declared
with the upload, a role chosen per writing system after a dry run that could not find the
headwords, invalid entries skipped on request, the mapping remembered for the source.

The LIFT file is synthetic (made-up tokens ``zuxo``, ``kelop``, ``bimlu``; glosses in English
and French); the writing-system codes are FieldWorks-style (``qaa-x-zux``, ``qaa-fonipa``).
"""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from conftest import csrf_token, get_state_close
from dictionary.db import get_db
from dictionary.models import DRAFT, Entry, Source
from test_admin_import import client_for, confirm, curation_app, token_of  # noqa: F401

LIFT = """<?xml version="1.0" encoding="UTF-8"?>
<lift version="0.13" producer="SIL.FLEx 9.1">
<entry id="a" guid="11111111-0000-4000-8000-000000000001">
<lexical-unit><form lang="qaa-x-zux"><text>zuxo</text></form>
<form lang="qaa-x-tra"><text>zu.xo</text></form></lexical-unit>
<sense><gloss lang="en"><text>house</text></gloss><gloss lang="fr"><text>maison</text></gloss></sense>
</entry>
<entry id="b" guid="11111111-0000-4000-8000-000000000002">
<lexical-unit><form lang="qaa-x-zux"><text>kelop</text></form></lexical-unit>
<sense><gloss lang="en"><text>stone</text></gloss></sense>
</entry>
<entry id="c" guid="11111111-0000-4000-8000-000000000003">
<sense><gloss lang="en"><text>nothing to name it</text></gloss></sense>
</entry>
</lift>
"""


@pytest.fixture
def capp(tmp_path):
    app = curation_app(tmp_path)
    yield app
    get_state_close(app)


def upload(client, **fields):
    return client.post("/admin/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/admin/import"), "lang": "hre", "source": "",
        "status": "draft", "file": (io.BytesIO(LIFT.encode()), "fw.lift"), **fields})


def text(response) -> str:
    return response.get_data(as_text=True)


def test_declare_a_source_map_the_writing_systems_skip_and_import(capp):
    editor = client_for(capp, "editor")
    first = upload(editor, new_source_key="fw2024", new_source_citation="Field notes 2024",
                   new_source_license="CC-BY-4.0")
    page = text(first)
    assert first.status_code == 422, page
    # Two writing systems in the first lexical unit: the headwords' cannot be guessed.
    assert "no headword in &#34;hre&#34;" in page and "--ws qaa-x-tra=headword" in page
    assert 'name="ws:qaa-x-zux"' in page and 'name="ws:qaa-x-tra"' in page
    token = re.search(r'/admin/import/([A-Za-z0-9_-]{32})/mapping', page).group(1)

    def choose(**roles):
        return editor.post(f"/admin/import/{token}/mapping", data={
            "csrf_token": csrf_token(editor, "/admin/import"),
            **{f"ws:{code}": role for code, role in roles.items() if code != "flags"},
            **roles.get("flags", {})})

    again = choose(**{"qaa-x-zux": "headword", "qaa-x-tra": "phonetic", "en": "gloss",
                      "fr": "gloss", "flags": {"remember_mapping": "1"}})
    assert again.status_code == 303
    page = text(editor.get(again.headers["Location"]))
    # Entry c has no form at all: only it is wrong, so it may be skipped.
    assert "Import the 2 valid entries and skip the 1 listed above" in page
    assert 'value="headword" selected' in page
    skipped = choose(**{"qaa-x-zux": "headword", "qaa-x-tra": "phonetic", "en": "gloss",
                        "fr": "gloss", "flags": {"remember_mapping": "1", "skip_invalid": "1"}})
    report = text(editor.get(skipped.headers["Location"]))
    assert "Dry run: nothing has been changed yet" in report, report
    assert "1 entries with the problems below are skipped" in report
    with capp.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count(Entry.id))) == 0  # still nothing written
        assert s.scalar(select(Source).where(Source.key == "fw2024")) is None
    done = confirm(editor, token_of(editor.get(skipped.headers["Location"])))
    assert done.status_code == 302, text(done)
    with capp.app_context(), get_db().Session() as s:
        entries = s.scalars(select(Entry).order_by(Entry.id)).all()
        assert [(e.headword, e.status) for e in entries] == [("zuxo", DRAFT), ("kelop", DRAFT)]
        assert entries[0].senses[0].gloss_en == "house"
        assert entries[0].senses[0].extra["glosses"] == {"fr": "maison"}
        source = s.scalar(select(Source).where(Source.key == "fw2024"))
        assert (source.citation, source.license) == ("Field notes 2024", "CC-BY-4.0")
        assert source.import_mapping["ws"]["qaa-x-zux"] == "headword"
    # The next file of that source is read the remembered way at once.
    later = text(upload(editor, source="fw2024"))
    assert "no headword in &#34;hre&#34;" not in later  # the headwords were found
    assert "Import the 2 valid entries and skip the 1 listed above" in later


def test_the_mapping_form_needs_its_token_and_only_takes_known_roles(capp):
    editor = client_for(capp, "editor")
    page = text(upload(editor, new_source_key="fw2024", new_source_citation="x",
                       new_source_license="MIT"))
    token = re.search(r'/admin/import/([A-Za-z0-9_-]{32})/mapping', page).group(1)
    assert editor.post(f"/admin/import/{token}/mapping", data={"ws:en": "vi"}).status_code == 400
    other = client_for(capp, "reviewer")
    assert other.post(f"/admin/import/{token}/mapping", data={
        "csrf_token": csrf_token(other, "/admin/import"), "ws:en": "vi"}).status_code == 403
    editor.post(f"/admin/import/{token}/mapping", data={
        "csrf_token": csrf_token(editor, "/admin/import"), "ws:qaa-x-zux": "owner",
        "ws:../../x": "headword", "ws:qaa-x-tra": "headword"})
    from dictionary.curation.uploads import load_upload

    with capp.test_request_context():
        assert load_upload(token).ws == {"qaa-x-tra": "headword"}


def test_a_bad_source_declaration_is_refused_with_what_to_fix(capp):
    editor = client_for(capp, "editor")
    page = text(upload(editor, new_source_key="Field Notes", new_source_citation="",
                       new_source_license="free"))
    assert "may hold only small letters" in page and "needs its citation" in page
    assert "not a licence identifier" in page


def test_many_problems_of_one_kind_are_told_once_with_their_count(capp, tmp_path):
    rows = "".join(f"r{i},\u0306,thử,nhomthu\n" for i in range(30)) + "z,zuxo,,nhomthu\n"
    csv = "id,headword,vietnamese,source\n" + rows
    editor = client_for(capp, "editor")
    page = text(editor.post("/admin/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(editor, "/admin/import"), "lang": "hre", "source": "",
        "status": "draft", "file": (io.BytesIO(csv.encode()), "many.csv")}))
    assert "Problems by kind" in page
    assert re.search(r"<tr><td>30</td><td>headword</td>", page), page
    result = capp.test_cli_runner().invoke(args=[
        "import-lexicon", str(_write(tmp_path, csv)), "--lang", "hre"])
    assert result.exit_code == 1
    assert '30 × column headword:' in result.output
    assert "… and 25 more like these" in result.output


def _write(tmp_path, text: str):
    path = tmp_path / "many.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_toolbox_database_with_its_marker_file_through_the_page(capp):
    from realdata import REALDATA

    editor = client_for(capp, "editor")

    def send(markers: bytes):
        return editor.post("/admin/import", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(editor, "/admin/import"), "lang": "hre",
            "source": "nhomthu", "status": "draft",
            "file": (io.BytesIO((REALDATA / "MDFSampl.db").read_bytes()), "MDFSampl.db"),
            "markers": (io.BytesIO(markers), "markers.toml")})

    wrong = send(b'[markers]\ngn = "glossary"\n')
    assert wrong.status_code == 422 and 'unknown meaning &#34;glossary&#34;' in text(wrong)
    page = text(send(b'[markers]\ngn = "gloss:id"\n'))
    assert "Dry run: nothing has been changed yet" in page, page
    assert "cp1252" in page
    done = confirm(editor, token_of(send(b'[markers]\ngn = "gloss:id"\n')))
    assert done.status_code == 302
    with capp.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count(Entry.id))) == 64
