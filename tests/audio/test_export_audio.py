"""Exports carry the recordings that may leave the server, with their speaker and licence:
the LIFT-with-recordings zip (``lift-media``: the .lift file, ``audio/<uuid>.mp3`` and
``audio/SPEAKERS.csv``) and the CLDF dataset (a MediaTable, ``Media_IDs``), through the
export page and the ``export`` command. Only recordings a reviewer published, whose consent is
active and covers open exports, of published entries: a withdrawal takes a clip out of the
next export at once, and plain LIFT and CSV name no recording at all.

The recordings are real (intake → worker with ffmpeg → review); their audio is a synthetic
tone, nobody's voice. Hrê/Co tokens (``zatok``, ``bơ̆nxa``) are made up.
"""
from __future__ import annotations

import csv
import hashlib
import io
import logging
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest
from pycldf import Dictionary
from pycldf.media import MediaTable
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

import make_recordings
from dictionary.audio import consent, intake, jobs
from dictionary.audio.exports import media_for_export
from dictionary.audio.models import PENDING, Recording
from dictionary.curation.export import FORMATS, export_chunks
from dictionary.db import get_db
from dictionary.formats import WRITERS
from dictionary.formats.lift_audio import entry_audio, example_audio
from dictionary.formats.lift_out import export_lift
from dictionary.formats.media import MediaFile
from dictionary.models import Entry, Example, Language, Sense, Source
from test_admin_export import cli, editor_client, eapp, export  # noqa: F401 (eapp: fixture)

ALL_USES = ("web", "lessons", "exports")
LABEL = "Người nói thử · CC-BY-4.0"  # make_recordings' speaker and licence


# ---- helpers --------------------------------------------------------------------------------
def public_id(app, headword: str) -> str:
    with app.app_context(), get_db().Session() as s:
        return s.scalar(select(Entry.public_id).where(Entry.headword == headword))


def recording(app, uuid: str) -> Recording:
    with app.app_context(), get_db().Session() as s:
        row = s.scalar(select(Recording).where(Recording.uuid == uuid))
        s.expunge(row)
        return row


def playback_bytes(app, uuid: str) -> bytes:
    return make_recordings.media_file(app, recording(app, uuid).playback_path).read_bytes()


def waiting_for_review(app, target: str) -> str:
    """A recording processed by the worker but not yet reviewed (its speaker agreed to
    exports: only the review is missing)."""
    with app.app_context(), get_db().Session() as s:
        entry = s.scalar(select(Entry).where(Entry.public_id == target.split("/")[0]))
        editor = make_recordings.account(s, "ghi-am@example.test", "editor")
        person = make_recordings.speaker(s, entry.language.code, scopes=ALL_USES)
        clip = intake.accept(s, editor, target=target, speaker=person, file=FileStorage(
            io.BytesIO(make_recordings.tone_wav(hz=550)), filename="cho.wav"))
        s.commit()
        uuid = clip.uuid
    jobs.run_pending(app)
    assert recording(app, uuid).status == PENDING
    return uuid


def withdraw_consent_of(app, uuid: str) -> None:
    with app.app_context(), get_db().Session() as s:
        clip = s.scalar(select(Recording).where(Recording.uuid == uuid))
        assert consent.withdraw(s, clip.consent, "the speaker asked") == 1
        s.commit()


def unzip(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def speakers(files: dict[str, bytes]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files["audio/SPEAKERS.csv"].decode("utf-8-sig"))))


def lift_entry(lift: bytes, public: str) -> ET.Element:
    root = DET.fromstring(lift, forbid_dtd=True)
    return next(e for e in root.iter("entry") if e.get("id") == public)


