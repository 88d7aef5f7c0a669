r"""The import page reads a Toolbox database the way the linguist says, marker by marker: the
dry run lists the markers found (how often, where first, a sample) with the meaning each
got and where from, and the encoding the file was read in; a meaning chosen per marker in
the page is kept with the upload, read by the re-check and the import, and remembered for
the source on request, so the next file of that source is read (and shown) that way.
Forged fields change nothing.

The files are real (``../shared/data/realdata``, see its SOURCES.md): ``MDFSampl.db``
(Selaru, cp1252; the national-language markers ``\gn``, ``\xn`` hold Indonesian) and
``iu_mien_samp.db`` (Iu Mien, UTF-8; ``\gn``, ``\dn``, ``\xn`` hold Chinese).
"""
from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from conftest import csrf_token, get_state_close
from dictionary.curation.uploads import load_upload
from dictionary.db import get_db
from dictionary.models import Entry, Source
from realdata import REALDATA
from test_admin_import import client_for, confirm, curation_app, token_of

SOURCE = "nhomthu"  # the synthetic source of the test catalog


@pytest.fixture
def capp(tmp_path):
    app = curation_app(tmp_path)
    yield app
    get_state_close(app)


def send(client, name: str, **fields):
    return client.post("/admin/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/admin/import"), "lang": "hre", "source": SOURCE,
        "status": "draft", "file": (io.BytesIO((REALDATA / name).read_bytes()), name),
        **fields})


def text(response) -> str:
    return response.get_data(as_text=True)


def mapping_token(page: str) -> str:
    return re.search(r'/admin/import/([A-Za-z0-9_-]{32})/mapping', page).group(1)


def shown(page: str) -> dict[str, tuple[str, str, str]]:
    """Marker → (what the page says was found, the meaning selected, where it comes from)."""
    rows = re.findall(r'<tr><td><code>\\([^<]+)</code></td>\s*<td class="small">(.*?)</td>\s*'
                      r'<td><select name="mk:\1"[^>]*>(.*?)</select>\s*<br>'
                      r'<span class="small">([^<]*)</span>', page, re.S)
    found = {}
    for marker, seen, options, origin in rows:
        selected = re.findall(r'<option value="([^"]+)" selected>', options)
        assert len(selected) == 1, (marker, options)
        found[html.unescape(marker)] = (html.unescape(seen), selected[0], origin)
    return found


def choose(client, token: str, page: str, lang: str = "", **meanings):
    """Post the mapping form as a person would: every select as shown, ``meanings`` changed
    (``gn="gloss:*"`` with ``lang`` for the other language)."""
    flags = meanings.pop("flags", {})
    fields = {f"mk:{m}": meaning for m, (_, meaning, _) in shown(page).items()}
    fields.update({f"mk:{m}": meaning for m, meaning in meanings.items()})
    return client.post(f"/admin/import/{token}/mapping", data={
        "csrf_token": csrf_token(client, "/admin/import"), "mk_lang": lang, **fields, **flags})


def stored(app) -> list[tuple[str, str | None, dict]]:
    """(headword, first sense's Vietnamese gloss, its kept glosses) of every entry."""
    with app.app_context(), get_db().Session() as s:
        return [(e.headword, e.senses[0].gloss_vi if e.senses else None,
                 (e.senses[0].extra or {}).get("glosses", {}) if e.senses else {})
                for e in s.scalars(select(Entry).order_by(Entry.id))]


