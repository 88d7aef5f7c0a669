"""Vietnamese speech (``dictionary.audio.tts``): fetched once by the worker, throttled, backed
off, replaced by espeak-ng when Google is out of reach, never for Hrê or Co.

Only the network edge is replaced: requests' ``HTTPAdapter.send``, the call that would open a
socket to translate.google.com. gTTS's own code (tokenising, request bodies, ``Session.send``,
response parsing, base64) runs for real, and the answer it parses carries a real MP3 made by
ffmpeg's lavfi sine source (a synthetic tone, nobody's voice). espeak-ng, ffmpeg, SQLite and
the worker are real. The throttle and the breaker run on an injected clock, so a 15-minute
back-off takes no time.
"""
from __future__ import annotations

import base64
import io
import json
import subprocess
import urllib.parse
from pathlib import Path

import pytest
import requests
import urllib3
from sqlalchemy import select

from dictionary.audio import jobs, storage, tts
from dictionary.audio.models import AudioJob, TtsClip
from dictionary.db import get_db

LONG = ("Con trâu là đầu cơ nghiệp, người nông dân quý nó như người trong nhà; "
        "sáng sớm dắt trâu ra đồng, chiều tối lại dắt về chuồng.")  # gTTS sends it in 4 parts


@pytest.fixture(scope="module")
def sine_mp3(tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("tts") / "sine.mp3"
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-f", "lavfi",
                    "-i", "sine=frequency=330:duration=1.2:sample_rate=24000", "-ac", "1",
                    "-c:a", "libmp3lame", "-b:a", "32k", str(out)],
                   stdin=subprocess.DEVNULL, timeout=30, check=True)
    return out.read_bytes()


class Clock:
    def __init__(self) -> None:
        self.t, self.sleeps = 1000.0, []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(tts, "STATE", tts.EngineState(clock=c.now, sleep=c.sleep))
    return c


class Google:
    """What the far end of the socket says. ``script`` is consumed one request at a time
    ("ok", an HTTP status, "offline", "garbage"); when empty, every request gets audio."""

    def __init__(self, clock: Clock, mp3: bytes) -> None:
        self.clock, self.mp3, self.script = clock, mp3, []
        self.calls: list[dict] = []

    def send(self, adapter, request, stream=False, timeout=None, verify=True, cert=None,
             proxies=None):
        rpc = json.loads(urllib.parse.unquote(request.body.removeprefix("f.req=").rstrip("&")))
        text, lang, speed, _ = json.loads(rpc[0][0][1])
        self.calls.append({"text": text, "lang": lang, "slow": speed is True,
                           "at": self.clock.now(), "timeout": timeout})
        what = self.script.pop(0) if self.script else "ok"
        if what == "offline":
            raise requests.exceptions.ConnectionError("Failed to resolve 'translate.google.com'")
        status, audio = (what, b"") if isinstance(what, int) else (200, self.mp3)
        if what == "garbage":
            audio = b"<html>not audio</html>"
        payload = ")]}'\n\n" + json.dumps([["wrb.fr", "jQ1olc", json.dumps(
            [base64.b64encode(audio).decode("ascii")]), None, None, None, "generic"]],
            separators=(",", ":")) + "\n"
        raw = urllib3.HTTPResponse(body=io.BytesIO(payload.encode()), status=status,
                                   headers={"Content-Type": "application/json"},
                                   reason="OK" if status == 200 else "Error",
                                   preload_content=False)
        return adapter.build_response(request, raw)


@pytest.fixture
def google(monkeypatch, clock, sine_mp3) -> Google:
    g = Google(clock, sine_mp3)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send",
                        lambda adapter, request, **kw: g.send(adapter, request, **kw))
    return g


def ask(app, text: str, slow: bool = False) -> str:
    """What saving a Vietnamese gloss does: request the clip in a transaction."""
    with app.app_context(), get_db().transaction() as s:
        return tts.request(s, text, slow=slow).key


