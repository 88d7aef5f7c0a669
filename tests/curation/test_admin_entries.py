"""The curation pages (dictionary.admin.entries, dictionary.admin.review) through the real test
client on a real SQLite file and Whoosh index: forms with nested rows and no JavaScript,
warnings, the list, permissions, the review queue, history and restore, the conflict page
for two editors, what the public sees, and escaping of hostile text everywhere."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from dictionary.db import get_db
from dictionary.indexing import index_service
from dictionary.models import DELETED, DRAFT, IN_REVIEW, PUBLISHED, Entry, Revision

from conftest import csrf_token, get_state_close, login

HRE = "/admin/entries/new?lang=hre"


SENSES = (("cây gậy tre", (("zơ̆tok bơ̆nxa", "gậy dài"),)),)


def entry_form(client, headword="zơ̆tok", senses=SENSES, variants=(), version="", action="save",
               **fields) -> dict:
    """The fields a browser sends for the entry form."""
    data = {"csrf_token": csrf_token(client, "/admin/"), "version": version, "headword": headword,
            "form_kind": "orthographic", "part_of_speech": "", "pronunciation": "", "note": "",
            "source": "", "comment": "", "action": action}
    for i, (gloss, examples) in enumerate(senses):
        data.update({f"senses-{i}-key": "", f"senses-{i}-gloss_vi": gloss,
                     f"senses-{i}-gloss_en": "", f"senses-{i}-definition": "",
                     f"senses-{i}-semantic_field": "", f"senses-{i}-concept_id": ""})
        for j, (text, translation) in enumerate(examples):
            data[f"senses-{i}-examples-{j}-text"] = text
            data[f"senses-{i}-examples-{j}-translation_vi"] = translation
    for i, (form, kind, label) in enumerate(variants):
        data.update({f"variants-{i}-form": form, f"variants-{i}-kind": kind,
                     f"variants-{i}-label": label})
    data.update(fields)
    return data


def body(response) -> str:
    return response.get_data(as_text=True)


def create(client, **kw) -> str:
    r = client.post(HRE, data=entry_form(client, **kw))
    assert r.status_code == 302, body(r)
    return r.headers["Location"].rsplit("/", 1)[1]


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/admin/"), **data})


def version(app, public_id: str) -> int:
    with app.app_context(), get_db().Session() as s:
        return s.scalar(select(Entry.version).where(Entry.public_id == public_id))


def stored(app, public_id: str) -> Entry:
    with app.app_context(), get_db().Session() as s:
        e = s.scalar(select(Entry).where(Entry.public_id == public_id))
        for sense in e.senses:
            list(sense.examples)
        list(e.variants)
        s.expunge_all()
        return e


def english(client):
    client.set_cookie("ui_lang", "en")
    return client


# ---- the form ---------------------------------------------------------------------------------
def test_create_an_entry_with_senses_examples_and_variants(app, as_role):
    editor = english(as_role("editor"))
    assert 'href="/admin/entries/new?lang=cua"' in body(editor.get("/admin/entries/new"))
    page = body(editor.get(HRE))
    assert "New Hre entry" in page and 'name="csrf_token"' in page
    for letter in ("ŏ", "ơ̆", "ĕ", "ê̆", "ʼ"):  # the keyboard letters, readable without JS
        assert f"<li>{letter}</li>" in page
    pid = create(editor, senses=(("cây gậy tre", (("zơ̆tok bơ̆nxa", "gậy dài"),)),
                                 ("que", (("a", "b"), ("c", "d")))),
                 variants=(("zơtok", "dialect", "Ba Tơ"),), part_of_speech="noun",
                 comment="từ mới")
    e = stored(app, pid)
    assert (e.status, e.headword, e.part_of_speech) == (DRAFT, "zơ̆tok", "noun")
    assert [s.gloss_vi for s in e.senses] == ["cây gậy tre", "que"]
    assert [x.text for x in e.senses[1].examples] == ["a", "c"]
    v = e.variants[0]
    assert (v.form, v.kind, v.label) == ("zơtok", "dialect", "Ba Tơ")
    view = body(editor.get(f"/admin/entries/{pid}"))
    assert "Saved as a draft." in view and "Submit for review" in view
    assert "từ mới" in view  # the revision comment


def test_new_entry_form_is_prefilled_from_the_quality_lists(as_role):
    client = as_role("editor")
    page = client.get("/admin/entries/new?lang=hre&headword=z%C6%A1%CC%86tok&gloss=c%C3%A1i%20n%E1%BB%93i")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="zơ̆tok"' in text and 'value="cái nồi"' in text
    # Without a language the picker keeps the words for the form it leads to.
    picker = client.get("/admin/entries/new?gloss=c%C3%A1i%20n%E1%BB%93i").get_data(as_text=True)
    assert "gloss=c%C3%A1i+n%E1%BB%93i" in picker or "gloss=c%C3%A1i%20n%E1%BB%93i" in picker


def test_row_buttons_work_without_javascript_and_keep_the_input(app, as_role):
    editor = english(as_role("editor"))
    data = entry_form(editor, headword="bơ̆nxa", senses=(("một", (("x1", "y1"),)), ("hai", ())),
                      action="add_sense")
    page = body(editor.post(HRE, data=data))
    assert 'value="bơ̆nxa"' in page and 'value="một"' in page and 'value="x1"' in page
    assert 'name="senses-2-gloss_vi"' in page and "autofocus" in page
    assert "Enter the headword." not in page  # no validation on a row button
    data["action"] = "up_sense-1"
    page = body(editor.post(HRE, data=data))
    assert page.index('value="hai"') < page.index('value="một"')
    assert re.search(r'name="senses-0-gloss_vi" type="text" value="hai"', page)
    data["action"] = "add_example-1"
    page = body(editor.post(HRE, data=data))
    assert 'name="senses-1-examples-0-text"' in page
    data["action"] = "remove_example-0-0"
    page = body(editor.post(HRE, data=data))
    assert 'value="x1"' not in page and 'name="senses-0-examples-0-text"' not in page
    data["action"] = "add_variant"
    page = body(editor.post(HRE, data=data))
    assert 'name="variants-0-form"' in page
    data["action"] = "remove_sense-0"
    page = body(editor.post(HRE, data=data))
    assert 'value="một"' not in page and 'name="senses-1-gloss_vi"' not in page
    # The default button (what Enter presses) saves; it comes before every row button.
    assert page.index('value="save"') < page.index('value="add_sense"')


def test_validation_messages_sit_next_to_the_field(as_role):
    editor = english(as_role("editor"))
    r = editor.post(HRE, data=entry_form(editor, headword="  ", **{"senses-0-concept_id": "abc"}))
    assert r.status_code == 400
    page = body(r)
    assert '<p class="error" id="headword-error">Enter the headword.</p>' in page
    assert 'id="senses-0-concept_id-error">A Concepticon id is a number, such as 646.' in page
    assert 'value="cây gậy tre"' in page  # what was typed is kept
    many = entry_form(editor, senses=[(f"nghĩa {n}", ()) for n in range(101)])
    r = editor.post(HRE, data=many)  # the limit of dictionary.limits, the importer's too
    assert r.status_code == 400
    assert '<p class="error">At most 100 meanings in one entry.</p>' in body(r)
    vi = as_role("editor")  # Vietnamese interface: the msgid until the catalog has it
    assert "headword-error" in body(vi.post(HRE, data=entry_form(vi, headword="")))


def test_warnings_after_save_and_on_the_check_step(app, as_role):
    editor = english(as_role("editor"))
    first = create(editor)
    data = entry_form(editor, senses=(("Cây gậy tre", ()), ("", (("bơ̆nxa", ""),))),
                      action="check", variants=(("zфtok", "spelling", ""),))
    page = body(editor.post(HRE, data=data))
    assert f'href="/admin/entries/{first}"' in page and "Possible duplicate" in page
    assert "Sense 2 has no Vietnamese gloss." in page
    assert "Variant 1: Form: letters outside the alphabet: ф" in page
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(Entry.id).where(Entry.public_id != first)) is None  # not saved
    second = create(editor, senses=(("cây  gậy tre", ()),))
    view = body(editor.get(f"/admin/entries/{second}"))
    assert "Possible duplicate" in view and f'href="/admin/entries/{first}"' in view
    clean = body(editor.post(HRE, data=entry_form(editor, headword="ʼbŏk", action="check",
                                                  senses=(("con chim", ()),))))
    assert "Nothing to check: no warnings." in clean


def test_the_list_filters_searches_and_pages(app, as_role):
    editor = english(as_role("editor"))
    for n in range(3):
        create(editor, headword=f"zơ̆tok{n}", senses=((f"gậy {n}", ()),))
    cua = editor.post("/admin/entries/new?lang=cua", data=entry_form(editor, headword="bơ̆nxa"))
    assert cua.status_code == 302
    page = body(editor.get("/admin/entries?q=zotok"))  # no breve typed: the loose key
    assert page.count('href="/admin/entries/hre-') == 3 and "bơ̆nxa" not in page
    page = body(editor.get("/admin/entries?lang=cua"))
    assert "bơ̆nxa" in page and "zơ̆tok" not in page
    assert "zơ̆tok1" not in body(editor.get("/admin/entries?status=published"))
    page = body(editor.get("/admin/entries?q=%25"))  # LIKE wildcards are plain text
    assert "No entry matches." in page


def test_edit_keeps_hidden_fields_and_records_an_update(app, as_role):
    editor = english(as_role("editor"))
    pid = create(editor)
    form = body(editor.get(f"/admin/entries/{pid}/edit"))
    key = re.search(r'name="senses-0-key" type="hidden" value="(\d+)"', form).group(1)
    data = entry_form(editor, version=str(version(app, pid)), senses=(("gậy chống", ()),),
                      **{"senses-0-key": key})
    assert editor.post(f"/admin/entries/{pid}/edit", data=data).status_code == 302
    assert stored(app, pid).senses[0].gloss_vi == "gậy chống"
    history = body(editor.get(f"/admin/entries/{pid}/history"))
    assert "gậy chống" in history and "cây gậy tre" in history
    assert "Sense 1: Vietnamese gloss" in history


# ---- permissions and the workflow over HTTP -------------------------------------------------
def test_contributors_suggest_drafts_and_nothing_more(app, as_role):
    contributor, editor = as_role("contributor"), as_role("editor")
    mine = create(contributor)
    theirs = create(editor, headword="bơ̆nxa")
    assert contributor.get(f"/admin/entries/{mine}/edit").status_code == 200
    assert contributor.get(f"/admin/entries/{theirs}/edit").status_code == 403
    data = entry_form(contributor, version=str(version(app, theirs)))
    assert contributor.post(f"/admin/entries/{theirs}/edit", data=data).status_code == 403
    assert post(contributor, f"/admin/entries/{theirs}/submit").status_code == 403
    assert post(contributor, f"/admin/entries/{mine}/submit",
                version=version(app, mine)).status_code == 302
    assert stored(app, mine).status == IN_REVIEW
    assert contributor.get(f"/admin/entries/{mine}/edit").status_code == 403  # submitted
    assert post(contributor, f"/admin/entries/{mine}/publish").status_code == 403
    assert post(contributor, f"/admin/entries/{mine}/delete").status_code == 403
    reviewer = as_role("reviewer")
    assert post(reviewer, f"/admin/entries/{mine}/publish",
                version=version(app, mine)).status_code == 302
    assert stored(app, mine).status == PUBLISHED
    assert contributor.get(f"/admin/entries/{mine}/edit").status_code == 403  # published
    assert contributor.get("/admin/review").status_code == 403


def test_review_queue_publish_reject_and_mark_reviewed(app, as_role):
    editor, reviewer = english(as_role("editor")), english(as_role("reviewer"))
    a, b = create(editor, headword="zơ̆tok"), create(editor, headword="bơ̆nxa")
    for pid in (a, b):
        post(editor, f"/admin/entries/{pid}/submit", version=version(app, pid))
    queue = body(reviewer.get("/admin/review"))
    assert "Waiting for review (2)" in queue
    assert queue.index(f'href="/admin/entries/{a}"') < queue.index(f'href="/admin/entries/{b}"')
    assert re.search(r"<th scope=\"row\">Hre</th><td>0</td><td>2</td>", queue)
    r = post(reviewer, f"/admin/entries/{a}/publish", version=version(app, a), next="/admin/review")
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/review")
    r = post(reviewer, f"/admin/entries/{b}/reject", version=version(app, b), comment="")
    assert r.status_code == 400
    assert "Say what should change before the entry can be published." in body(r)
    r = post(reviewer, f"/admin/entries/{b}/reject", version=version(app, b),
             comment="Thêm ví dụ")
    assert r.status_code == 302 and stored(app, b).status == DRAFT
    assert "Thêm ví dụ" in body(editor.get(f"/admin/entries/{b}/edit"))
    # An editor's change to the published entry goes live and into the queue.
    data = entry_form(editor, version=str(version(app, a)), senses=(("gậy chống", ()),))
    assert editor.post(f"/admin/entries/{a}/edit", data=data).status_code == 302
    e = stored(app, a)
    assert e.status == PUBLISHED and not e.reviewed
    queue = body(reviewer.get("/admin/review"))
    assert "Published, changes not reviewed (1)" in queue
    post(reviewer, f"/admin/entries/{a}/mark-reviewed", version=version(app, a))
    assert stored(app, a).reviewed
    assert "Published, changes not reviewed (0)" in body(reviewer.get("/admin/review"))
    # A decision based on a stale version is not carried out.
    r = post(reviewer, f"/admin/entries/{a}/delete", version=1)
    assert r.status_code == 302 and stored(app, a).status == PUBLISHED
    assert "changed by someone else" in body(reviewer.get(f"/admin/entries/{a}"))


def test_starter_data_is_listed_for_review(bundled_copy, bundled_users):
    reviewer = bundled_copy.test_client()
    login(reviewer, bundled_users["reviewer"])
    english(reviewer)
    page = body(reviewer.get("/admin/review"))
    assert "Published source data not reviewed yet (" in page and 'rel="next"' in page
    pid = re.search(r'href="/admin/entries/(hre-\d+)"', page).group(1)
    r = post(reviewer, f"/admin/entries/{pid}/mark-reviewed", version=version(bundled_copy, pid),
             next="/admin/review")
    assert r.status_code == 302
    assert stored(bundled_copy, pid).reviewed
    assert f'href="/admin/entries/{pid}"' not in body(reviewer.get("/admin/review"))


def test_delete_undelete_and_restore_over_http(app, as_role):
    editor = english(as_role("editor"))
    pid = create(editor)
    data = entry_form(editor, version=str(version(app, pid)), headword="zơ̆tɔk")
    editor.post(f"/admin/entries/{pid}/edit", data=data)
    with app.app_context(), get_db().Session() as s:
        first = s.scalars(select(Revision.id).where(Revision.entry_public_id == pid)
                          .order_by(Revision.id)).first()
    r = post(editor, f"/admin/entries/{pid}/restore/{first}", version=version(app, pid))
    assert r.status_code == 302 and stored(app, pid).headword == "zơ̆tok"
    assert f"restored from revision {first}" in body(editor.get(f"/admin/entries/{pid}/history"))
    assert post(editor, f"/admin/entries/{pid}/delete", version=version(app, pid),
                comment="trùng").status_code == 302
    assert stored(app, pid).status == DELETED
    assert editor.get(f"/admin/entries/{pid}/edit").status_code == 302  # restore it first
    assert pid not in body(editor.get("/admin/entries"))
    assert pid in body(editor.get("/admin/entries?status=deleted"))
    r = post(editor, f"/admin/entries/{pid}/undelete", version=version(app, pid))
    assert r.status_code == 302
    assert stored(app, pid).status == DRAFT
    assert "Status before deletion: draft" in body(editor.get(f"/admin/entries/{pid}/history"))


def test_restore_delete_and_publish_without_a_version_change_nothing(app, as_role):
    """A request that leaves the version out cannot overwrite a newer save."""
    editor = english(as_role("editor"))
    pid = create(editor)
    with app.app_context(), get_db().Session() as s:
        first = s.scalar(select(Revision.id).where(Revision.entry_public_id == pid))
    data = entry_form(editor, version=str(version(app, pid)), headword="zơ̆tɔk")
    assert editor.post(f"/admin/entries/{pid}/edit", data=data).status_code == 302
    newer = version(app, pid)
    conflict = "changed by someone else in the meantime"
    r = post(editor, f"/admin/entries/{pid}/restore/{first}")
    assert r.status_code == 302 and conflict in body(editor.get(r.headers["Location"]))
    for action in ("delete", "submit"):
        r = post(editor, f"/admin/entries/{pid}/{action}", comment="trùng")
        assert r.status_code == 302 and conflict in body(editor.get(r.headers["Location"]))
    after = stored(app, pid)
    assert (after.headword, after.status, after.version) == ("zơ̆tɔk", DRAFT, newer)


def test_two_editors_editing_at_once_get_the_conflict_page(app, as_role):
    one, two = english(as_role("editor")), english(as_role("reviewer"))
    pid = create(one)
    seen = str(version(app, pid))
    form = body(one.get(f"/admin/entries/{pid}/edit"))
    assert f'name="version" type="hidden" value="{seen}"' in form
    assert f'value="{seen}"' in body(two.get(f"/admin/entries/{pid}/edit"))
    r = two.post(f"/admin/entries/{pid}/edit",
                 data=entry_form(two, version=seen, senses=(("gậy của hai", ()),)))
    assert r.status_code == 302
    r = one.post(f"/admin/entries/{pid}/edit",
                 data=entry_form(one, version=seen, senses=(("gậy của một", ()),)))
    assert r.status_code == 409
    page = body(r)
    assert "Someone else saved this entry first" in page
    assert "gậy của hai" in page and 'value="gậy của một"' in page  # theirs and mine
    assert stored(app, pid).senses[0].gloss_vi == "gậy của hai"  # nothing overwritten
    now = str(version(app, pid))
    assert now != seen and f'name="version" type="hidden" value="{now}"' in page
    r = one.post(f"/admin/entries/{pid}/edit",
                 data=entry_form(one, version=now, senses=(("gậy của một", ()),)))
    assert r.status_code == 302 and stored(app, pid).senses[0].gloss_vi == "gậy của một"


# ---- what the public sees ---------------------------------------------------------------------
@pytest.fixture
def indexed(app):
    with app.app_context():
        index_service().rebuild()
    return app


def test_drafts_are_hidden_from_the_public_and_shown_to_curators(indexed, as_role):
    app = indexed
    editor = english(as_role("editor"))
    pid = create(editor, senses=(("cây gậy tre", ()),))
    public = app.test_client()
    assert public.get(f"/entry/{pid}").status_code == 404
    assert public.get(f"/api/v1/entries/{pid}").status_code == 404
    assert pid not in body(public.get("/search?q=cay+gay+tre"))
    assert public.get("/api/v1/search?q=cay+gay+tre").get_json()["total"] == 0
    r = editor.get(f"/entry/{pid}")
    assert r.status_code == 200 and "no-store" in r.headers["Cache-Control"]
    assert '<span class="tag status-draft">draft</span>' in body(r)
    assert "This entry is not public (draft)." in body(r)
    post(editor, f"/admin/entries/{pid}/submit", version=version(app, pid))
    post(as_role("reviewer"), f"/admin/entries/{pid}/publish", version=version(app, pid))
    assert public.get(f"/entry/{pid}").status_code == 200
    assert "status-" not in body(public.get(f"/entry/{pid}"))
    hits = public.get("/api/v1/search?q=cay+gay+tre").get_json()["results"]
    assert [h["id"] for h in hits] == [pid]


XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>']


def test_hostile_text_is_inert_everywhere(indexed, as_role):
    app = indexed
    editor, reviewer = english(as_role("editor")), english(as_role("reviewer"))
    a, b = XSS
    data = entry_form(editor, headword=f"zơ̆tok {a} {b}", senses=((f"gậy {a} {b}", ((a, b),)),),
                      variants=((a, "dialect", b),), note=f"{a}{b}", pronunciation=a,
                      comment=f"{b}{a}",
                      **{"senses-0-gloss_en": a, "senses-0-definition": b,
                         "senses-0-semantic_field": a})
    r = editor.post(HRE, data=data)
    assert r.status_code == 302
    pid = r.headers["Location"].rsplit("/", 1)[1]
    post(editor, f"/admin/entries/{pid}/submit", version=version(app, pid), comment=a)
    post(reviewer, f"/admin/entries/{pid}/reject", version=version(app, pid), comment=f"{a}{b}")
    post(editor, f"/admin/entries/{pid}/submit", version=version(app, pid))
    pages = {
        "queue": reviewer.get("/admin/review"),
        "view": editor.get(f"/admin/entries/{pid}"),
        "edit": editor.get(f"/admin/entries/{pid}/edit"),
        "list": editor.get("/admin/entries?q=zotok"),
    }
    post(reviewer, f"/admin/entries/{pid}/publish", version=version(app, pid))
    stale = entry_form(editor, version="1", headword=f"{a}{b}", senses=((a, ((b, a),)),))
    pages["conflict"] = editor.post(f"/admin/entries/{pid}/edit", data=stale)
    assert pages["conflict"].status_code == 409
    pages["history"] = editor.get(f"/admin/entries/{pid}/history")
    pages["check"] = editor.post(HRE, data={**stale, "action": "check"})
    pages["public"] = app.test_client().get(f"/entry/{pid}")
    pages["search"] = app.test_client().get("/search?q=zotok")
    pages["search-vi"] = app.test_client().get("/search?q=gay")
    assert pid in body(pages["search"]) and pid in body(pages["search-vi"])
    for name, response in pages.items():
        text = body(response)
        assert "alert(1)" in text, name  # the payload is shown …
        assert "<script>alert" not in text and "<img src=x" not in text, name  # … as text
        assert "onerror=alert(1)>" not in text, name
        assert html.escape(a, quote=False) in text or "&lt;script&gt;" in text, name


# ---- limits: the form and the importer agree (dictionary.limits) ------------------------------
class _FormFields(HTMLParser):
    """What a browser submits from the entry form: inputs, textareas and selected options,
    not the blank rows inside <template> (which browsers never submit) nor buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self.in_form = self.in_template = 0
        self.textarea: str | None = None
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "data-entry-form" in a:
            self.in_form = 1
        elif tag == "template":
            self.in_template += 1
        if not self.in_form or self.in_template:
            return
        if tag == "input" and a.get("type") not in ("submit", "button") and a.get("name"):
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self.textarea, self.text = a.get("name"), []
        elif tag == "select":
            self.select, self.options = a.get("name"), []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag):
        if tag == "template":
            self.in_template -= 1
        elif tag == "form":
            self.in_form = 0
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, "".join(self.text).removeprefix("\n")))
            self.textarea = None
        elif tag == "select" and self.select:
            chosen = [v for v, selected in self.options if selected] or \
                [v for v, _ in self.options[:1]]
            self.fields.append((self.select, chosen[0] if chosen else ""))
            self.select = None

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)


