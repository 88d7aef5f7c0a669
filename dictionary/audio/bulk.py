"""Recordings that come with a lexicon import: an archive of sound files matched to entries.

Where it sits: beside ``curation.importer.import_lexicon``; ``curation.import_runs
.import_with_audio`` puts the two together for the command line (``import-lexicon --audio
ZIP --speaker spk-0001``), the import page and its background jobs. The dry run says which file goes to which entry or
example (``AudioPlan``) and checks every matched file is a recording we accept (ffprobe), so
the confirmed import does not fail on one. The confirmed import hands each matched file to
``intake.accept`` (``source="import"``) from the import's ``on_written`` hook: the
recordings are written in the lexicon's own transaction, all or nothing, and remember their
``ImportBatch``, so reverting the import takes them off too (``revert_listener``). They then
go through the worker and the review queue like any upload: nothing is published by an
import, and the speaker's consent decides where a reviewed clip may be heard.

How a file is matched, in order: the lexicon names it (a LIFT ``<media href>`` in a
pronunciation, or a form in an audio writing system such as ``hre-Zxxx-x-audio``, for an
entry or an example); else its name without extension is an entry's public id
(``hre-000123.wav``); else it is the headword of exactly one entry of the file
(``ama.wav``). All recordings of one archive are by one speaker, chosen for the import.
"""
from __future__ import annotations

import os
import posixpath
import shutil
import uuid as uuidlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from search_index import normalize

from ..formats.records import ImportFailed, ImportProblem
from . import storage
from .archive import Archive, ArchiveRefused, Member, name_key
from .models import PENDING, PROCESSING, PUBLISHED, REJECTED, RERECORD, Recording, Speaker

# The import's report (``curation.import_report.ImportReport``), as this module reads it:
# ``rows`` (line, public id, headword), ``audio`` (references by entry line), ``lang``,
# ``batch_id``. (The curation package imports this one, never the reverse.)
Report = Any

HOW = ("reference", "public_id", "headword")  # how a file was matched (the pages word each)
SHOWN = 1000  # matches and leftovers a summary keeps
# What a file matched by its name alone must look like (a file the lexicon names may be
# anything; the probe decides).
SOUND_EXTENSIONS = (".wav", ".mp3", ".m4a", ".mp4", ".aac", ".ogg", ".oga", ".opus",
                    ".webm", ".flac", ".amr", ".3gp", ".wma", ".aif", ".aiff")


@dataclass
class Match:
    file: str  # the member's name in the archive
    line: int  # the entry's line in the lexicon file
    headword: str
    public_id: str | None  # None: a new entry (its id is given when it is written)
    example: tuple[int, int] | None  # (sense, example), 1-based; None: the entry's word
    how: str
    member: Member = field(repr=False, compare=False)

    @property
    def target(self) -> str | None:
        if self.public_id is None:
            return None
        if self.example is None:
            return self.public_id
        return f"{self.public_id}/{self.example[0]}/{self.example[1]}"


@dataclass
class AudioPlan:
    """Which file of the archive goes where, and what was left over."""

    matches: list[Match] = field(default_factory=list)
    missing: list[tuple[int, str, str]] = field(default_factory=list)  # line, headword, href
    unmatched: list[str] = field(default_factory=list)  # files matched to nothing
    ambiguous: list[tuple[str, str]] = field(default_factory=list)  # file or href, candidates
    speaker: str = ""  # public id
    speaker_name: str = ""  # display name
    recordings: int = 0  # new recordings written (a confirmed import)

    def summary(self, rows: int = SHOWN) -> dict[str, Any]:
        return {
            "speaker": self.speaker, "speaker_name": self.speaker_name, "matched": len(self.matches), "recordings": self.recordings,
            "matches": [{"file": m.file, "line": m.line, "headword": m.headword,
                         "public_id": m.public_id, "example": list(m.example or ()) or None,
                         "how": m.how} for m in self.matches[:rows]],
            "missing": [list(x) for x in self.missing[:rows]],
            "unmatched": self.unmatched[:rows],
            "ambiguous": [list(x) for x in self.ambiguous[:rows]],
            "hidden": max(0, len(self.matches) - rows),
        }


def match(report: Report, archive: Archive) -> AudioPlan:
    """Match the archive's files with the entries of ``report`` (a dry run's or a written
    import's: rows carry the public ids known so far)."""
    plan = AudioPlan()
    rows = {row.line: row for row in report.rows}
    used: set[str] = set()
    for line, refs in sorted(report.audio.items()):
        row = rows.get(line)
        if row is None:
            continue
        for ref in refs:
            member, candidates = archive.find(ref.href)
            if member is None and candidates:
                plan.ambiguous.append((ref.href, ", ".join(m.name for m in candidates[:5])))
            elif member is None:
                plan.missing.append((line, row.headword, ref.href))
            else:
                used.add(member.key)
                plan.matches.append(Match(member.name, line, row.headword, row.public_id,
                                          ref.example, "reference", member))
    by_id = {name_key(row.public_id): row for row in report.rows if row.public_id}
    by_headword: dict[str, list] = {}
    for row in report.rows:
        by_headword.setdefault(word_key(row.headword), []).append(row)
    for member in archive.members:
        if member.key in used:
            continue
        if posixpath.splitext(member.key)[1] not in SOUND_EXTENSIONS:
            plan.unmatched.append(member.name)  # a note, a picture: matched only by reference
            continue
        row, how = by_id.get(member.stem), "public_id"
        if row is None:
            rows_named = by_headword.get(word_key(member.stem), [])
            if len(rows_named) > 1:
                plan.ambiguous.append((member.name, ", ".join(
                    f"{r.headword} (line {r.line})" for r in rows_named[:5])))
                continue
            row, how = (rows_named[0] if rows_named else None), "headword"
        if row is None:
            plan.unmatched.append(member.name)
            continue
        plan.matches.append(Match(member.name, row.line, row.headword, row.public_id, None,
                                  how, member))
    return plan