def test_markers_chosen_in_the_page_are_imported_and_remembered(capp):
    editor = client_for(capp, "editor")
    first = send(editor, "MDFSampl.db")
    page = text(first)
    assert first.status_code == 200 and "Dry run: nothing has been changed yet" in page, page
    assert "Encoding of the file: <strong>Windows-1252 (cp1252)</strong>" in page
    table = shown(page)
    assert table["lx"] == ("57 times, from line 4<br><q>a</q>", "headword", "standard MDF")
    assert table["gn"] == ("93 times, from line 10<br><q>mari</q>", "gloss:vi",
                           "standard MDF")
    assert table["xn"][0].startswith("100 times, from line 17 (12 empty)")
    assert table["pn"][1:] == ("keep", "not in standard MDF")
    assert "_sh" not in table and len(table) == 41  # header lines are not fields
    # Read as standard MDF, the Indonesian \gn would be taken for Vietnamese glosses.
    token = mapping_token(page)
    again = choose(editor, token, page, lang="id", gn="gloss:*", xn="translation:*",
                   flags={"remember_mapping": "1"})
    assert again.status_code == 303
    with capp.test_request_context():
        kept = load_upload(token)
        assert (kept.markers["gn"], kept.markers["xn"]) == ("gloss:id", "translation:id")
        assert kept.marker_origins["gn"] == "chosen" and kept.remember_mapping
    report = text(editor.get(again.headers["Location"]))
    assert "Dry run: nothing has been changed yet" in report, report
    table = shown(report)
    assert table["gn"][1:] == ("gloss:id", "chosen here")
    assert table["xn"][1:] == ("translation:id", "chosen here")
    assert table["lx"][1:] == ("headword", "standard MDF")  # re-posted as it was: default
    assert 'name="remember_mapping" value="1" checked' in report
    assert stored(capp) == []  # a re-check writes nothing
    assert confirm(editor, token_of(editor.get(again.headers["Location"]))).status_code == 302
    entries = stored(capp)
    assert len(entries) == 64
    assert ("a", "", {"id": "mari"}) in entries  # not ("a", "mari", {}) as standard MDF reads
    assert not any(gloss for _, gloss, _ in entries)
    with capp.app_context(), get_db().Session() as s:
        remembered = s.scalar(select(Source).where(Source.key == SOURCE)).import_mapping
        assert remembered["markers"]["gn"] == "gloss:id"
        assert remembered["markers"]["xn"] == "translation:id"
    # The next file of the source is read the remembered way, and the page says so.
    later = text(send(editor, "MDFSampl.db"))
    table = shown(later)
    assert table["gn"][1:] == ("gloss:id", "remembered for this source")
    assert table["lx"][1:] == ("headword", "standard MDF")
    assert "<td>0</td><td>0</td><td>64</td>" in later  # nothing would change: same reading


def test_a_file_that_fails_keeps_its_marker_table_and_can_be_mapped_again(capp):
    editor = client_for(capp, "editor")
    page = text(send(editor, "iu_mien_samp.db"))
    assert "Encoding of the file: <strong>UTF-8</strong>" in page
    token = mapping_token(page)
    assert shown(page)["hm"][0] == "5 times, from line 5 (5 empty)"
    # Two markers starting the records: the file cannot be read, the table is still there.
    wrong = choose(editor, token, page, ge="headword")
    failed = editor.get(wrong.headers["Location"])
    failing = text(failed)
    assert failed.status_code == 422, failing
    assert "\\ge, \\lx are all mapped to headword" in html.unescape(failing)
    table = shown(failing)
    assert table["ge"][1:] == ("headword", "chosen here")
    assert table["lx"][1] == "headword"
    assert "Encoding of the file: <strong>UTF-8</strong>" in failing
    fixed = choose(editor, token, failing, lang="zh", ge="gloss:en", gn="gloss:*",
                   dn="definition:*", xn="translation:*")
    report = text(editor.get(fixed.headers["Location"]))
    table = shown(report)
    assert [table[m][1] for m in ("gn", "dn", "xn", "ge")] == [
        "gloss:zh", "definition:zh", "translation:zh", "gloss:en"]
    assert 'value="gloss:zh"' in report and "gloss in zh" in report  # offered by name now
    assert confirm(editor, token).status_code == 302
    with capp.app_context(), get_db().Session() as s:
        caangv = s.scalar(select(Entry).where(Entry.headword == "caangv"))
        assert caangv.senses[0].gloss_vi == ""
        assert caangv.senses[0].extra["glosses"] == {"zh": "抢"}
        assert caangv.senses[0].gloss_en is None  # (its \ge is empty)
        assert s.scalar(select(Source.import_mapping).where(Source.key == SOURCE)) is None


def test_a_marker_file_is_the_base_and_the_page_overrides_it(capp):
    editor = client_for(capp, "editor")
    page = text(send(editor, "MDFSampl.db",
                     markers=(io.BytesIO(b'[markers]\ngn = "gloss:id"\nrf = "ignore"\n'),
                              "selaru.toml")))
    table = shown(page)
    assert table["gn"][1:] == ("gloss:id", "from the marker file")
    assert table["rf"][1:] == ("ignore", "from the marker file")
    token = mapping_token(page)
    report = text(editor.get(choose(editor, token, page, rf="note").headers["Location"]))
    table = shown(report)
    assert table["gn"][1:] == ("gloss:id", "from the marker file")
    assert table["rf"][1:] == ("note", "chosen here")


