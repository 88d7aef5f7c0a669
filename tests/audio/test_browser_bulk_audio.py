"""A linguist imports a LIFT file with its zip of recordings through the import page, in a
real Chromium at phone width: chooses the file, the archive and the speaker, reads the dry
run (which file goes to which entry), confirms, and finds the recordings waiting for review.

Synthetic tokens and generated tones only (``test_bulk_audio``'s LIFT file and archive).
The file name starts with ``test_browser`` so that ``make test`` runs it with the other
browser tests, one after another.
"""
from __future__ import annotations

from sqlalchemy import func, select

from conftest import add_users, serving
from dictionary.audio.models import Recording
from dictionary.db import get_db
from test_browser import keep, phone_page
from test_browser_audio import log_in
from test_bulk_audio import GOOD, LIFT, app, archive  # noqa: F401 (app: the fixture)


def test_import_a_lift_file_with_its_recordings_on_a_phone(app, browser, tmp_path):  # noqa: F811
    email = add_users(app)["editor"]
    (tmp_path / "words.lift").write_text(LIFT, encoding="utf-8")
    (tmp_path / "ghi-am.zip").write_bytes(archive(GOOD))
    with serving(app) as url:
        context, page, errors = phone_page(browser)
        try:
            log_in(page, url, email)
            page.goto(f"{url}/admin/import")
            page.set_input_files("input[name=file]", str(tmp_path / "words.lift"))
            page.select_option("select[name=lang]", "hre")
            page.select_option("select[name=source]", "nhomthu")
            page.set_input_files("input[name=audio]", str(tmp_path / "ghi-am.zip"))
            page.select_option("select[name=speaker]", "spk-0001")
            page.screenshot(path=str(tmp_path / "import-audio-form.png"), full_page=True)
            with page.expect_navigation():
                page.click("text=Check the file")
            body = page.inner_text("body")
            assert "4 files will become recordings by Người nói thử (spk-0001), waiting for review." in body
            assert "file named after the headword" in body and "ghi-chu.txt" in body
            assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1 or \
                page.locator(".table-wrap").count() > 0  # wide tables scroll in their box
            page.screenshot(path=str(tmp_path / "import-audio-report.png"), full_page=True)
            with page.expect_navigation():
                page.click("text=Confirm import")
            assert "4 new recordings wait for processing and review." in page.inner_text("body")
            assert errors == []
        finally:
            for name in ("import-audio-form.png", "import-audio-report.png"):
                if (tmp_path / name).exists():
                    keep(tmp_path / name)
            context.close()
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count()).select_from(Recording)) == 4
