"""Vietnamese speech for glosses, example translations and lesson prompts, made once and cached.

Where it sits: code that saves Vietnamese text (entries, examples, lessons) calls ``request``
in its transaction; that writes a ``TtsClip`` (queued) and a "tts" ``AudioJob``. The worker
(``jobs``, ``flask audio work``) runs ``fetch``: gTTS, at most one HTTP request a second in
this process, behind a circuit breaker (15 min after 429/5xx, 5 min after a connection
error); when Google cannot be reached, espeak-ng's Central Vietnamese voice stands in,
labelled a machine voice, and is replaced once gTTS answers again. Either way the file goes
through the recordings' ``pipeline`` (probe, decode, the same −16 LUFS gain, MP3) and lands in
``media/tts/vi/<engine>/ab/<key>.mp3`` with one ``os.replace``. Pages only ask
``url_for_text``/``ready_clips`` (a cached file or None: "no audio yet"); nothing here fetches
in a page request.

No machine voice ever reads Hrê or Co: ``synthesize`` (the only way to an engine) and
``request`` refuse every language but Vietnamese before anything else happens.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import abort, current_app, has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from search_index.normalize import clean

from ..db import session as request_session
from . import bp, jobs, storage
from .models import AudioJob, TtsClip

GTTS, ESPEAK = "gtts", "espeak-ng"
DEFAULT_ENGINES = [GTTS, ESPEAK]
#: Engines whose clips pages label as a machine voice ("giọng máy"); gTTS is the voice we aim
#: for, so a clip from these is a stand-in, replaced when gTTS answers.
MACHINE_VOICE_ENGINES = frozenset({ESPEAK})
QUEUED, READY, FAILED = "queued", "ready", "failed"

# The key names the speech we want, whichever engine made the file: the engine family and
# voice we aim for (gTTS, translate.google.com), the language, the speed and the text. A new
# voice or recipe changes the key, so old files are never served for it.
KEY_FAMILY, KEY_VOICE = "gtts", "com"
GTTS_TIMEOUT = (5, 15)  # (connect, read) seconds; gTTS waits forever by default
REQUEST_INTERVAL = 1.0  # seconds between two requests to Google, across the process
BACKOFF_SECONDS = 15 * 60  # after 429 or 5xx (Google's "slow down")
OFFLINE_SECONDS = 5 * 60  # after a connection error: pages stay fast while offline
MAX_CHARS = 500  # a short paragraph (gTTS asks ≤ 100 characters a request)
ESPEAK_VOICES = ("vi-vn-x-central", "vi")  # Central suits Quảng Ngãi; "vi" if it is missing
ESPEAK_SPEED = {False: 160, True: 110}  # words per minute
UPGRADE_BATCH = 20
_KEY = re.compile(r"[0-9a-f]{64}")


class TtsRefused(ValueError):
    """Text that will not be spoken: another language than Vietnamese (above all Hrê and Co,
    which only people speak), nothing to say, or too much."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


class EngineUnavailable(RuntimeError):
    """The engine could not be asked now (offline, backing off, not installed): try later."""


class EngineRefused(RuntimeError):
    """The engine answered, but not with usable speech for this text."""


def _require_vietnamese(lang: str) -> None:
    if lang != "vi":
        raise TtsRefused("language", f"no machine voice reads {lang!r}: only Vietnamese ('vi')")


def clip_key(text: str, slow: bool, engine_version: str = "t1") -> str:
    """The cache key (and file name) of ``text`` spoken in Vietnamese at a speed; the text is
    keyed as spoken, in ``clean``'s form (NFC, canonical tone placement, one space).

    >>> k = clip_key("Hoà  bình", False)
    >>> len(k), k == clip_key("Hòa bình", False), k == clip_key("Hòa bình", True)
    (64, True, False)
    """
    payload = f"{KEY_FAMILY}|{KEY_VOICE}|vi|{bool(slow)}|{clean(text)}|{engine_version}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def clip_path(engine: str, key: str) -> str:
    """Where a clip lives, relative to the media folder."""
    if not _KEY.fullmatch(key) or engine not in ENGINES:
        raise ValueError(f"not a TTS clip: {engine!r} {key!r}")
    return f"tts/vi/{engine}/{key[:2]}/{key}.mp3"


