"""The dictionary announces what happens to entries (``dictionary.signals``), inside the
transaction that makes the change, so packages built on it (lessons, audio) can follow
saves, deletes, merges and reverted imports without the dictionary importing them."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import select

from dictionary.curation import quality, workflow
from dictionary import signals
from dictionary.db import get_db
from dictionary.curation.import_batches import revert_batch
from dictionary.curation.importer import import_lexicon
from dictionary.models import Entry, Language, User, ZeroResultQuery

from conftest import get_state_close, make_app

CONTENT = {"headword": "zơ̆tok", "senses": [{"gloss_vi": "cây gậy"}], "variants": []}
ALL = ("entry_saved", "entry_deleted", "entries_merged", "batch_reverted")


@contextmanager
def heard():
    """Every signal sent while inside, as (name, sender, keyword arguments)."""
    events: list[tuple[str, object, dict]] = []
    receivers = {name: (lambda sender, _name=name, **kw: events.append((_name, sender, kw)))
                 for name in ALL}
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver)
    try:
        yield events
    finally:
        for name, receiver in receivers.items():
            getattr(signals, name).disconnect(receiver)


@pytest.fixture
def db(app, users):
    with app.app_context(), get_db().Session() as s:
        yield s


def person(s, role: str) -> User:
    return s.scalar(select(User).where(User.email == f"{role}@example.test"))


def hre(s) -> Language:
    return s.scalar(select(Language).where(Language.code == "hre"))


def test_every_workflow_change_is_announced_with_its_session(db):
    editor, admin = person(db, "editor"), person(db, "admin")
    with heard() as events:
        entry = workflow.create_entry(db, editor, hre(db), CONTENT)
        workflow.save_entry(db, editor, entry, {**CONTENT, "headword": "zơ̆tɔk"}, None)
        workflow.submit(db, admin, entry)
        workflow.publish(db, admin, entry)
        workflow.delete(db, admin, entry)
        workflow.undelete(db, admin, entry)
        db.commit()
    assert [(name, kw["summary"]) for name, _, kw in events] == [
        ("entry_saved", "created"), ("entry_saved", "updated"), ("entry_saved", "submitted"),
        ("entry_saved", "published"), ("entry_deleted", "deleted"),
        ("entry_saved", "restored")]
    assert all(sender is entry and kw["session"] is db for _, sender, kw in events)
    assert events[0][2]["user"] is editor and entry.public_id == "hre-000001"


def test_a_receiver_writes_in_the_same_transaction(db):
    """What a receiver adds is committed with the entry, and rolled back with it."""
    def follow(sender, session, **_):
        session.add(ZeroResultQuery(query=f"followed {sender.headword}", lang="hre"))

    signals.entry_saved.connect(follow)
    try:
        workflow.create_entry(db, person(db, "editor"), hre(db), CONTENT)
        db.rollback()
        assert db.scalar(select(ZeroResultQuery.query)) is None
        assert db.scalar(select(Entry.id)) is None
        workflow.create_entry(db, person(db, "editor"), hre(db), CONTENT)
        db.commit()
    finally:
        signals.entry_saved.disconnect(follow)
    assert db.scalars(select(ZeroResultQuery.query)).all() == ["followed zơ̆tok"]


def test_a_merge_says_which_sense_stands_for_which(db):
    editor, reviewer = person(db, "editor"), person(db, "reviewer")
    keep = workflow.create_entry(db, editor, hre(db), {
        "headword": "zatok", "senses": [{"gloss_vi": "con chó"}], "variants": []})
    other = workflow.create_entry(db, editor, hre(db), {
        "headword": "zatọk", "senses": [{"gloss_vi": "con chó"}, {"gloss_vi": "chạy"}],
        "variants": []})
    db.commit()
    same, moved = other.senses
    with heard() as events:
        quality.merge_entries(db, keep, [other], user=reviewer)
        db.commit()
    assert [(name, sender.public_id) for name, sender, _ in events] == [
        ("entry_deleted", other.public_id), ("entry_saved", keep.public_id),
        ("entries_merged", keep.public_id)]
    merged = events[-1][2]
    assert merged["merged"] == [other] and merged["user"] is reviewer
    assert merged["senses"] == {same.id: keep.senses[0].id, moved.id: moved.id}
    assert moved.entry is keep
    # The same by public sense ids: the folded sense stands at keep's first, the moved one
    # became keep's second.
    assert merged["refs"] == {f"{other.public_id}/1": f"{keep.public_id}/1",
                              f"{other.public_id}/2": f"{keep.public_id}/2"}


def test_imports_and_reverted_imports_are_announced(tmp_path, data_dir):
    app = make_app(tmp_path / "instance", DATA_DIR=str(data_dir))
    path = tmp_path / "words.csv"
    path.write_text("id,headword,vietnamese,source\nz1,zatok,nhà,nhomthu\n"
                    "z2,bơ̆nxa,đi,nhomthu\n", encoding="utf-8")
    try:
        with app.app_context(), get_db().Session() as s, heard() as events:
            report = import_lexicon(s, path, "hre")
            assert [(n, e.public_id, kw["summary"]) for n, e, kw in events] == [
                ("entry_saved", "hre-000001", "created"), ("entry_saved", "hre-000002", "created")]
            events.clear()
            revert_batch(s, report.batch_id, None, author="test")
            names = [name for name, _, _ in events]
            assert names == ["entry_deleted", "entry_deleted", "batch_reverted"]
            assert events[-1][1] == report.batch_id
            assert events[-1][2]["public_ids"] == ["hre-000001", "hre-000002"]
    finally:
        get_state_close(app)


def test_nothing_is_announced_when_nothing_happens(db):
    with heard() as events:
        entry = workflow.create_entry(db, person(db, "editor"), hre(db), CONTENT)
        db.commit()
        events.clear()
        assert not workflow.save_entry(db, person(db, "editor"), entry, CONTENT, entry.version)
    assert events == []
