"""Making real recordings in tests: a speaker with a consent, an upload through ``intake``,
the worker's job run, and a reviewer's approval, exactly as curators do it (only the audio
is synthetic: a generated tone or espeak-ng speaking Vietnamese, never passed off as Hrê)."""
from __future__ import annotations

import datetime as dt
import io
import math
import struct
import wave
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from dictionary.audio import intake, jobs, review
from dictionary.audio.models import Consent, Recording, Speaker
from dictionary.auth import create_user
from dictionary.db import get_db
from dictionary.models import Entry, User

PASSWORD = "correct horse battery"


def tone_wav(seconds: float = 1.0, hz: int = 440, rate: int = 16000, pad: float = 0.2) -> bytes:
    """A sine tone with a little silence around it (a synthetic fixture, nobody's voice)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        pad = int(rate * pad)
        body = int(rate * seconds)
        w.writeframes(b"\0\0" * pad + b"".join(
            struct.pack("<h", int(9000 * math.sin(2 * math.pi * hz * i / rate)))
            for i in range(body)) + b"\0\0" * pad)
    return buf.getvalue()


def account(s, email: str, role: str) -> User:
    return s.scalar(select(User).where(User.email == email)) or create_user(s, email, PASSWORD, role)


def speaker(s, language: str = "hre", *, scopes=("web", "lessons"), name: str = "Người nói thử"
            ) -> Speaker:
    number = (s.scalar(select(func.count()).select_from(Speaker)) or 0) + 1
    person = Speaker(public_id=f"spk-{number:04d}", language_code=language, display_name=name,
                     village="Làng thử")
    person.consents.append(Consent(
        obtained_at=dt.datetime(2026, 11, 1), obtained_by="Cán bộ thử", method="signed_form",
        license="CC-BY-4.0", **{f"scope_{scope}": True for scope in scopes}))
    s.add(person)
    s.flush()
    return person


def published(app, target: str, audio: bytes | None = None, *, scopes=("web", "lessons"),
              filename: str = "take.wav") -> str:
    """A published recording of ``target`` (entry or example id); returns its uuid."""
    with app.app_context(), get_db().Session() as s:
        entry = s.scalar(select(Entry).where(Entry.public_id == target.split("/")[0]))
        editor = account(s, "ghi-am@example.test", "editor")
        account(s, "duyet-am@example.test", "reviewer")
        person = speaker(s, entry.language.code, scopes=scopes)
        upload = FileStorage(io.BytesIO(audio or tone_wav()), filename=filename)
        recording = intake.accept(s, editor, target=target, speaker=person, file=upload)
        s.commit()
        uuid = recording.uuid
    jobs.run_pending(app)
    with app.app_context(), get_db().Session() as s:
        recording = s.scalar(select(Recording).where(Recording.uuid == uuid))
        assert recording.status == "pending_review", recording.error
        reviewer = s.scalar(select(User).where(User.email == "duyet-am@example.test"))
        review.approve(s, reviewer, recording)
        s.commit()
    return uuid


def media_file(app, relative: str) -> Path:
    return Path(app.instance_path) / "media" / relative


def pending(s, target: str) -> Recording:
    """A recording uploaded but not yet reviewed (processing: the worker has not run)."""
    entry = s.scalar(select(Entry).where(Entry.public_id == target.split("/")[0]))
    editor = account(s, "ghi-am@example.test", "editor")
    person = speaker(s, entry.language.code)
    return intake.accept(s, editor, target=target, speaker=person,
                         file=FileStorage(io.BytesIO(tone_wav(hz=550)), filename="x.wav"))
