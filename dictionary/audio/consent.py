"""What may be heard where: the one place that decides whether a recording is public.

Where it sits: the public routes (``serving``), the entry pages, the lessons' listening
exercises and the exports all ask here. A recording is heard for a use (``scope``: web,
lessons, exports, ml) only when a reviewer published it **and** the consent it was made
under is still active and covers that use, and its entry is published. Withdrawing a consent
(``withdraw``) takes every clip made under it off at once: their status becomes
``withdrawn``, the playback copies are deleted, and their URLs answer 410 Gone from the next
request on.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable

from flask import has_request_context, url_for
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, selectinload

from ..models import PUBLISHED as ENTRY_PUBLISHED
from ..models import Entry, utcnow
from . import storage
from .models import LESSONS, PENDING, PROCESSING, PUBLISHED, SCOPES, WITHDRAWN, Consent, Recording

__all__ = ["clip_url", "heard", "public", "playable", "withdraw"]


def public(scope: str) -> tuple:
    """SQL conditions (over ``Recording`` joined to its ``Consent`` and ``Entry``) for a
    recording that may be heard for ``scope``."""
    if scope not in SCOPES:
        raise ValueError(f"unknown consent scope {scope!r}")
    return (Recording.status == PUBLISHED, Consent.withdrawn_at.is_(None),
            getattr(Consent, f"scope_{scope}").is_(True), Entry.status == ENTRY_PUBLISHED)


def clip_url(uuid: str, scope: str = "web") -> str:
    """Where a clip is heard for ``scope``: the public pages, or the lessons' exercises (a
    consent may cover one and not the other)."""
    endpoint, prefix = ("audio.lesson_clip", "/audio/lessons") if scope == LESSONS \
        else ("audio.clip", "/audio")
    if has_request_context():
        return url_for(endpoint, uuid=uuid)
    return f"{prefix}/{uuid}.mp3"


def heard(session: Session, targets: Iterable[str], scope: str) -> dict[str, list[Recording]]:
    """Target → its recordings that may be heard for ``scope``, first approved first, with
    speaker and consent loaded (pages name the speaker and the licence beside each)."""
    wanted = set(targets)
    if not wanted:
        return {}
    found: dict[str, list[Recording]] = {}
    for recording in session.scalars(
            select(Recording).join(Consent, Recording.consent_id == Consent.id)
            .join(Entry, Recording.entry_id == Entry.id)
            .where(Recording.target.in_(wanted), *public(scope))
            .options(selectinload(Recording.speaker), selectinload(Recording.consent))
            .order_by(Recording.reviewed_at, Recording.id)):
        found.setdefault(recording.target, []).append(recording)
    return found


@functools.cache
def _playable_query(scope: str):
    """Built once per scope (every results page asks; building it cost as much as running
    it); the targets are bound at each call."""
    return (select(Recording.target, Recording.uuid)
            .join(Consent, Recording.consent_id == Consent.id)
            .join(Entry, Recording.entry_id == Entry.id)
            .where(Recording.target.in_(bindparam("targets", expanding=True)), *public(scope))
            .order_by(Recording.reviewed_at, Recording.id))


def playable(session: Session, targets: Iterable[str], scope: str) -> dict[str, str]:
    """Target (an entry's public id or an example id) → URL of its recording that may be
    heard for ``scope`` (the first approved, when there are several)."""
    wanted = set(targets)
    if not wanted:
        return {}
    rows = session.execute(_playable_query(scope), {"targets": sorted(wanted)})
    found: dict[str, str] = {}
    for target, uuid in rows:
        found.setdefault(target, clip_url(uuid, scope))
    return found


def withdraw(session: Session, consent: Consent, reason: str, user=None) -> int:
    """Withdraw ``consent``: its clips are off pages, lessons and exports from now on;
    returns how many clips it took off. The caller commits."""
    consent.withdrawn_at = utcnow()
    consent.withdrawal_reason = reason.strip() or None
    clips = session.scalars(select(Recording).where(
        Recording.consent_id == consent.id,
        Recording.status.in_((PUBLISHED, PENDING, PROCESSING)))).all()
    for clip in clips:
        storage.remove(clip.playback_path)
        clip.playback_path = None
    session.execute(update(Recording).where(Recording.id.in_([c.id for c in clips]))
                    .values(status=WITHDRAWN))
    return len(clips)
