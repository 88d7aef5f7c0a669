"""Recordings that come with a lexicon import (``dictionary.audio.bulk``, ``archive``): the
real LIFT reader, importer, intake, ffprobe and worker on a real zip.

The LIFT file is synthetic: its tokens (``zatok``, ``bonxa``, ``kelop``) are made up, not Hrê
words; the audio is a generated tone, nobody's voice.
"""
from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

import make_recordings
from conftest import get_state_close, make_app, make_data_dir
from dictionary.audio import jobs
from dictionary.curation.import_runs import import_with_audio
from dictionary.audio.models import Recording
from dictionary.curation.import_batches import revert_batch
from dictionary.curation.importer import ImportFailed
from dictionary.db import get_db
from dictionary.indexing import index_service
from dictionary.models import Entry

G1, G2, G3 = ("0b6e3f1c-5d2a-4c1e-9f00-1a2b3c4d5e01", "5d2c7a10-8e3b-4f2d-a111-2b3c4d5e6f02",
              "9e8d7c6b-5a49-4838-b227-3c4d5e6f7a03")
LIFT = f"""<?xml version="1.0" encoding="UTF-8"?>
<lift producer="SIL.FLEx 9.1.25.877" version="0.13">
<entry id="zatok_{G1}" guid="{G1}">
<lexical-unit><form lang="hre"><text>zatok</text></form></lexical-unit>
<pronunciation><media href="AudioVisual/zatok.wav"/></pronunciation>
<sense id="s1"><gloss lang="vi"><text>nhà</text></gloss></sense>
</entry>
<entry id="bonxa_{G2}" guid="{G2}">
<lexical-unit>
<form lang="hre-Zxxx-x-audio"><text>bonxa-word.wav</text></form>
<form lang="hre"><text>bonxa</text></form>
</lexical-unit>
<sense id="s2"><gloss lang="vi"><text>cây</text></gloss>
<example><form lang="hre"><text>bonxa zatok</text></form>
<form lang="hre-Zxxx-x-audio"><text>LinkedFiles/AudioVisual/bonxa-vd.wav</text></form>
<translation><form lang="vi"><text>cây gần nhà</text></form></translation></example>
</sense>
</entry>
<entry id="kelop_{G3}" guid="{G3}">
<lexical-unit><form lang="hre"><text>kelop</text></form></lexical-unit>
<sense id="s3"><gloss lang="vi"><text>đá</text></gloss></sense>
</entry>
</lift>
"""


@pytest.fixture
def app(_empty_pristine, tmp_path):
    instance = tmp_path / "instance"
    shutil.copytree(_empty_pristine, instance)
    app = make_app(instance, DATA_DIR=str(make_data_dir(tmp_path)), AUDIO_SYNC=False)
    with app.app_context():
        index_service().rebuild()  # an (empty) index, so commits reach search
    with app.app_context(), get_db().Session() as s:
        make_recordings.speaker(s, "hre")  # spk-0001
        make_recordings.speaker(s, "cua")  # spk-0002
        s.commit()
    yield app
    get_state_close(app)


