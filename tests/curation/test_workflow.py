"""The curation workflow (dictionary.workflow) on a real SQLite file and a real Whoosh index:
status transitions and who may make them, revisions, diffs and restore, soft delete,
optimistic locking, and what reaches the public search. Vernacular tokens are synthetic."""
from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select

from dictionary.curation import history, workflow
from dictionary import search
from dictionary.db import get_db
from dictionary.indexing import index_service
from dictionary.models import (
    DELETED,
    DRAFT,
    IN_REVIEW,
    PUBLISHED,
    ROLES,
    Entry,
    Language,
    Revision,
    User,
)

CONTENT = {
    "headword": "zơ̆tok",
    "senses": [{"gloss_vi": "cây gậy tre", "gloss_en": "bamboo stick",
                "examples": [{"text": "zơ̆tok bơ̆nxa", "translation_vi": "cây gậy dài"}]}],
    "variants": [{"form": "zơtok", "kind": "spelling", "label": ""}],
}


@pytest.fixture
def db(app, users):
    """A session on an empty dictionary with one account per role (no index yet: edits
    wait in the outbox, which is all most tests need)."""
    with app.app_context():
        with get_db().Session() as s:
            yield s


@pytest.fixture
def indexed(db):
    index_service().rebuild()  # an empty index, so searches run for real
    return db


def person(s, role: str) -> User:
    return s.scalar(select(User).where(User.email == f"{role}@example.test"))


def language(s, code: str = "hre") -> Language:
    return s.scalar(select(Language).where(Language.code == code))


def new_entry(s, role: str = "editor", content=None, status: str = DRAFT) -> Entry:
    """An entry created by ``role`` and moved to ``status`` through the workflow."""
    entry = workflow.create_entry(s, person(s, role), language(s), content or CONTENT)
    s.commit()
    if status in (IN_REVIEW, PUBLISHED, DELETED):
        workflow.submit(s, person(s, "admin"), entry)
    if status in (PUBLISHED,):
        workflow.publish(s, person(s, "admin"), entry)
    if status == DELETED:
        workflow.delete(s, person(s, "admin"), entry)
    s.commit()
    return entry


def found(query: str) -> list[str]:
    return [f.entry.public_id for f in search.lookup(query).results]


def test_a_new_entry_is_a_draft_with_a_created_revision(db):
    entry = new_entry(db, "contributor")
    assert entry.status == DRAFT and not entry.reviewed
    assert entry.public_id == "hre-000001"
    revisions = db.scalars(select(Revision)
                           .where(Revision.entry_public_id == entry.public_id)).all()
    assert [r.summary for r in revisions] == ["created"]
    assert revisions[0].author == "contributor@example.test"
    assert revisions[0].snapshot["senses"][0]["examples"][0]["text"] == "zơ̆tok bơ̆nxa"
    assert workflow.creator_id(db, entry) == person(db, "contributor").id


def test_input_is_stored_in_the_canonical_form(db):
    nfd = unicodedata.normalize("NFD", "zơ̆tok  ")
    entry = new_entry(db, content={"headword": nfd, "senses": [
        {"gloss_vi": unicodedata.normalize("NFD", "thuỷ hoà"),
         "examples": [{"text": "’bơ̆nxa", "translation_vi": "khoẻ"}]}]})
    db.expire_all()
    entry = db.get(Entry, entry.id)
    assert entry.headword == "zơ̆tok" == unicodedata.normalize("NFC", entry.headword)
    assert entry.senses[0].gloss_vi == "thủy hòa"  # old tone placement → canonical
    assert entry.senses[0].examples[0].text == "ʼbơ̆nxa"  # one apostrophe
    assert entry.senses[0].examples[0].translation_vi == "khỏe"
    assert entry.headword_key == "zotok"