def word_key(text: str) -> str:
    """A headword or a file name as they are compared: the storage form (one apostrophe,
    canonical tones), case-folded, ``_`` for a space.

    >>> word_key("Hoà_bình") == word_key("hòa bình"), word_key("'mŏk") == word_key("ʼmŏk")
    (True, True)
    """
    return normalize.clean(text.replace("_", " ")).casefold()


def chosen_speaker(session: Session, public_id: str | None, lang: str) -> Speaker:
    """The speaker of the archive's recordings, checked: ``ImportFailed`` otherwise."""
    from .intake import active_consent

    if not public_id:
        raise ImportFailed("recordings come with this import: choose their speaker "
                           "(a speaker registered under Audio → Speakers, with consent)")
    speaker = session.scalar(select(Speaker).where(Speaker.public_id == public_id))
    if speaker is None:
        raise ImportFailed(f"there is no speaker {public_id}; register them under Audio → "
                           "Speakers first")
    if speaker.language_code != lang:
        raise ImportFailed(f"{speaker.display_name} ({public_id}) speaks {speaker.language_code}, "
                           f"not {lang}")
    if active_consent(speaker) is None:
        raise ImportFailed(f"{speaker.display_name} ({public_id}) has no active consent; "
                           "nothing of theirs can be imported")
    return speaker


def check_files(plan: AudioPlan, archive: Archive) -> list[ImportProblem]:
    """Every matched file probed as ``intake.accept`` will: a problem for each that is not a
    recording we accept (the dry run shows them all at once). One ``ffprobe`` costs ~90 ms,
    most of it starting the process (``bench/audio_import_bench.py``): the files are probed
    on every core at once."""
    from .ffmpeg import probe
    from .pipeline import AudioRefused

    work = storage.scratch(f"archive-check-{uuidlib.uuid4()}")

    def check(numbered: tuple[int, Match]) -> ImportProblem | None:
        number, m = numbered
        path = work / f"member-{number}"
        try:
            archive.copy(m.member, path)
            probe(path)
        except ArchiveRefused as exc:
            return ImportProblem(m.line, m.file, str(exc))
        except AudioRefused as exc:
            return ImportProblem(m.line, m.file, exc.message)
        finally:
            path.unlink(missing_ok=True)
        return None

    files = list({m.member.key: m for m in plan.matches}.values())
    try:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            return [p for p in pool.map(check, enumerate(files)) if p is not None]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def plan_problems(plan: AudioPlan, archive: Archive) -> list[ImportProblem]:
    problems = [ImportProblem(None, name, f"more than one entry or file fits ({who}); rename "
                                          "the file after the entry's public id")
                for name, who in plan.ambiguous]
    if not plan.matches and not problems:
        problems.append(ImportProblem(None, archive.label, (
            f"none of its {len(archive.members)} files matches an entry: reference them in "
            "the LIFT file, or name each file after the headword or the public id "
            "(hre-000123.wav)")))
    return problems


class Attach:
    """The ``on_written`` hook of a confirmed import with recordings."""

    def __init__(self, archive: Archive, speaker_id: str, user) -> None:
        self.archive, self.speaker_id, self.user = archive, speaker_id, user
        self.stored: list[str] = []  # originals written, removed again if the import fails
        self.plan = AudioPlan(speaker=speaker_id)

    def __call__(self, session: Session, report: Report) -> None:
        speaker = chosen_speaker(session, self.speaker_id, report.lang)
        self.plan = match(report, self.archive)
        self.plan.speaker, self.plan.speaker_name = self.speaker_id, speaker.display_name
        problems = plan_problems(self.plan, self.archive)
        work = storage.scratch(f"archive-{uuidlib.uuid4()}")
        try:
            for m in self.plan.matches if not problems else []:
                problem = self._one(session, m, speaker, work / "member", report.batch_id)
                if problem is not None:
                    problems.append(problem)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if problems:
            raise ImportFailed(errors=problems)

    def _one(self, session: Session, m: Match, speaker: Speaker, path, batch_id
             ) -> ImportProblem | None:
        from .intake import Refused, accept

        try:
            self.archive.copy(m.member, path)
        except ArchiveRefused as exc:
            return ImportProblem(m.line, m.file, str(exc))
        with open(path, "rb") as stream:
            try:
                recording = accept(session, self.user, target=m.target, speaker=speaker,
                                   file=FileStorage(stream, filename=m.file), source="import")
            except Refused as exc:
                return ImportProblem(m.line, m.file, exc.message)
        # A new take (``accept`` gives back the earlier recording for the same bytes).
        if recording.source == "import" and recording.import_batch_id is None:
            self.stored.append(recording.original_path)
            recording.import_batch_id = batch_id
            self.plan.recordings += 1
        return None

    def discard(self) -> None:
        for relative in self.stored:
            storage.remove(relative)


def revert_listener(batch_id: int, *, session: Session, **_extra) -> None:
    """``signals.batch_reverted``: the recordings that came with the import are rejected
    (their originals are kept, as for every rejection) in the revert's transaction."""
    session.execute(update(Recording).where(
        Recording.import_batch_id == batch_id,
        Recording.status.in_((PROCESSING, PENDING, PUBLISHED, RERECORD)))
        .values(status=REJECTED, review_comment=f"import {batch_id} was reverted"))
