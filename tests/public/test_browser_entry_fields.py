"""An entry with every modelled FieldWorks field (lexeme form, dialects, subsenses, notes by
type, links, a picture, example translations) in a real headless Chromium on a 360 px
phone: the public page reads well without sideways scrolling, and the entry form edits the
fields with the page script (rows added, removed and renumbered, another note type named
where the form shows its box). Screenshots go to $SCREENSHOT_DIR for a person to look at."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from dictionary.db import get_db
from dictionary.models import Entry
from dictionary.revisions import entry_state

from conftest import PASSWORD, serving
from test_browser import PHONE, keep, phone_page
from test_entry_fields import full_entry


@pytest.fixture
def server(app, users):
    ids = full_entry(app)
    with serving(app) as url:
        yield url, ids


def wide(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_entry_page_on_a_phone(browser, server, tmp_path):
    url, ids = server
    context, page, errors = phone_page(browser)
    try:
        page.goto(f"{url}/entry/{ids['a']}?lang=en")
        assert page.locator(".lexeme").inner_text() == "Lexeme form: tok"
        assert page.locator(".sn").all_inner_texts() == ["1.1", "1.2", "2.1"]
        top = page.locator("#s1 > .gloss").bounding_box()
        sub = page.locator("#s2 > .gloss").bounding_box()
        assert sub["x"] > top["x"] + 5  # a subsense sits inside the sense before it
        assert page.locator("#s1 .xtr").all_inner_texts() == ["en a long stick",
                                                              "fr un long bâton"]
        grammar = page.locator("dl.notes").last.locator("dd").first.locator("p")
        assert grammar.all_inner_texts() == ["Đi với loại từ.", "en Takes a classifier."]
        assert wide(page) <= PHONE["width"]
        shot = tmp_path / "entry-fields-phone.png"
        page.screenshot(path=str(shot), full_page=True)
        keep(shot)
        page.get_by_role("link", name="bơ̆nxa").click()  # a link to a related entry
        page.wait_for_url(f"**/entry/{ids['b']}")
        assert page.locator("h1").inner_text() == "bơ̆nxa"
        assert errors == []
    finally:
        context.close()


def test_the_entry_form_edits_the_fields_on_a_phone(browser, server, users, app, tmp_path):
    url, ids = server
    context, page, errors = phone_page(browser)
    try:
        page.goto(url + "/login?lang=en")
        page.get_by_label("E-mail").fill(users["reviewer"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/admin/")
        page.goto(f"{url}/admin/entries/{ids['a']}/edit")
        assert page.locator("#lexeme_form").input_value() == "tok"
        # a note of a type of the project's own: its name box shows once "another type" is
        # chosen (no script needed for that: CSS)
        page.locator("button[value=add_note]").click()
        assert page.locator("#notes-4-type").evaluate("el => el === document.activeElement")
        other = page.locator("#notes-4-other_type")
        assert not other.is_visible()
        page.locator("#notes-4-type").select_option("other")
        assert other.is_visible()
        other.fill("folklore")
        page.locator("#notes-4-text").fill("Chuyện kể về cây gậy.")
        # the first note goes; the others are renumbered (the new one is now the fourth)
        page.locator("[data-row=note]").nth(0).get_by_role("button", name="Remove note").click()
        assert page.locator("[data-row=note]").count() == 4
        assert page.locator("#notes-3-other_type").input_value() == "folklore"
        page.locator("button[value=add_relation]").click()
        page.locator("#relations-4-entry").fill(ids["b"])
        # inside the first meaning: a translation, and a link of the meaning
        page.locator("button[value=add_translation-0-0]").click()
        page.locator("#senses-0-examples-0-translations-2-lang").fill("pt")
        page.locator("#senses-0-examples-0-translations-2-text").fill("um pau comprido")
        page.locator("button[value=add_senserelation-0]").click()
        page.locator("#senses-0-relations-1-entry").fill(ids["b"])
        page.locator("#senses-3-level").select_option("1")
        assert wide(page) <= PHONE["width"]
        shot = tmp_path / "entry-fields-form.png"
        page.screenshot(path=str(shot), full_page=True)
        keep(shot)
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url(f"**/admin/entries/{ids['a']}")
        assert "Saved." in page.locator(".notice").first.inner_text()
        assert page.locator(".sn").all_inner_texts() == ["1.1", "1.2", "1.3", "1.4"]
        assert errors == []
    finally:
        context.close()
    with app.app_context(), get_db().Session() as s:
        state = entry_state(s.scalar(select(Entry).where(Entry.public_id == ids["a"])))
    assert [n["type"] for n in state["notes"]] == ["encyclopedic", "grammar", "myType",
                                                   "folklore"]
    assert state["relations"][-1] == {"type": "synonym", "ref": ids["b"], "target": None}
    assert state["senses"][0]["relations"][-1] == {"type": "synonym", "ref": ids["b"],
                                                   "target": None}
    assert state["senses"][0]["examples"][0]["translations"][-1] == {
        "lang": "pt", "text": "um pau comprido"}
    assert [x["level"] for x in state["senses"]] == [0, 1, 1, 1, 1]