def browser_fields(page: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(page)
    return dict(parser.fields)


def curated_csv(senses: int) -> bytes:
    rows = ["id,headword,vietnamese,example,example_vi,source",
            "t1,tok0001,nghĩa 1,tok0001 a,câu 1,nhomthu"]
    rows += [f",,nghĩa {n},,," for n in range(2, senses + 1)]
    return ("\n".join(rows) + "\n").encode()


def imported(app, data_dir, data: bytes) -> str:
    from dictionary.curation.importer import import_lexicon

    with app.app_context(), get_db().Session() as s:
        report = import_lexicon(s, None, "hre", data=data, file_name="tu.csv", data_dir=data_dir)
    return report.rows[0].public_id


def test_an_imported_entry_with_60_senses_can_be_opened_and_saved(app, as_role, data_dir):
    pid = imported(app, data_dir, curated_csv(60))
    editor = english(as_role("editor"))
    page = editor.get(f"/admin/entries/{pid}/edit")
    assert page.status_code == 200
    fields = browser_fields(body(page))
    assert fields["senses-59-gloss_vi"] == "nghĩa 60" and "senses-60-gloss_vi" not in fields
    fields.update({"senses-59-gloss_vi": "nghĩa sáu mươi", "action": "save"})
    r = editor.post(f"/admin/entries/{pid}/edit", data=fields)
    assert r.status_code == 302, body(r)
    e = stored(app, pid)
    assert len(e.senses) == 60 and e.senses[59].gloss_vi == "nghĩa sáu mươi"
    assert [x.text for x in e.senses[0].examples] == ["tok0001 a"]


def test_the_form_refuses_what_the_importer_refuses(app, as_role, data_dir):
    from dictionary.curation.importer import ImportFailed

    app.config.update(ENTRY_MAX_SENSES=5, ENTRY_MAX_TEXT=300)
    with pytest.raises(ImportFailed) as info:
        imported(app, data_dir, curated_csv(6))
    assert [p.line for p in info.value.errors] == [7]  # the sixth sense
    assert "has 6 senses; at most 5" in info.value.errors[0].message
    editor = english(as_role("editor"))
    r = editor.post(HRE, data=entry_form(editor, senses=[(f"nghĩa {n}", ()) for n in range(6)]))
    assert r.status_code == 400
    assert '<p class="error">At most 5 meanings in one entry.</p>' in body(r)
    r = editor.post(HRE, data=entry_form(editor, senses=(("x" * 200, ()), ("y" * 150, ()))))
    assert r.status_code == 400
    assert "At most 300 characters of text in one entry; this one has 356." in body(r)
    # The row button stops adding meanings at the limit too.
    full = entry_form(editor, senses=[(f"nghĩa {n}", ()) for n in range(5)], action="add_sense")
    assert 'name="senses-5-gloss_vi"' not in body(editor.post(HRE, data=full))
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count(Entry.id))) == 0


