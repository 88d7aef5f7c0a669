"""Human recordings for lessons: which entries have one a learner may hear, and the file itself.

Where it sits: the dictionary's ``Media`` rows (kind ``audio``) → ``approved_audio`` gives
``content.views`` one URL per entry → the listening exercises (``exercises``) play it from
``GET /lessons/recording/<id>`` below. Only a recording that a curator published, whose
speaker consented, of a published entry, is ever named or served; anything else is a 404,
the same answer as a recording that does not exist. No machine voice ever stands in for one:
an exercise that needs audio is simply not generated without it.

This is the hook the audio issue replaces: it will own recording, review and storage; the
lessons only need "public id → URL" and a route that serves the file with Range support
(phones seek and resume audio with Range requests).

Files live under ``<instance>/media/``; ``Media.path`` is relative to that folder, and a path
that would leave it (``../``, an absolute path, a symlink out) is refused.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flask import abort, current_app, has_request_context, send_file, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from dictionary.db import session as request_session
from dictionary.models import PUBLISHED, Entry, Media

from . import bp

__all__ = ["AUDIO", "approved_audio", "media_root", "recording", "recording_url"]

AUDIO = "audio"
ROUTE = "/recording/<int:media_id>"
# A recording's file never changes under its id (a new take is a new Media row): phones may
# keep it a day and skip the download when the learner repeats the lesson.
MAX_AGE = 24 * 3600


def _approved():
    """The conditions on a Media row (and its entry) for it to be heard in a lesson."""
    return (Media.kind == AUDIO, Media.status == PUBLISHED, Media.consent.is_(True),
            Entry.status == PUBLISHED)


def recording_url(media_id: int) -> str:
    # url_for needs a request (or SERVER_NAME); outside one (a CLI, a test building
    # exercises) the path under the blueprint is the same.
    if has_request_context():
        return url_for("lessons.recording", media_id=media_id)
    return f"{bp.url_prefix}{ROUTE.replace('<int:media_id>', str(media_id))}"


def approved_audio(session: Session, public_ids: Iterable[str]) -> dict[str, str]:
    """Public id → URL of the entry's approved recording (the oldest, if several), for the
    entries in ``public_ids`` that have one whose file is in place (a row whose file is
    missing would give a listening exercise with nothing to hear)."""
    wanted = set(public_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Entry.public_id, Media.id, Media.path).join(Media, Media.entry_id == Entry.id)
        .where(Entry.public_id.in_(wanted), *_approved())
        .order_by(Media.id))
    found: dict[str, str] = {}
    for public_id, media_id, path in rows:
        if public_id not in found and _file_of(path) is not None:
            found[public_id] = recording_url(media_id)
    return found


def media_root() -> Path:
    return Path(current_app.instance_path) / "media"


def _file_of(media_path: str) -> Path | None:
    """The file under the media folder that ``media_path`` names, or None if it names
    something outside the folder or no file."""
    root = media_root().resolve()
    if not media_path or "\x00" in media_path:
        return None
    path = (root / media_path).resolve()  # resolves ``..`` and symlinks before the check
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


@bp.get(ROUTE)
def recording(media_id: int):
    """The audio file of an approved recording (conditional: Range requests get 206)."""
    s = request_session()
    row = s.execute(select(Media.path).join(Entry, Media.entry_id == Entry.id)
                    .where(Media.id == media_id, *_approved())).first()
    path = _file_of(row.path) if row is not None else None
    if path is None:
        abort(404)
    return send_file(path, conditional=True, max_age=MAX_AGE)
