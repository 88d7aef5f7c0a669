"""The modelled FieldWorks fields on the public entry page and in the API (issue 14 §3):
the lexeme form beside the headword, dialects, senses numbered 1, 1.1, 1.2, 2 by level,
notes grouped by type (Vietnamese first), links to other entries (published ones only for
the public, drafts too for curators, else the reference as text; all resolved in one
query), pictures as caption and file name, example translations after the Vietnamese one;
search finds the entry by its lexeme form. Entries are built directly in a real SQLite
file (vernacular tokens are synthetic); ``full_entry`` is shared with the curation tests
and the browser test."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from dictionary.db import get_db, session
from dictionary.entry_display import NOTE_TYPES, RELATION_TYPES, find_links, numbered
from dictionary.indexing import index_service
from dictionary.models import DRAFT, PUBLISHED, Entry, Example, Language, Sense

from conftest import login

GUID_B = "5d2c0e1a-13fd-4ae0-a32b-b737f413d515"
GUID_NOWHERE = "11111111-2222-3333-4444-555555555555"


def _entry(s, headword: str, gloss: str, status: str = PUBLISHED, **fields) -> Entry:
    lang = s.scalar(select(Language).where(Language.code == "hre"))
    e = Entry(language=lang, headword=headword, status=status, reviewed=True, **fields)
    e.senses = [Sense(position=0, gloss_vi=gloss)]
    s.add(e)
    s.flush()
    return e


def full_entry(app) -> dict[str, str]:
    """A published entry holding every modelled field, and the entries it links to: ``b``
    (published, named by its FieldWorks id and source key), ``c`` (a draft, named by public
    id), ``d`` (published, named by public id). Returns their public ids (``a`` the entry)."""
    with app.app_context(), get_db().transaction() as s:
        b = _entry(s, "bơ̆nxa", "cây tre", source_key=f"fw:{GUID_B}")
        c = _entry(s, "zimlu", "nước", status=DRAFT)
        d = _entry(s, "zupra", "lửa")
        a = _entry(s, "zơ̆tok", "cây gậy", lexeme_form="tok", dialects="Ba Tơ; Sơn Hà",
                   notes=[{"type": "grammar", "lang": "en", "text": "Takes a classifier."},
                          {"type": "encyclopedic", "lang": "vi", "text": "Làm bằng tre."},
                          {"type": "grammar", "lang": "vi", "text": "Đi với loại từ."},
                          {"type": "myType", "lang": "vi", "text": "Ghi chú riêng."}],
                   relations=[
                       {"type": "Synonyms", "ref": f"bonxa_{GUID_B}", "target": f"fw:{GUID_B}"},
                       {"type": "antonym", "ref": c.public_id, "target": None},
                       {"type": "compare", "ref": d.public_id, "target": None},
                       {"type": "Generic", "ref": f"zekka_{GUID_NOWHERE}", "target": None}])
        first = a.senses[0]
        first.notes = [{"type": "usage", "lang": "vi", "text": "Dùng khi đi rừng."}]
        first.relations = [{"type": "_component-lexeme", "ref": d.public_id, "target": None}]
        first.pictures = [{"href": "pictures/gay.jpg", "caption": "Cây gậy tre"}]
        first.examples = [Example(position=0, text="zơ̆tok bơ̆nxa", translation_vi="gậy dài",
                                  translations=[{"lang": "en", "text": "a long stick"},
                                                {"lang": "fr", "text": "un long bâton"}])]
        a.senses += [Sense(position=1, level=1, gloss_vi="gậy chống", dialects="Ba Tơ"),
                     Sense(position=2, level=1, gloss_vi="gậy đánh"),
                     Sense(position=3, level=0, gloss_vi="cái que"),
                     Sense(position=4, level=1, gloss_vi="que nhỏ")]
        s.flush()
        ids = {"a": a.public_id, "b": b.public_id, "c": c.public_id, "d": d.public_id}
    with app.app_context():
        index_service().rebuild()
    return ids


@pytest.fixture
def ids(app):
    return full_entry(app)


def english(client):
    client.set_cookie("ui_lang", "en")
    return client


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_numbering_follows_the_levels():
    assert numbered([0, 1, 1, 0, 1])[0] == ["1", "1.1", "1.2", "2", "2.1"]
    numbers, tree = numbered([0, 1, 2, 1, 0])
    assert numbers == ["1", "1.1", "1.1.1", "1.2", "2"]
    assert [n.index for n in tree] == [0, 4] and [n.index for n in tree[0].children] == [1, 3]


def test_the_public_page_shows_every_field(app, ids):
    page = english(app.test_client()).get(f"/entry/{ids['a']}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    flat = text_of(body)
    assert re.search(r'class="lexeme".*Lexeme form.*<span lang="hre">tok</span>', body)
    assert "Dialects" in flat and "Ba Tơ; Sơn Hà" in flat
    # senses: 1, 1.1, 1.2, 2, 2.1, subsenses nested in the sense before them
    assert [n for n in re.findall(r'<span class="sn">([\d.]+)</span>', body)] == \
        ["1.1", "1.2", "2.1"]
    first = body[body.index('id="s1"'):body.index('id="s4"')]
    assert 'class="subsenses"' in first and "gậy chống" in first and "gậy đánh" in first
    assert body.count('<ol class="senses">') == 1
    # notes by type, Vietnamese first within a type; a project's own type as written
    notes = text_of(body[body.index(">Notes<"):])
    assert notes.index("Grammar") < notes.index("Đi với loại từ.") < \
        notes.index("Takes a classifier.")
    assert "Encyclopedic information" in notes and "myType" in notes
    assert re.search(r'<p lang="en"><span class="tag">en</span> Takes a classifier.</p>', body)
    # links: to the published entries, the draft and the unknown one as text
    related = body[body.index(">Related entries<"):body.index(">Notes<")]
    assert f'href="/entry/{ids["b"]}"' in related and "bơ̆nxa" in related
    assert f'href="/entry/{ids["d"]}"' in related and "zupra" in related
    assert f'href="/entry/{ids["c"]}"' not in related and ids["c"] in related
    assert "zimlu" not in body  # a draft's headword is not public
    assert re.search(r"<dt>Synonym</dt>\s*<dd><a href=\"/entry/%s\"" % ids["b"], related)
    assert "<dt>Antonym</dt>" in related and "<dt>Compare</dt>" in related
    assert "<dt>Generic</dt>" in related and ">zekka</span>" in related
    assert GUID_NOWHERE not in body
    # a sense's note, link (components), picture; example translations after the Vietnamese
    sense = text_of(first)
    assert "Usage" in sense and "Dùng khi đi rừng." in sense
    assert "Components" in sense and "zupra" in sense
    assert "Picture: Cây gậy tre pictures/gay.jpg" in sense
    assert sense.index("gậy dài") < sense.index("en a long stick") < \
        sense.index("fr un long bâton")
    assert '<span lang="en">a long stick</span>' in body


def test_curators_see_links_to_drafts(app, ids, users):
    curator = english(app.test_client())
    login(curator, users["contributor"])
    body = curator.get(f"/entry/{ids['a']}").get_data(as_text=True)
    assert f'href="/entry/{ids["c"]}"' in body and "zimlu" in body
    assert '<span class="tag status-draft">' in body
    admin = curator.get(f"/admin/entries/{ids['a']}").get_data(as_text=True)
    assert f'href="/admin/entries/{ids["c"]}"' in admin
    assert f'href="/admin/entries/{ids["b"]}"' in admin
    assert "Lexeme form" in admin and "Takes a classifier." in admin
    assert '<span class="sn">2.1</span>' in admin and "pictures/gay.jpg" in admin
    assert "a long stick" in admin and "Ba Tơ; Sơn Hà" in admin


def test_labels_are_translated_and_lexicon_text_is_not(app, ids):
    with app.test_request_context("/?lang=vi"):
        from flask_babel import refresh

        refresh()
        grammar, synonym = str(NOTE_TYPES["grammar"]), str(RELATION_TYPES["synonym"])
        components = str(RELATION_TYPES["_component-lexeme"])
    body = app.test_client().get(f"/entry/{ids['a']}").get_data(as_text=True)
    assert '<html lang="vi">' in body
    assert f"<dt>{grammar}</dt>" in body and f"<dt>{synonym}</dt>" in body
    assert f"<dt>{components}</dt>" in body
    assert "<dt>myType</dt>" in body and "Takes a classifier." in body


@contextmanager
def counting(app):
    """The SQL statements run inside the block."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = get_db().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_links_are_resolved_in_one_query(app, ids):
    with app.app_context():
        a = session().scalar(select(Entry).where(Entry.public_id == ids["a"]))
        list(a.senses)
        with counting(app) as statements:
            links = find_links(session(), a)
        assert len(statements) == 1
        assert {found.public_id for found in links.values()} == {ids["b"], ids["d"]}
    client = app.test_client()
    client.get(f"/entry/{ids['a']}")  # what the first request loads once
    with app.app_context(), counting(app) as before:
        client.get(f"/entry/{ids['a']}")
    with app.app_context(), get_db().transaction() as s:  # ten more links to ten entries
        a = s.scalar(select(Entry).where(Entry.public_id == ids["a"]))
        more = [_entry(s, f"zekka{n}", f"nghĩa {n}") for n in range(10)]
        a.relations = [*a.relations, *({"type": "compare", "ref": e.public_id, "target": None}
                                       for e in more)]
    with app.app_context(), counting(app) as after:
        body = client.get(f"/entry/{ids['a']}").get_data(as_text=True)
    assert "zekka9" in body
    assert len(after) == len(before)


