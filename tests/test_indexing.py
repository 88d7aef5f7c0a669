"""Index kept in step with the database: outbox at flush, apply after commit, nothing on
rollback, rebuild/update/check — with a real SQLite file and a real Whoosh index."""
from __future__ import annotations

import fcntl
import threading
import time

import pytest
from sqlalchemy import func, select

from dictionary.db import get_db
from dictionary.indexing import index_service
from dictionary import outbox
from dictionary.models import DRAFT, Entry, Example, IndexQueue, Language, Sense, Variant
from search_index.query import PREFIX_SLOTS
from search_index.store import LOCK
from search_index.tables import row_slots

# Synthetic forms only (never real Hrê/Co words).
FORMS = ["zabok", "zʼbơ̆k", "zimlu", "zoŋat", "zupra", "zekka"]


def _lang(s, code="hre") -> Language:
    return s.scalar(select(Language).where(Language.code == code))


def add_entry(s, headword, gloss, code="hre", example=None, variant=None) -> Entry:
    e = Entry(headword=headword, language=_lang(s, code))
    sense = Sense(gloss_vi=gloss, position=0)
    if example:
        sense.examples.append(Example(text=example[0], translation_vi=example[1]))
    e.senses.append(sense)
    if variant:
        e.variants.append(Variant(form=variant))
    s.add(e)
    return e


def ids_for(app, query, langs=("hre", "cua")) -> list[str]:
    state = index_service()
    return [h.id for h in state.index.search(query, list(langs), state.rules, 20).hits]


def exact_ids(app, query) -> list[str]:
    state = index_service()
    hits = state.index.search(query, ["hre", "cua"], state.rules, 20).hits
    return [h.id for h in hits if h.tier == "exact"]


def index_snapshot(index) -> dict:
    """Everything the index holds for its live documents, keyed by entry id: stored fields,
    and every key of the lookup tables with the places and documents it finds."""
    view = index.view()
    reader = index.searcher().reader()
    snap: dict = {"stored": {f["id"]: f for _, f in reader.iter_docs()}}
    for strict in range(3):
        keys = {key for tables, _, _ in view.leaves for key in tables.rows[strict]}
        snap[strict] = {(key, slot, view.hit(d)[0])
                        for key in keys for slot in row_slots(view.row(strict, key))
                        for d in view.postings(strict, slot, key)}
    return snap


@pytest.fixture
def live(app):
    with app.app_context():
        index_service().rebuild()  # an empty index to start from
        yield app


def test_commit_reaches_search_and_assigns_public_id(live):
    with get_db().transaction() as s:
        e = add_entry(s, "zabok", "hòa bình")
    assert e.public_id == "hre-000001"
    assert ids_for(live, "hoa binh") == ["hre-000001"]
    assert ids_for(live, "zabok") == ["hre-000001"]
    with get_db().Session() as s:
        assert s.scalar(select(func.count(IndexQueue.id))) == 0  # the queue was applied


def test_rolled_back_edit_never_appears(live):
    db = get_db()
    with db.Session() as s:
        add_entry(s, "zimlu", "thủy")
        s.flush()  # the entry is queued inside the transaction (its row is written at commit)...
        assert s.info[outbox.PENDING] == {"hre-000001"}
        s.rollback()  # ...and the rollback forgets it
        assert outbox.PENDING not in s.info and "index_dirty" not in s.info
    with db.Session() as s:
        assert s.scalar(select(func.count(IndexQueue.id))) == 0
        assert s.scalar(select(func.count(Entry.id))) == 0
    assert ids_for(live, "zimlu") == [] and ids_for(live, "thuy") == []


def test_failed_transaction_leaves_index_untouched(live):
    with get_db().transaction() as s:
        add_entry(s, "zupra", "khỏe")
    with pytest.raises(RuntimeError):
        with get_db().transaction() as s:
            e = s.scalar(select(Entry))
            e.senses[0].gloss_vi = "đường"
            s.flush()
            raise RuntimeError("the editor's request failed after the flush")
    assert ids_for(live, "khoe") == ["hre-000001"]
    assert ids_for(live, "duong") == []


