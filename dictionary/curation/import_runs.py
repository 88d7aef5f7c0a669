"""An import run: a lexicon file and the recordings sent beside it, all or nothing.

Where it sits: the one entry point of the command line (``import-lexicon``), the import
pages (``views.imports``) and their background jobs (``import_jobs``).
``import_with_audio`` is ``importer.import_lexicon`` plus, when an archive of sound files
comes along, ``audio.bulk``: the dry run says which file goes to which entry or example and
checks each is a recording we accept; the confirmed import writes the recordings in the
lexicon's own transaction (``on_written``). ``import_upload`` does the same for a stored
``uploads.Upload``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ..audio import jobs
from ..audio.archive import Archive, ArchiveRefused
from ..audio.bulk import AudioPlan, Attach, check_files, chosen_speaker, match, plan_problems
from ..formats.records import ImportMapping
from .import_report import ROWS_KEPT, ImportReport, report_summary
from .import_sources import NewSource
from .importer import ImportFailed, ImportProblem, import_lexicon
from .uploads import Upload


def import_with_audio(session: Session, path, lang: str, *, audio: bytes | str | None = None,
                      audio_label: str = "the audio archive", speaker: str | None = None,
                      user=None, dry_run: bool = False, **options
                      ) -> tuple[ImportReport, AudioPlan | None]:
    """``import_lexicon`` and, with ``audio`` (a zip's bytes or path), its recordings by
    ``speaker`` (a public id), all or nothing. Without ``audio`` it is ``import_lexicon``
    (references in the file are then reported as a warning). Raises ``ImportFailed``."""
    if audio is None:
        report = import_lexicon(session, path, lang, user=user, dry_run=dry_run, **options)
        if report.audio:
            count = sum(len(refs) for refs in report.audio.values())
            report.warnings.append(ImportProblem(None, None, (
                f"the file names {count} recordings; they are not imported without their "
                "sound files (add the zip of audio files and choose the speaker)")))
        return report, None
    try:
        archive = Archive(audio, audio_label or "the audio archive")
    except ArchiveRefused as exc:
        raise ImportFailed(str(exc)) from None
    with archive:
        name = chosen_speaker(session, speaker, lang).display_name
        session.rollback()  # end the read: import_lexicon wants a clean session
        if dry_run:
            report = import_lexicon(session, path, lang, user=user, dry_run=True, **options)
            plan = match(report, archive)
            plan.speaker, plan.speaker_name = speaker or "", name
            problems = plan_problems(plan, archive) or check_files(plan, archive)
            if problems:
                raise ImportFailed(errors=problems)
            return report, plan
        attach = Attach(archive, speaker or "", user)
        try:
            report = import_lexicon(session, path, lang, user=user, on_written=attach,
                                    **options)
        except BaseException:
            attach.discard()  # the originals it stored: the transaction is gone
            raise
    jobs.kick()
    return report, attach.plan


def import_upload(session: Session, upload: Upload, data: bytes, *,
                  directory: Path | None = None, dry_run: bool = False, user=None, **options
                  ) -> tuple[ImportReport, AudioPlan | None]:
    """The dry run (``dry_run``) or the import of ``upload``'s bytes ``data`` (read from
    ``directory`` when it was claimed), all or nothing; ``ImportFailed`` otherwise."""
    audio = upload.audio_path(directory)
    if upload.audio_sha256 and audio is None:
        raise ImportFailed("the stored archive of recordings is not the one of the dry run; "
                           "nothing was imported: upload the files again")
    return import_with_audio(session, None, upload.lang, data=data, file_name=upload.file_name,
                             status=upload.status, source=upload.source, user=user,
                             dry_run=dry_run, audio=str(audio) if audio else None,
                             audio_label=upload.audio_name, speaker=upload.speaker,
                             mapping=ImportMapping(ws=dict(upload.ws),
                                                   markers=dict(upload.markers),
                                                   origins=dict(upload.marker_origins)) or None,
                             skip_invalid=upload.skip_invalid,
                             remember_mapping=upload.remember_mapping,
                             new_source=NewSource(**upload.new_source) if upload.new_source
                             else None, **options)


def upload_summary(report: ImportReport, plan: AudioPlan | None,
                   rows: int = ROWS_KEPT) -> dict[str, Any]:
    """``report_summary``, with what happens to the recordings when an archive came along."""
    summary = report_summary(report, rows)
    if plan is not None:
        summary["audio"] = plan.summary(rows)
    return summary
