"""Import batches and their revert, on real files: every confirmed import is one
``ImportBatch`` whose revisions carry its id, and ``revert_batch`` undoes it as a whole or
not at all. Also the command line: ``import-lexicon --status``, ``import-batches``,
``revert-import``.

Real SQLite file and a real Whoosh index in tmp_path. Hrê/Co tokens are made up
(``zatok``, ``bơ̆nxa``); they are not real words.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dictionary import REPO_ROOT
from dictionary.db import get_db
from dictionary.curation.import_batches import RevertRefused, revert_batch
from dictionary.curation.importer import ImportFailed, import_lexicon
from dictionary.indexing import index_service
from dictionary.models import Entry, ImportBatch, IndexQueue, Revision, User
from dictionary.revisions import record

from conftest import add_users, get_state_close, make_app

DATA = REPO_ROOT / "data"
FIXTURES = REPO_ROOT / "tests" / "fixtures"

BASE = ("id,headword,vietnamese,english,source\n"
        "z1,zatok,nhà,house,nhomthu\n"
        "z2,bơ̆nxa,đi,to go,nhomthu\n")
CHANGED = ("id,headword,vietnamese,english,source\n"
           "z1,zatok,ngôi nhà,house,nhomthu\n"      # updated
           "z2,bơ̆nxa,đi,to go,nhomthu\n"           # unchanged
           "z3,kelop,đẹp,beautiful,nhomthu\n")      # created


@pytest.fixture
def capp(tmp_path, data_dir):
    """An empty dictionary with a built (empty) index, so commits reach search."""
    app = make_app(tmp_path / "instance", DATA_DIR=str(data_dir))
    with app.app_context():
        index_service().rebuild()
    yield app
    get_state_close(app)


def write(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(app, path, lang="hre", **options):
    with app.app_context(), get_db().Session() as s:
        user = options.pop("user", None)
        if user is not None:
            user = s.scalar(select(User).where(User.email == user))
        return import_lexicon(s, path, lang, user=user, **options)


def revert(app, batch_id, email=None):
    with app.app_context(), get_db().Session() as s:
        user = s.scalar(select(User).where(User.email == email)) if email else None
        return revert_batch(s, batch_id, user, author="test")


def counts(app) -> tuple[int, int, int]:
    with app.app_context(), get_db().Session() as s:
        return tuple(s.scalar(select(func.count(m.id))) for m in (Entry, Revision, ImportBatch))


def state(app, public_id: str) -> dict:
    with app.app_context(), get_db().Session() as s:
        e = s.scalars(select(Entry).where(Entry.public_id == public_id)).one()
        return {"status": e.status, "homograph": e.homograph, "source_key": e.source_key,
                "reviewed": e.reviewed, "glosses": [x.gloss_vi for x in e.senses]}


def searched(app, q: str) -> list[str]:
    response = app.test_client().get("/api/v1/search", query_string={"q": q, "lang": "hre"})
    assert response.status_code == 200
    return [r["id"] for r in response.get_json()["results"]]


# ---- the batch ------------------------------------------------------------------------------
def test_a_confirmed_import_is_one_batch_signed_by_its_user(capp, tmp_path):
    users = add_users(capp)
    report = run(capp, write(tmp_path, "moi.csv", BASE), user=users["editor"])
    assert (report.format, report.created, report.status, report.batch_id) == (
        "curated", 2, "draft", 1)
    with capp.app_context(), get_db().Session() as s:
        batch = s.get(ImportBatch, 1)
        editor = s.scalar(select(User).where(User.email == users["editor"]))
        assert (batch.user_id, batch.author, batch.file_name, batch.format, batch.lang,
                batch.encoding) == (editor.id, users["editor"], "moi.csv", "curated", "hre",
                                    "utf-8")
        assert batch.counts == {"entries": 2, "created": 2, "updated": 0, "unchanged": 0,
                                "renumbered": 0, "new_status": "draft"}
        assert batch.reverted_at is None
        revisions = s.scalars(select(Revision).order_by(Revision.id)).all()
        assert [(r.batch_id, r.user_id, r.author, r.summary) for r in revisions] == [
            (1, editor.id, users["editor"], "created")] * 2
    # Curated work is a draft by default: not public, not searchable.
    assert state(capp, "hre-000001")["status"] == "draft"
    assert searched(capp, "zatok") == []


def test_status_of_new_entries(capp, tmp_path):
    path = write(tmp_path, "moi.csv", BASE)
    assert run(capp, path, status="in_review").status == "in_review"
    assert {state(capp, p)["status"] for p in ("hre-000001", "hre-000002")} == {"in_review"}
    # Existing entries keep their status, whatever the import asks for new ones.
    report = run(capp, write(tmp_path, "moi.csv", CHANGED), status="published")
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert state(capp, "hre-000001")["status"] == "in_review"
    assert state(capp, "hre-000003")["status"] == "published"
    assert searched(capp, "kelop") == ["hre-000003"]
    with pytest.raises(ValueError):
        run(capp, path, status="deleted")
    # The starter format is published (unreviewed) by default, as before.
    assert run(capp, DATA / "hre_starter.csv", dry_run=True).status == "published"


def test_dry_runs_and_failures_write_no_batch(capp, tmp_path):
    report = run(capp, write(tmp_path, "moi.csv", BASE), dry_run=True)
    assert (report.created, report.batch_id) == (2, None)
    with pytest.raises(ImportFailed):
        run(capp, write(tmp_path, "bad.csv", BASE + "z4,,trống,,nhomthu\n"))
    assert counts(capp) == (0, 0, 0)


def test_an_import_that_changes_nothing_is_still_recorded(capp, tmp_path):
    path = write(tmp_path, "moi.csv", BASE)
    run(capp, path)
    again = run(capp, path)
    assert (again.unchanged, again.batch_id) == (2, 2)
    assert counts(capp) == (2, 2, 2)  # no revision for unchanged entries


def test_report_lists_the_fields_the_file_fills(capp, tmp_path):
    report = run(capp, FIXTURES / "curated.csv", dry_run=True)
    assert dict(report.fields) == {
        "headword": 3, "part_of_speech": 3, "gloss_vi": 3, "gloss_en": 3, "semantic_field": 2,
        "example": 2, "variant": 1, "note": 1, "source": 3}
    assert report.ignored_columns == ["comment"] and report.samples == []


# ---- revert ---------------------------------------------------------------------------------
def test_revert_restores_the_state_before_the_batch(capp, tmp_path):
    users = add_users(capp)
    first = run(capp, write(tmp_path, "moi.csv", BASE), status="published")
    assert searched(capp, "zatok") == ["hre-000001"]
    before = state(capp, "hre-000001")
    second = run(capp, write(tmp_path, "moi.csv", CHANGED), status="published")
    assert [(r.action, r.public_id) for r in second.rows] == [
        ("updated", "hre-000001"), ("unchanged", "hre-000002"), ("created", "hre-000003")]
    assert searched(capp, "kelop") == ["hre-000003"]
    assert searched(capp, "ngoi nha") == ["hre-000001"]

    report = revert(capp, second.batch_id, users["reviewer"])
    assert (report.deleted, report.restored) == (["hre-000003"], ["hre-000001"])
    assert state(capp, "hre-000001") == before
    kelop = state(capp, "hre-000003")
    assert (kelop["status"], kelop["source_key"]) == ("deleted", None)
    # Search and the public pages follow (the outbox was applied after the commit).
    assert searched(capp, "kelop") == [] and searched(capp, "ngoi nha") == []
    assert searched(capp, "zatok") == ["hre-000001"]
    client = capp.test_client()
    assert client.get("/entry/hre-000003").status_code == 404
    assert client.get("/entry/hre-000001").status_code == 200
    with capp.app_context(), get_db().Session() as s:
        batch = s.get(ImportBatch, second.batch_id)
        assert batch.reverted_by == users["reviewer"] and batch.reverted_at is not None
        assert s.get(ImportBatch, first.batch_id).reverted_at is None
        latest = s.scalars(select(Revision).where(Revision.entry_public_id == "hre-000001")
                           .order_by(Revision.id.desc())).first()
        assert (latest.summary, latest.batch_id, latest.author) == (
            "reverted import 2", None, users["reviewer"])
        assert latest.snapshot["senses"][0]["gloss_vi"] == "nhà"
        assert s.scalar(select(func.count(IndexQueue.id))) == 0

    # A corrected file creates the reverted entry anew (the deleted one keeps its id).
    third = run(capp, write(tmp_path, "moi.csv", CHANGED), status="published")
    assert [(r.action, r.public_id) for r in third.rows][2] == ("created", "hre-000004")


def test_revert_restores_homograph_numbers(capp, data_dir, tmp_path):
    run(capp, FIXTURES / "homographs.csv")
    numbers = {p: state(capp, p)["homograph"] for p in ("hre-000001", "hre-000002", "hre-000003")}
    more = run(capp, write(tmp_path, "more.csv", "id,headword,vietnamese,source\n"
                                                 "a0,zatok,cột nhà,nhomthu\n"))
    assert more.renumbered == ["hre-000001", "hre-000002"]
    report = revert(capp, more.batch_id)
    assert report.deleted == ["hre-000004"]
    assert sorted(report.restored) == ["hre-000001", "hre-000002"]
    assert {p: state(capp, p)["homograph"] for p in numbers} == numbers


def test_revert_is_refused_when_an_entry_changed_after_the_batch(capp, tmp_path):
    first = run(capp, write(tmp_path, "moi.csv", BASE), status="published")
    second = run(capp, write(tmp_path, "moi.csv", CHANGED), status="published")
    with capp.app_context(), get_db().Session() as s:  # a curator edits the entry later
        e = s.scalars(select(Entry).where(Entry.public_id == "hre-000001")).one()
        e.note = "sửa tay"
        later = record(s, e, "updated", author="linguist@example.test")
        s.commit()
        later_id = later.id
    before = counts(capp), state(capp, "hre-000001"), state(capp, "hre-000003")
    with pytest.raises(RevertRefused) as info:
        revert(capp, second.batch_id)
    [conflict] = info.value.conflicts
    assert (conflict.public_id, conflict.headword, conflict.reason) == (
        "hre-000001", "zatok", "changed after the import")
    assert [(rid, author, summary) for rid, _, author, summary in conflict.later] == [
        (later_id, "linguist@example.test", "updated")]
    assert "hre-000001 (zatok): changed after the import" in str(info.value)
    assert "nothing was reverted" in info.value.message
    # All or nothing: the new entry of the batch was not deleted either.
    assert (counts(capp), state(capp, "hre-000001"), state(capp, "hre-000003")) == before
    with capp.app_context(), get_db().Session() as s:
        assert s.get(ImportBatch, second.batch_id).reverted_at is None
    # The first batch is blocked too: its entry was changed by the second one since.
    with pytest.raises(RevertRefused) as info:
        revert(capp, first.batch_id)
    assert [c.public_id for c in info.value.conflicts] == ["hre-000001"]


def test_revert_is_refused_when_an_entry_changed_without_a_revision(capp, tmp_path):
    batch = run(capp, write(tmp_path, "moi.csv", BASE)).batch_id
    with capp.app_context(), get_db().Session() as s:
        s.scalars(select(Entry).where(Entry.public_id == "hre-000002")).one().status = "published"
        s.commit()
    with pytest.raises(RevertRefused) as info:
        revert(capp, batch)
    assert [(c.public_id, c.reason) for c in info.value.conflicts] == [
        ("hre-000002", "changed after the import without a revision")]


def test_a_batch_is_reverted_once(capp, tmp_path):
    batch = run(capp, write(tmp_path, "moi.csv", BASE)).batch_id
    assert revert(capp, batch).deleted == ["hre-000001", "hre-000002"]
    after = counts(capp)
    with pytest.raises(RevertRefused, match=r"import 1 was already reverted on .* by test"):
        revert(capp, batch)
    with pytest.raises(RevertRefused, match="there is no import 99"):
        revert(capp, 99)
    assert counts(capp) == after


# ---- the command line -----------------------------------------------------------------------
def cli(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def test_cli_import_with_status_list_and_revert(capp, tmp_path):
    users = add_users(capp)
    path = write(tmp_path, "moi.csv", BASE)
    result = cli(capp, "import-lexicon", str(path), "--lang", "hre", "--status", "in_review",
                 "--user", users["editor"])
    assert result.exit_code == 0, result.output
    assert "New entries are in_review." in result.output
    assert "Import batch 1 (undo it with: flask --app dictionary revert-import 1)" in result.output
    assert state(capp, "hre-000001")["status"] == "in_review"
    assert cli(capp, "import-lexicon", str(path), "--lang", "hre", "--status",
               "deleted").exit_code == 2
    assert cli(capp, "import-lexicon", str(path), "--lang", "hre", "--user",
               "nobody@example.test").exit_code == 1

    changed = write(tmp_path, "moi.csv", CHANGED)
    assert cli(capp, "import-lexicon", str(changed), "--lang", "hre").exit_code == 0
    assert state(capp, "hre-000003")["status"] == "draft"  # the curated default

    listing = cli(capp, "import-batches")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].split()[0] == "2" and "1 created, 1 updated, 1 unchanged  moi.csv" in lines[0]
    assert f"({users['editor']})" in lines[1] and "(import:moi.csv)" in lines[0]
    data = json.loads(cli(capp, "import-batches", "--json").output)
    assert [(b["id"], b["counts"]["created"], b["reverted_at"]) for b in data] == [
        (2, 1, None), (1, 2, None)]

    # Batch 1 is blocked by batch 2 (which changed zatok since); batch 2 reverts.
    refused = cli(capp, "revert-import", "1")
    assert refused.exit_code == 1
    assert "hre-000001 (zatok): changed after the import" in refused.output
    assert "reverted import" not in refused.output
    done = cli(capp, "revert-import", "2", "--user", users["reviewer"])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == ("Import 2 reverted: 1 entries it created were deleted, "
                                   "1 entries it changed were restored.")
    assert cli(capp, "revert-import", "2").exit_code == 1
    assert "reverted" in cli(capp, "import-batches").output.splitlines()[0]
    assert cli(capp, "revert-import", "1").exit_code == 0
    assert {state(capp, p)["status"] for p in ("hre-000001", "hre-000002", "hre-000003")} == {
        "deleted"}
