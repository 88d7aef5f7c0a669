"""A zip of sound files sent with a lexicon import, read without trusting it.

Where it sits: ``bulk`` opens the archive a linguist sends beside a LIFT (or any lexicon)
file and looks its files up by the names the lexicon gives. Nothing is ever extracted under
a name from the archive: a member is read as a stream (``open``) and handed to
``intake.accept``, which stores it under a new uuid, so ``../../etc/passwd`` or an absolute
path in the archive is only a string to compare. Refused before anything is read: what is
not a zip, encrypted members, more members than ``AUDIO_ARCHIVE_MAX_FILES``, a member
larger than an upload may be, a member whose compression ratio only a bomb has (a long
silence squeezed into a few bytes), and more than ``AUDIO_ARCHIVE_MAX_BYTES`` in all.
The sizes in the zip's directory may lie; ``intake.accept`` counts the bytes it really reads.
"""
from __future__ import annotations

import io
import posixpath
import threading
import unicodedata
import urllib.parse
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from flask import current_app

MAX_RATIO = 100  # uncompressed / compressed above which a member of 1 MB or more is a bomb
BOMB_FLOOR = 1024 * 1024
# What operating systems add to a folder they zip: never a recording.
JUNK = ("__macosx/", ".ds_store", "thumbs.db", "desktop.ini")


class ArchiveRefused(ValueError):
    """The archive cannot be used; the message says why, for the linguist."""


def name_key(name: str) -> str:
    """How a file name is compared: NFC, case-folded, ``/`` separators, no ``./`` prefix.

    >>> name_key("Audio\\\\Ama.WAV"), name_key("./audio/ama.wav")
    ('audio/ama.wav', 'audio/ama.wav')
    """
    name = unicodedata.normalize("NFC", name.replace("\\", "/")).casefold()
    while name.startswith(("./", "/")):
        name = name[2:] if name.startswith("./") else name[1:]
    return name


def href_key(href: str) -> str:
    """A LIFT ``href`` or audio form as a ``name_key``: URL escapes decoded, a ``file:``
    scheme dropped.

    >>> href_key("file:///C:/Proj/LinkedFiles/AudioVisual/a%20b.wav")
    'c:/proj/linkedfiles/audiovisual/a b.wav'
    """
    href = href.strip()
    if href.casefold().startswith("file:"):
        href = href[5:].lstrip("/")
    return name_key(urllib.parse.unquote(href))


@dataclass(frozen=True)
class Member:
    name: str  # as in the archive (shown to people)
    key: str  # ``name_key(name)``
    size: int  # as the archive's directory says

    @property
    def base(self) -> str:
        return posixpath.basename(self.key)

    @property
    def stem(self) -> str:
        return posixpath.splitext(self.base)[0]


class Archive:
    """The members of a zip that may be recordings, looked up by name."""

    def __init__(self, source: bytes | str | Path, label: str = "archive") -> None:
        self.label = label
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes)
                                       else source)
        except (zipfile.BadZipFile, OSError, ValueError):
            raise ArchiveRefused(f"{label} is not a zip archive; put the sound files in a zip "
                                 "(in Windows: Send to → Compressed folder)") from None
        infos = [i for i in self.zip.infolist() if not i.is_dir()]
        config = current_app.config
        limit_files = int(config["AUDIO_ARCHIVE_MAX_FILES"])
        if len(infos) > limit_files:
            raise ArchiveRefused(f"{label} holds {len(infos)} files; at most {limit_files} "
                                 "can be imported at once: split it")
        self.per_file = per_file = int(config["MAX_CONTENT_LENGTH"])
        self.lock = threading.Lock()  # one reader of the zip at a time
        total = 0
        self.members: list[Member] = []
        for info in infos:
            key = name_key(info.filename)
            if any(part in key for part in JUNK) or posixpath.basename(key).startswith("."):
                continue
            if info.flag_bits & 0x1:
                raise ArchiveRefused(f"{info.filename}: the file is encrypted (a password-"
                                     "protected zip); zip the recordings without a password")
            if info.file_size > per_file:
                raise ArchiveRefused(f"{info.filename}: {info.file_size} bytes; one recording "
                                     f"may be at most {per_file} bytes")
            if info.file_size >= BOMB_FLOOR and \
                    info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise ArchiveRefused(f"{info.filename}: {info.compress_size} bytes that "
                                     f"unpack to {info.file_size}; no recording compresses "
                                     "like that")
            total += info.file_size
            self.members.append(Member(info.filename, key, info.file_size))
        limit_bytes = int(config["AUDIO_ARCHIVE_MAX_BYTES"])
        if total > limit_bytes:
            raise ArchiveRefused(f"{label} unpacks to {total} bytes; at most {limit_bytes} "
                                 "can be imported at once: split it")
        self.by_key = {m.key: m for m in self.members}
        self.by_base: dict[str, list[Member]] = {}
        self.by_stem: dict[str, list[Member]] = {}
        for member in self.members:
            self.by_base.setdefault(member.base, []).append(member)
            self.by_stem.setdefault(member.stem, []).append(member)

    def find(self, href: str) -> tuple[Member | None, list[Member]]:
        """The member a reference names: the same path, a path ending with it (the archive
        has a folder around the files), or the only member of that file name. Returns
        (member, []) when found, (None, candidates) when several fit, (None, []) when none."""
        key = href_key(href)
        if key in self.by_key:
            return self.by_key[key], []
        ending = [m for m in self.members if m.key.endswith("/" + key)]
        if len(ending) == 1:
            return ending[0], []
        same = self.by_base.get(posixpath.basename(key), [])
        if len(same) == 1:
            return same[0], []
        return None, ending or same

    def copy(self, member: Member, path: Path) -> None:
        """Write ``member`` to ``path``, counting what it really unpacks to (the directory's
        size may lie): ``ArchiveRefused`` past an upload's limit or when it is damaged."""
        limit, size = self.per_file, 0
        try:
            with self.lock, self.zip.open(member.name) as source, open(path, "wb") as out:
                while chunk := source.read(1 << 16):
                    size += len(chunk)
                    if size > limit:
                        raise ArchiveRefused(f"{member.name}: more than {limit} bytes once "
                                             "unpacked; one recording may be at most that")
                    out.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise ArchiveRefused(f"{member.name}: the file is damaged in the archive "
                                 f"({exc}); zip it again") from None

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