@pytest.fixture
def clips(eapp):
    """On zatok: a word recording and one of its example, both for open exports. On bơ̆nxa:
    one for the web and lessons only, one whose consent was withdrawn, one waiting for
    review."""
    zatok, bonxa = public_id(eapp, "zatok"), public_id(eapp, "bơ̆nxa")
    found = {
        "word": make_recordings.published(eapp, zatok, scopes=ALL_USES),
        "example": make_recordings.published(eapp, f"{zatok}/1/1", scopes=ALL_USES,
                                             audio=make_recordings.tone_wav(hz=660)),
        "web only": make_recordings.published(eapp, bonxa, scopes=("web", "lessons")),
        "withdrawn": make_recordings.published(eapp, bonxa, scopes=ALL_USES,
                                               audio=make_recordings.tone_wav(hz=330)),
        "pending": waiting_for_review(eapp, bonxa),
    }
    withdraw_consent_of(eapp, found["withdrawn"])
    return zatok, bonxa, found


# ---- LIFT with recordings -------------------------------------------------------------------
def test_the_lift_media_zip_carries_consented_recordings_with_speaker_and_licence(eapp, clips):
    zatok, bonxa, uuid = clips
    client = editor_client(eapp)
    response = export(client, "lift-media")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].endswith('.zip"')
    files = unzip(response.get_data())
    word, example = f"audio/{uuid['word']}.mp3", f"audio/{uuid['example']}.mp3"
    assert set(files) == {"tudien-hre.lift", "audio/SPEAKERS.csv", word, example}
    assert files[word] == playback_bytes(eapp, uuid["word"])
    assert files[example] == playback_bytes(eapp, uuid["example"])

    lift = files["tudien-hre.lift"]
    entry = lift_entry(lift, zatok)
    media = entry.find("pronunciation/media")
    assert media.get("href") == word
    assert media.find("label/form").get("lang") == "vi"
    assert media.find("label/form/text").text == LABEL
    form = entry.find("sense/example/form[@lang='hre-Zxxx-x-audio']")
    assert form.find("text").text == example
    # What our own LIFT reader takes from it: the same files, the example's by its place.
    assert [a.href for a in entry_audio(entry)] == [word]
    assert [(a.href, a.example) for a in example_audio(entry.find("sense/example"), 1, 1)] == [
        (example, (1, 1))]
    # Nothing of bơ̆nxa's clips: not for exports, withdrawn, not reviewed.
    assert lift_entry(lift, bonxa).find("pronunciation") is None
    body = b"".join(files.values())
    for left_out in ("web only", "withdrawn", "pending"):
        assert uuid[left_out].encode() not in body, left_out

    rows = speakers(files)
    assert [(r["file"], r["target"]) for r in rows] == [(word, zatok),
                                                        (example, f"{zatok}/1/1")]
    for row, key in zip(rows, ("word", "example")):
        clip = recording(eapp, uuid[key])
        assert (row["speaker"], row["license"]) == ("Người nói thử", "CC-BY-4.0")
        assert row["speaker_id"].startswith("spk-") and row["attribution"] == ""
        assert int(row["duration_ms"]) == clip.duration_ms > 0
    assert len({r["speaker_id"] for r in rows}) == 2  # one speaker per recording here


def test_a_withdrawal_takes_a_recording_out_of_the_next_export_at_once(eapp, clips):
    zatok, _, uuid = clips
    client = editor_client(eapp)
    assert f"audio/{uuid['word']}.mp3" in unzip(export(client, "lift-media").get_data())
    withdraw_consent_of(eapp, uuid["word"])
    files = unzip(export(client, "lift-media").get_data())
    assert set(files) == {"tudien-hre.lift", "audio/SPEAKERS.csv",
                          f"audio/{uuid['example']}.mp3"}
    assert lift_entry(files["tudien-hre.lift"], zatok).find("pronunciation") is None
    assert [r["file"] for r in speakers(files)] == [f"audio/{uuid['example']}.mp3"]


