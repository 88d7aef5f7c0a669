"""Curation in a real headless Chromium (Playwright) against a waitress server on a fresh
instance: an editor creates an entry through the form (rows added by the page script, a
letter typed with the special-letter buttons), submits it, a reviewer publishes it, and the
public search finds it by its Vietnamese gloss typed without tones. Also: the row buttons
without JavaScript. Vernacular tokens are synthetic."""
from __future__ import annotations

import pytest

from dictionary.indexing import index_service

from conftest import PASSWORD, serving
from test_browser import PHONE, keep, phone_page


@pytest.fixture
def server(app, users):
    with app.app_context():
        index_service().rebuild()  # an empty index: the published entry is written into it
    with serving(app) as url:
        yield url


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login?lang=en")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def test_editor_creates_reviewer_publishes_public_finds(browser, server, users, tmp_path):
    context, page, errors = phone_page(browser)
    try:
        log_in(page, server, users["editor"])
        page.goto(server + "/admin/entries/new?lang=hre")
        headword = page.get_by_label("Headword")
        headword.fill("z")
        page.locator(".charpad-letters").get_by_role("button", name="ơ̆", exact=True).click()
        headword.press("End")
        headword.press_sequentially("tok")
        assert headword.input_value() == "zơ̆tok"  # the letter went in at the cursor

        page.locator("#senses-0-gloss_vi").fill("cây gậy tre")
        page.get_by_role("button", name="Add an example").click()
        page.locator("#senses-0-examples-0-text").fill("zơ̆tok bơ̆nxa")
        page.locator("#senses-0-examples-0-translation_vi").fill("gậy dài")
        page.get_by_role("button", name="Add a meaning").click()
        second = page.locator("#senses-1-gloss_vi")  # added and numbered by the script
        assert second.is_visible() and second.evaluate("el => el === document.activeElement")
        second.fill("que chống")
        legends = page.locator("[data-row=sense] legend").all_inner_texts()
        assert legends == ["Meaning 1", "Meaning 2"]
        # Move and remove in the page: the names follow the new order.
        page.locator("[data-row=sense]").nth(1).get_by_role("button", name="Move up").click()
        assert page.locator("#senses-0-gloss_vi").input_value() == "que chống"
        assert page.locator("#senses-1-examples-0-text").input_value() == "zơ̆tok bơ̆nxa"
        page.locator("[data-row=sense]").nth(0).get_by_role("button", name="Move down").click()
        assert page.locator("#senses-0-gloss_vi").input_value() == "cây gậy tre"
        page.get_by_role("button", name="Add a spelling or dialect form").click()
        page.locator("#variants-0-form").fill("zơtok")
        page.get_by_role("button", name="Add a spelling or dialect form").click()
        page.locator("[data-row=variant]").nth(0).get_by_role("button", name="Remove form").click()
        assert page.locator("[data-row=variant]").count() == 1
        assert page.locator("#variants-0-form").input_value() == ""  # the second, renumbered
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot = tmp_path / "curation-form.png"
        page.screenshot(path=str(shot), full_page=True)
        keep(shot)
        page.get_by_role("button", name="Save", exact=True).click()

        page.wait_for_url("**/admin/entries/hre-000001")
        assert page.locator("h1").inner_text() == "zơ̆tok"
        assert page.locator("ol.senses > li").all_inner_texts()[0].startswith("cây gậy tre")
        assert "que chống" in page.locator("ol.senses").inner_text()
        assert "zơ̆tok bơ̆nxa — gậy dài" in page.locator("ul.examples").inner_text()
        assert page.locator("ul.variants").count() == 0  # the empty form row was dropped
        page.get_by_role("button", name="Submit for review").click()
        page.wait_for_url("**/admin/entries/hre-000001")
        assert page.locator(".meta .tag").first.inner_text() == "in review"
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(server + "/")

        log_in(page, server, users["reviewer"])
        page.get_by_role("link", name="Review queue").click()
        item = page.locator(".queue-item").filter(has_text="zơ̆tok")
        item.get_by_role("button", name="Publish").click()
        page.wait_for_url("**/admin/review")
        assert "Published." in page.locator(".notice").first.inner_text()
        page.get_by_role("button", name="Log out").click()

        page.goto(server + "/")
        box = page.get_by_role("combobox")
        box.fill("cay gay tre")  # the Vietnamese gloss without tones
        box.press("Enter")
        page.wait_for_url("**/search?q=cay+gay+tre*")
        page.get_by_role("link", name="zơ̆tok").first.click()
        page.wait_for_url("**/entry/hre-000001")
        assert "cây gậy tre" in page.locator("ol.senses").inner_text()
        assert errors == []
    finally:
        context.close()


def test_row_buttons_without_javascript(browser, server, users):
    context, page, errors = phone_page(browser, java_script_enabled=False)
    try:
        log_in(page, server, users["contributor"])
        page.goto(server + "/admin/entries/new?lang=cua")
        assert page.locator(".charpad-letters li").first.inner_text() == "ʼ"  # to copy
        page.get_by_label("Headword").fill("bơ̆nxa")
        page.locator("#senses-0-gloss_vi").fill("một")
        page.get_by_role("button", name="Add a meaning").click()  # a real round trip
        page.locator("#senses-1-gloss_vi").fill("hai")
        assert page.get_by_label("Headword").input_value() == "bơ̆nxa"
        page.locator("[data-row=sense]").nth(1).get_by_role("button", name="Move up").click()
        assert page.locator("#senses-0-gloss_vi").input_value() == "hai"
        assert page.locator("#senses-1-gloss_vi").input_value() == "một"
        page.get_by_label("Headword").press("Enter")  # Enter saves, never a row button
        page.wait_for_url("**/admin/entries/cua-000001")
        assert page.locator("ol.senses").inner_text().split("\n")[0] == "hai"
    finally:
        context.close()
