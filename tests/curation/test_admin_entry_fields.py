"""The entry form edits the modelled FieldWorks fields (issue 14 §3): lexeme form, dialects,
notes by type, links to other entries, a sense's level, pictures' captions, example
translations — through the real test client with no JavaScript, on a real SQLite file.
Opening and saving an entry unchanged changes nothing (no revision), for an entry built
here and for the real FieldWorks files of ``../shared/data/realdata/``; a link to an entry
that does not exist, or a forged level, is refused and nothing changes."""
from __future__ import annotations

import gzip
import re

import pytest
from sqlalchemy import func, select

from dictionary.db import get_db
from dictionary.models import DELETED, Entry, Language, Revision, Sense

from conftest import login
from test_admin_entries import body, browser_fields, english, entry_form, stored, version
from test_entry_fields import GUID_B, full_entry

CUA_NEW = "/admin/entries/new?lang=cua"


def revisions(app, public_id: str) -> int:
    with app.app_context(), get_db().Session() as s:
        return s.scalar(select(func.count(Revision.id))
                        .where(Revision.entry_public_id == public_id))


def snapshot(app, public_id: str) -> dict:
    from dictionary.revisions import entry_state

    with app.app_context(), get_db().Session() as s:
        return entry_state(s.scalar(select(Entry).where(Entry.public_id == public_id)))


def editor_on(app, users, role: str = "editor"):
    client = english(app.test_client())
    assert login(client, users[role]).status_code == 302
    return client


def opened(client, public_id: str) -> dict[str, str]:
    """What a browser sends back when the edit form is saved as it was opened."""
    page = client.get(f"/admin/entries/{public_id}/edit")
    assert page.status_code == 200
    fields = browser_fields(body(page))
    fields["action"] = "save"
    return fields


def save_unchanged(client, app, public_id: str) -> None:
    before, count = snapshot(app, public_id), revisions(app, public_id)
    r = client.post(f"/admin/entries/{public_id}/edit", data=opened(client, public_id))
    assert r.status_code == 302, (public_id, re.findall(r'class="error"[^>]*>([^<]*)', body(r)))
    assert "Nothing was changed." in body(client.get(r.headers["Location"])), public_id
    assert revisions(app, public_id) == count and snapshot(app, public_id) == before


@pytest.fixture
def ids(app):
    return full_entry(app)


# ---- the form ---------------------------------------------------------------------------------
def test_the_form_shows_every_field_and_saving_it_unchanged_changes_nothing(app, users, ids):
    editor = editor_on(app, users)
    page = body(editor.get(f"/admin/entries/{ids['a']}/edit"))
    fields = browser_fields(page)
    assert (fields["lexeme_form"], fields["dialects"]) == ("tok", "Ba Tơ; Sơn Hà")
    assert [fields[f"senses-{i}-level"] for i in range(5)] == ["0", "1", "1", "0", "1"]
    assert (fields["notes-3-type"], fields["notes-3-text"].strip()) == ("myType",
                                                                         "Ghi chú riêng.")
    assert '<option selected value="myType">myType</option>' in page  # offered as written
    # a link shows the entry it leads to by public id (the import's FieldWorks id and
    # source key stay behind it), or the reference as written when it leads nowhere
    assert [fields[f"relations-{i}-entry"] for i in range(4)] == [
        ids["b"], ids["c"], ids["d"], "zekka_11111111-2222-3333-4444-555555555555"]
    assert fields["relations-0-type"] == "Synonyms"
    assert fields["senses-0-pictures-0-caption"] == "Cây gậy tre"
    assert "pictures/gay.jpg" in page and 'name="senses-0-pictures-0-href"' in page
    assert [fields[f"senses-0-examples-0-translations-{k}-lang"] for k in (0, 1)] == ["en", "fr"]
    assert fields["senses-0-relations-0-entry"] == ids["d"]
    save_unchanged(editor, app, ids["a"])


