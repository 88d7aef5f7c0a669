"""Real linguists' LIFT files import as they are (issue 14): the files of
``../shared/data/realdata/`` (FieldWorks 8.0.9–9.0.17, WeSay/LanguageForge, ELAN; MIT, see
its SOURCES.md; never copied into the project), through the real importer into a real
SQLite database. Their writing systems are FieldWorks' own (``seh``, ``qaa``,
``gsl-Qaaa-x-orth``), their glosses English, French, Portuguese, Tok Pisin: the headword's
writing system is found or mapped, other languages' glosses are kept, senses without a
Vietnamese gloss come in as drafts that cannot be published until glossed, a new source is
declared with the import, and a file whose only problem is an entry can import the rest.

These files are test data only, imported into a throw-away database under the language
code ``hre`` because the importer needs one of ours; none of it is Hrê.
"""
from __future__ import annotations

import gzip
import re

import pytest
from sqlalchemy import func, select

from dictionary.curation import workflow
from dictionary.curation.import_sources import NewSource
from dictionary.curation.importer import ImportFailed, import_lexicon
from dictionary.db import get_db
from dictionary.formats.records import ImportMapping
from dictionary.models import DRAFT, Entry, Example, Sense, Source, User
from realdata import REALDATA

DECLARED = NewSource("realdata", "Public LIFT test files (sillsdev, pylift); MIT", "MIT")


def read(name: str) -> bytes:
    path = REALDATA / name
    if name.endswith(".gz"):
        return gzip.decompress(path.read_bytes())
    return path.read_bytes()


def in_source(data: bytes) -> tuple[int, int, int]:
    """Entries (not marked deleted), senses (subsenses too) and examples, counted on the
    file's text."""
    text = data.decode("utf-8")
    entries = re.findall(r"<entry\b[^>]*>", text)
    live = [e for e in entries if "dateDeleted" not in e]
    return len(live), len(re.findall(r"<(?:sub)?sense\b", text)), len(re.findall(r"<example\b", text))


def run(app, name: str, **options):
    data = read(name)
    with app.app_context(), get_db().Session() as s:
        return import_lexicon(s, None, "hre", data=data, file_name=name.removesuffix(".gz"),
                              new_source=options.pop("new_source", DECLARED),
                              data_dir=app.config["DATA_DIR"], **options)


def stored(app) -> tuple[int, int, int, set[str]]:
    with app.app_context(), get_db().Session() as s:
        return (s.scalar(select(func.count(Entry.id))), s.scalar(select(func.count(Sense.id))),
                s.scalar(select(func.count(Example.id))),
                set(s.scalars(select(Entry.status).distinct())))


@pytest.fixture
def app(app, data_dir):
    app.config["DATA_DIR"] = str(data_dir)
    return app


# (file, headword writing system the dry run finds, examples that have a form in it)
FILES = [
    ("Resembli.lift", "ags"), ("RWC.lift", "es"), ("FlexLiftExport.lift", "qaa"),
    ("lift_with_semantic_domain.lift", "tww"), ("AllFLExFields.lift", "th"),
    ("tha-food.lift", "th"), ("SingleEntryLiftWithSound.lift", "ptn"),
    ("ElanLift.lift", "tuwari"), ("Sena.lift.gz", "seh"),
]


@pytest.mark.parametrize("name, headword_ws", FILES)
def test_a_real_lift_file_imports_as_it_is(app, name, headword_ws):
    entries, senses, _ = in_source(read(name))
    report = run(app, name)
    assert report.created == entries
    roles = {row["code"]: row["role"] for row in report.writing_systems}
    assert roles[headword_ws] == "headword"
    assert any(f'writing system "{headword_ws}"' in w.message for w in report.warnings)
    count, stored_senses, _, statuses = stored(app)
    assert count == entries and statuses == {DRAFT}  # no Vietnamese gloss: drafts
    assert stored_senses <= senses  # (a deleted entry's senses are counted in the file)
    assert stored_senses >= entries - 10  # entries without a sense are few and told


def test_sena_keeps_its_glosses_and_citation_forms(app):
    report = run(app, "Sena.lift.gz")
    assert report.created == 1462
    with app.app_context(), get_db().Session() as s:
        kept = s.scalars(select(Sense).where(Sense.gloss_en.is_not(None))).all()
        assert len(kept) > 1400
        portuguese = [x for x in s.scalars(select(Sense)) if (x.extra or {}).get("glosses")]
        assert len(portuguese) > 1400 and all(set(x.extra["glosses"]) <= {"pt"}
                                               for x in portuguese)
        assert s.scalar(select(Source).where(Source.key == "realdata")).license == "MIT"
    unknown = next(w for w in report.warnings if w.column == "grammatical-info")
    assert "Verbo (" in unknown.message and unknown.message.count("first on lines") == 1


def test_gusillaay_imports_its_valid_entries_when_asked_to_skip_the_one_without_a_form(app):
    with pytest.raises(ImportFailed) as refused:
        run(app, "Gusillaay.lift.gz", dry_run=True)
    failed = refused.value
    assert (failed.skippable, failed.valid) == (1, 8045)
    assert [str(p) for p in failed.errors] == [
        'line 45523, column "lexical-unit": no headword (no <lexical-unit> or <citation> form)']
    assert {r["code"]: r["role"] for r in failed.writing_systems}["gsl-qaaa-x-orth"] == "headword"
    report = run(app, "Gusillaay.lift.gz", skip_invalid=True)
    assert report.created == 8045 and report.batch_id is not None
    assert any("1 entries with the problems below are skipped" in w.message
               for w in report.warnings)
    assert stored(app)[0] == 8045


