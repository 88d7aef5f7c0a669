"""A recording comes in: checked, stored as received, and handed to the worker.

Where it sits: the upload views (``views``, and imports) call ``accept``; it refuses what
is not audio before anything is kept (a synchronous ``ffprobe`` of a few tenths of a second),
stores the original under a name made from a new uuid (``storage``), and writes the
``Recording`` (``processing``) with a "process" job in the caller's transaction. The worker
then runs ``process_job``: the ``pipeline`` makes the playback copy and the figures, and the
recording waits for review. A file that turns out not to be usable (too short, no speech…)
ends ``failed`` with the reason, shown to the curator; nothing is ever published by intake.
"""
from __future__ import annotations

import hashlib
import shutil
import uuid as uuidlib
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from .. import sense_ids
from ..models import Entry
from . import jobs, storage
from .models import FAILED, PENDING, PROCESSING, AudioJob, Consent, Recording, Speaker

CHUNK = 1 << 16


class Refused(ValueError):
    """The upload cannot become a recording; ``reason`` is a code the page translates."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


def active_consent(speaker: Speaker) -> Consent | None:
    """The consent a new recording is made under: the speaker's newest, if not withdrawn."""
    newest = max(speaker.consents, key=lambda c: (c.obtained_at, c.id), default=None)
    return newest if newest is not None and newest.active else None


def _entry_of(session: Session, target: str) -> tuple[Entry, str]:
    public_id = target
    if "/" in target:
        try:
            ref = sense_ids.parse(target)
        except ValueError:
            raise Refused("target", f"{target!r} is not an entry or example id") from None
        if ref.example is None:
            raise Refused("target", "a recording belongs to an entry or an example")
        public_id = ref.public_id
    entry = session.scalar(select(Entry).where(Entry.public_id == public_id))
    if entry is None:
        raise Refused("target", f"there is no entry {public_id}")
    if "/" in target and target not in sense_ids.resolve(session, [target], published_only=False):
        raise Refused("target", f"there is no example {target}")
    return entry, public_id


def _snapshot(session: Session, entry: Entry, target: str) -> str:
    if "/" not in target:
        return entry.headword
    example = sense_ids.resolve(session, [target], published_only=False)[target]
    return example.text


def accept(session: Session, user, *, target: str, speaker: Speaker, file: FileStorage,
           source: str = "upload") -> Recording:
    """Store ``file`` as a new recording of ``target`` (an entry's public id or an example
    id) by ``speaker``; ``Refused`` (nothing kept) when it cannot be. The caller commits, then
    calls ``jobs.kick()``. The same bytes for the same target again return the first
    recording (a double submit is one row)."""
    from .ffmpeg import probe
    from .pipeline import AudioRefused

    entry, _public_id = _entry_of(session, target)
    if speaker.language_code != entry.language.code:
        raise Refused("speaker", "the speaker does not speak the entry's language")
    consent = active_consent(speaker)
    if consent is None:
        raise Refused("consent", "the speaker has no active consent")
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    new_id = str(uuidlib.uuid4())
    work = storage.scratch(f"upload-{new_id}")
    try:
        raw = work / "upload"
        digest, size = hashlib.sha256(), 0
        with open(raw, "wb") as out:
            while chunk := file.stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise Refused("too_large", "the file is larger than the upload limit")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise Refused("empty", "the file is empty")
        sha = digest.hexdigest()
        same = session.scalar(select(Recording).where(Recording.target == target,
                                                      Recording.original_sha256 == sha))
        if same is not None:
            return same
        try:
            found = probe(raw)
        except AudioRefused as exc:
            raise Refused(exc.reason, exc.message) from None
        ext = _extension(found.format_name)
        relative = storage.original_path(new_id, ext)
        storage.put(raw, relative, mode=0o440)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    recording = Recording(
        uuid=new_id, entry=entry, target=target, speaker=speaker, consent=consent,
        text_snapshot=_snapshot(session, entry, target), source=source, status=PROCESSING,
        uploaded_by_id=getattr(user, "id", None), original_path=relative,
        original_sha256=sha, original_bytes=size, original_format=found.format_name,
        original_codec=found.codec or "")
    session.add(recording)
    jobs.enqueue(session, "process", new_id)
    return recording


def _extension(format_name: str) -> str:
    """A file extension from ffprobe's format name (``mov,mp4,m4a,3gp,3g2,mj2`` → ``mp4``)."""
    first = format_name.split(",")[0]
    return {"mov": "mp4", "matroska": "webm", "mp3": "mp3"}.get(first, first)[:8] or "bin"


def process_job(session: Session, job: AudioJob) -> None:
    """Worker handler: make the playback copy and the figures of one recording."""
    from .pipeline import AudioRefused, process

    recording = session.scalar(select(Recording).where(Recording.uuid == job.ref))
    if recording is None or recording.status != PROCESSING:
        return  # withdrawn or deleted meanwhile: nothing to do
    work = storage.scratch(f"job-{job.id}-{recording.uuid}")
    try:
        try:
            done = process(storage.absolute(recording.original_path), work,
                           word="/" not in recording.target)
        except AudioRefused as exc:
            recording.status, recording.error = FAILED, exc.message
            recording.error_reason = exc.reason
            return
        relative = storage.playback_path(recording.uuid)
        storage.put(Path(done.path), relative)
        for name in ("original_ms", "duration_ms", "trimmed_ms", "trim_fallback", "lufs_in",
                     "lufs_out", "peak_out", "gain_db", "peak_limited", "playback_bytes"):
            setattr(recording, name, getattr(done, name))
        recording.playback_path, recording.status, recording.error = relative, PENDING, None
        recording.error_reason = None
    finally:
        shutil.rmtree(work, ignore_errors=True)