def test_the_form_edits_each_field_and_saves_one_revision(app, users, ids):
    editor = editor_on(app, users, "reviewer")
    count = revisions(app, ids["a"])
    data = opened(editor, ids["a"])
    data.update({
        "lexeme_form": "tơk", "dialects": "Minh Long",
        "notes-0-text": "Takes a numeral classifier.",  # grammar, en
        "notes-3-type": "other", "notes-3-other_type": "folklore",
        "notes-4-type": "usage", "notes-4-lang": "vi", "notes-4-text": "Ít dùng.",
        "relations-1-entry": ids["d"],  # the draft's link now leads to zupra
        "relations-4-type": "antonym", "relations-4-entry": ids["b"].upper(),
        "senses-3-level": "1",  # "cái que" becomes a subsense of meaning 1
        "senses-0-notes-0-text": "Dùng khi lên rẫy.",
        "senses-0-pictures-0-caption": "Gậy tre dài",
        "senses-0-examples-0-translations-0-text": "a long bamboo stick",
        "senses-0-examples-0-translations-2-lang": "pt",
        "senses-0-examples-0-translations-2-text": "um pau comprido",
        "senses-1-dialects": "Sơn Hà",
        "senses-2-relations-0-type": "compare", "senses-2-relations-0-entry": ids["b"],
    })
    del data["relations-3-entry"]  # an emptied row is dropped: the link is removed
    r = editor.post(f"/admin/entries/{ids['a']}/edit", data=data)
    assert r.status_code == 302, re.findall(r'class="error"[^>]*>([^<]*)', body(r))
    assert revisions(app, ids["a"]) == count + 1
    state = snapshot(app, ids["a"])
    assert (state["lexeme_form"], state["dialects"]) == ("tơk", "Minh Long")
    assert state["notes"][0] == {"type": "grammar", "lang": "en",
                                 "text": "Takes a numeral classifier."}
    assert state["notes"][3] == {"type": "folklore", "lang": "vi", "text": "Ghi chú riêng."}
    assert state["notes"][4] == {"type": "usage", "lang": "vi", "text": "Ít dùng."}
    assert state["relations"] == [
        {"type": "Synonyms", "ref": f"bonxa_{GUID_B}", "target": f"fw:{GUID_B}"},  # kept
        {"type": "antonym", "ref": ids["d"], "target": None},
        {"type": "compare", "ref": ids["d"], "target": None},
        {"type": "antonym", "ref": ids["b"], "target": None}]
    assert [s["level"] for s in state["senses"]] == [0, 1, 1, 1, 1]
    first = state["senses"][0]
    assert first["notes"] == [{"type": "usage", "lang": "vi", "text": "Dùng khi lên rẫy."}]
    assert first["pictures"] == [{"href": "pictures/gay.jpg", "caption": "Gậy tre dài"}]
    assert first["examples"][0]["translations"] == [
        {"lang": "en", "text": "a long bamboo stick"}, {"lang": "fr", "text": "un long bâton"},
        {"lang": "pt", "text": "um pau comprido"}]
    assert state["senses"][1]["dialects"] == "Sơn Hà"
    assert state["senses"][2]["relations"] == [{"type": "compare", "ref": ids["b"],
                                                "target": None}]
    history = body(editor.get(f"/admin/entries/{ids['a']}/history"))
    for label in ("Lexeme form", "Note 5", "Link 2", "Sense 4: Level",
                  "Sense 1: Picture 1", "Sense 1, example 1: Translation 3"):
        assert label in history, label
    assert "Gậy tre dài" in history
    public = body(app.test_client().get(f"/entry/{ids['a']}?lang=en"))
    assert '<span class="sn">1.3</span> cái que' in public and "folklore" in public


def test_pictures_are_removed_and_their_files_never_typed(app, users, ids):
    editor = editor_on(app, users, "reviewer")
    data = opened(editor, ids["a"])
    data["senses-0-pictures-0-href"] = "../../etc/passwd"  # a forged file name is ignored
    data["senses-0-pictures-0-caption"] = "Gậy"
    assert editor.post(f"/admin/entries/{ids['a']}/edit", data=data).status_code == 302
    assert snapshot(app, ids["a"])["senses"][0]["pictures"] == [
        {"href": "pictures/gay.jpg", "caption": "Gậy"}]
    data = opened(editor, ids["a"])
    data["action"] = "remove_picture-0-0"  # the row button, without JavaScript
    page = body(editor.post(f"/admin/entries/{ids['a']}/edit", data=data))
    assert "pictures/gay.jpg" not in page
    data = browser_fields(page)
    data["action"] = "save"
    assert editor.post(f"/admin/entries/{ids['a']}/edit", data=data).status_code == 302
    assert snapshot(app, ids["a"])["senses"][0]["pictures"] == []
    data = opened(editor, ids["a"])
    data.update({"senses-0-pictures-0-key": "0", "senses-0-pictures-0-href": "x.jpg",
                 "senses-0-pictures-0-caption": "forged"})  # no stored picture to name
    assert editor.post(f"/admin/entries/{ids['a']}/edit", data=data).status_code == 302
    assert snapshot(app, ids["a"])["senses"][0]["pictures"] == []