def test_a_mapping_names_the_writing_systems_and_the_source_remembers_it(app):
    mapping = ImportMapping(ws={"th": "headword", "th-fonipa": "phonetic", "en": "ignore"})
    report = run(app, "tha-food.lift", mapping=mapping, remember_mapping=True, dry_run=True)
    roles = {row["code"]: (row["role"], row["mapped"]) for row in report.writing_systems}
    assert roles == {"th": ("headword", True), "th-fonipa": ("phonetic", True),
                     "en": ("ignore", True)}
    assert not any("writing system" in w.message for w in report.warnings)  # nothing guessed
    run(app, "tha-food.lift", mapping=mapping, remember_mapping=True)
    with app.app_context(), get_db().Session() as s:
        source = s.scalar(select(Source).where(Source.key == "realdata"))
        assert source.import_mapping["ws"] == mapping.ws
        assert s.scalar(select(func.count(Sense.id)).where(Sense.gloss_en.is_not(None))) == 0
    # The next import of that source, naming no mapping, reads the file the same way.
    again = run(app, "tha-food.lift", new_source=None, source="realdata", dry_run=True)
    assert {row["code"]: row["mapped"] for row in again.writing_systems}["en"] is True


def test_a_headword_in_no_known_writing_system_says_how_to_map_it(app):
    data = read("SingleEntryLiftWithSound.lift").replace(b'lang="ptn"', b'lang="ptn-fonipa"')
    with app.app_context(), get_db().Session() as s, pytest.raises(ImportFailed) as refused:
        import_lexicon(s, None, "hre", data=data.replace(b'lang="fr"', b'lang="ptn"'),
                       file_name="x.lift", new_source=DECLARED, data_dir=app.config["DATA_DIR"])
    assert "--ws ptn-fonipa=headword" in str(refused.value) or "--ws ptn=headword" in \
        str(refused.value)
    assert refused.value.writing_systems


@pytest.mark.parametrize("new, message", [
    (NewSource("Real Data", "x", "MIT"), "may hold only small letters"),
    (NewSource("realdata", "", "MIT"), "needs its citation"),
    (NewSource("realdata", "x", "free for all"), "not a licence identifier"),
    (NewSource("nhomthu", "x", "MIT"), "exists already"),
])
def test_a_declared_source_is_checked(app, new, message):
    with pytest.raises(ImportFailed, match=message):
        run(app, "RWC.lift", new_source=new, dry_run=True)
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(Source).where(Source.key == new.key.casefold())) is None or \
            new.key == "nhomthu"


def test_the_dry_run_declares_nothing_and_an_entry_without_a_gloss_cannot_be_published(app):
    run(app, "RWC.lift", dry_run=True)
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(Source).where(Source.key == "realdata")) is None
    run(app, "RWC.lift")
    from conftest import add_users

    add_users(app)
    with app.app_context(), get_db().Session() as s:
        reviewer = s.scalar(select(User).where(User.email == "reviewer@example.test"))
        entry = s.scalars(select(Entry).order_by(Entry.id)).first()
        entry.status = "in_review"
        s.commit()
        with pytest.raises(workflow.NotGlossed):
            workflow.publish(s, reviewer, entry, entry.version)


def test_the_command_line_maps_writing_systems_markers_and_declares_the_source(app, tmp_path):
    runner = app.test_cli_runner()
    declare = ["--source", "realdata", "--source-citation", "Public test files",
               "--source-license", "MIT"]
    (tmp_path / "tha.lift").write_bytes(read("tha-food.lift"))
    result = runner.invoke(args=["import-lexicon", str(tmp_path / "tha.lift"), "--lang", "hre",
                                 *declare, "--ws", "th=headword", "--ws", "th-fonipa=phonetic",
                                 "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Writing systems (map one with --ws CODE=ROLE):" in result.output
    assert re.search(r"th-fonipa\s+phonetic \(mapped\)\s+lexical-unit 30", result.output)
    bad = runner.invoke(args=["import-lexicon", str(tmp_path / "tha.lift"), "--lang", "hre",
                              *declare, "--ws", "th=owner"])
    assert bad.exit_code == 2 and "the role must be one of" in bad.output
    (tmp_path / "markers.toml").write_text('[markers]\ngn = "gloss:id"\n', encoding="utf-8")
    mdf = runner.invoke(args=["import-lexicon", str(REALDATA / "MDFSampl.db"), "--lang", "hre",
                              *declare, "--markers", str(tmp_path / "markers.toml")])
    assert mdf.exit_code == 0, mdf.output
    assert "64 created" in mdf.output and "cp1252" in mdf.output
    (tmp_path / "bad.toml").write_text('[markers]\ngn = "glossary"\n', encoding="utf-8")
    wrong = runner.invoke(args=["import-lexicon", str(REALDATA / "MDFSampl.db"), "--lang",
                                "hre", "--source", "realdata", "--markers",
                                str(tmp_path / "bad.toml")])
    assert wrong.exit_code == 2 and 'unknown meaning "glossary"' in wrong.output