def test_forged_mapping_fields_change_nothing(capp):
    editor = client_for(capp, "editor")
    page = text(send(editor, "MDFSampl.db"))
    token = mapping_token(page)

    def kept():
        with capp.test_request_context():
            upload = load_upload(token)
            return upload.markers, upload.marker_origins, upload.ws

    before = kept()
    assert before == ({}, {}, {})
    url = f"/admin/import/{token}/mapping"
    # No CSRF token: refused before anything is read.
    assert editor.post(url, data={"mk:gn": "gloss:id"}).status_code == 400
    # Another person's upload.
    other = client_for(capp, "reviewer")
    assert other.post(url, data={"csrf_token": csrf_token(other, "/admin/import"),
                                 "mk:gn": "gloss:id"}).status_code == 403
    assert kept() == before
    # Meanings that are not in the vocabulary, markers that are not names.
    hostile = {"mk:gn": "glossary", "mk:xn": "translation", "mk:ge": "gloss:../../x",
               "mk:xe": "gloss:*", "mk_lang": "<script>", "mk:../../etc": "note",
               "mk:<b>": "note", "mk:_sh": "headword", "mk:a b": "note", "mk:\\lx": "keep",
               "mk:" + "z" * 41: "note", "mk:": "note", "mk:lx\n": "keep"}
    answer = editor.post(url, data={"csrf_token": csrf_token(editor, "/admin/import"),
                                    **hostile})
    assert answer.status_code == 303
    assert kept() == before
    flashed = text(editor.get(answer.headers["Location"]))
    assert "The other language is not a language code" in flashed and "\\xe kept" in \
        html.unescape(flashed)
    assert "&lt;script&gt;" not in flashed  # (the value is not echoed)
    # A good field among bad ones is taken alone.
    editor.post(url, data={"csrf_token": csrf_token(editor, "/admin/import"),
                           "mk:gn": "gloss:id", "mk:pn": "headword!"})
    assert kept()[0] == {"gn": "gloss:id"}
    with capp.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count(Entry.id))) == 0


def test_the_background_dry_run_shows_the_markers_too(tmp_path):
    app = curation_app(tmp_path, IMPORT_BACKGROUND_ROWS=100)
    try:
        editor = client_for(app, "editor")
        started = send(editor, "MDFSampl.db")
        assert started.status_code == 303
        url = started.headers["Location"]
        from test_import_jobs import follow

        final, _, _ = follow(editor, url)
        assert final["state"] == "done", final
        page = text(editor.get(url))
        assert shown(page)["gn"][1:] == ("gloss:vi", "standard MDF")
        assert "Windows-1252 (cp1252)" in page
        token = mapping_token(page)
        wrong = choose(editor, token, page, ge="headword")
        failed_url = editor.get(wrong.headers["Location"]).headers["Location"]
        final, _, _ = follow(editor, failed_url)
        assert final["state"] == "failed", final
        failing = editor.get(failed_url)
        assert "are all mapped to headword" in text(failing)
        assert shown(text(failing))["ge"][1:] == ("headword", "chosen here")
        assert "Windows-1252 (cp1252)" in text(failing)
    finally:
        get_state_close(app)


def test_the_marker_table_on_a_phone(browser, tmp_path):
    """The dry run of a Toolbox file at 360 px in a real Chromium: the table scrolls inside
    its frame, never the page; a meaning chosen in a select is read on the re-check."""
    from conftest import PASSWORD, serving
    from test_browser import PHONE, keep, phone_page

    app = curation_app(tmp_path)
    context, page, errors = phone_page(browser)
    try:
        with serving(app) as base:
            page.goto(base + "/login?lang=en")
            page.get_by_label("E-mail").fill(app.config["test_users"]["editor"])
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url("**/admin/")
            page.goto(base + "/admin/import")
            page.locator("input[name=file]").set_input_files(str(REALDATA / "MDFSampl.db"))
            page.locator("select[name=source]").select_option(SOURCE)
            page.locator("select[name=status]").select_option("draft")
            page.get_by_role("button", name="Check the file").click()
            page.wait_for_selector("table.markers")
            assert "Windows-1252 (cp1252)" in page.locator("form.mapping").inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            gn = page.get_by_label("\\gn", exact=True)
            assert gn.input_value() == "gloss:vi"
            gn.select_option(label="gloss in the other language")
            page.locator("#mk_lang").fill("id")
            page.get_by_label("Remember this for the next files of source").check()
            shot = tmp_path / "import-markers.png"
            gn.scroll_into_view_if_needed()
            page.screenshot(path=str(shot))
            keep(shot)
            page.get_by_role("button", name="Check the file again").click()
            page.wait_for_selector("text=The file is checked again")
            assert page.get_by_label("\\gn", exact=True).input_value() == "gloss:id"
            row = page.locator("table.markers tr", has=page.get_by_label("\\gn", exact=True))
            assert "chosen here" in row.inner_text()
            page.get_by_role("button", name="Check the file again").scroll_into_view_if_needed()
            shot = tmp_path / "import-markers-checked.png"
            page.screenshot(path=str(shot))
            keep(shot)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            assert errors == []
    finally:
        context.close()
        get_state_close(app)
