"""New entries of an import are written as rows (``import_bulk``), not ORM objects, and the
database comes out the same: every table, row for row (times aside), as the ORM path
writes it, for real linguists' files, a second import that creates and updates and
renumbers homographs at once, and the revert of that batch. Each created entry's revision
holds exactly ``revisions.entry_snapshot`` of the entry read back, whatever fields the
model has (the comparison is over all columns and all tables, not a list of fields)."""
from __future__ import annotations

import datetime as dt
import gzip
import re

import pytest
from sqlalchemy import DateTime, select

from dictionary.curation import import_bulk, import_plan
from dictionary.curation.import_batches import revert_batch
from dictionary.curation.import_sources import NewSource
from dictionary.curation.importer import import_lexicon
from dictionary.db import get_db
from dictionary.formats.records import ImportMapping
from dictionary.indexing import index_service
from dictionary.models import Base, Entry, Revision
from dictionary.revisions import entry_snapshot
from conftest import get_state_close, make_app
from realdata import REALDATA

DECLARED = NewSource("realdata", "Public LIFT test files (sillsdev, pylift); MIT", "MIT")
ENTRY = re.compile(rb"<entry[\s>].*?</entry>\s*", re.S)


def read(name: str) -> bytes:
    data = (REALDATA / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def cut(data: bytes, n: int) -> bytes:
    """The file with its first ``n`` entries only."""
    entries = list(ENTRY.finditer(data))
    return data[:entries[0].start()] + b"".join(m.group(0) for m in entries[:n]) + \
        data[entries[-1].end():]


def dump(app) -> dict[str, list[dict]]:
    """Every row of every table, by primary key, without its date-time columns."""
    with app.app_context(), get_db().Session() as s:
        out = {}
        for table in Base.metadata.sorted_tables:
            if table.name == "index_node":  # named after each instance's index folder
                continue
            cols = [c for c in table.columns if not isinstance(c.type, DateTime)]
            out[table.name] = [dict(r._mapping) for r in s.execute(
                select(*cols).order_by(*table.primary_key.columns))]
        return out


def run(app, data: bytes, name: str, **options):
    with app.app_context(), get_db().Session() as s:
        return import_lexicon(s, None, "hre", data=data, file_name=name,
                              data_dir=app.config["DATA_DIR"], **options)


def snapshots_hold_what_is_stored(app, batch_id: int) -> int:
    """Each revision of the batch holds ``entry_snapshot`` of its entry as stored now."""
    with app.app_context(), get_db().Session() as s:
        revisions = s.scalars(select(Revision).where(Revision.batch_id == batch_id)).all()
        for rev in revisions:
            entry = s.scalar(select(Entry).where(Entry.public_id == rev.entry_public_id))
            assert rev.snapshot == entry_snapshot(entry), rev.entry_public_id
        return len(revisions)


@pytest.fixture
def two(tmp_path, data_dir, monkeypatch):
    """Two empty dictionaries: one written by the bulk path, one by the ORM path."""
    apps = {}
    for bulk in (True, False):
        apps[bulk] = make_app(tmp_path / f"bulk-{bulk}", DATA_DIR=str(data_dir))
        with apps[bulk].app_context():
            index_service().rebuild()  # an empty index: the outbox has one to apply to
    written = []
    real_write = import_bulk.NewEntries.write

    def counting(self):
        done = real_write(self)
        written.extend(done)
        return done

    monkeypatch.setattr(import_bulk.NewEntries, "write", counting)
    yield apps, written
    for app in apps.values():
        get_state_close(app)


def both(apps, monkeypatch, data: bytes, name: str, **options) -> dict[bool, object]:
    reports = {}
    for bulk, app in apps.items():
        monkeypatch.setattr(import_plan, "BULK", bulk)
        reports[bulk] = run(app, data, name, **options)
    return reports


FILES = [("AllFLExFields.lift", {"th": "headword"}), ("FlexLiftExport.lift", {}),
         ("tha-food.lift", {}), ("Sena.lift.gz", {"seh": "headword", "en": "gloss"})]


@pytest.mark.parametrize("name, ws", FILES)
def test_a_real_file_writes_the_same_rows_in_bulk_as_through_the_orm(two, monkeypatch,
                                                                     name, ws):
    apps, written = two
    options = {"new_source": DECLARED, "mapping": ImportMapping(ws=ws) if ws else None}
    reports = both(apps, monkeypatch, read(name), name, **options)
    assert reports[True].created == reports[False].created == len(written) > 0
    assert dump(apps[True]) == dump(apps[False])
    assert snapshots_hold_what_is_stored(apps[True], reports[True].batch_id) == len(written)


def test_creating_updating_renumbering_and_reverting_at_once_is_the_same(two, monkeypatch):
    apps, written = two
    full = read("Sena.lift.gz")
    options = {"new_source": DECLARED, "mapping": ImportMapping(ws={"seh": "headword"})}
    both(apps, monkeypatch, cut(full, 700), "Sena.lift", **options)
    # The second file leaves out the first 500 entries, changes glosses of stored ones,
    # adds entries, one of them with the headword of a stored entry it leaves out (which
    # is renumbered as a homograph).
    entries = list(ENTRY.finditer(full))
    changed = full[:entries[0].start()] + b"".join(m.group(0) for m in entries[500:]) + \
        full[entries[-1].end():]
    changed = changed.replace(b"<text>be</text>", b"<text>be (changed)</text>")
    first = re.search(rb'<lexical-unit>\s*<form lang="seh"><text>([^<]+)</text>',
                      entries[0].group(0))
    twin = (b'<entry id="twin" guid="00000000-0000-4000-8000-000000000001">'
            b'<lexical-unit><form lang="seh"><text>' + first.group(1) + b'</text></form>'
            b'</lexical-unit><sense><gloss lang="en"><text>twin</text></gloss></sense>'
            b'</entry>\n')
    changed = changed.replace(b"</lift>", twin + b"</lift>")
    options["new_source"] = None
    options["source"] = "realdata"
    written.clear()
    reports = both(apps, monkeypatch, changed, "Sena.lift", **options)
    report = reports[True]
    assert report.created == 1462 - 700 + 1 == len(written)
    assert report.updated > 0 and report.renumbered
    assert dump(apps[True]) == dump(apps[False])
    snapshots_hold_what_is_stored(apps[True], report.batch_id)
    for app, r in zip(apps.values(), reports.values()):
        with app.app_context(), get_db().Session() as s:
            revert_batch(s, r.batch_id, None, author="test")
    assert dump(apps[True]) == dump(apps[False])


def test_published_entries_written_in_bulk_are_queued_and_indexed(two, monkeypatch,
                                                                  data_dir):
    apps, written = two
    rows = ["id,headword,vietnamese,source"] + [f"z{i},zatok{i % 7},nhà {i},nhomthu"
                                                for i in range(40)]
    data = ("\n".join(rows) + "\n").encode()
    reports = both(apps, monkeypatch, data, "words.csv", status="published")
    assert reports[True].created == 40 == len(written)
    assert dump(apps[True]) == dump(apps[False])
    for app in apps.values():
        with app.app_context():
            assert index_service().index.doc_count() == 40
            assert index_service().compare().clean  # the queue was applied: nothing stale


def test_lesson_items_follow_the_entries_an_import_writes(app, data_dir):
    """Every written entry is announced with its ``Entry``: an item waiting for a public id
    the import hands out comes back, one pointing at a sense the entry lacks is retired
    (the receiver reads the items of a whole step at once, ``signals.announcing``)."""
    from dictionary import sense_ids
    from lessons.models import Course, Lesson, LessonItem, Unit

    app.config["DATA_DIR"] = str(data_dir)
    with app.app_context(), get_db().Session() as s:
        course = Course(key="thu", language_code="hre", title="Khoá thử")
        unit = Unit(course=course, key="u1", title="Bài thử", position=0)
        lesson = Lesson(unit=unit, key="l1", title="Bài 1", course=course)
        s.add_all([course, unit, lesson])
        s.flush()
        for i, ref in enumerate(["hre-000003/1", "hre-000004/2"]):
            s.add(LessonItem(lesson=lesson, key=ref, ref=ref, position=i,
                             entry_public_id=sense_ids.parse(ref).public_id,
                             retired_at=dt.datetime(2026, 1, 1), retired_reason="waiting"))
        s.commit()
    rows = ["id,headword,vietnamese,source"] + [f"z{i},zatok{i},nhà {i},nhomthu"
                                                for i in range(1, 6)]
    report = run(app, ("\n".join(rows) + "\n").encode(), "words.csv", status="published")
    assert report.created == 5
    with app.app_context(), get_db().Session() as s:
        items = {i.key: i for i in s.scalars(select(LessonItem))}
        assert items["hre-000003/1"].retired_at is None
        assert items["hre-000004/2"].retired_at is not None
        assert items["hre-000004/2"].retired_reason == "the entry has no sense 2"


def test_a_state_the_model_cannot_take_by_name_goes_through_the_orm(two, monkeypatch):
    """A key of the entry state that is neither a column nor a child table (a field the
    state gained before the model did) is not guessed at: those entries are written as
    ORM objects, as before the bulk path, and the result is the same."""
    apps, written = two
    real = import_plan.parsed_state
    monkeypatch.setattr(import_plan, "parsed_state",
                        lambda p: {**real(p), "not_a_column": "x"})
    options = {"new_source": DECLARED, "mapping": ImportMapping(ws={"th": "headword"})}
    reports = both(apps, monkeypatch, read("AllFLExFields.lift"), "AllFLExFields.lift",
                   **options)
    assert reports[True].created > 0 and written == []
    assert dump(apps[True]) == dump(apps[False])


def test_the_queue_reads_entries_as_rows_that_give_the_same_documents(app, data_dir,
                                                                      tmp_path):
    """``indexing.load_rows`` (the outbox) gives the published entries in ``_load``'s order,
    and ``entry_doc`` makes the same document of a row as of the ORM entry."""
    import sys

    from dictionary import REPO_ROOT, indexing

    sys.path.insert(0, str(REPO_ROOT / "bench"))
    import import_bench

    import_bench.synthetic(300, tmp_path / "words.lift")
    app.config["DATA_DIR"] = str(data_dir)
    run(app, (tmp_path / "words.lift").read_bytes(), "words.lift", status="published",
        mapping=ImportMapping(ws=import_bench.SYNTHETIC_WS),
        new_source=DECLARED)
    with app.app_context(), get_db().Session() as s:
        rows = indexing.load_rows(s, Entry.id > 0)
        entries = indexing._load(s, Entry.id > 0)
        assert len(rows) == len(entries) == 300
        assert [indexing.entry_doc(r) for r in rows] == [indexing.entry_doc(e) for e in entries]
