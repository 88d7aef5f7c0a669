"""A clip's whole way in a real headless Chromium (Playwright), served by waitress on a copy of
the bundled data: an editor records a headword with the browser's microphone, listens to the
take and saves it; the worker processes it; a reviewer approves it; and an anonymous visitor on
a phone plays it on the public entry page, the browser fetching it with a Range request (206).

The microphone is Chromium's fake capture device fed a generated WAV: espeak-ng, a machine
voice, speaking a VIETNAMESE greeting ("xin chào"), padded with silence, 48 kHz mono 16-bit.
It is a synthetic stand-in for a person in front of a microphone, never Hrê speech and never
presented as Hrê: it is attached to a Hrê entry only inside this test's throwaway database.

Its own Chromium, not the shared ``browser`` fixture: the fake microphone is given by launch
arguments. The file name starts with ``test_browser`` so that ``make test`` runs it in the one
worker that runs the browser tests one after another (``conftest.BrowserTestsTogether``).
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import CHROMIUM, CHROMIUM_ARGS, serving
from dictionary.audio.models import PUBLISHED, Recording
from dictionary.db import get_db

import make_recordings
from audio_samples import espeak_vi
from test_browser import PHONE, keep, phone_page

ENTRY = "hre-000001"  # a published Hrê entry of the bundled data
WORD = "xin chào"  # Vietnamese: "hello" (the machine voice reads Vietnamese only)
EDITOR, REVIEWER = "ghi-am@example.test", "duyet-am@example.test"
PASSWORD = make_recordings.PASSWORD
DESKTOP = {"width": 1280, "height": 900}
# Resolves with where playback ended (seconds), or fails after 10 s saying why not.
PLAYED_TO_THE_END = """a => a.ended ? a.currentTime : new Promise((done, fail) => {
  a.addEventListener("ended", () => done(a.currentTime), {once: true});
  setTimeout(() => fail(new Error("not played to the end: paused=" + a.paused + " at " +
                                  a.currentTime + " s, error " + (a.error && a.error.code))),
             10000);
})"""
FAKE_MICROPHONE = ["--use-fake-ui-for-media-stream",  # the permission prompt says yes
                   "--use-fake-device-for-media-stream"]


def fake_microphone_wav(folder: Path) -> Path:
    """espeak-ng's Vietnamese word with silence before (0.3 s) and after (0.6 s), as the
    48 kHz mono 16-bit WAV Chromium's fake capture reads (and loops)."""
    spoken = espeak_vi(WORD, folder / "espeak.wav")
    wav = folder / "microphone.wav"
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", "-i", str(spoken),
         "-af", "aresample=48000,adelay=300:all=1,apad=pad_dur=0.6",
         "-ac", "1", "-ar", "48000", "-c:a", "pcm_s16le", str(wav)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        timeout=30, check=False)
    assert done.returncode == 0, done.stderr.decode()[-800:]
    return wav


@pytest.fixture
def audio_app(bundled_copy):
    """The bundled data with an editor, a reviewer and a Hrê speaker who consented to the
    website and the lessons; the worker's jobs run right after the upload commits."""
    app = bundled_copy
    app.config["AUDIO_SYNC"] = True
    with app.app_context(), get_db().transaction() as s:
        make_recordings.account(s, EDITOR, "editor")
        make_recordings.account(s, REVIEWER, "reviewer")
        speaker = make_recordings.speaker(s, "hre").public_id
    return app, speaker


def go(page, locator) -> None:
    """Click what leads to another page and wait for that page."""
    with page.expect_navigation():
        locator.click()


def log_in(page, url: str, email: str) -> None:
    page.goto(url + "/login?lang=en")
    page.get_by_label("E-mail or phone number").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    go(page, page.get_by_role("button", name="Log in"))
    assert "/login" not in page.url, page.content()


