"""Our LIFT export is a backup (issue 14 §5): imported into an empty dictionary it gives the
same dictionary back — public ids, status (published stays published), homograph numbers,
source and licence (the sources travel in the file's header) — and exporting that
dictionary again gives the same file, byte for byte.

The bundled starter lexicons and a synthetic curated file (made-up tokens, source
``nhomthu``, which the receiving dictionary does not know) are the data.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import get_state_close, make_app
from dictionary.auth import create_user
from dictionary.curation import workflow
from dictionary.curation.export import export_chunks
from dictionary.curation.importer import import_lexicon
from dictionary.db import get_db
from dictionary.models import Entry, Language, Source
from test_exporter import SYNTHETIC, run_import


@pytest.fixture
def source_app(bundled_copy, data_dir, tmp_path):
    path = tmp_path / "synthetic.csv"
    path.write_text(SYNTHETIC, encoding="utf-8")
    run_import(bundled_copy, path, "hre", data_dir)
    with bundled_copy.app_context(), get_db().Session() as s:
        s.scalars(select(Entry).where(Entry.headword == "zatok")).first().status = "in_review"
        s.commit()
    return bundled_copy


@pytest.fixture
def empty_app(tmp_path):
    app = make_app(tmp_path / "empty" / "instance")
    yield app
    get_state_close(app)


def lift_of(app, lang: str) -> bytes:
    with app.app_context(), get_db().Session() as s:
        return b"".join(export_chunks(s, "lift", lang, everything=True))


def snapshot(app, lang: str) -> dict[str, tuple]:
    with app.app_context(), get_db().Session() as s:
        return {e.public_id: (e.headword, e.status, e.homograph, e.source.key, e.license,
                              [(x.gloss_vi, x.gloss_en) for x in e.senses])
                for e in s.scalars(select(Entry).join(Entry.language)
                                   .where(Entry.language.has(code=lang)))}


@pytest.mark.parametrize("lang", ["hre", "cua"])
def test_the_lift_export_restores_the_dictionary_and_exports_the_same_file(
        source_app, empty_app, tmp_path, lang):
    first = lift_of(source_app, lang)
    assert b'<range id="tudien-sources">' in first and b'name="status"' in first
    with empty_app.app_context(), get_db().Session() as s:
        report = import_lexicon(s, None, lang, data=first, file_name="backup.lift",
                                status="published")
    before, after = snapshot(source_app, lang), snapshot(empty_app, lang)
    assert report.created == len(before)
    assert after == before  # ids, statuses, homographs, sources, licences, glosses
    if lang == "hre":
        assert any(status == "in_review" for _, status, *_ in after.values())
        assert any(number for _, _, number, *_ in after.values())  # homographs kept
        with empty_app.app_context(), get_db().Session() as s:
            carried = s.scalar(select(Source).where(Source.key == "nhomthu"))
            assert (carried.citation, carried.license) == ("Synthetic test source.",
                                                           "CC-BY-4.0")
    assert lift_of(empty_app, lang) == first
    # A new entry in the restored dictionary gets the next number, never a restored one.
    with empty_app.app_context(), get_db().Session() as s:
        admin = create_user(s, "admin@example.test", "correct horse battery", "admin")
        language = s.scalar(select(Language).where(Language.code == lang))
        made = workflow.create_entry(s, admin, language, {
            "headword": "zyxxo", "senses": [{"gloss_vi": "thử"}], "variants": []})
        s.commit()
        assert made.public_id not in before
        assert int(made.public_id.split("-")[1]) > max(int(p.split("-")[1]) for p in before)


def test_a_draft_import_of_a_published_backup_makes_drafts(source_app, empty_app):
    first = lift_of(source_app, "cua")
    with empty_app.app_context(), get_db().Session() as s:
        import_lexicon(s, None, "cua", data=first, file_name="backup.lift")
    assert {status for _, status, *_ in snapshot(empty_app, "cua").values()} == {"draft"}


def test_revisions_people_made_travel_with_the_backup(source_app, empty_app):
    """Who changed an entry, when and how comes back from the backup (the import's own
    revisions are bookkeeping and stay out of the file); exported again it is the same
    file, and reverting the restoring import takes them away with the entries."""
    from dictionary.curation.import_batches import revert_batch
    from dictionary.models import Revision

    with source_app.app_context(), get_db().Session() as s:
        editor = create_user(s, "linh@example.test", "correct horse battery", "reviewer")
        entry = s.scalars(select(Entry).where(Entry.headword == "zatok")).first()
        workflow.publish(s, editor, entry, comment="checked with the speakers")
        s.commit()
        public_id = entry.public_id
        made = s.scalar(select(Revision.created_at).where(
            Revision.entry_public_id == public_id, Revision.author == "linh@example.test"))
    first = lift_of(source_app, "hre")
    assert first.count(b'name="tudien-revision"') == 1  # imports' own revisions stay out
    assert b'who="linh@example.test"' in first
    with empty_app.app_context(), get_db().Session() as s:
        report = import_lexicon(s, None, "hre", data=first, file_name="backup.lift",
                                status="published")
    with empty_app.app_context(), get_db().Session() as s:
        history = s.scalars(select(Revision).where(Revision.entry_public_id == public_id)
                            .order_by(Revision.id)).all()
        assert [(r.author, r.summary) for r in history] == [
            ("import:backup.lift", "created"), ("linh@example.test", "published")]
        assert history[1].created_at == made.replace(microsecond=0)
        assert history[1].comment == "restored from backup.lift"
    assert lift_of(empty_app, "hre") == first
    with empty_app.app_context(), get_db().Session() as s:
        revert_batch(s, report.batch_id)
    with empty_app.app_context(), get_db().Session() as s:
        assert s.scalar(select(Entry.status).where(Entry.public_id == public_id)) == "deleted"
