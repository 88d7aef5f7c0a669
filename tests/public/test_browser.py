"""The pages in a real headless Chromium (Playwright), served by waitress on the bundled data:
search-as-you-type, keyboard use, the language switch, and the same pages without JavaScript."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from dictionary.db import session
from dictionary.models import Entry, Language, Sense

from conftest import serving

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def live_server(bundled_app):
    # One server for the module: the tests only read, each in its own browser context.
    with serving(bundled_app) as url:
        yield url


@pytest.fixture
def ash_hre(bundled_app) -> str:
    with bundled_app.app_context():
        return session().scalar(
            select(Entry.public_id).join(Entry.senses).join(Entry.language)
            .where(Language.code == "hre", Sense.concept_id == "646"))


def phone_page(browser, **options):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True,
                                  has_touch=True, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def keep(path: Path) -> None:
    """Also copy a screenshot to $SCREENSHOT_DIR, for a person to look at."""
    target = os.environ.get("SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


def test_search_as_you_type_open_entry_switch_to_english(browser, live_server, ash_hre, tmp_path):
    context, page, errors = phone_page(browser)
    api_calls: list[str] = []
    page.on("request", lambda r: api_calls.append(r.url) if "/api/v1/search" in r.url else None)
    try:
        page.goto(live_server + "/")
        assert page.locator("html").get_attribute("lang") == "vi"
        box = page.get_by_role("combobox", name="Từ cần tra")
        assert box.get_attribute("placeholder") == "Nhập từ tiếng Việt, Hrê hoặc Co…"
        box.press_sequentially("tro", delay=20)  # real key presses, no tone marks

        listbox = page.get_by_role("listbox")
        option = listbox.get_by_role("option").filter(has_text="blɔ tanuh.L")
        option.wait_for(state="visible", timeout=10_000)
        assert "tro" in option.inner_text()  # the Vietnamese gloss beside the headword
        assert box.get_attribute("aria-expanded") == "true"
        # debounced: one request for the whole word (not one per key press on a slow machine)
        assert 1 <= len(api_calls) <= 2, api_calls
        assert "q=tro&lang=all&limit=8" in api_calls[-1]
        shot = tmp_path / "suggest-vi.png"
        page.screenshot(path=str(shot))
        keep(shot)

        # keyboard: arrows move through the options, Escape closes the list
        box.press("ArrowDown")
        first = listbox.get_by_role("option").first
        assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
        assert first.get_attribute("aria-selected") == "true"
        box.press("Escape")
        assert box.get_attribute("aria-expanded") == "false" and listbox.is_hidden()
        box.press("ArrowDown")  # opens it again
        option.wait_for(state="visible")

        option.get_by_role("link").click()
        page.wait_for_url(f"**/entry/{ash_hre}")
        assert page.locator("h1").inner_text() == "blɔ tanuh.L"
        assert page.get_by_text("phiên âm ngữ âm", exact=True).first.is_visible()
        assert page.get_by_text("dữ liệu nguồn chưa được duyệt", exact=True).is_visible()

        page.get_by_role("link", name="EN", exact=True).click()
        page.wait_for_url(f"**/entry/{ash_hre}?lang=en")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("heading", name="Meanings").is_visible()
        assert page.get_by_role("heading", name="The same concept in the other language").is_visible()
        assert page.get_by_text("phonetic transcription", exact=True).first.is_visible()
        assert page.get_by_role("button", name="Search").is_visible()
        shot = tmp_path / "entry-en.png"
        page.screenshot(path=str(shot), full_page=True)
        keep(shot)
        assert shot.stat().st_size > 5_000

        # the cookie keeps English on the next page, without ?lang=en
        page.get_by_role("link", name="About").click()
        page.wait_for_url("**/about")
        assert page.locator("html").get_attribute("lang") == "en"
        assert errors == []
    finally:
        context.close()


def test_enter_on_a_suggestion_opens_the_entry(browser, live_server, bundled_app):
    context, page, errors = phone_page(browser)
    try:
        page.goto(live_server + "/?lang=en")
        box = page.get_by_role("combobox", name="Word to look up")
        page.get_by_label("Co (Cua)").check()  # the language filter is sent with the lookup
        box.press_sequentially("nuoc", delay=30)
        listbox = page.get_by_role("listbox")
        listbox.get_by_role("option").first.wait_for(state="visible", timeout=10_000)
        texts = listbox.get_by_role("option").all_inner_texts()
        assert texts and all(t.rstrip().endswith("Co (Cua)") for t in texts)
        assert any("nước" in t for t in texts)
        box.press("ArrowDown")
        box.press("Enter")
        page.wait_for_url("**/entry/cua-*")
        assert "nước" in page.locator("ol.senses").inner_text()
        assert errors == []
    finally:
        context.close()


def test_without_javascript_the_form_still_searches(browser, live_server, tmp_path):
    context, page, errors = phone_page(browser, java_script_enabled=False)
    try:
        page.goto(live_server + "/")
        page.get_by_role("combobox", name="Từ cần tra").fill("tro")
        page.get_by_role("button", name="Tìm").click()
        page.wait_for_url("**/search?q=tro&lang=all")
        results = page.locator("ol.results > li")
        assert results.count() > 3
        assert page.locator("ol.results mark").first.inner_text() == "tro"
        assert page.get_by_role("link", name="blɔ tanuh.L").is_visible()
        # nothing is wider than the phone screen
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
        shot = tmp_path / "results-vi.png"
        page.screenshot(path=str(shot), full_page=True)
        keep(shot)
    finally:
        context.close()


def test_phone_layout_has_no_horizontal_scroll(browser, live_server, ash_hre):
    context, page, errors = phone_page(browser)
    try:
        for url in ("/", f"/entry/{ash_hre}", "/browse/cua", "/browse/cua?letter=k", "/about",
                    "/search?q=trooo"):
            page.goto(live_server + url)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
        assert errors == []
    finally:
        context.close()
