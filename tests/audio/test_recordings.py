"""A recording's way from upload to the public pages, through the real intake, worker,
review and consent rules: served with Range requests only once approved and only for the
uses the speaker consented to; gone (410) the moment the consent is withdrawn; refused at
intake when it is not usable audio; one row for a double submit; files and rows checked by
``flask audio check``. The audio is a synthetic tone, never anyone's voice."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

import make_recordings
from conftest import login
from dictionary.audio.admin.record import REFUSALS
from flask_babel import force_locale
from dictionary.audio import consent, intake, jobs, storage
from dictionary.audio.models import FAILED, PENDING, WITHDRAWN, AudioJob, Recording
from dictionary.db import get_db
from dictionary.models import Entry


@pytest.fixture
def app(bundled_copy):
    return bundled_copy


def get(client, path: str, **headers):
    with client.get(path, headers=headers) as response:  # closes the file it streams
        return response.status_code, response.get_data(), response.headers


def row(app, uuid: str) -> Recording:
    with app.app_context(), get_db().Session() as s:
        recording = s.scalar(select(Recording).where(Recording.uuid == uuid))
        s.expunge(recording)
        return recording


def test_a_published_clip_is_served_with_ranges_and_a_withdrawn_one_is_gone(app):
    uuid = make_recordings.published(app, "hre-000001")
    rec = row(app, uuid)
    assert rec.status == "published" and rec.duration_ms > 0
    assert abs(rec.lufs_out + 16) <= 1 or rec.peak_limited
    body = make_recordings.media_file(app, rec.playback_path).read_bytes()
    client = app.test_client()
    status, data, headers = get(client, f"/audio/{uuid}.mp3")
    assert status == 200 and data == body and headers["Content-Type"] == "audio/mpeg"
    assert headers["Accept-Ranges"] == "bytes" and "immutable" not in headers["Cache-Control"]
    status, data, headers = get(client, f"/audio/{uuid}.mp3", Range="bytes=0-1")
    assert (status, data) == (206, body[:2]) and headers["Content-Range"] == f"bytes 0-1/{len(body)}"
    assert get(client, f"/audio/{uuid}.mp3", Range=f"bytes={len(body) + 10}-")[0] == 416
    etag = headers["ETag"]
    assert get(client, f"/audio/{uuid}.mp3", **{"If-None-Match": etag})[0] == 304
    # The entry page and the search results play it.
    page = client.get("/entry/hre-000001").get_data(as_text=True)
    assert f'src="/audio/{uuid}.mp3"' in page and 'preload="none"' in page
    # Withdrawn: gone at once, from every use, and the playback copy is deleted.
    with app.app_context(), get_db().Session() as s:
        recording = s.scalar(select(Recording).where(Recording.uuid == uuid))
        assert consent.withdraw(s, recording.consent, "the speaker asked", None) == 1
        s.commit()
        assert consent.playable(s, ["hre-000001"], "lessons") == {}
    assert get(client, f"/audio/{uuid}.mp3")[0] == 410
    assert get(client, f"/audio/lessons/{uuid}.mp3")[0] == 410
    assert row(app, uuid).status == WITHDRAWN
    assert not make_recordings.media_file(app, rec.playback_path).exists()
    assert f"/audio/{uuid}.mp3" not in client.get("/entry/hre-000001").get_data(as_text=True)


def test_a_clip_is_heard_only_for_the_uses_consented_to(app):
    uuid = make_recordings.published(app, "hre-000002", scopes=("lessons",))
    client = app.test_client()
    assert get(client, f"/audio/{uuid}.mp3")[0] == 410  # not for the public pages
    assert get(client, f"/audio/lessons/{uuid}.mp3")[0] == 200
    with app.app_context(), get_db().Session() as s:
        assert consent.playable(s, ["hre-000002"], "web") == {}
        assert consent.playable(s, ["hre-000002"], "lessons") == {
            "hre-000002": f"/audio/lessons/{uuid}.mp3"}


def test_nothing_is_public_before_review_and_originals_never_are(app):
    with app.app_context(), get_db().Session() as s:
        recording = make_recordings.pending(s, "hre-000003")
        s.commit()
        uuid, original = recording.uuid, recording.original_path
    client = app.test_client()
    assert get(client, f"/audio/{uuid}.mp3")[0] == 404  # processing
    jobs.run_pending(app)
    assert row(app, uuid).status == PENDING
    assert get(client, f"/audio/{uuid}.mp3")[0] == 404  # waiting for a reviewer
    assert get(client, "/" + original)[0] == 404
    assert get(client, "/media/" + original)[0] == 404


def test_intake_refuses_what_is_not_audio_and_keeps_nothing(app):
    with app.app_context(), get_db().Session() as s:
        person = make_recordings.speaker(s)
        editor = make_recordings.account(s, "ghi-am@example.test", "editor")
        for data, reason in ((b"", "empty"), (b"hello, not audio\n" * 20, "not_audio"),
                             (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "not_audio")):
            with pytest.raises(intake.Refused) as refused:
                intake.accept(s, editor, target="hre-000004", speaker=person,
                              file=FileStorage(io.BytesIO(data), filename="../../x.mp3"))
            assert refused.value.reason == reason, refused.value.message
        with pytest.raises(intake.Refused) as refused:
            intake.accept(s, editor, target="cua-000001", speaker=person,
                          file=FileStorage(io.BytesIO(make_recordings.tone_wav())))
        assert refused.value.reason == "speaker"  # a Hrê speaker for a Co word
        s.rollback()
        assert s.scalar(select(Recording.id)) is None
        orig = storage.media_root() / "audio" / "orig"
        assert not orig.exists() or not any(p.is_file() for p in orig.rglob("*"))


def test_a_double_submit_is_one_recording_and_a_failed_file_says_why(app):
    with app.app_context(), get_db().Session() as s:
        person = make_recordings.speaker(s)
        editor = make_recordings.account(s, "ghi-am@example.test", "editor")
        data = make_recordings.tone_wav()
        first = intake.accept(s, editor, target="hre-000005", speaker=person,
                              file=FileStorage(io.BytesIO(data)))
        again = intake.accept(s, editor, target="hre-000005", speaker=person,
                              file=FileStorage(io.BytesIO(data)))
        assert again is first
        short = intake.accept(s, editor, target="hre-000006", speaker=person,
                              file=FileStorage(io.BytesIO(make_recordings.tone_wav(0.1, pad=0))))
        s.commit()
        short_id = short.uuid
    jobs.run_pending(app)
    failed = row(app, short_id)
    assert failed.status == FAILED and failed.error and failed.playback_path is None
    assert failed.error_reason == "too_short"
    # The curator reads why in the interface language (Vietnamese by default), not the
    # worker's English.
    client = app.test_client()
    assert login(client, "ghi-am@example.test", make_recordings.PASSWORD).status_code == 302
    page = client.get(f"/admin/audio/recordings/{short_id}").get_data(as_text=True)
    with app.test_request_context(), force_locale("vi"):
        why = str(REFUSALS["too_short"])
    assert why in page and why != "The recording is too short (under 0.3 seconds)."
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(AudioJob.id)) is None  # every job finished


def test_audio_check_finds_drift(app):
    uuid = make_recordings.published(app, "hre-000007")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audio", "check"])
    assert result.exit_code == 0, result.output
    rec = row(app, uuid)
    make_recordings.media_file(app, rec.playback_path).unlink()
    stray = make_recordings.media_file(app, "audio/play/zz/stray.p1.mp3")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"x")
    result = runner.invoke(args=["audio", "check"])
    assert result.exit_code == 1
    assert "playback copy" in result.output and "stray.p1.mp3" in result.output
