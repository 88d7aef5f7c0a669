"""Where audio files live: under ``<instance>/media/``, named only from uuids and hashes.

Where it sits: below ``intake``, ``jobs`` and the serving routes. A client's file name never
reaches the disk (``../../x.mp3`` or a non-UTF-8 name is just a label). Originals are kept as
uploaded and never served publicly; playback copies carry the recipe version (``p1``), so a
new recipe writes new files beside the old ones::

    media/audio/orig/ab/<uuid>.<ext>      the bytes as received (mode 0440)
    media/audio/play/ab/<uuid>.p1.mp3     the loudness-normalised playback copy
    media/consent/<speaker>/<uuid>.<ext>  consent evidence (curators only)
    media/tts/vi/<engine>/ab/<key>.mp3    Vietnamese speech
    media/tmp/<job>/                      scratch space of one job, removed after it
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from flask import abort, current_app, send_file

RECIPE = "p1"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_EXT = re.compile(r"[a-z0-9]{1,8}")


def media_root() -> Path:
    return Path(current_app.instance_path) / "media"


def _checked(uuid: str) -> str:
    if not _UUID.fullmatch(uuid):
        raise ValueError(f"not a recording id: {uuid!r}")
    return uuid


def original_path(uuid: str, ext: str) -> str:
    """Relative path of an original (``ext`` comes from the probe, never the client)."""
    if not _EXT.fullmatch(ext):
        raise ValueError(f"not a file extension: {ext!r}")
    return f"audio/orig/{_checked(uuid)[:2]}/{uuid}.{ext}"


def playback_path(uuid: str) -> str:
    return f"audio/play/{_checked(uuid)[:2]}/{uuid}.{RECIPE}.mp3"


def absolute(relative: str) -> Path:
    """The file ``relative`` names under the media folder; ``ValueError`` if it would leave
    it (an absolute path, ``..``, a symlink out)."""
    root = media_root().resolve()
    path = (root / relative).resolve()
    if not relative or "\x00" in relative or not path.is_relative_to(root):
        raise ValueError(f"outside the media folder: {relative!r}")
    return path


def put(source: Path, relative: str, mode: int = 0o644) -> Path:
    """Move ``source`` to ``relative`` atomically (same file system: scratch space is under
    the media folder too), creating folders; returns the final path."""
    target = absolute(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(source, mode)
    os.replace(source, target)
    return target


def remove(relative: str | None) -> None:
    if relative:
        try:
            absolute(relative).unlink(missing_ok=True)
        except ValueError:  # a path outside the media folder is never ours to delete
            pass


def scratch(name: str) -> Path:
    """A fresh scratch folder for one job or upload (the caller removes it)."""
    folder = media_root() / "tmp" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


PUBLIC_MAX_AGE = 30 * 24 * 3600  # 30 days, not ``immutable``: a withdrawal must reach caches


def send_mp3(relative: str | None):
    """A public MP3 under the media folder, or 404. ``send_file(conditional=True)`` answers
    Range requests (206, 416) and revalidation (304): phones seek with Range, and Safari
    will not play a clip without it."""
    try:
        path = absolute(relative or "")
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    accel = current_app.config["MEDIA_ACCEL_REDIRECT"]
    if accel:
        # Behind nginx: the access checks are done, nginx sends the file (Range, 304) from
        # its internal location for the media folder (deploy/nginx-tudien.conf).
        response = current_app.response_class(mimetype="audio/mpeg")
        response.headers["X-Accel-Redirect"] = accel.rstrip("/") + "/" + \
            path.relative_to(media_root().resolve()).as_posix()
    else:
        response = send_file(path, mimetype="audio/mpeg", conditional=True,
                             max_age=PUBLIC_MAX_AGE)
    response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