def clip(app, key: str) -> TtsClip:
    with app.app_context(), get_db().Session() as s:
        return s.get(TtsClip, key)


def cached(app) -> list[Path]:
    root = Path(app.instance_path) / "media" / "tts"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def run(app) -> int:
    return jobs.run_pending(app)


def get(app, url: str, **headers):
    """(status, headers, body) of a GET, the response closed (it holds the file open)."""
    response = app.test_client().get(url, headers=headers)
    try:
        return response.status_code, response.headers, response.get_data()
    finally:
        response.close()


def test_the_worker_is_wired(app):
    assert jobs._handlers.get("tts") is tts.fetch
    assert any(r.endpoint == "audio.tts_clip" for r in app.url_map.iter_rules())
    with app.app_context():
        assert tts.engines() == ["gtts", "espeak-ng"]


@pytest.mark.parametrize("lang", ["hre", "cua", "en", "VI"])
def test_hre_and_co_are_refused_before_any_engine(app, google, monkeypatch, tmp_path, lang):
    engine_calls, processes = [], []
    for name, real in list(tts.ENGINES.items()):
        monkeypatch.setitem(tts.ENGINES, name, lambda *a, _n=name, _r=real: (
            engine_calls.append(_n), _r(*a))[1])
    real_run = subprocess.run
    monkeypatch.setattr(subprocess, "run",
                        lambda *a, **k: (processes.append(a), real_run(*a, **k))[1])
    work = tmp_path / "work"
    work.mkdir()
    for engine in tts.ENGINES:
        with pytest.raises(tts.TtsRefused) as refused:
            tts.synthesize("ʼbơ̆k", work, lang=lang, engine=engine)
        assert refused.value.reason == "language"
    with app.app_context(), get_db().transaction() as s:
        with pytest.raises(tts.TtsRefused):
            tts.request(s, "ʼbơ̆k", lang=lang)
        with pytest.raises(tts.TtsRefused):
            tts.request(s, "ʼbơ̆k", slow=True, lang=lang)
    assert engine_calls == [] and processes == [] and google.calls == []
    assert list(work.iterdir()) == []
    with app.app_context(), get_db().Session() as s:
        assert s.scalars(select(TtsClip)).all() == [] and s.scalars(select(AudioJob)).all() == []


def test_clip_key_names_voice_speed_and_normalised_text():
    assert tts.clip_key("Hoà  bình\n", False) == tts.clip_key("Hòa bình", False)
    assert tts.clip_key("hòa bình", False) != tts.clip_key("hòa bình", True)
    assert tts.clip_key("hòa bình", False) != tts.clip_key("hòa bình", False, engine_version="t2")
    assert tts.clip_key("hòa bình", False) != tts.clip_key("hoa binh", False)


def test_each_text_is_fetched_once_and_served(app, google, clock):
    key = ask(app, "con trâu")
    assert ask(app, " con  trâu ") == key and google.calls == []  # never in the request
    with app.test_request_context(), get_db().Session() as s:
        assert tts.url_for_text(s, "con trâu") is None  # "no audio yet", no fetch
    assert run(app) == 1
    ask(app, "con trâu")
    assert run(app) == 0
    slow = ask(app, "con trâu", slow=True)
    run(app)
    ask(app, "con trâu", slow=True)
    run(app)
    assert [(c["text"], c["lang"], c["slow"]) for c in google.calls] == [
        ("con trâu", "vi", False), ("con trâu", "vi", True)]
    assert all(c["timeout"] == (5, 15) for c in google.calls)
    assert google.calls[1]["at"] - google.calls[0]["at"] >= 1.0  # the throttle
    made = clip(app, key)
    assert (made.status, made.engine, made.path) == (
        "ready", "gtts", f"tts/vi/gtts/{key[:2]}/{key}.mp3")
    assert len(cached(app)) == 2 and clip(app, slow).slow is True
    with app.test_request_context(), get_db().Session() as s:
        url = tts.url_for_text(s, "con trâu")
        assert url == f"/audio/tts/{key}.mp3?v=gtts"
        assert tts.drift(s) == []
    status, headers, body = get(app, url)
    assert status == 200 and headers["Content-Type"] == "audio/mpeg"
    assert headers["Cache-Control"] == "public, max-age=2592000"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert body == storage_path(app, key).read_bytes()
    status, part_headers, part = get(app, url, Range="bytes=0-99")
    assert status == 206 and part == body[:100]
    assert part_headers["Content-Range"] == f"bytes 0-99/{len(body)}"
    assert get(app, url, **{"If-None-Match": headers["ETag"]})[0] == 304
    assert get(app, url, Range=f"bytes={len(body) + 10}-")[0] == 416