def test_a_save_while_an_import_holds_the_database_is_refused_cleanly(app, users):
    """SQLite has one writer: a large import holds the write lock for its whole transaction
    (on PostgreSQL, the locks of the rows it writes, here the entry being edited). An
    editor's save that waited for it out gets 503 and a message, not a 500."""
    from sqlalchemy import create_engine

    from dictionary import create_app

    busy_app = create_app({**app.config, "SQLITE_BUSY_TIMEOUT": 0.2})
    editor = english(busy_app.test_client())
    assert login(editor, users["editor"]).status_code == 302
    pid = create(editor)
    before = stored(app, pid)
    data = entry_form(editor, version=str(before.version), headword="zơ̆tɔk")
    importer = create_engine(app.config["DATABASE_URL"]).connect()
    try:
        if importer.dialect.name == "sqlite":  # what a long import transaction holds
            importer.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            importer.execute(select(Entry.id).where(Entry.public_id == pid).with_for_update())
        r = editor.post(f"/admin/entries/{pid}/edit", data=data)
    finally:
        importer.rollback()
        importer.close()
        importer.engine.dispose()
    assert r.status_code == 503 and r.headers["Retry-After"] == "60"
    assert "busy writing a large import" in body(r)
    assert stored(app, pid).headword == before.headword
    # once the import is done, the same form saves
    assert editor.post(f"/admin/entries/{pid}/edit", data=data).status_code == 302
    assert stored(app, pid).headword == "zơ̆tɔk"
    get_state_close(busy_app)
