"""Recordings as the export writers see them: one plain record per sound file.

Where it sits: ``dictionary.audio.exports.media_for_export`` reads the recordings that may
leave the server (published by a reviewer, consent active with open exports, entry
published) and hands them over as ``MediaFile`` values, by target; the writers
(``lift_out`` with ``lift_media``, ``lift_media_out``, ``cldf_out``) copy the files and name
them with their speaker and licence. No ORM, no Flask: a writer only ever sees these.

>>> clip = MediaFile(id="0b6e3f1c-5d2a-4c1e-9f00-1a2b3c4d5e01", target="hre-000123",
...                  path=Path("/media/audio/play/0b/x.p1.mp3"), speaker="Y Bình",
...                  speaker_id="spk-0001", license="CC-BY-4.0")
>>> clip.archive_name()
'audio/0b6e3f1c-5d2a-4c1e-9f00-1a2b3c4d5e01.mp3'
>>> clip.archive_name("media"), clip.label
('media/0b6e3f1c-5d2a-4c1e-9f00-1a2b3c4d5e01.mp3', 'Y Bình · CC-BY-4.0')
"""
from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

log = logging.getLogger(__name__)

AUDIO_FOLDER = "audio"  # where LIFT puts its sound files, beside the .lift file
MP3 = "audio/mpeg"


@dataclass(frozen=True)
class MediaFile:
    """One published recording that may be exported."""

    id: str  # the recording's uuid, also its file name
    target: str  # entry public id (hre-000123) or example id (hre-000123/1/2)
    path: Path  # the playback MP3 on this server
    speaker: str  # display name, as the pages show it
    speaker_id: str  # spk-0001
    license: str  # the consent's licence (CC-BY-4.0 …)
    attribution: str = ""  # how the speaker asked to be credited, if said
    duration_ms: int | None = None
    media_type: str = MP3

    def archive_name(self, folder: str = AUDIO_FOLDER) -> str:
        """The file's name inside an archive: ``audio/<uuid>.mp3``."""
        return f"{folder}/{self.id}.mp3"

    @property
    def label(self) -> str:
        """Speaker and licence, the way the entry page credits a clip."""
        return " · ".join(part for part in (self.speaker, self.license) if part)


#: Target → its recordings, first approved first.
Media = Mapping[str, list[MediaFile]]


class MediaUse:
    """The recordings a writer looks up, remembering those it wrote out (in order, once
    each), so an archive carries exactly the files its text refers to."""

    def __init__(self, media: Media) -> None:
        self.media = media
        self.used: dict[str, MediaFile] = {}

    def of(self, target: str) -> list[MediaFile]:
        files = list(self.media.get(target, ()))
        for file in files:
            self.used.setdefault(file.id, file)
        return files


def copy_files(media: Media, folder: Path, subfolder: str = AUDIO_FOLDER
               ) -> dict[str, list[MediaFile]]:
    """Copy every recording to ``folder/subfolder/<uuid>.mp3`` before a writer names any,
    so an archive holds each file its text refers to even if one is withdrawn (and its
    playback copy deleted) meanwhile: such a file is left out and logged. The records come
    back pointing at the copies."""
    copies: dict[str, list[MediaFile]] = {}
    for target, files in media.items():
        for file in files:
            copy = folder / file.archive_name(subfolder)
            copy.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(file.path, copy)
            except OSError as exc:  # withdrawn since it was listed, or unreadable
                log.warning("recording %s (%s) not exported: %s", file.id, target, exc)
                continue
            copies.setdefault(target, []).append(replace(file, path=copy))
    return copies