def test_loudness_is_the_recordings_target(app, google):
    from dictionary.audio.ffmpeg import measure

    key = ask(app, "nước")
    run(app)
    level = measure(storage_path(app, key))
    assert abs(level.integrated + 16) <= 1.0 and level.true_peak <= -0.5


def storage_path(app, key: str) -> Path:
    with app.app_context():
        return storage.absolute(clip(app, key).path)


def test_the_route_answers_404_for_anything_not_ready(app, google):
    key = ask(app, "cái nhà")
    assert get(app, f"/audio/tts/{key}.mp3")[0] == 404  # queued
    assert get(app, f"/audio/tts/{'0' * 64}.mp3")[0] == 404  # unknown
    assert get(app, "/audio/tts/../../secret_key.mp3")[0] == 404
    assert get(app, f"/audio/tts/{key.upper()}.mp3")[0] == 404
    assert get(app, f"/audio/tts/{key[:63]}.mp3")[0] == 404
    run(app)
    assert get(app, f"/audio/tts/{key}.mp3")[0] == 200


def test_429_backs_off_for_15_minutes_and_espeak_stands_in(app, google, clock):
    google.script = [429]
    first = ask(app, "hòn đá")
    run(app)
    assert len(google.calls) == 1
    made = clip(app, first)
    assert (made.status, made.engine) == ("ready", "espeak-ng")
    assert made.path == f"tts/vi/espeak-ng/{first[:2]}/{first}.mp3"
    with app.test_request_context(), get_db().Session() as s:
        found = tts.ready_clips(s, ["hòn đá"])["hòn đá"]
        assert found.engine in tts.MACHINE_VOICE_ENGINES  # the page says "giọng máy"
    clock.t += 10 * 60  # still inside the window: Google is not asked again
    second = ask(app, "ngọn núi")
    run(app)
    assert len(google.calls) == 1 and clip(app, second).engine == "espeak-ng"
    ask(app, "hòn đá")  # a save while backing off does not queue an upgrade
    assert run(app) == 0 and len(google.calls) == 1
    clock.t += 6 * 60  # the window is over: the next text goes to Google again
    third = ask(app, "dòng sông")
    run(app)  # …and, Google answering, the stand-ins are fetched again and replaced
    assert [c["text"] for c in google.calls] == ["hòn đá", "dòng sông", "hòn đá", "ngọn núi"]
    for key in (first, second, third):
        assert (clip(app, key).engine, clip(app, key).status) == ("gtts", "ready")
    assert [p.parent.parent.name for p in cached(app)] == ["gtts"] * 3  # stand-ins removed
    with app.app_context(), get_db().Session() as s:
        assert tts.drift(s) == []


def test_5xx_backs_off_too(app, google, clock):
    google.script = [503]
    ask(app, "ăn cơm")
    run(app)
    with app.app_context():
        assert not tts.STATE.available("gtts")
        assert 14 * 60 < tts.STATE.retry_in("gtts") <= 15 * 60