def test_the_api_returns_the_fields_with_the_linked_entries(app, ids):
    client = app.test_client()
    data = client.get(f"/api/v1/entries/{ids['a']}").get_json()
    assert (data["lexeme_form"], data["dialects"]) == ("tok", "Ba Tơ; Sơn Hà")
    assert [(n["type"], n["lang"]) for n in data["notes"]][:3] == [
        ("grammar", "vi"), ("grammar", "en"), ("encyclopedic", "vi")]
    assert [(r["type"], r["entry"]) for r in data["relations"]] == [
        ("Synonyms", ids["b"]), ("antonym", None), ("compare", ids["d"]), ("Generic", None)]
    assert data["relations"][0]["ref"] == f"bonxa_{GUID_B}"
    assert data["relations"][0]["target"] == f"fw:{GUID_B}"
    assert [(s["number"], s["level"]) for s in data["senses"]] == [
        ("1", 0), ("1.1", 1), ("1.2", 1), ("2", 0), ("2.1", 1)]
    first = data["senses"][0]
    assert first["notes"] == [{"type": "usage", "lang": "vi", "text": "Dùng khi đi rừng."}]
    assert first["relations"][0]["entry"] == ids["d"]
    assert first["pictures"] == [{"href": "pictures/gay.jpg", "caption": "Cây gậy tre"}]
    assert first["examples"][0]["vi"] == "gậy dài"
    assert first["examples"][0]["translations"] == [
        {"lang": "en", "text": "a long stick"}, {"lang": "fr", "text": "un long bâton"}]
    assert data["senses"][1]["dialects"] == "Ba Tơ"
    assert client.get(f"/api/v1/entries/{ids['c']}").status_code == 404  # the draft
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    entry = schemas["Entry"]["properties"]
    for name in ("lexeme_form", "dialects", "notes", "relations"):
        assert name in entry, name
    assert set(schemas["Relation"]["properties"]) == {"type", "ref", "target", "entry"}
    assert {"number", "level", "notes", "relations", "pictures"} <= \
        set(schemas["EntrySense"]["properties"])


def test_search_finds_the_entry_by_its_lexeme_form(app, ids):
    client = app.test_client()
    hits = client.get("/api/v1/search?q=tok&lang=hre").get_json()["results"]
    assert (hits[0]["id"], hits[0]["match"]["tier"]) == (ids["a"], "exact")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    with app.app_context(), get_db().transaction() as s:  # an edit reaches search at once
        a = s.scalar(select(Entry).where(Entry.public_id == ids["a"]))
        a.lexeme_form = "zabra"
    hits = client.get("/api/v1/search?q=zabra&lang=hre").get_json()["results"]
    assert [h["id"] for h in hits] == [ids["a"]]
    assert runner.invoke(args=["search", "check"]).exit_code == 0