@pytest.mark.parametrize("target, message", [
    ("hre-999999", "No Hre entry has the id “hre-999999”."),
    ("cua-000001", "No Hre entry has the id “cua-000001”."),  # another language
    ("deleted", "No Hre entry has the id"),
    ("self", "An entry cannot link to itself."),
    ("bonxa_" + GUID_B, "No Hre entry has the id"),  # a FieldWorks id typed by hand
])
def test_a_link_to_an_entry_that_is_not_there_is_refused_and_nothing_changes(
        app, users, ids, target, message):
    editor = editor_on(app, users, "reviewer")
    with app.app_context(), get_db().transaction() as s:
        cua = s.scalar(select(Language).where(Language.code == "cua"))
        s.add(Entry(language=cua, headword="bơ̆nxa", status="published",
                    senses=[Sense(position=0, gloss_vi="tre")]))
        gone = s.scalar(select(Entry).where(Entry.public_id == ids["d"]))
        gone.status = DELETED
    target = {"deleted": ids["d"], "self": ids["a"]}.get(target, target)
    before, count = snapshot(app, ids["a"]), revisions(app, ids["a"])
    for row in ("relations-4", "senses-1-relations-0"):  # the entry's and a sense's
        data = opened(editor, ids["a"])
        data.update({f"{row}-type": "synonym", f"{row}-entry": target})
        r = editor.post(f"/admin/entries/{ids['a']}/edit", data=data)
        assert r.status_code == 400
        page = body(r)
        assert message in page and f'id="{row}-entry-error"' in page
        assert f'value="{target}"' in page  # what was typed stays in the form
        assert snapshot(app, ids["a"]) == before and revisions(app, ids["a"]) == count
    # The stored link to the entry now deleted is kept as it was (it is not typed again) …
    save_unchanged(editor, app, ids["a"])
    # … and a link typed on a new entry is checked the same way.
    if target != ids["a"]:
        data = entry_form(editor, **{"relations-0-type": "synonym", "relations-0-entry": target})
        r = editor.post("/admin/entries/new?lang=hre", data=data)
        assert r.status_code == 400 and "No Hre entry" in body(r)


def test_forged_hidden_fields_can_only_keep_a_stored_link(app, users, ids):
    editor = editor_on(app, users, "reviewer")
    before = snapshot(app, ids["a"])["relations"]
    data = opened(editor, ids["a"])
    # "shown" made to match what is typed: the row keeps stored link 3 as it was …
    data.update({"relations-3-entry": "hre-999999", "relations-3-shown": "hre-999999"})
    assert editor.post(f"/admin/entries/{ids['a']}/edit", data=data).status_code == 302
    assert snapshot(app, ids["a"])["relations"] == before
    # … and a key that names no stored link makes the row a new link, checked as typed.
    data = opened(editor, ids["a"])
    data.update({"relations-3-key": "7", "relations-3-entry": "hre-999999",
                 "relations-3-shown": "hre-999999"})
    r = editor.post(f"/admin/entries/{ids['a']}/edit", data=data)
    assert r.status_code == 400 and "No Hre entry has the id “hre-999999”." in body(r)
    assert snapshot(app, ids["a"])["relations"] == before


@pytest.mark.parametrize("levels, message", [
    (("1", "0"), "The first meaning cannot be a subsense."),
    (("0", "2"), "A subsense can be at most one level below the meaning before it."),
    (("0", "x"), "Choose one of the listed values."),
    (("0", "10"), "Choose one of the listed values."),
])
def test_a_forged_level_is_refused_and_nothing_changes(app, users, ids, levels, message):
    editor = editor_on(app, users, "reviewer")
    before, count = snapshot(app, ids["a"]), revisions(app, ids["a"])
    data = opened(editor, ids["a"])
    data.update({"senses-0-level": levels[0], "senses-1-level": levels[1]})
    r = editor.post(f"/admin/entries/{ids['a']}/edit", data=data)
    assert r.status_code == 400 and message in body(r)
    assert snapshot(app, ids["a"]) == before and revisions(app, ids["a"]) == count