# ---- who may do what ------------------------------------------------------------------------
OK, NO, STATE = "ok", workflow.NotAllowed, workflow.InvalidTransition
# (action, status of the entry, created by) → expected result for each role, weakest first
MATRIX = [
    ("edit", DRAFT, "contributor", [OK, OK, OK, OK]),
    ("edit", DRAFT, "editor", [NO, OK, OK, OK]),  # someone else's draft
    ("edit", IN_REVIEW, "contributor", [NO, OK, OK, OK]),  # own, but submitted
    ("edit", PUBLISHED, "contributor", [NO, OK, OK, OK]),
    ("edit", DELETED, "editor", [NO, STATE, STATE, STATE]),
    ("submit", DRAFT, "contributor", [OK, OK, OK, OK]),
    ("submit", DRAFT, "editor", [NO, OK, OK, OK]),
    ("submit", PUBLISHED, "editor", [NO, STATE, STATE, STATE]),
    ("publish", IN_REVIEW, "editor", [NO, NO, OK, OK]),
    ("publish", DRAFT, "editor", [NO, NO, STATE, STATE]),
    ("reject", IN_REVIEW, "editor", [NO, NO, OK, OK]),
    ("reject", PUBLISHED, "editor", [NO, NO, STATE, STATE]),
    ("mark_reviewed", PUBLISHED, "editor", [NO, NO, STATE, STATE]),  # publishing reviewed it
    ("delete", DRAFT, "contributor", [NO, OK, OK, OK]),
    ("delete", PUBLISHED, "editor", [NO, OK, OK, OK]),
    ("delete", DELETED, "editor", [NO, STATE, STATE, STATE]),
    ("undelete", DELETED, "editor", [NO, OK, OK, OK]),
    ("undelete", PUBLISHED, "editor", [NO, STATE, STATE, STATE]),
]


def run(s, action: str, user, entry: Entry) -> None:
    if action == "edit":
        content = {**CONTENT, "senses": [{"gloss_vi": "gậy mới"}]}
        workflow.save_entry(s, user, entry, content, entry.version)
    elif action == "reject":
        workflow.reject(s, user, entry, "cần thêm ví dụ")
    else:
        getattr(workflow, {"delete": "delete", "undelete": "undelete"}.get(action, action))(
            s, user, entry)


@pytest.mark.parametrize("action, status, owner, expected", MATRIX)
def test_role_action_matrix(db, action, status, owner, expected):
    for role, want in zip(ROLES, expected):
        entry = new_entry(db, owner, status=status)
        user = person(db, role)
        assert (workflow.refusal(db, user, entry, action) or OK) == want, (action, status, role)
        if want == OK:
            run(db, action, user, entry)
            db.commit()
        else:
            with pytest.raises(want):
                run(db, action, user, entry)
            db.rollback()


def test_reject_needs_a_comment_and_publish_clears_it(db):
    entry = new_entry(db, "contributor", status=IN_REVIEW)
    reviewer = person(db, "reviewer")
    with pytest.raises(workflow.CommentRequired):
        workflow.reject(db, reviewer, entry, "   ")
    db.rollback()
    workflow.reject(db, reviewer, entry, "Thiếu ví dụ")
    db.commit()
    assert entry.status == DRAFT and entry.review_comment == "Thiếu ví dụ"
    contributor = person(db, "contributor")
    assert workflow.refusal(db, contributor, entry, "edit") is None  # their draft again
    workflow.submit(db, contributor, entry)
    workflow.publish(db, reviewer, entry, comment="tốt")
    db.commit()
    assert (entry.status, entry.reviewed, entry.review_comment) == (PUBLISHED, True, None)
    mine = Revision.entry_public_id == entry.public_id
    summaries = db.scalars(select(Revision.summary).where(mine).order_by(Revision.id)).all()
    assert summaries == ["created", "submitted", "rejected", "submitted", "published"]
    comments = db.scalars(select(Revision.comment).where(mine).order_by(Revision.id)).all()
    assert comments[2] == "Thiếu ví dụ" and comments[4] == "tốt"


def test_editing_a_published_entry_goes_live_and_asks_for_review(indexed):
    db = indexed
    entry = new_entry(db, status=PUBLISHED)
    assert entry.reviewed
    changed = {**CONTENT, "senses": [{"gloss_vi": "gậy chống"}]}
    assert workflow.save_entry(db, person(db, "editor"), entry, changed, entry.version)
    db.commit()
    assert entry.status == PUBLISHED and not entry.reviewed  # live, flagged for review
    assert "hre-000001" in found("gay chong")
    assert workflow.refusal(db, person(db, "reviewer"), entry, "mark_reviewed") is None
    workflow.mark_reviewed(db, person(db, "reviewer"), entry)
    # A reviewer's own change does not ask for another review.
    workflow.save_entry(db, person(db, "reviewer"), entry, CONTENT, entry.version)
    db.commit()
    assert entry.reviewed
    # Saving the same content again changes nothing and records nothing.
    count = len(db.scalars(select(Revision.id)).all())
    assert not workflow.save_entry(db, person(db, "editor"), entry, CONTENT, entry.version)
    assert len(db.scalars(select(Revision.id)).all()) == count


