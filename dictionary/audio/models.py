"""Recordings of Hrê and Co words by consenting speakers, and the cached Vietnamese speech.

Where it sits: tables of the audio package (``dictionary.audio``), on the dictionary's
``Base``. A ``Recording`` belongs to an entry (or one of its examples, named by its public id,
``dictionary.sense_ids``), a ``Speaker`` and the ``Consent`` it was made under. Nothing is
public unless a named reviewer approved it (``status`` published) **and** that consent is
active for the use (``consent.py`` is the one place that decides). ``AudioJob`` is the
worker's outbox, like the search index's: a job is written in the transaction that needs it
and removed only when done. ``TtsClip`` is the cache of Vietnamese speech (never Hrê or Co).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..models import Base, Entry, User, utcnow

# Recording status: processing → pending_review → published | rejected | withdrawn; failed
# when the file could not be processed (the reason in ``error``); rerecord: the reviewer
# asked for a new take.
PROCESSING, PENDING, PUBLISHED, REJECTED, WITHDRAWN, FAILED, RERECORD = (
    "processing", "pending_review", "published", "rejected", "withdrawn", "failed", "rerecord")
RECORDING_STATUSES = (PROCESSING, PENDING, PUBLISHED, REJECTED, WITHDRAWN, FAILED, RERECORD)

# Consent scopes: what a speaker allowed their voice to be used for.
WEB, LESSONS, EXPORTS, ML = "web", "lessons", "exports", "ml"
SCOPES = (WEB, LESSONS, EXPORTS, ML)
CONSENT_METHODS = ("signed_form", "recorded_oral", "witnessed_oral")
LICENSES = ("CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "display-only")


class Speaker(Base):
    __tablename__ = "speaker"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)  # spk-0001
    language_code: Mapped[str] = mapped_column(String(8))
    display_name: Mapped[str] = mapped_column(String(120))  # what pages show (may be initials)
    full_name: Mapped[str] = mapped_column(String(200), default="")  # curators only
    village: Mapped[str] = mapped_column(String(120), default="")
    dialect: Mapped[str] = mapped_column(String(120), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    consents: Mapped[list[Consent]] = relationship(
        back_populates="speaker", order_by="Consent.obtained_at", cascade="all, delete-orphan")


class Consent(Base):
    """How and when a speaker agreed, to what, under which licence; and its withdrawal.
    Every scope is off until ticked: machine-learning use in particular is never assumed."""

    __tablename__ = "speaker_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    speaker_id: Mapped[int] = mapped_column(ForeignKey("speaker.id"), index=True)
    obtained_at: Mapped[dt.datetime] = mapped_column(DateTime)
    obtained_by: Mapped[str] = mapped_column(String(200))  # the person who asked
    method: Mapped[str] = mapped_column(String(24))  # CONSENT_METHODS
    evidence_path: Mapped[str | None] = mapped_column(String(300))  # under media/consent/
    witness: Mapped[str] = mapped_column(String(200), default="")
    scope_web: Mapped[bool] = mapped_column(Boolean, default=False)
    scope_lessons: Mapped[bool] = mapped_column(Boolean, default=False)
    scope_exports: Mapped[bool] = mapped_column(Boolean, default=False)
    scope_ml: Mapped[bool] = mapped_column(Boolean, default=False)
    license: Mapped[str] = mapped_column(String(32))  # LICENSES
    attribution: Mapped[str] = mapped_column(String(300), default="")
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    speaker: Mapped[Speaker] = relationship(back_populates="consents")

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    def allows(self, scope: str) -> bool:
        return self.active and bool(getattr(self, f"scope_{scope}"))


class Recording(Base):
    """One take. ``target`` is the entry's public id, or an example's (``hre-000123/1/2``);
    with the original's hash it is unique, so a double submit is one row."""

    __tablename__ = "recording"
    __table_args__ = (UniqueConstraint("target", "original_sha256", name="uq_recording_take"),
                      Index("ix_recording_status", "status", "uploaded_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id"), index=True)
    target: Mapped[str] = mapped_column(String(40), index=True)
    speaker_id: Mapped[int] = mapped_column(ForeignKey("speaker.id"), index=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("speaker_consent.id"), index=True)
    text_snapshot: Mapped[str] = mapped_column(Text, default="")  # the form as recorded
    source: Mapped[str] = mapped_column(String(16), default="upload")  # upload|browser|import
    status: Mapped[str] = mapped_column(String(16), default=PROCESSING)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    review_comment: Mapped[str | None] = mapped_column(Text)
    original_path: Mapped[str] = mapped_column(String(300))  # relative to the media folder
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_bytes: Mapped[int] = mapped_column(Integer)
    original_format: Mapped[str] = mapped_column(String(40), default="")
    original_codec: Mapped[str] = mapped_column(String(40), default="")
    playback_path: Mapped[str | None] = mapped_column(String(300))
    playback_bytes: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)  # of the playback copy, decoded
    original_ms: Mapped[int | None] = mapped_column(Integer)  # of the original, decoded
    trimmed_ms: Mapped[int | None] = mapped_column(Integer)
    trim_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    lufs_in: Mapped[float | None] = mapped_column(Float)
    lufs_out: Mapped[float | None] = mapped_column(Float)
    peak_out: Mapped[float | None] = mapped_column(Float)  # dBTP of the playback copy
    gain_db: Mapped[float | None] = mapped_column(Float)
    peak_limited: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)  # why processing refused it (English)
    error_reason: Mapped[str | None] = mapped_column(String(24))  # its code, for the pages
    # The lexicon import it came with (``bulk``): reverting that import takes it off too.
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)

    entry: Mapped[Entry] = relationship()
    speaker: Mapped[Speaker] = relationship()
    consent: Mapped[Consent] = relationship()
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])


class AudioJob(Base):
    """The worker's outbox (``flask audio work``): ``kind`` process (``ref`` a recording's
    uuid) or tts (``ref`` a ``TtsClip`` key)."""

    __tablename__ = "audio_job"
    __table_args__ = (UniqueConstraint("kind", "ref", name="uq_audio_job"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(64))
    run_after: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class TtsClip(Base):
    """Vietnamese speech for one text, fetched once by the worker and kept on disk."""

    __tablename__ = "tts_clip"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of engine|voice|…|text
    text: Mapped[str] = mapped_column(Text)
    slow: Mapped[bool] = mapped_column(Boolean, default=False)
    engine: Mapped[str | None] = mapped_column(String(24))  # gtts | espeak-ng, once made
    path: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|ready|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
