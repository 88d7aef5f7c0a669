"""LIFT with its recordings: a zip of the ``.lift`` file, its ``audio/`` folder and a list
of who spoke each file under which licence (the ``lift-media`` export).

Last step of the data flow, beside ``lift_out``: ``Entry`` rows (loaded as ``lift_out``
needs them) and the recordings that may be exported (``MediaFile`` by target, from
``dictionary.audio.exports.media_for_export``) → in a temporary directory: the playback
MP3s copied first (a file withdrawn meanwhile is left out, and then not named either), the
LIFT written with ``<media>`` and audio-form references to them (``lift_media``) → a zip
streamed in chunks; the temporary directory goes when the stream ends. The zip::

    tudien-hre.lift          the LIFT 0.13 file, hrefs relative to it
    audio/<uuid>.mp3         each recording it names, byte for byte the playback copy
    audio/SPEAKERS.csv       file, target, speaker, speaker id, licence, attribution, duration

so the speaker and the licence travel with the files even where the LIFT label is lost.
"""
from __future__ import annotations

import codecs
import csv
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..models import Entry
from .lift_out import export_lift
from .media import AUDIO_FOLDER, Media, MediaFile, MediaUse, copy_files
from .table_out import guard_formula, stream_file

SPEAKERS = f"{AUDIO_FOLDER}/SPEAKERS.csv"
SPEAKERS_HEADER = ("file", "target", "speaker", "speaker_id", "license", "attribution",
                   "duration_ms")


def export_lift_media(entries: Iterable[Entry], *, media: Media | None = None,
                      name: str = "lexicon", sources: list[dict] | None = None,
                      history: dict | None = None) -> Iterator[bytes]:
    """The zip, in chunks: ``<name>.lift`` (with ``sources`` in its header and each entry's
    ``history``, as ``export_lift``), the recordings it names under ``audio/`` and
    ``audio/SPEAKERS.csv``."""
    with tempfile.TemporaryDirectory(prefix="lift-export-") as tmp:
        folder = Path(tmp)
        copies = copy_files(media or {}, folder)
        refs = MediaUse(copies)
        lift = folder / f"{name}.lift"
        with lift.open("wb") as file:
            for chunk in export_lift(entries, refs, sources, history):
                file.write(chunk)
        speakers = folder / "SPEAKERS.csv"
        speakers.write_bytes(speakers_csv(refs.used.values()))
        archive = folder / "export.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as package:
            package.write(lift, lift.name)
            package.write(speakers, SPEAKERS)
            for file in refs.used.values():  # MP3 is compressed already: stored as it is
                package.write(file.path, file.archive_name(), zipfile.ZIP_STORED)
        with archive.open("rb") as stream:
            yield from stream_file(stream)


def speakers_csv(files: Iterable[MediaFile]) -> bytes:
    """The list of files with speaker and licence: UTF-8 with a byte-order mark (Excel),
    formula-like cells guarded as in the curated CSV."""
    rows = [SPEAKERS_HEADER] + [
        (f.archive_name(), f.target, f.speaker, f.speaker_id, f.license, f.attribution,
         "" if f.duration_ms is None else str(f.duration_ms)) for f in files]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([guard_formula(cell) for cell in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