def test_only_published_entries_reach_the_search_index(indexed):
    db = indexed
    entry = new_entry(db, "contributor")
    assert found("cay gay tre") == [] and found("zơ̆tok") == []
    workflow.submit(db, person(db, "contributor"), entry)
    db.commit()
    assert found("cay gay tre") == []
    workflow.publish(db, person(db, "reviewer"), entry)
    db.commit()
    assert found("cay gay tre") == [entry.public_id]  # the gloss typed without tones
    assert found("zotok") == [entry.public_id]
    workflow.delete(db, person(db, "editor"), entry)
    db.commit()
    assert found("cay gay tre") == []
    assert search.get_entry(entry.public_id) is None


@pytest.mark.parametrize("status", [DRAFT, IN_REVIEW, PUBLISHED])
def test_soft_delete_and_undelete_return_to_the_previous_status(indexed, status):
    db = indexed
    entry = new_entry(db, status=status)
    editor = person(db, "editor")
    workflow.delete(db, editor, entry, comment="trùng")
    db.commit()
    assert entry.status == DELETED and db.get(Entry, entry.id) is not None
    last = db.scalars(select(Revision).order_by(Revision.id.desc())).first()
    assert (last.summary, last.comment) == ("deleted", "trùng")
    assert last.snapshot["previous_status"] == status and last.snapshot["status"] == DELETED
    workflow.undelete(db, editor, entry)
    db.commit()
    assert entry.status == status
    assert (entry.public_id in found("cay gay tre")) == (status == PUBLISHED)


def test_history_diff_and_restore(db):
    entry = new_entry(db)
    editor = person(db, "editor")
    two = {**CONTENT, "headword": "zơ̆tɔk",
           "senses": [{"gloss_vi": "gậy", "examples": []}, {"gloss_vi": "que"}],
           "variants": []}
    workflow.save_entry(db, editor, entry, two, entry.version, comment="sửa")
    db.commit()
    first, second = db.scalars(select(Revision).where(Revision.entry_public_id == entry.public_id)
                               .order_by(Revision.id)).all()
    changes = {path: (old, new)
               for path, old, new in history.diff(first.snapshot, second.snapshot)}
    assert changes[("headword",)] == ("zơ̆tok", "zơ̆tɔk")
    assert changes[("senses", 0, "gloss_vi")] == ("cây gậy tre", "gậy")
    assert changes[("senses", 0, "gloss_en")] == ("bamboo stick", None)
    assert changes[("senses", 0, "examples", 0, "text")] == ("zơ̆tok bơ̆nxa", None)
    assert changes[("senses", 1, "gloss_vi")] == (None, "que")
    assert changes[("variants", 0, "form")] == ("zơtok", None)
    assert ("status",) not in changes
    # Restore the first version: a new revision, the content as it was.
    assert workflow.restore(db, editor, entry, first, entry.version)
    db.commit()
    restored = db.scalars(select(Revision).order_by(Revision.id.desc())).first()
    assert restored.summary == "restored" and restored.snapshot["restored_from"] == first.id
    assert history.diff(first.snapshot, restored.snapshot) == []
    assert [s.gloss_vi for s in entry.senses] == ["cây gậy tre"]
    assert entry.variants[0].form == "zơtok" and entry.status == DRAFT
    assert not workflow.restore(db, editor, entry, first, entry.version)  # nothing to do
    # Contributors cannot restore.
    with pytest.raises(workflow.NotAllowed):
        workflow.restore(db, person(db, "contributor"), entry, second)


def test_an_editor_restoring_a_published_entry_asks_for_review(indexed):
    db = indexed
    entry = new_entry(db, status=PUBLISHED)
    first = db.scalar(select(Revision).where(Revision.entry_public_id == entry.public_id)
                      .order_by(Revision.id))
    workflow.save_entry(db, person(db, "editor"), entry, {**CONTENT, "headword": "zơ̆tɔk"},
                        entry.version)
    workflow.mark_reviewed(db, person(db, "reviewer"), entry)
    db.commit()
    assert workflow.restore(db, person(db, "editor"), entry, first, entry.version)
    db.commit()
    assert entry.status == PUBLISHED and entry.headword == "zơ̆tok" and not entry.reviewed