def test_live_index_equals_rebuilt_index(live, tmp_path):
    db = get_db()
    with db.transaction() as s:
        for i, form in enumerate(FORMS):
            add_entry(s, form, ["hòa bình", "thủy", "khỏe", "đường", "tiếng", "nước"][i],
                      code="hre" if i % 2 else "cua",
                      example=(f"{form} zo", "câu ví dụ") if i % 3 == 1 else None,
                      variant=f"{form}h" if i == 2 else None)
    with db.transaction() as s:
        entries = {e.headword: e for e in s.scalars(select(Entry))}
        entries["zabok"].headword = "zabuk"  # a headword edit
        entries["zimlu"].senses[0].gloss_vi = "núi; đồi"  # a sense edit (entry untouched)
        entries["zimlu"].senses.append(Sense(gloss_vi="rừng", position=1))
        entries["zoŋat"].variants.clear()
        s.delete(entries["zupra"])  # a deletion
        entries["zekka"].status = DRAFT  # unpublished: must leave the public index
    live_snapshot = index_snapshot(index_service().index)

    state = index_service()
    state.index.close()
    state.rebuild()
    rebuilt_snapshot = index_snapshot(state.index)

    assert live_snapshot == rebuilt_snapshot
    assert set(live_snapshot["stored"]) == {e.public_id for e in entries.values()
                                            if e.headword not in ("zupra", "zekka")}
    zimlu, zabok, zekka = entries["zimlu"], entries["zabok"], entries["zekka"]
    assert ids_for(live, "rung") == [zimlu.public_id]
    assert exact_ids(live, "zabuk") == [zabok.public_id] and exact_ids(live, "zabok") == []
    assert zekka.public_id not in ids_for(live, "zekka")


def test_busy_writer_leaves_queue_for_later(live):
    """A process that cannot get the writer lock (another holds it, or it dies before
    indexing) loses nothing: the queue row stays until a writer applies it."""
    state = index_service()
    state.timeout = 0.2
    with open(state.index.path / LOCK, "a+") as other:  # another open file = another holder
        fcntl.flock(other, fcntl.LOCK_EX)
        with get_db().transaction() as s:
            add_entry(s, "zekka", "tiếng")
        fcntl.flock(other, fcntl.LOCK_UN)
    with get_db().Session() as s:
        assert s.scalar(select(func.count(IndexQueue.id))) == 1
    assert ids_for(live, "tieng") == []
    assert state.process_queue() == 1
    assert ids_for(live, "tieng") == ["hre-000001"]


def test_concurrent_writers_wait_instead_of_failing(live):
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            with live.app_context(), get_db().transaction() as s:
                add_entry(s, f"zo{i}ba", "nước")
        except BaseException as exc:  # noqa: BLE001 - any failure fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ids_for(live, "nuoc")) == 6


def test_check_update_rebuild_commands(live):
    runner = live.test_cli_runner()
    with get_db().transaction() as s:
        add_entry(s, "zabok", "hòa bình")
        add_entry(s, "zimlu", "thủy")
    assert runner.invoke(args=["search", "check"]).exit_code == 0

    index = index_service().index
    with index.write_lock(1):  # drift: the index loses a document behind our back
        index.write([], ["hre-000002"])
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and "1 missing" in result.output

    result = runner.invoke(args=["search", "update"])
    assert result.exit_code == 0 and "1 missing" in result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert ids_for(live, "thuy") == ["hre-000002"]

    first = (index.path / "CURRENT").read_text()
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "2 entries indexed" in result.output
    assert (index.path / "CURRENT").read_text() != first  # a new generation was swapped in
    assert ids_for(live, "hoa binh") == ["hre-000001"]
    assert len(list(index.path.glob("gen-*"))) <= 2  # older generations are cleaned up


def test_healthz_reports_stale_index(live):
    client = live.test_client()
    with get_db().transaction() as s:
        add_entry(s, "zabok", "hòa bình")
    assert client.get("/healthz").get_json()["index"]["state"] == "fresh"
    index = index_service().index
    with index.write_lock(1):
        index.write([], ["hre-000001"])
    body = client.get("/healthz").get_json()
    assert body["entries"] == 1 and body["index"] == {"documents": 0, "queued": 0,
                                                       "state": "stale"}


def test_lookup_tables_and_fuzzy_maps_are_warmed_up_at_start(live):
    from dictionary import create_app

    with get_db().transaction() as s:
        add_entry(s, "zabok", "hòa bình")
    warm = create_app({**live.config, "INDEX_WARM_UP": True})
    with warm.app_context():
        state = index_service()
        words = state.index._vocabularies["hw"].words
        deadline = time.monotonic() + 10
        while "hre:zabok" not in words and time.monotonic() < deadline:
            time.sleep(0.01)  # the thread may already be done, or still building
            words = state.index._vocabularies["hw"].words
        assert "hre:zabok" in words
        state.started.join(10)
        segments = list(state.index._tables._segments.values())
        assert segments, "the lookup tables were not built"
        for tables in segments:  # prefix walks will not sort on the first query either
            assert set(tables._sorted) == set(PREFIX_SLOTS)
        state.index.close()
        get_db().engine.dispose()


