"""The public audio URLs: a published, consented clip's playback copy, and nothing else.

Where it sits: on the ``audio`` blueprint; pages link here through ``consent.playable``.
``send_file(conditional=True)`` answers Range requests (206, 416) and revalidation (304):
phones seek with Range, and Safari will not play a clip without it. Cached for 30 days but
not ``immutable``, so a withdrawal reaches caches that revalidate. A withdrawn clip, or one
whose consent no longer covers the web, answers 410 Gone; anything not (yet) public is 404,
the same as a clip that never existed. Originals are never served here.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from ..db import session
from ..models import Entry
from . import bp, storage
from .consent import public
from .models import LESSONS, PUBLISHED, WEB, WITHDRAWN, Consent, Recording



@bp.get("/audio/<uuid>.mp3")
def clip(uuid: str):
    """A clip on the public pages (consent for the web)."""
    return _serve(uuid, WEB)


@bp.get("/audio/lessons/<uuid>.mp3")
def lesson_clip(uuid: str):
    """A clip in the lessons' listening exercises (consent for lessons)."""
    return _serve(uuid, LESSONS)


def _serve(uuid: str, scope: str):
    s = session()
    recording = s.scalar(select(Recording).where(Recording.uuid == uuid))
    if recording is None:
        abort(404)
    if recording.status == WITHDRAWN or recording.consent.withdrawn_at is not None \
            or (recording.status == PUBLISHED and not recording.consent.allows(scope)):
        abort(410)
    allowed = s.scalar(select(Recording.id).join(Consent, Recording.consent_id == Consent.id)
                       .join(Entry, Recording.entry_id == Entry.id)
                       .where(Recording.id == recording.id, *public(scope)))
    if allowed is None:
        abort(404)
    return storage.send_mp3(recording.playback_path)