# What the README's role table calls each action, and the row it must sit in: the weakest
# role the workflow allows it to (the README once gave restore to reviewers only).
README_ACTIONS = {
    workflow.DELETE: "delete and undelete", workflow.UNDELETE: "delete and undelete",
    workflow.RESTORE: "restore old versions", workflow.PUBLISH: "publish",
    workflow.REJECT: "send back to draft", workflow.MARK_REVIEWED: "mark source data reviewed",
}


def test_the_readme_role_table_matches_the_workflow():
    from dictionary import REPO_ROOT

    rows = {}
    for line in (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].strip("`") in ROLES:
            rows[cells[0].strip("`")] = cells[1]
    assert set(rows) == set(ROLES)
    for action, phrase in README_ACTIONS.items():
        listed = [role for role, text in rows.items() if phrase in text]
        assert listed == [workflow._RULES[action][0]], (action, listed)


def test_a_stale_version_is_a_conflict(app, db):
    entry = new_entry(db, status=PUBLISHED)
    editor = person(db, "editor")
    with pytest.raises(workflow.VersionConflict):
        workflow.save_entry(db, editor, entry, CONTENT, entry.version - 1)
    db.rollback()
    # Two sessions read version N; the second write fails at flush (StaleDataError).
    with get_db().Session() as other:
        theirs = other.get(Entry, entry.id)
        other_editor = person(other, "editor")
        mine = db.get(Entry, entry.id)
        assert theirs.version == mine.version
        workflow.save_entry(other, other_editor, theirs,
                            {**CONTENT, "senses": [{"gloss_vi": "một"}]}, theirs.version)
        other.commit()
    with pytest.raises(workflow.VersionConflict):
        workflow.save_entry(db, editor, mine, {**CONTENT, "senses": [{"gloss_vi": "hai"}]},
                            mine.version)
    db.rollback()
    assert [s.gloss_vi for s in db.get(Entry, entry.id).senses] == ["một"]


def test_hidden_sense_fields_follow_their_sense_when_rows_move(db):
    entry = new_entry(db, content={"headword": "bơ̆nxa", "senses": [
        {"gloss_vi": "một", "concept_id": "646"}, {"gloss_vi": "hai"}]})
    first, second = entry.senses
    first.gloss_note, first.concept_gloss, first.extra = "ghi chú", "ASH", {"row": "7"}
    db.commit()
    form = {"headword": "bơ̆nxa", "senses": [
        {"key": str(second.id), "gloss_vi": "hai"},
        {"key": str(first.id), "gloss_vi": "một", "concept_id": "646"},
        {"key": "", "gloss_vi": "", "examples": [{"text": "", "translation_vi": ""}]}]}
    workflow.save_entry(db, person(db, "editor"), entry, form, entry.version)
    db.commit()
    assert [s.gloss_vi for s in entry.senses] == ["hai", "một"]  # the blank row is dropped
    moved = entry.senses[1]
    assert (moved.gloss_note, moved.concept_gloss, moved.extra) == ("ghi chú", "ASH", {"row": "7"})
    # A changed concept id drops the concept gloss, which named the old concept.
    form["senses"][1]["concept_id"] = "1"
    form["senses"][0]["key"], form["senses"][1]["key"] = str(entry.senses[0].id), str(moved.id)
    workflow.save_entry(db, person(db, "editor"), entry, form, entry.version)
    db.commit()
    assert entry.senses[1].concept_gloss is None and entry.senses[1].gloss_note == "ghi chú"


def test_sources_and_licences(db):
    from dictionary.models import Source

    db.add(Source(key="testsrc", citation="Test source", license="CC-BY-4.0"))
    db.commit()
    own = workflow.create_entry(db, person(db, "editor"), language(db), CONTENT,
                                curated_license="CC-BY-SA-4.0")
    cited = workflow.create_entry(db, person(db, "editor"), language(db),
                                  {**CONTENT, "source": "testsrc"})
    db.commit()
    assert (own.source, own.license) == (None, "CC-BY-SA-4.0")
    assert (cited.source.key, cited.license) == ("testsrc", "CC-BY-4.0")
    workflow.save_entry(db, person(db, "editor"), cited, {**CONTENT, "source": ""}, cited.version)
    db.commit()
    assert (cited.source, cited.license) == (None, "")