def shoot(page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    keep(path)


def record_and_save(page, url: str, speaker: str, shots: Path) -> str:
    """Record ~1.5 s from the (fake) microphone, listen to it to the end, save; the uuid."""
    page.goto(f"{url}/admin/audio/entry/{ENTRY}/new?lang=en")
    # getUserMedia needs a secure context: http://127.0.0.1 is one ("potentially trustworthy").
    assert page.evaluate("() => window.isSecureContext") is True
    page.locator("[data-recorder]").wait_for(state="visible")  # the script found MediaRecorder
    page.get_by_label("Speaker").select_option(speaker)
    page.get_by_role("button", name="Record", exact=True).click()
    page.wait_for_selector("[data-rec-stop]:not([disabled])")  # the microphone is open
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="Stop", exact=True).click()
    preview = page.locator("audio[data-rec-preview]")
    preview.wait_for(state="visible")
    save = page.locator("[data-rec-save]")
    assert save.is_disabled()  # not before the take was heard to the end
    assert page.locator("[data-rec-error]").is_hidden()  # neither too short nor too quiet
    shoot(page, shots / "audio-1-recorded.png")
    # Listen back: the page saw the tap on Record, so it may play without another gesture.
    preview.evaluate("a => a.play()")
    page.wait_for_selector("[data-rec-save]:not([disabled])", timeout=10_000)
    assert page.locator("[data-rec-status]").inner_text() == \
        "Listened. Save it, or record again."
    go(page, save)
    match = re.search(r"/admin/audio/recordings/([0-9a-f-]{36})$", page.url)
    assert match, page.url
    return match[1]


def test_record_in_the_browser_review_publish_and_play_on_a_phone(audio_app, tmp_path):
    app, speaker = audio_app
    shots = tmp_path / "shots"
    shots.mkdir()
    wav = fake_microphone_wav(tmp_path)
    from playwright.sync_api import sync_playwright

    with serving(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS + FAKE_MICROPHONE + [f"--use-file-for-fake-audio-capture={wav}"])
        try:
            # The editor records in the village, on a phone.
            context, editor, editor_errors = phone_page(browser)
            log_in(editor, url, EDITOR)
            uuid = record_and_save(editor, url, speaker, shots)
            # AUDIO_SYNC: processed before the answer, so no "processing" refresh to wait for
            assert editor.locator(".tag.status-pending_review").inner_text() == \
                "waiting for review"
            assert "recorded in the browser" in editor.content()
            shoot(editor, shots / "audio-2-status.png")
            # The figures (with a long "peak-limited" warning) wrap: no sideways scrolling.
            assert editor.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
            assert editor_errors == []
            context.close()
            with app.app_context(), get_db().Session() as s:
                rec = s.scalar(select(Recording).where(Recording.uuid == uuid))
                assert (rec.target, rec.source, rec.speaker.public_id) == \
                    (ENTRY, "browser", speaker)
                assert rec.original_format.startswith("matroska")  # Chromium's WebM/Opus
                assert 300 < rec.duration_ms < rec.original_ms  # the silence was trimmed

            # Another person reviews it, at a desk.
            context = browser.new_context(viewport=DESKTOP)
            reviewer = context.new_page()
            reviewer_errors: list[str] = []
            reviewer.on("console",
                        lambda m: reviewer_errors.append(m.text) if m.type == "error" else None)
            reviewer.on("pageerror", lambda exc: reviewer_errors.append(str(exc)))
            log_in(reviewer, url, REVIEWER)
            reviewer.goto(url + "/admin/audio/review")
            item = reviewer.locator(f"#r-{uuid}")
            assert "Người nói thử" in item.inner_text()
            shoot(reviewer, shots / "audio-3-review.png")
            go(reviewer, item.get_by_role("button", name="Approve and publish"))
            assert reviewer.get_by_text("Approved: the recording is published.").is_visible()
            assert reviewer_errors == []
            context.close()
            with app.app_context(), get_db().Session() as s:
                assert s.scalar(select(Recording.status).where(Recording.uuid == uuid)) == \
                    PUBLISHED

            # Anybody, on a phone: the clip is on the entry page and plays.
            context, page, errors = phone_page(browser)
            clip_url = f"/audio/{uuid}.mp3"
            fetched = []
            page.on("response", lambda r: fetched.append(r) if r.url.endswith(clip_url) else None)
            page.goto(f"{url}/entry/{ENTRY}?lang=en")
            audio = page.locator(f'audio[src="{clip_url}"]')
            assert audio.get_attribute("preload") == "none" and fetched == []
            audio.scroll_into_view_if_needed()
            box = audio.bounding_box()
            audio.tap(position={"x": 18, "y": box["height"] / 2})  # the play button, at the left
            played = audio.evaluate(PLAYED_TO_THE_END)
            assert played > 0.3
            assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
            shoot(page, shots / "audio-4-public.png")
            ranges = [(r.status, r.request.all_headers().get("range")) for r in fetched]
            assert any(status == 206 and (asked or "").startswith("bytes=")
                       for status, asked in ranges), ranges
            assert errors == []
            context.close()
        finally:
            browser.close()