def test_row_buttons_add_and_remove_notes_links_and_translations_without_javascript(
        app, as_role):
    editor = english(as_role("editor"))
    data = entry_form(editor, action="add_note")
    page = body(editor.post("/admin/entries/new?lang=hre", data=data))
    fields = browser_fields(page)
    assert (fields["notes-0-type"], fields["notes-0-lang"]) == ("usage", "vi")
    assert re.search(r'<select autofocus id="notes-0-type"', page)
    for action, name in (("add_relation", "relations-0-entry"),
                         ("add_sensenote-0", "senses-0-notes-0-text"),
                         ("add_senserelation-0", "senses-0-relations-0-entry"),
                         ("add_translation-0-0", "senses-0-examples-0-translations-0-lang")):
        fields["action"] = action
        page = body(editor.post("/admin/entries/new?lang=hre", data=fields))
        fields = browser_fields(page)
        assert name in fields, action
    fields.update({"notes-0-text": "Ít dùng.", "relations-0-entry": "",
                   "senses-0-examples-0-translations-0-lang": "en",
                   "senses-0-examples-0-translations-0-text": "a long stick",
                   "action": "remove_sensenote-0-0"})
    page = body(editor.post("/admin/entries/new?lang=hre", data=fields))
    fields = browser_fields(page)
    assert "senses-0-notes-0-text" not in fields and fields["notes-0-text"].strip() == "Ít dùng."
    fields["action"] = "save"
    r = editor.post("/admin/entries/new?lang=hre", data=fields)
    assert r.status_code == 302
    e = stored(app, r.headers["Location"].rsplit("/", 1)[1])
    assert e.notes == [{"type": "usage", "lang": "vi", "text": "Ít dùng."}]
    assert e.relations == [] and e.senses[0].notes == []
    assert e.senses[0].examples[0].translations == [{"lang": "en", "text": "a long stick"}]


def test_a_note_needs_a_language_and_another_type_a_name(app, as_role):
    editor = english(as_role("editor"))
    data = entry_form(editor, **{"notes-0-type": "other", "notes-0-other_type": "",
                                 "notes-0-lang": "", "notes-0-text": "x",
                                 "senses-0-examples-0-translations-0-lang": "e n",
                                 "senses-0-examples-0-translations-0-text": "y"})
    r = editor.post("/admin/entries/new?lang=hre", data=data)
    assert r.status_code == 400
    page = body(r)
    assert 'id="notes-0-other_type-error">Name the type.' in page
    assert 'id="notes-0-lang-error">Enter the language code.' in page
    assert "A language code such as vi, en or hre." in page
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count(Entry.id))) == 0


def test_the_limits_of_notes_and_links_hold_in_the_form(app, as_role):
    app.config.update(ENTRY_MAX_NOTES=2, ENTRY_MAX_RELATIONS=1)
    editor = english(as_role("editor"))
    notes = {f"notes-{i}-{k}": v for i in range(3)
             for k, v in (("type", "usage"), ("lang", "vi"), ("text", f"ghi chú {i}"))}
    r = editor.post("/admin/entries/new?lang=hre", data=entry_form(editor, **notes))
    assert r.status_code == 400 and "At most 2 notes here." in body(r)
    full = entry_form(editor, action="add_note", **{k: v for k, v in notes.items()
                                                    if k.startswith(("notes-0", "notes-1"))})
    assert 'name="notes-2-text"' not in body(editor.post("/admin/entries/new?lang=hre",
                                                         data=full))


