"""Uploaded lexicon files waiting between their dry run and "Confirm import".

Where it sits: ``admin.imports`` stores an upload here after (or, for a large file, before)
its dry run; ``import_jobs`` reads it back in a background worker. Each upload is a folder
``instance/uploads/<random token>/`` with the bytes (``data``), an archive of recordings
sent with them (``audio.zip``, optional), the parameters and sha256s (``meta.json``) and the versions of the stored entries the last dry run saw
(``versions.json``, see ``importer.import_lexicon(expected=…)``). A token is never a path;
an upload older than ``IMPORT_UPLOAD_MAX_AGE`` is gone. Claiming an upload for the import is
an atomic rename (``<token>.importing``), so two clicks cannot import it twice.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask import current_app

UPLOAD_MAX_AGE = 6 * 3600  # seconds; config IMPORT_UPLOAD_MAX_AGE overrides
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
CLAIMED = ".importing"


@dataclass
class Upload:
    token: str
    user_id: int
    file_name: str
    lang: str
    source: str | None
    status: str
    sha256: str
    size: int
    created: float
    # False while a background dry run has not passed yet: such an upload cannot be confirmed.
    checked: bool = True
    lines: int = 0  # line breaks in the file: a cheap measure of its size in rows
    # The recordings sent with the file (``dictionary.audio.bulk``): a zip, and their speaker.
    audio_name: str = ""
    audio_sha256: str = ""
    audio_size: int = 0
    speaker: str | None = None
    # How the file is read, chosen after a dry run (``views.import_mapping``): the roles of
    # its writing systems, whether entries with problems are skipped, whether its source
    # remembers the mapping; and a source declared with the import (key, citation, license).
    ws: dict = field(default_factory=dict)
    markers: dict = field(default_factory=dict)  # Toolbox marker → meaning (a marker file)
    marker_origins: dict = field(default_factory=dict)  # marker → "file", "source", "chosen"
    skip_invalid: bool = False
    remember_mapping: bool = False
    new_source: dict | None = None

    @property
    def directory(self) -> Path:
        return uploads_dir() / self.token

    @property
    def claimed(self) -> Path:
        return uploads_dir() / (self.token + CLAIMED)

    def read(self, directory: Path | None = None) -> bytes | None:
        """The stored bytes, or None when they are not the bytes of the dry run."""
        try:
            data = ((directory or self.directory) / "data").read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == self.sha256 else None

    def audio_path(self, directory: Path | None = None) -> Path | None:
        """The stored archive of recordings, or None (none was sent, or it is not the one
        of the dry run: ``audio_damaged``)."""
        if not self.audio_sha256:
            return None
        path = (directory or self.directory) / "audio.zip"
        try:
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
        except OSError:
            return None
        return path if digest.hexdigest() == self.audio_sha256 else None

    def audio_damaged(self, directory: Path | None = None) -> bool:
        return bool(self.audio_sha256) and self.audio_path(directory) is None

    def versions(self, directory: Path | None = None) -> dict[str, int] | None:
        """The entry versions the last dry run saw (None: not recorded)."""
        try:
            found = json.loads(((directory or self.directory) / "versions.json").read_text())
        except (OSError, ValueError):
            return None
        return {str(k): int(v) for k, v in found.items()} if isinstance(found, dict) else None

    def save_versions(self, versions: dict[str, int]) -> None:
        _write_atomic(self.directory / "versions.json", json.dumps(versions).encode())

    def mark_checked(self) -> None:
        self.checked = True
        self.save()

    def save(self) -> None:
        """Write the parameters back (after a change of how the file is read)."""
        _write_atomic(self.directory / "meta.json", json.dumps(asdict(self)).encode())


def uploads_dir() -> Path:
    return Path(current_app.instance_path) / "uploads"


def max_age() -> float:
    return float(current_app.config.get("IMPORT_UPLOAD_MAX_AGE", UPLOAD_MAX_AGE))


def _write_atomic(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    os.replace(temporary, path)


def store_upload(data: bytes, audio: bytes | None = None, **params) -> Upload:
    upload = Upload(token=secrets.token_urlsafe(24), sha256=hashlib.sha256(data).hexdigest(),
                    size=len(data), created=time.time(), lines=data.count(b"\n"), **params)
    files = [("data", data)]
    if audio is not None:
        upload.audio_sha256, upload.audio_size = hashlib.sha256(audio).hexdigest(), len(audio)
        files.append(("audio.zip", audio))
    uploads_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
    upload.directory.mkdir(mode=0o700)
    for name, content in (*files, ("meta.json", json.dumps(asdict(upload)).encode())):
        fd = os.open(upload.directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
    return upload


def load_upload(token: str, directory: Path | None = None) -> Upload | None:
    """The upload of ``token`` (checked: never a path), or None when missing or expired.
    ``directory``: where its files are, when not in their usual place (claimed)."""
    if not _TOKEN.match(token):
        return None
    try:
        meta = json.loads(((directory or uploads_dir() / token) / "meta.json").read_text())
        upload = Upload(**meta)
    except (OSError, ValueError, TypeError):
        return None
    if upload.token != token:
        return None
    if time.time() - upload.created > max_age():
        discard(directory or upload.directory)
        return None
    return upload


def discard(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def claim(upload: Upload) -> Path | None:
    """Take the upload for its import (None: someone else took it, or it is gone)."""
    try:
        upload.directory.rename(upload.claimed)
    except OSError:
        return None
    return upload.claimed


def release(upload: Upload) -> None:
    """Give a claimed upload back (the import did not happen), so it can be confirmed again."""
    try:
        upload.claimed.rename(upload.directory)
    except OSError:  # already given back or discarded: nothing to keep
        pass


def clean_expired() -> None:
    """Remove uploads older than the maximum age (called on each new upload)."""
    root = uploads_dir()
    if not root.is_dir():
        return
    limit = time.time() - max_age()
    for child in root.iterdir():
        try:
            if child.stat().st_mtime < limit:
                discard(child)
        except OSError:  # another request discarded it first: nothing left to clean
            pass