def test_plain_lift_and_csv_name_no_recording(eapp):
    client = editor_client(eapp)
    before = {fmt: export(client, fmt).get_data() for fmt in ("lift", "csv")}
    zatok = public_id(eapp, "zatok")
    uuid = make_recordings.published(eapp, zatok, scopes=ALL_USES)
    after = {fmt: export(client, fmt).get_data() for fmt in ("lift", "csv")}
    assert after == before
    assert b"<media" not in after["lift"] and uuid.encode() not in after["lift"]
    # Handed the recordings, the same writer names them; handed none, not a byte changes.
    with eapp.app_context(), get_db().Session() as s:
        media = media_for_export(s, "hre")
        assert list(media) == [zatok]
        assert b"".join(export_chunks(s, "lift", "hre", False)) == before["lift"]
    assert FORMATS["lift"].extension == "lift" and WRITERS["lift"] is export_lift


def test_without_recordings_the_zip_holds_the_lift_and_an_empty_list(eapp, tmp_path,
                                                                     monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    files = unzip(export(editor_client(eapp), "lift-media", lang="cua").get_data())
    assert list(scratch.iterdir()) == []  # the temporary directory went with the stream
    assert set(files) == {"tudien-cua.lift", "audio/SPEAKERS.csv"}
    lift = files["tudien-cua.lift"]
    assert "tơmul".encode() in lift and b"<media" not in lift
    assert speakers(files) == []


# ---- which recordings: media_for_export ------------------------------------------------------
def test_media_for_export_by_language_and_without_missing_files(eapp, clips, caplog):
    zatok, _, uuid = clips
    with eapp.app_context(), get_db().Session() as s:
        media = media_for_export(s, "hre")
        assert {t: [f.id for f in files] for t, files in media.items()} == {
            zatok: [uuid["word"]], f"{zatok}/1/1": [uuid["example"]]}
        word = media[zatok][0]
        assert (word.speaker, word.license, word.media_type) == ("Người nói thử", "CC-BY-4.0",
                                                                 "audio/mpeg")
        assert word.path.read_bytes() == playback_bytes(eapp, uuid["word"])
        assert media_for_export(s, "all") == media and media_for_export(s, "cua") == {}
        word.path.unlink()  # drift: the file went missing behind the database's back
        with caplog.at_level(logging.WARNING, logger="dictionary.audio.exports"):
            assert list(media_for_export(s, "hre")) == [f"{zatok}/1/1"]
    assert uuid["word"] in caplog.text and "missing" in caplog.text


# ---- CLDF -----------------------------------------------------------------------------------
def test_the_cldf_dataset_has_a_media_table_and_validates(eapp, clips, tmp_path, caplog):
    zatok, bonxa, uuid = clips
    response = export(editor_client(eapp), "cldf", lang="all")
    assert response.status_code == 200
    body = response.get_data()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "out")
    word, example = (f"cldf/media/{uuid[k]}.mp3" for k in ("word", "example"))
    assert {word, example, "cldf/media.csv"} <= names
    assert not any(uuid[k] in n for n in names for k in ("web only", "withdrawn", "pending"))
    folder = tmp_path / "out" / "cldf"
    dataset = Dictionary.from_metadata(folder / "Dictionary-metadata.json")
    caplog.clear()  # (the login was logged)
    with caplog.at_level(logging.INFO):
        assert dataset.validate(log=logging.getLogger("cldf-validate"))
    assert caplog.records == []  # not even a warning
    media = {r["ID"]: r for r in dataset["MediaTable"]}
    assert set(media) == {uuid["word"], uuid["example"]}
    row = media[uuid["word"]]
    assert (row["Media_Type"], row["Speaker"], row["License"]) == (
        "audio/mpeg", "Người nói thử", "CC-BY-4.0")
    assert row["Speaker_ID"].startswith("spk-")
    assert row["Duration_ms"] == recording(eapp, uuid["word"]).duration_ms
    assert row["Download_URL"].unsplit() == f"media/{uuid['word']}.mp3"
    readable = {f.id: f for f in MediaTable(dataset)}  # pycldf follows Download_URL
    for key in ("word", "example"):
        assert readable[uuid[key]].read() == playback_bytes(eapp, uuid[key])
    entries = {r["ID"]: r for r in dataset["EntryTable"]}
    assert entries[zatok]["Media_IDs"] == [uuid["word"]] and entries[bonxa]["Media_IDs"] == []
    examples = {r["ID"]: r for r in dataset["ExampleTable"]}
    assert examples[f"{zatok}-1-1"]["Media_IDs"] == [uuid["example"]]
    column = dataset["EntryTable"].get_column("Media_IDs")
    assert column.propertyUrl.uri == "http://cldf.clld.org/v1.0/terms.rdf#mediaReference"