def archive(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


TONE = make_recordings.tone_wav(0.8)
GOOD = {"Proj/LinkedFiles/AudioVisual/zatok.wav": TONE,
        "Proj/LinkedFiles/AudioVisual/bonxa-word.wav": make_recordings.tone_wav(0.7, 520),
        "Proj/LinkedFiles/AudioVisual/bonxa-vd.wav": make_recordings.tone_wav(1.5, 300),
        "kelop.WAV": make_recordings.tone_wav(0.9, 610),
        "__MACOSX/Proj/._zatok.wav": b"\0\5\26\7 AppleDouble",
        "ghi-chu.txt": "danh sách tệp".encode()}


def run(app, tmp_path: Path, files=GOOD, *, lift=LIFT, speaker="spk-0001", dry_run=False):
    (tmp_path / "words.lift").write_text(lift, encoding="utf-8")
    with app.app_context(), get_db().Session() as s:
        return import_with_audio(s, tmp_path / "words.lift", "hre", source="nhomthu",
                                 audio=archive(files) if files is not None else None,
                                 audio_label="ghi-am.zip", speaker=speaker, dry_run=dry_run,
                                 data_dir=app.config["DATA_DIR"])


def counts(app) -> tuple[int, int, list[str]]:
    with app.app_context(), get_db().Session() as s:
        files = sorted(p.name for p in (Path(app.instance_path) / "media").rglob("*")
                       if p.is_file()) if (Path(app.instance_path) / "media").exists() else []
        return (s.scalar(select(func.count()).select_from(Entry)),
                s.scalar(select(func.count()).select_from(Recording)), files)


def test_the_dry_run_says_which_file_goes_where_and_writes_nothing(app, tmp_path):
    report, plan = run(app, tmp_path, dry_run=True)
    assert report.created == 3
    found = {(m.file, m.headword, m.example, m.how) for m in plan.matches}
    assert found == {
        ("Proj/LinkedFiles/AudioVisual/zatok.wav", "zatok", None, "reference"),
        ("Proj/LinkedFiles/AudioVisual/bonxa-word.wav", "bonxa", None, "reference"),
        ("Proj/LinkedFiles/AudioVisual/bonxa-vd.wav", "bonxa", (1, 1), "reference"),
        ("kelop.WAV", "kelop", None, "headword")}
    assert all(m.public_id is None for m in plan.matches)  # new entries: no id yet
    assert plan.unmatched == ["ghi-chu.txt"] and plan.missing == []  # the AppleDouble is skipped
    assert counts(app) == (0, 0, [])


def test_the_confirmed_import_adds_the_recordings_for_review_and_a_revert_takes_them_off(
        app, tmp_path):
    report, plan = run(app, tmp_path)
    assert plan.recordings == 4
    with app.app_context(), get_db().Session() as s:
        ids = {e.headword: e.public_id for e in s.scalars(select(Entry))}
        rows = {r.target: r for r in s.scalars(select(Recording))}
        assert set(rows) == {ids["zatok"], ids["bonxa"], f"{ids['bonxa']}/1/1", ids["kelop"]}
        assert {(r.source, r.status, r.import_batch_id, r.speaker.public_id)
                for r in rows.values()} == {("import", "processing", report.batch_id, "spk-0001")}
        assert rows[f"{ids['bonxa']}/1/1"].text_snapshot == "bonxa zatok"
    assert jobs.run_pending(app) == 4
    with app.app_context(), get_db().Session() as s:
        assert {r.status for r in s.scalars(select(Recording))} == {"pending_review"}
        # Importing the same files again adds no second take of any of them.
    _, again = run(app, tmp_path)
    assert again.recordings == 0 and counts(app)[1] == 4
    with app.app_context(), get_db().Session() as s:
        revert_batch(s, report.batch_id, author="test")
    with app.app_context(), get_db().Session() as s:
        assert {(r.status, r.review_comment) for r in s.scalars(select(Recording))} == {
            ("rejected", f"import {report.batch_id} was reverted")}


def test_references_missing_from_the_archive_and_stray_files_are_reported(app, tmp_path):
    files = {"kelop.wav": TONE, "zatok.wav": TONE, "hre-000999.wav": TONE,
             "kelop.txt": b"ghi chu"}  # named like an entry, but not a sound file
    report, plan = run(app, tmp_path, files, dry_run=True)
    assert sorted(m.file for m in plan.matches) == ["kelop.wav", "zatok.wav"]
    assert [(line, headword, href) for line, headword, href in plan.missing] == [
        (8, "bonxa", "bonxa-word.wav"), (8, "bonxa", "LinkedFiles/AudioVisual/bonxa-vd.wav")]
    assert plan.unmatched == ["hre-000999.wav", "kelop.txt"]


def test_a_file_that_is_not_a_recording_refuses_the_whole_import(app, tmp_path):
    files = dict(GOOD, **{"Proj/LinkedFiles/AudioVisual/zatok.wav": b"<html>not audio</html>"})
    with pytest.raises(ImportFailed) as dry:
        run(app, tmp_path, files, dry_run=True)
    assert [(p.line, p.column) for p in dry.value.errors] == [
        (3, "Proj/LinkedFiles/AudioVisual/zatok.wav")]
    assert "not a sound recording" in dry.value.errors[0].message
    with pytest.raises(ImportFailed) as confirmed:
        run(app, tmp_path, files)
    assert "not a sound recording" in str(confirmed.value)
    assert counts(app) == (0, 0, [])  # no entry, no recording, no stored original


@pytest.mark.parametrize("speaker, message", [
    (None, "choose their speaker"),
    ("spk-0099", "there is no speaker spk-0099"),
    ("spk-0002", "speaks cua, not hre"),
])
def test_the_speaker_is_checked_before_anything(app, tmp_path, speaker, message):
    with pytest.raises(ImportFailed, match=message):
        run(app, tmp_path, speaker=speaker, dry_run=True)
    assert counts(app) == (0, 0, [])


def test_a_speaker_whose_consent_was_withdrawn_cannot_be_imported(app, tmp_path):
    from dictionary.audio.consent import withdraw
    from dictionary.audio.models import Speaker

    with app.app_context(), get_db().Session() as s:
        person = s.scalar(select(Speaker).where(Speaker.public_id == "spk-0001"))
        withdraw(s, person.consents[0], "asked to stop")
        s.commit()
    with pytest.raises(ImportFailed, match="no active consent"):
        run(app, tmp_path)
    assert counts(app) == (0, 0, [])


def bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zatok.wav", b"\0" * (4 * 1024 * 1024))  # silence squeezed ~1000:1
    return buf.getvalue()


@pytest.mark.parametrize("data, message", [
    (b"PK\x03\x04 not really", "is not a zip archive"),
    ("tên tệp".encode(), "is not a zip archive"),
    (bomb(), "no recording compresses like that"),
])
def test_hostile_archives_are_refused_with_a_clear_message(app, tmp_path, data, message):
    (tmp_path / "words.lift").write_text(LIFT, encoding="utf-8")
    with app.app_context(), get_db().Session() as s, pytest.raises(ImportFailed, match=message):
        import_with_audio(s, tmp_path / "words.lift", "hre", source="nhomthu", audio=data,
                          speaker="spk-0001", data_dir=app.config["DATA_DIR"])
    assert counts(app) == (0, 0, [])


def test_names_in_the_archive_are_only_compared_never_used_as_paths(app, tmp_path):
    files = {"../../../zatok.wav": TONE, "/abs/kelop.wav": TONE}
    report, plan = run(app, tmp_path, files)
    assert plan.recordings == 2
    assert not (tmp_path / "zatok.wav").exists() and not Path("/abs/kelop.wav").exists()
    stored = counts(app)[2]
    assert len(stored) == 2 and all(name.endswith(".wav") and len(name) == 40 for name in stored)


def test_too_many_files_are_refused(app, tmp_path):
    app.config["AUDIO_ARCHIVE_MAX_FILES"] = 3
    with pytest.raises(ImportFailed, match="holds 6 files; at most 3"):
        run(app, tmp_path, dry_run=True)


def test_without_an_archive_the_references_are_a_warning(app, tmp_path):
    report, plan = run(app, tmp_path, None, speaker=None)
    assert plan is None and report.created == 3 and counts(app)[1] == 0
    assert any("names 3 recordings" in w.message for w in report.warnings)


def test_the_command_line_imports_a_lexicon_with_its_recordings(app, tmp_path):
    (tmp_path / "words.lift").write_text(LIFT, encoding="utf-8")
    (tmp_path / "ghi-am.zip").write_bytes(archive(GOOD))
    runner = app.test_cli_runner()
    args = ["import-lexicon", str(tmp_path / "words.lift"), "--lang", "hre", "--source",
            "nhomthu", "--audio", str(tmp_path / "ghi-am.zip")]
    result = runner.invoke(args=args + ["--dry-run"])
    assert result.exit_code == 1 and "choose their speaker" in result.output
    result = runner.invoke(args=args + ["--speaker", "spk-0001", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "audio: kelop.WAV → line 19 (new) kelop (by headword)" in result.output
    assert "audio: Proj/LinkedFiles/AudioVisual/bonxa-vd.wav → line 8 (new) bonxa example " \
           "1.1 (by reference)" in result.output
    assert "ghi-chu.txt matches no entry" in result.output
    assert "4 recordings would be added (speaker spk-0001)." in result.output
    result = runner.invoke(args=args + ["--speaker", "spk-0001"])
    assert result.exit_code == 0, result.output
    assert "4 new recordings by spk-0001 wait for processing and review" in result.output
    assert counts(app)[:2] == (3, 4)


def test_the_import_page_checks_and_imports_a_lexicon_with_its_recordings(app, tmp_path):
    from conftest import add_users, csrf_token, login

    email = add_users(app)["editor"]
    client = app.test_client()
    client.set_cookie("ui_lang", "en")
    assert login(client, email).status_code == 302
    form = client.get("/admin/import").get_data(as_text=True)
    assert 'name="audio"' in form and "Người nói thử (hre, spk-0001)" in form

    def post(speaker: str, files=GOOD):
        return client.post("/admin/import", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, "/admin/import"), "lang": "hre",
            "source": "nhomthu", "status": "draft", "speaker": speaker,
            "file": (io.BytesIO(LIFT.encode()), "words.lift"),
            "audio": (io.BytesIO(archive(files)), "ghi-am.zip")})

    refused = post("")
    assert refused.status_code == 422 and "choose their speaker" in refused.get_data(as_text=True)
    assert not any((Path(app.instance_path) / "uploads").iterdir())  # a failed check keeps nothing
    page = post("spk-0001")
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    assert "4 files will become recordings by Người nói thử (spk-0001), waiting for review." in text
    assert "<td>19</td>\n    <td>kelop</td>\n    <td>kelop.WAV</td><td>file named after the headword</td><td>–</td>" in text
    assert "bonxa · example 1.1" in text and "ghi-chu.txt" in text
    assert counts(app) == (0, 0, [])
    token = re.search(r'/admin/import/([A-Za-z0-9_-]{32})/confirm', text).group(1)
    done = client.post(f"/admin/import/{token}/confirm",
                       data={"csrf_token": csrf_token(client, "/admin/import")})
    assert done.status_code == 302
    assert "4 new recordings wait for processing and review." in \
        client.get(done.headers["Location"]).get_data(as_text=True)
    assert counts(app)[:2] == (3, 4)
    assert jobs.run_pending(app) == 4
    reviewer = app.test_client()
    reviewer.set_cookie("ui_lang", "en")
    assert login(reviewer, "reviewer@example.test").status_code == 302
    queue = reviewer.get("/admin/audio/review").get_data(as_text=True)
    assert queue.count("Người nói thử") >= 4 and "kelop" in queue and "bonxa zatok" in queue


def test_a_large_archive_is_checked_and_imported_by_the_background_worker(app, tmp_path):
    from conftest import add_users, csrf_token, login
    from dictionary.curation.import_jobs import worker
    from test_import_jobs import follow

    app.config["IMPORT_BACKGROUND_BYTES"] = 4096  # the archive is larger: off the request
    client = app.test_client()
    client.set_cookie("ui_lang", "en")
    assert login(client, add_users(app)["editor"]).status_code == 302
    checking = client.post("/admin/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/admin/import"), "lang": "hre", "source": "nhomthu",
        "status": "draft", "speaker": "spk-0001",
        "file": (io.BytesIO(LIFT.encode()), "words.lift"),
        "audio": (io.BytesIO(archive(GOOD)), "ghi-am.zip")})
    assert checking.status_code == 303
    state, _, _ = follow(client, checking.headers["Location"])
    assert (state["state"], state["kind"]) == ("done", "dry_run")
    report = client.get(checking.headers["Location"]).get_data(as_text=True)
    assert "4 files will become recordings by Người nói thử (spk-0001)" in report and "bonxa-vd.wav" in report
    token = re.search(r'/admin/import/([A-Za-z0-9_-]{32})/confirm', report).group(1)
    importing = client.post(f"/admin/import/{token}/confirm",
                            data={"csrf_token": csrf_token(client, "/admin/import")})
    assert importing.status_code == 303
    state, _, _ = follow(client, importing.headers["Location"])
    assert state["state"] == "done", state
    assert worker(app).wait(30)
    assert counts(app)[:2] == (3, 4)
    with app.app_context(), get_db().Session() as s:
        assert {r.import_batch_id for r in s.scalars(select(Recording))} == {state["batch_id"]}