def test_offline_falls_back_to_espeak_for_five_minutes(app, google, clock):
    google.script = ["offline"]
    key = ask(app, "xin chào")
    run(app)
    made = clip(app, key)
    assert (made.status, made.engine) == ("ready", "espeak-ng")
    assert storage_path(app, key).is_file()
    with app.app_context():
        assert 4 * 60 < tts.STATE.retry_in("gtts") <= 5 * 60
    ask(app, "cảm ơn")
    run(app)
    assert len(google.calls) == 1  # offline: no second attempt within the window
    with app.test_request_context(), get_db().Session() as s:
        assert tts.url_for_text(s, "xin chào").endswith("?v=espeak-ng")
    assert get(app, f"/audio/tts/{key}.mp3")[0] == 200


def test_a_failed_save_leaves_no_file_and_is_retried(app, google, clock):
    app.config["TTS_ENGINES"] = ["gtts"]
    google.script = ["ok", "offline"]  # the second part of a two-part text fails
    key = ask(app, LONG)
    run(app)
    assert len(google.calls) == 2 and cached(app) == []
    assert not any((Path(app.instance_path) / "media" / "tmp").rglob("*"))  # scratch removed
    assert clip(app, key).status == "queued"
    with app.app_context(), get_db().Session() as s:
        job = s.scalar(select(AudioJob).where(AudioJob.ref == key))
        assert job.attempts == 1 and "offline" in job.last_error
        job.run_after = job.created_at  # the retry is due (once the breaker lets Google in)
        s.commit()
    clock.t += 5 * 60 + 1
    run(app)
    assert len(google.calls) == 2 + 4 and clip(app, key).status == "ready"
    times = [c["at"] for c in google.calls[2:]]  # one request a second, part after part
    assert all(b - a >= 1.0 for a, b in zip(times, times[1:]))
    assert len(cached(app)) == 1


def test_an_answer_that_is_not_audio_is_never_cached(app, google):
    app.config["TTS_ENGINES"] = ["gtts"]
    google.script = ["garbage"]
    key = ask(app, "quả chuối")
    run(app)
    made = clip(app, key)
    assert cached(app) == [] and made.status == "failed" and made.last_error
    with app.app_context(), get_db().Session() as s:
        assert s.scalars(select(AudioJob)).all() == []  # refused for good, not retried
        tts.request(s, "quả chuối")  # saved again: another chance
        s.commit()
    run(app)
    assert clip(app, key).status == "ready" and len(cached(app)) == 1


def test_no_engine_configured_means_no_audio_never_an_error(app, google):
    app.config["TTS_ENGINES"] = []
    key = ask(app, "con gà")
    run(app)
    assert google.calls == [] and cached(app) == [] and clip(app, key).status == "failed"
    assert get(app, f"/audio/tts/{key}.mp3")[0] == 404


def test_real_gtts_without_a_network_leaves_nothing(app, clock, monkeypatch):
    """gTTS for real: the proxy it is told to use (it reads the environment's) refuses the
    connection, as a server without Internet would."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    app.config["TTS_ENGINES"] = ["gtts"]
    key = ask(app, "trời mưa")
    run(app)
    assert cached(app) == [] and clip(app, key).status == "queued"
    with app.app_context(), get_db().Session() as s:
        job = s.scalar(select(AudioJob).where(AudioJob.ref == key))
        assert job.attempts == 1 and "gTTS" in job.last_error
        assert not tts.STATE.available("gtts")
    with app.test_request_context(), get_db().Session() as s:
        assert tts.url_for_text(s, "trời mưa") is None
    assert get(app, f"/audio/tts/{key}.mp3")[0] == 404
    app.config["TTS_ENGINES"] = ["gtts", "espeak-ng"]  # with the fallback: a machine voice
    with app.app_context(), get_db().transaction() as s:
        s.delete(s.scalar(select(AudioJob).where(AudioJob.ref == key)))
        tts.request(s, "trời mưa")
    run(app)
    assert clip(app, key).engine == "espeak-ng" and len(cached(app)) == 1


def test_refusals_of_empty_and_long_text(app):
    with app.app_context(), get_db().transaction() as s:
        for text, reason in ((" \n ", "empty"), ("a" * 501, "too_long")):
            with pytest.raises(tts.TtsRefused) as refused:
                tts.request(s, text)
            assert refused.value.reason == reason