def test_cldf_without_recordings_has_no_media_table(eapp):
    files = unzip(export(editor_client(eapp), "cldf", lang="all").get_data())
    assert "cldf/media.csv" not in files and not any("/media/" in n for n in files)
    assert b"Media_IDs" not in files["cldf/Dictionary-metadata.json"]


# ---- the page and the command ---------------------------------------------------------------
def test_the_export_page_offers_lift_with_recordings(eapp):
    page = editor_client(eapp).get("/admin/export").get_data(as_text=True)
    assert 'value="lift-media"' in page
    assert "LIFT with recordings (a zip: the .lift file and its audio folder)" in page
    assert "their speaker agreed to open exports" in page


def test_cli_exports_lift_with_recordings(eapp, clips, tmp_path):
    zatok, _, uuid = clips
    out = tmp_path / "hre.zip"
    result = cli(eapp, "export", "--format", "lift-media", "--lang", "hre", str(out))
    assert result.exit_code == 0, result.output
    files = unzip(out.read_bytes())
    assert files[f"audio/{uuid['word']}.mp3"] == playback_bytes(eapp, uuid["word"])
    assert f'href="audio/{uuid["word"]}.mp3"'.encode() in files["tudien-hre.lift"]
    assert list(tmp_path.glob(".hre.zip.*")) == []
    assert cli(eapp, "export", "--format", "lift-media", "--lang", "xyz", str(out)
               ).exit_code == 2


# ---- LIFT kept from an import: its own sound-file references ---------------------------------
KEPT_ENTRY = (
    '<entry id="zatok_1"><?slot pos?><lexical-unit><?slot headword?>'
    '<form lang="hre"><text>zatok</text></form>'
    '<form lang="hre-Zxxx-x-audio"><text>zatok.wav</text></form></lexical-unit>'
    '<pronunciation><?slot pronunciation?><form lang="hre-fonipa"><text>za.tok</text></form>'
    '<media href="AudioVisual/zatok.wav"/><field type="cv-pattern"><form lang="en">'
    '<text>CVCVC</text></form></field></pronunciation><?slot senses?></entry>')
KEPT_SENSE = (
    '<sense><?slot gloss_vi?><gloss lang="vi"><text>nhà</text></gloss><?slot example?>'
    '<example><?slot text?><form lang="hre"><text>zatok bơ̆nxa</text></form>'
    '<form lang="hre-Zxxx-x-audio"><text>AudioVisual/cau.wav</text></form></example></sense>')


def kept_entry() -> Entry:
    return Entry(
        public_id="hre-000001", headword="zatok", form_kind="orthographic",
        pronunciation="za.tok", license="CC-BY-4.0", extra={"lift": KEPT_ENTRY},
        language=Language(code="hre"), source=Source(key="nhomthu"),
        senses=[Sense(gloss_vi="nhà", extra={"lift": KEPT_SENSE},
                      examples=[Example(text="zatok bơ̆nxa")])])


def clip(uuid: str, target: str) -> MediaFile:
    return MediaFile(id=uuid, target=target, path=Path("unused.mp3"), speaker="Y Bình",
                     speaker_id="spk-0001", license="CC0-1.0", attribution="Y Bình, Làng thử",
                     duration_ms=900)