def engines() -> list[str]:
    """The engines to try, in order (``TTS_ENGINES``; an empty list turns speech off)."""
    names = current_app.config.get("TTS_ENGINES", DEFAULT_ENGINES)
    if isinstance(names, str):  # DICTIONARY_TTS_ENGINES=gtts,espeak-ng
        names = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in names if n not in ENGINES]
    if unknown:
        raise ValueError(f"TTS_ENGINES names unknown engines {unknown}; known: {sorted(ENGINES)}")
    return list(names)


# ---- the engines: state shared by the whole process -----------------------------------------
class EngineState:
    """The throttle and the circuit breaker, one per process (``STATE``). ``clock`` and
    ``sleep`` are injectable so tests can walk through a 15-minute back-off instantly."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 interval: float = REQUEST_INTERVAL) -> None:
        self.clock, self.sleep, self.interval = clock, sleep, interval
        self._lock = threading.Lock()
        self._last: float | None = None
        self._closed_until: dict[str, float] = {}
        self.reasons: dict[str, str] = {}

    def wait_turn(self) -> None:
        """Block until a request may go out; the lock is held while waiting, so threads
        queue up behind each other instead of all firing when the second is over."""
        with self._lock:
            now = self.clock()
            if self._last is not None and now < self._last + self.interval:
                self.sleep(self._last + self.interval - now)
                now = self.clock()
            self._last = now

    def available(self, engine: str) -> bool:
        until = self._closed_until.get(engine)
        return until is None or self.clock() >= until

    def back_off(self, engine: str, seconds: float, reason: str) -> None:
        self._closed_until[engine] = self.clock() + seconds
        self.reasons[engine] = reason

    def retry_in(self, engine: str) -> float:
        """Seconds until ``engine`` may be asked again (0 when it may now)."""
        return max(0.0, self._closed_until.get(engine, 0.0) - self.clock())


STATE = EngineState()


def _gtts(text: str, slow: bool, workdir: Path) -> Path:
    """Google Translate's voice through gTTS, into a scratch file (never into the cache:
    gTTS leaves a 0-byte or partial file when a request fails)."""
    from gtts import gTTS, gTTSError

    out = workdir / "gtts.mp3"
    try:
        tts = gTTS(text, lang="vi", slow=slow, timeout=GTTS_TIMEOUT)
        parts = len(tts.get_bodies())  # one request per ≤ 100-character part
    except AssertionError as exc:  # nothing left to say after gTTS's cleaning
        raise EngineRefused(f"gTTS: {exc}") from None
    try:
        with open(out, "wb") as f:
            stream, written = tts.stream(), 0
            while True:
                # stream() sends part i's request on its i-th step: one turn per request,
                # none for the last step, which only ends the iteration.
                if written < parts:
                    STATE.wait_turn()
                chunk = next(stream, None)
                if chunk is None:
                    break
                f.write(chunk)
                written += 1
    except gTTSError as exc:
        status = getattr(exc.rsp, "status_code", None)
        if status is None:
            reason, seconds = f"gTTS offline: {exc}", OFFLINE_SECONDS
        else:  # 429 (blocked), 5xx, or an answer without audio: leave Google alone a while
            reason, seconds = f"gTTS backing off after HTTP {status}: {exc}", BACKOFF_SECONDS
        STATE.back_off(GTTS, seconds, reason)
        raise EngineUnavailable(reason) from None
    return out


def _espeak(text: str, slow: bool, workdir: Path) -> Path:
    """espeak-ng's Vietnamese voice, offline. The text goes in a file (``-f``), so nothing in
    it can be read as an option."""
    source, out = workdir / "espeak.txt", workdir / "espeak.wav"
    source.write_text(text, encoding="utf-8")
    errors = []
    for voice in ESPEAK_VOICES:
        try:
            done = subprocess.run(
                ["espeak-ng", "-v", voice, "-b", "1", "-s", str(ESPEAK_SPEED[bool(slow)]),
                 "-f", str(source), "-w", str(out)],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineUnavailable(f"espeak-ng: {exc}") from None
        if done.returncode == 0 and out.is_file():
            return out
        errors.append(f"{voice}: {done.stderr.decode('utf-8', 'replace').strip()[:200]}")
    raise EngineUnavailable(f"espeak-ng: {'; '.join(errors)}")


ENGINES: dict[str, Callable[[str, bool, Path], Path]] = {GTTS: _gtts, ESPEAK: _espeak}


def synthesize(text: str, workdir: Path, *, lang: str, slow: bool = False,
               engine: str = GTTS) -> Path:
    """The one way to a machine voice: ``text`` spoken by ``engine`` into a raw file in
    ``workdir``. Anything but Vietnamese is refused before an engine is even looked up."""
    _require_vietnamese(lang)
    if engine not in ENGINES:
        raise ValueError(f"unknown TTS engine {engine!r}")
    if not STATE.available(engine):
        raise EngineUnavailable(f"{STATE.reasons.get(engine, engine + ' backing off')}; "
                                f"retry in {STATE.retry_in(engine):.0f} s")
    return ENGINES[engine](text, slow, workdir)


# ---- asking for speech, finding it ----------------------------------------------------------
def request(session: Session, text: str, *, slow: bool = False, lang: str = "vi") -> TtsClip:
    """The clip for ``text``, queued for the worker when there is none yet (the caller
    commits, then ``jobs.kick()``). Never fetches. A stand-in (machine voice) clip is queued
    again for gTTS, and a failed one is given another chance."""
    _require_vietnamese(lang)
    spoken = clean(text)
    if not spoken:
        raise TtsRefused("empty", "there is no text to speak")
    if len(spoken) > MAX_CHARS:
        raise TtsRefused("too_long", f"longer than {MAX_CHARS} characters")
    key = clip_key(spoken, slow)
    clip = session.get(TtsClip, key)
    if clip is None:
        clip = TtsClip(key=key, text=spoken, slow=bool(slow), status=QUEUED, attempts=0)
        session.add(clip)
        session.flush()  # a second request in this transaction finds it
        jobs.enqueue(session, "tts", key)
        return clip
    if clip.status == FAILED:
        clip.status = QUEUED
    order = engines()
    if clip.status == QUEUED or (clip.engine in order[1:] and STATE.available(order[0])):
        _enqueue_once(session, key)
    return clip


def _enqueue_once(session: Session, key: str) -> None:
    """A job for ``key`` unless one is waiting: its retry delay is kept (``enqueue`` would
    make it due now, and saving a lesson should not hurry a back-off)."""
    if session.scalar(select(AudioJob.id).where(AudioJob.kind == "tts",
                                                AudioJob.ref == key)) is None:
        jobs.enqueue(session, "tts", key)


def ready_clips(session: Session, texts: Iterable[str], slow: bool = False) -> dict[str, TtsClip]:
    """{text: clip} for the texts whose speech is cached (one query); the others are absent,
    and the page says "no audio yet". ``clip.engine in MACHINE_VOICE_ENGINES``: label it a
    machine voice."""
    keys = {clip_key(t, slow): t for t in texts if clean(t)}
    if not keys:
        return {}
    found = session.scalars(select(TtsClip).where(TtsClip.key.in_(keys),
                                                  TtsClip.status == READY))
    return {keys[c.key]: c for c in found if c.path and _exists(c.path)}


def url_for_clip(clip: TtsClip) -> str:
    """The public URL; ``v`` changes when a better engine replaces the file, so browsers
    that kept the machine voice for 30 days fetch the new one."""
    if has_request_context():
        return url_for("audio.tts_clip", key=clip.key, v=clip.engine)
    return f"/audio/tts/{clip.key}.mp3?v={clip.engine}"


def url_for_text(session: Session, text: str, slow: bool = False) -> str | None:
    """The URL of the cached Vietnamese speech of ``text``, or None ("no audio yet")."""
    clip = ready_clips(session, [text], slow).get(text)
    return url_for_clip(clip) if clip is not None else None


def _exists(relative: str) -> bool:
    try:
        return storage.absolute(relative).is_file()
    except ValueError:
        return False


# ---- the worker ------------------------------------------------------------------------------
def fetch(session: Session, job: AudioJob) -> None:
    """Worker handler for "tts" jobs: make the clip with the best engine that answers.
    Raises (the job is retried later) only when no engine could be asked and there is no
    clip yet; a stand-in clip waits for ``requeue_upgrades``."""
    from .pipeline import AudioRefused, process

    clip = session.get(TtsClip, job.ref)
    if clip is None or clip.status == FAILED:
        return
    order = engines()
    current = clip.engine if clip.status == READY and clip.path and _exists(clip.path) else None
    if current is not None and current not in order[1:]:
        return  # made by the first engine (or one no longer configured): nothing better to try
    better = order[:order.index(current)] if current is not None else order
    unavailable: list[str] = []
    refused: list[str] = []
    work = storage.scratch(f"tts-{job.id}-{clip.key[:16]}")
    try:
        for engine in better:
            folder = work / engine
            folder.mkdir(exist_ok=True)  # a worker killed mid-job may have left it
            try:
                raw = synthesize(clip.text, folder, lang="vi", slow=clip.slow, engine=engine)
                if raw.stat().st_size == 0:
                    raise EngineRefused(f"{engine}: an empty file")
                done = process(raw, folder / "out", word=False)
            except EngineUnavailable as exc:
                unavailable.append(str(exc))
                continue
            except EngineRefused as exc:
                refused.append(str(exc))
                continue
            except AudioRefused as exc:
                refused.append(f"{engine}: {exc.message}")
                continue
            relative = clip_path(engine, clip.key)
            storage.put(Path(done.path), relative)
            if clip.path and clip.path != relative:
                storage.remove(clip.path)  # the stand-in it replaces
            clip.engine, clip.path, clip.status, clip.last_error = engine, relative, READY, None
            clip.attempts = (clip.attempts or 0) + 1
            if engine == order[0]:
                requeue_upgrades(session)  # it answers again: replace a few stand-ins
            return
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if current is not None:
        return  # no upgrade this time; the stand-in stays
    if unavailable:
        raise EngineUnavailable("; ".join(unavailable + refused))
    clip.status, clip.attempts = FAILED, (clip.attempts or 0) + 1
    clip.last_error = "; ".join(refused) or "no TTS engine is configured"


def requeue_upgrades(session: Session, limit: int = UPGRADE_BATCH) -> int:
    """Queue stand-in clips (made by a later engine than the first) for another try; returns
    how many. Called after gTTS answers, and by anyone who wants the stand-ins replaced."""
    order = engines()
    if len(order) < 2 or not STATE.available(order[0]):
        return 0
    waiting = select(AudioJob.ref).where(AudioJob.kind == "tts")
    keys = session.scalars(select(TtsClip.key).where(
        TtsClip.status == READY, TtsClip.engine.in_(order[1:]), TtsClip.key.not_in(waiting))
        .order_by(TtsClip.created_at).limit(limit)).all()
    for key in keys:
        jobs.enqueue(session, "tts", key)
    return len(keys)


def drift(session: Session) -> list[str]:
    """For ``audio check``: ready clips without their file, and files no ready clip names."""
    problems, known = [], set()
    for clip in session.scalars(select(TtsClip).where(TtsClip.status == READY)):
        known.add(clip.path)
        if not clip.path or not _exists(clip.path):
            problems.append(f"tts {clip.key}: ready, but its file {clip.path} is missing")
    folder = storage.media_root() / "tts"
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        relative = path.relative_to(storage.media_root()).as_posix()
        if path.is_file() and relative not in known:
            problems.append(f"{relative}: a file no TTS clip names")
    return problems


# ---- serving ---------------------------------------------------------------------------------
@bp.get("/audio/tts/<key>.mp3")
def tts_clip(key: str):
    """A cached clip (206/416/304, ``storage.send_mp3``); 404 for anything not ready."""
    if not _KEY.fullmatch(key):
        abort(404)
    clip = request_session().get(TtsClip, key)
    if clip is None or clip.status != READY:
        abort(404)
    return storage.send_mp3(clip.path)