def test_a_starting_process_applies_what_a_crashed_one_left_queued(live):
    """Edits committed by a process that died before indexing them reach search when the
    next process starts, with no curator writing anything."""
    from dictionary import create_app

    # A session without the index hooks' state commits and queues, but never indexes:
    # exactly what a process killed between its commit and the index write leaves.
    crashed = get_db().Session(info={"index_state": None})
    with crashed, crashed.begin():
        for form in FORMS:
            add_entry(crashed, form, "hòa bình")
    assert ids_for(live, "zabok") == []
    before = live.test_client().get("/healthz").get_json()
    assert before["status"] == "degraded" and before["index"]["queued"] == len(FORMS)

    restarted = create_app({**live.config, "INDEX_DRAIN_AT_START": True})
    with restarted.app_context():
        state = index_service()
        state.started.join(30)
        assert not state.started.is_alive()
        assert exact_ids(restarted, "zabok") == ["hre-000001"]
        assert len(ids_for(restarted, "hoa binh")) == len(FORMS)
        after = restarted.test_client().get("/healthz").get_json()
        assert after["status"] == "ok" and after["index"]["queued"] == 0
    # After the context: its session gives its connection back first, so none is left open.
    from conftest import get_state_close
    get_state_close(restarted)


def test_setup_recomputes_derived_keys_when_the_rules_change(tmp_path):
    """A new collation tailoring changes sort keys and browse letters of entries nobody
    edited; `setup` notices the changed rules file and recomputes them."""
    import shutil

    from conftest import DATA, get_state_close, make_app
    from dictionary import derive
    from search_index.collation import sort_key

    ortho = tmp_path / "orthography"
    shutil.copytree(DATA / "orthography", ortho)
    app = make_app(tmp_path / "instance", ORTHOGRAPHY_DIR=str(ortho))
    assert app.test_cli_runner().invoke(args=["setup"]).exit_code == 0
    with app.app_context(), get_db().Session() as s:
        entry = s.scalar(select(Entry).where(Entry.public_id == "hre-000008"))  # gam
        before = entry.sort_key
    get_state_close(app)

    toml = ortho / "hre.toml"
    toml.write_text(toml.read_text().replace('tailoring = ""', 'tailoring = "&a < g"'))
    derive.rules_in.cache_clear()  # a restarted process reads the files again
    app = make_app(tmp_path / "instance", ORTHOGRAPHY_DIR=str(ortho))
    result = app.test_cli_runner().invoke(args=["setup"])
    assert result.exit_code == 0 and "recomputed" in result.output
    with app.app_context(), get_db().Session() as s:
        entry = s.scalar(select(Entry).where(Entry.public_id == "hre-000008"))
        assert entry.sort_key != before
        assert entry.sort_key == sort_key(entry.headword, index_service().rules["hre"])
    get_state_close(app)
    derive.rules_in.cache_clear()


def test_setup_rebuilds_an_index_of_an_older_format(live, monkeypatch):
    """After an upgrade that changes the index schema, `make run` (setup) must not serve
    from the old index: it sees the format differs and rebuilds."""
    from search_index import store

    runner = live.test_cli_runner()
    with get_db().transaction() as s:
        add_entry(s, "zabok", "hòa bình")
    assert runner.invoke(args=["setup"]).exit_code == 0  # bundled data imported, stamped
    index = index_service().index
    assert index.is_current()
    old_generation = (index.path / "CURRENT").read_text()

    newer = store.schema

    def upgraded_schema():  # what the next version of the code would write
        s = newer()
        s.add("added_in_a_later_version", store.fields.STORED())
        return s

    monkeypatch.setattr(store, "schema", upgraded_schema)
    assert not index.is_current()
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0
    assert "created" not in result.output  # nothing re-imported: only the index rebuilt
    assert "Search index: 404 entries indexed." in result.output
    assert index.is_current() and (index.path / "CURRENT").read_text() != old_generation
    assert ids_for(live, "hoa binh") == ["hre-000001"]