def test_kept_sound_file_references_give_way_to_the_exported_recordings():
    word = "0b6e3f1c-5d2a-4c1e-9f00-1a2b3c4d5e01"
    said = "5d2c7a10-8e3b-4f2d-a111-2b3c4d5e6f02"
    plain = b"".join(export_lift([kept_entry()]))
    assert b"AudioVisual/zatok.wav" in plain and b"AudioVisual/cau.wav" in plain  # as kept
    data = b"".join(export_lift([kept_entry()], media={
        "hre-000001": [clip(word, "hre-000001")],
        "hre-000001/1/1": [clip(said, "hre-000001/1/1")]}))
    assert b".wav" not in data
    entry = lift_entry(data, "zatok_1")
    assert entry.find("lexical-unit/form[@lang='hre-Zxxx-x-audio']") is None
    box, = entry.findall("pronunciation")  # the IPA's, with the recording after its form
    assert [c.tag for c in box] == ["form", "media", "field"]
    assert box.find("form/text").text == "za.tok"
    assert box.find("media").get("href") == f"audio/{word}.mp3"
    assert box.find("media/label/form/text").text == "Y Bình · CC0-1.0"
    forms = entry.findall("sense/example/form")
    assert [(f.get("lang"), f.find("text").text) for f in forms] == [
        ("hre", "zatok bơ̆nxa"), ("hre-Zxxx-x-audio", f"audio/{said}.mp3")]


def test_a_new_pronunciation_holds_the_ipa_and_the_recordings():
    entry = Entry(public_id="hre-000002", headword="bơ̆nxa", form_kind="orthographic",
                  pronunciation="bə̆n.sa", language=Language(code="hre"),
                  senses=[Sense(gloss_vi="đi")])
    plain = b"".join(export_lift([entry]))
    assert b"".join(export_lift([entry], media={})) == plain
    uuids = ["0b6e3f1c-5d2a-4c1e-9f00-1a2b3c4d5e01", "5d2c7a10-8e3b-4f2d-a111-2b3c4d5e6f02"]
    data = b"".join(export_lift([entry], media={
        "hre-000002": [clip(u, "hre-000002") for u in uuids]}))
    box, = lift_entry(data, "hre-000002").findall("pronunciation")
    assert [c.tag for c in box] == ["form", "media", "media"]
    assert [m.get("href") for m in box.findall("media")] == [f"audio/{u}.mp3" for u in uuids]


def test_the_lift_media_zip_imports_again_with_its_recordings(eapp, clips, tmp_path):
    """Export → import into an empty dictionary: the .lift file and the zip itself as the
    archive of recordings; every exported recording finds its entry or example again (by
    the file's own references), and waits for review there."""
    from conftest import get_state_close, make_app
    from dictionary.curation.import_runs import import_with_audio

    zatok, _, uuid = clips
    body = export(editor_client(eapp), "lift-media").get_data()
    files = unzip(body)
    lift = next(name for name in files if name.endswith(".lift"))
    (tmp_path / "back.lift").write_bytes(files[lift])
    other = make_app(tmp_path / "other", DATA_DIR=eapp.config["DATA_DIR"])
    try:
        with other.app_context(), get_db().Session() as s:
            make_recordings.speaker(s, "hre", scopes=ALL_USES)
            s.commit()
        with other.app_context(), get_db().Session() as s:
            report, plan = import_with_audio(s, tmp_path / "back.lift", "hre", audio=body,
                                             speaker="spk-0001",
                                             data_dir=other.config["DATA_DIR"])
        assert {(m.how, m.file) for m in plan.matches} == {
            ("reference", f"audio/{uuid['word']}.mp3"),
            ("reference", f"audio/{uuid['example']}.mp3")}
        assert sorted(plan.unmatched) == ["audio/SPEAKERS.csv", lift] and plan.recordings == 2
        with other.app_context(), get_db().Session() as s:
            new = s.scalar(select(Entry.public_id).where(Entry.headword == "zatok"))
            rows = {r.target: r.original_sha256 for r in s.scalars(select(Recording))}
        assert set(rows) == {new, f"{new}/1/1"}
        assert rows[new] == hashlib.sha256(files[f"audio/{uuid['word']}.mp3"]).hexdigest()
    finally:
        get_state_close(other)