def test_restoring_an_older_revision_brings_the_fields_back(app, users, ids):
    editor = editor_on(app, users, "reviewer")
    original = snapshot(app, ids["a"])
    with app.app_context(), get_db().transaction() as s:  # the import's own revision
        from dictionary.revisions import record

        record(s, s.scalar(select(Entry).where(Entry.public_id == ids["a"])), "created",
               author="import:test.lift")
    data = opened(editor, ids["a"])
    for key in [k for k in data if k.startswith(("notes-", "relations-"))]:
        del data[key]
    data["senses-1-level"] = "0"
    assert editor.post(f"/admin/entries/{ids['a']}/edit", data=data).status_code == 302
    assert snapshot(app, ids["a"])["notes"] == []
    with app.app_context(), get_db().Session() as s:
        first = s.scalars(select(Revision.id).where(Revision.entry_public_id == ids["a"])
                          .order_by(Revision.id)).first()
    r = editor.post(f"/admin/entries/{ids['a']}/restore/{first}",
                    data={"csrf_token": opened(editor, ids["a"])["csrf_token"],
                          "version": version(app, ids["a"])})
    assert r.status_code == 302
    assert snapshot(app, ids["a"]) == original


# ---- real FieldWorks files: opened and saved unchanged, nothing changes --------------------------
def _rich(s) -> list[str]:
    """Public ids of entries with each kind of modelled field (a few of each)."""
    picks: dict[str, list[str]] = {}
    for e in s.scalars(select(Entry).order_by(Entry.id)):
        kinds = {"lexeme": e.lexeme_form,
                 "dialects": e.dialects or any(x.dialects for x in e.senses),
                 "notes": e.notes, "relations": e.relations,
                 "resolved": any(r.get("target") for r in e.relations),
                 "level": any(x.level for x in e.senses),
                 "sense notes": any(x.notes for x in e.senses),
                 "sense relations": any(x.relations for x in e.senses),
                 "pictures": any(x.pictures for x in e.senses),
                 "translations": any(t.translations for x in e.senses for t in x.examples)}
        for kind, present in kinds.items():
            if present and len(picks.setdefault(kind, [])) < 4:
                picks[kind].append(e.public_id)
    return sorted({pid for found in picks.values() for pid in found})


@pytest.mark.parametrize("name", ["AllFLExFields.lift", "Sena.lift.gz"])
def test_an_imported_fieldworks_entry_opened_and_saved_unchanged_changes_nothing(
        app, users, data_dir, name):
    from dictionary.curation.import_sources import NewSource
    from dictionary.curation.importer import import_lexicon
    from realdata import REALDATA

    data = (REALDATA / name).read_bytes()
    with app.app_context(), get_db().Session() as s:
        import_lexicon(s, None, "hre", data=gzip.decompress(data) if name.endswith(".gz")
                       else data, file_name=name.removesuffix(".gz"), data_dir=data_dir,
                       new_source=NewSource("realdata", "Public LIFT test files; MIT", "MIT"))
    with app.app_context(), get_db().Session() as s:
        picked = _rich(s)
    assert picked, "the import filled none of the modelled fields"
    editor = editor_on(app, users, "admin")
    for public_id in picked:
        save_unchanged(editor, app, public_id)


def test_an_import_is_held_to_the_same_limits_as_the_form():
    from dataclasses import replace

    from dictionary.formats.checks import entry_problems, entry_text_size
    from dictionary.formats.records import ParsedEntry, ParsedSense
    from dictionary.limits import DEFAULT

    note = {"type": "usage", "lang": "vi", "text": "x" * 10}
    sense = ParsedSense("gậy", notes=[note] * 3,
                        pictures=[{"href": "a.jpg", "caption": "c" * 2001}],
                        example_translations=[[{"lang": "en", "text": "t" * 5}]])
    link = {"type": "synonym", "ref": "r", "target": None}
    entry = ParsedEntry(line=7, source_key="k", source="s", headword="zơ̆tok",
                        form_kind="orthographic", lexeme_form="tok", senses=[sense],
                        notes=[note], relations=[link, link])
    assert entry_text_size(entry) == 6 + 3 + 3 + 10 + 30 + 2001 + 5
    limits = replace(DEFAULT, notes=2, relations=1)
    problems = [p.message for p in entry_problems([entry], limits)]
    assert any("sense 1 of the entry “zơ̆tok” (line 7) has 3 notes; at most 2 fit" in m
               for m in problems)
    assert any("has 2 links to other entries; at most 1 fit" in m for m in problems)
    assert any("caption of the picture" in m and "2,001 characters" in m for m in problems)
