"""Bulk import of lexicon files: the one code path of the CLI and the admin upload.

Data flow: file bytes → ``formats.text`` (decode, table) → ``formats`` (starter or
curated columns → checked ``ParsedEntry`` rows) → here: a plan (created / updated / unchanged
per row, homograph numbers) → one transaction: updated entries as ORM objects, whose flush
hooks (``indexing``) compute derived fields and the index queue; new entries as rows
(``import_bulk``), which calls the same functions; one revision per entry, written as the
entries are; the queue is applied after commit. This module never computes those itself.

An entry is identified by (language, ``source_key``), so importing the same file again
updates in place and keeps public ids. Nothing is written unless every row is valid and
within ``limits``. A confirmed import is one transaction recorded as an ``ImportBatch``;
every revision it writes carries the batch id, so ``import_batches.revert_batch`` can undo
it as a whole. Entries are locked optimistically (``Entry.version``): an entry saved by an
editor while the import runs, or since the dry run the person confirmed, makes the whole
import refuse with ``ImportConflict``, never overwrite that save or fail with a 500.
"""
from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .. import catalog
from ..db import analyze
from .. import limits as entry_limits
from ..config import REPO_ROOT
from ..formats import STARTER, ParsedLexicon, parse_lexicon
from ..indexing import applies_queue_on_return
from ..formats.records import ImportFailed, ImportMapping, ImportProblem
from ..models import DRAFT, IN_REVIEW, PUBLISHED, Entry, ImportBatch
from ..parts_of_speech import load_parts_of_speech
from ..revisions import entry_snapshot, entry_state
from .import_bulk import Created, announce_written, revision_writer
from .import_history import with_history
from .import_plan import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Plan,
    apply_plan,
    parsed_state,
    refuse_unglossed_published,
)
from .import_sources import (
    NewSource,
    check_new_source,
    known_sources,
    save_mapping,
    saved_mapping,
    write_new_source,
)
from .import_report import (
    ROWS_KEPT,
    ImportReport,
    ReportRow,
    batch_counts,
    filled_fields,
    problems_summary,
    report_summary,
)

__all__ = ["CREATED", "UNCHANGED", "UPDATED", "ImportConflict", "ImportFailed", "ImportProblem",
           "ImportReport", "ReportRow", "ROWS_KEPT", "batch_counts", "entry_snapshot",
           "entry_state", "import_lexicon", "problems_summary", "report_summary",
           "parsed_state"]
# Phases a long import goes through, for ``progress(phase, done, total)``: comparing the file
# with the database (reads only), then writing it (one transaction, which holds SQLite's
# write lock until the commit).
CHECKING, SAVING = "checking", "saving"
# What new entries may be created as; ``None`` asks for the format's default.
NEW_STATUSES = (DRAFT, IN_REVIEW, PUBLISHED)


def default_status(fmt: str) -> str:
    """The starter CSVs are published datasets, shown at once with an "unreviewed" badge;
    curated work (and every other format) goes through review like a form edit."""
    return PUBLISHED if fmt == STARTER else DRAFT


class ImportConflict(ImportFailed):
    """Entries of the file were saved by someone else since the dry run (or while the
    import was being written); nothing was imported. ``errors`` name them, one each."""


Progress = Callable[[str, int, int], None]  # (phase, done, total)
# Called with the import's session and report once every entry is written (public ids
# known), before the commit: what it adds is part of the one transaction, and an
# ``ImportFailed`` it raises undoes the whole import.
OnWritten = Callable[[Session, ImportReport], None]


def _no_progress(_phase: str, _done: int, _total: int) -> None:
    pass


def _thawing(fn):
    """``gc.unfreeze`` when ``fn`` returns or raises (``_parse`` froze the parsed file)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            gc.unfreeze()
    return wrapper


@_thawing
@applies_queue_on_return
def import_lexicon(session: Session, path: str | Path | None, lang: str, *,
                   dry_run: bool = False, data_dir: str | Path | None = None, user=None,
                   status: str | None = None, data: bytes | None = None,
                   file_name: str | None = None, source: str | None = None,
                   limits: entry_limits.Limits | None = None,
                   expected: dict[str, int] | None = None,
                   progress: Progress | None = None,
                   on_written: OnWritten | None = None,
                   mapping: ImportMapping | None = None, new_source: NewSource | None = None,
                   remember_mapping: bool = False, skip_invalid: bool = False) -> ImportReport:
    """Import one lexicon file into language ``lang``, all or nothing.

    Owns the transaction: commits on success, rolls back on any error (pass a session with
    no pending changes). Raises ``ImportFailed`` listing every problem when the file cannot
    be imported. A dry run reads the database and writes nothing (no entry, revision, batch
    or index-queue row), and reports what would be created, updated or left unchanged.

    ``data``: the file's bytes when they are already in hand (an upload; ``path`` may then
    be None) and ``file_name`` the name to record. ``user``: the signed-in ``User`` who
    imports (else revisions are signed ``import:FILE``). ``status``: what NEW entries are
    created as, one of ``NEW_STATUSES``; None takes ``default_status`` of the format.
    Existing entries keep their status. ``source``: the source key for formats whose file
    does not name one (LIFT, MDF). ``limits``: rows per file and what one entry may hold
    (default ``limits.current()``, the app's configuration).

    ``expected``: the ``versions`` of the dry run the person confirmed; if any entry of the
    file was changed (or created) since, ``ImportConflict`` names it and nothing is written.
    An entry saved by someone else while the import is being written is refused the same
    way. ``progress(phase, done, total)`` is called as the work goes on (``CHECKING``, then
    ``SAVING``); from the first ``SAVING`` call on, this session holds the database's write
    lock until it commits or rolls back. ``on_written(session, report)`` (see ``OnWritten``)
    adds what comes with the entries (the recordings of an audio archive). ``mapping``: the
    file's writing systems and markers as the linguist mapped them (``parse_lexicon``);
    without one, the mapping ``source`` remembers, if any; ``remember_mapping`` makes the
    source remember this one. ``new_source``: a source declared with the import (key,
    citation, licence), written in its transaction (``import_sources``). ``skip_invalid``:
    import the valid entries and leave out those with problems of their own (listed as
    warnings), still in one transaction.
    """
    if session.new or session.dirty or session.deleted:
        raise ValueError("import_lexicon needs a session without pending changes")
    if status is not None and status not in NEW_STATUSES:
        raise ValueError(f"new entries cannot be created as {status!r}")
    name, data = _file(path, data, file_name)
    tell = progress or _no_progress
    data_dir = Path(data_dir) if data_dir is not None else _default_data_dir()
    known = _known_catalog(data_dir, lang)
    sources = known_sources(session, known)
    declared = None
    if new_source is not None:
        declared = check_new_source(new_source, sources)
        source = declared["key"]
        sources[source] = declared
    mapping = mapping or saved_mapping(session, source) or None
    session.rollback()  # end the reads: what follows starts its own transaction
    parsed = _parse(data, sources, data_dir, filename=name, source=source,
                    lang=lang, limits=limits or entry_limits.current(), mapping=mapping,
                    skip_invalid=skip_invalid)
    data = None  # the file's bytes (100 MB at 100,000 entries) are not needed any more
    check_varieties(parsed, lang, known)
    report = ImportReport(name, lang, parsed.format, parsed.encoding, dry_run,
                          ignored_columns=parsed.ignored_columns,
                          status=status or default_status(parsed.format),
                          fields=filled_fields(parsed), samples=list(parsed.samples),
                          warnings=list(parsed.warnings),
                          audio={p.line: p.audio for p in parsed.entries if p.audio},
                          writing_systems=parsed.writing_systems, markers=parsed.markers)

    def checking(done: int, total: int) -> None:
        tell(CHECKING, done, total)

    if dry_run:
        return _dry_run(session, parsed, report, checking)
    seen: list[tuple[int, str, int, int, str]] = []  # stored entries the plan read
    try:
        catalog.ensure_catalog(session, data_dir)
        if declared is not None:
            write_new_source(session, declared)
        for carried in parsed.declared_sources:  # our own LIFT export brings its sources
            if carried["key"] not in known_sources(session, {}):
                write_new_source(session, carried)
        session.flush()
        if remember_mapping and mapping and source:
            save_mapping(session, source, mapping)
        with session.no_autoflush:
            plan = Plan(session, lang, parsed, checking)
            report.versions = plan.versions()
            seen = [(e.id, e.public_id, e.version, p.line, p.headword)
                    for p, e, _ in plan.rows if e is not None]
            if expected is not None:
                _check_unchanged(plan, expected)
            refuse_unglossed_published(plan)
            tell(SAVING, 0, len(plan.changes))
            batch = _start_batch(session, user, name, parsed, report)
            written = apply_plan(session, plan, report.status,
                                 lambda done, total: tell(SAVING, done, total),
                                 record=revision_writer(session, batch.id, user, (
                                     getattr(user, "email", "") if user is not None
                                     else f"import:{name}"[:120])))
        _write(session, plan, written, batch, report, user,
               with_history(parsed, name, on_written))
    except StaleDataError:
        session.rollback()
        raise _conflict_after_race(session, seen) from None
    except BaseException:
        session.rollback()
        raise
    return report


def _file(path: str | Path | None, data: bytes | None, file_name: str | None
          ) -> tuple[str, bytes]:
    """The name to record and the bytes of the file to import."""
    if data is None:
        if path is None:
            raise ValueError("import_lexicon needs a path or the data")
        data = Path(path).read_bytes()
    return file_name or (Path(path).name if path is not None else "upload"), data


def _known_catalog(data_dir: Path, lang: str) -> dict:
    """``data/languages.toml``, once ``lang`` is known to be one of its languages."""
    known = catalog.load_catalog(data_dir)
    codes = [item["code"] for item in known.get("language", [])]
    if lang not in codes:
        raise ImportFailed(f"unknown language {lang!r}; the languages in "
                           f"data/languages.toml are: {', '.join(codes)}")
    return known


def _dry_run(session: Session, parsed: ParsedLexicon, report: ImportReport,
             checking: Callable[[int, int], None]) -> ImportReport:
    """What the import would do, read from the database; nothing is written."""
    try:
        with session.no_autoflush:
            plan = Plan(session, report.lang, parsed, checking)
            refuse_unglossed_published(plan)
        report.rows = [ReportRow(p.line, action, e.public_id if e else None, p.headword)
                       for p, e, action in plan.rows]
        report.renumbered = sorted(e.public_id for e, _ in plan.others)
        report.versions = plan.versions()
    finally:
        session.rollback()  # end the read transaction; nothing was written
    return report


def _start_batch(session: Session, user, name: str, parsed: ParsedLexicon,
                 report: ImportReport) -> ImportBatch:
    """The import's ``ImportBatch``, written first: its revisions are written as the entries
    are (``apply_plan``); ``_write`` gives it its counts."""
    batch = ImportBatch(user_id=getattr(user, "id", None),
                        author=getattr(user, "email", None) or f"import:{name}",
                        file_name=name[:300], format=parsed.format, lang=report.lang,
                        encoding=parsed.encoding[:32], counts={})
    session.add(batch)
    session.flush()
    report.batch_id = batch.id
    return batch


def _write(session: Session, plan: Plan, written: list[tuple[Entry | Created, str]],
           batch: ImportBatch, report: ImportReport, user, on_written: OnWritten | None
           ) -> None:
    """Finish the batch (every entry and its revision are written, new ones with their
    public ids), announce each written entry, run ``on_written``, commit."""
    entries = {e.source_key: e for e, _ in written}
    report.rows = [ReportRow(p.line, action, (entries.get(p.source_key) or e).public_id,
                             p.headword) for p, e, action in plan.rows]
    report.renumbered = sorted(e.public_id for e, _ in plan.others)
    batch.counts = batch_counts(report)
    announce_written(session, written, user)
    if on_written is not None:
        on_written(session, report)
    session.commit()
    analyze(session.get_bind())


def _check_unchanged(plan: Plan, expected: dict[str, int]) -> None:
    """Refuse when an entry of the file is not as the confirmed dry run saw it."""
    now = plan.versions()
    changed = sorted(pid for pid in set(now) | set(expected) if now.get(pid) != expected.get(pid))
    if changed:
        lines = {e.public_id: (p.line, p.headword) for p, e, _ in plan.rows if e is not None}
        raise ImportConflict(errors=[
            ImportProblem(lines.get(pid, (None,))[0], None,
                          f"entry {pid} ({lines.get(pid, (None, '?'))[1]}) was changed by "
                          "someone else after the dry run; nothing was imported. Check the "
                          "file again (a new dry run) and confirm if it is still right.")
            for pid in changed])


def _conflict_after_race(session: Session,
                         seen: list[tuple[int, str, int, int, str]]) -> ImportConflict:
    """The flush found an entry whose version moved after the plan read it: an editor's save
    committed in between. Name the entries whose stored version is not the one the plan
    read (``seen``: id, public id, version, line, headword)."""
    try:
        now: dict[int, int] = {}
        ids = [row[0] for row in seen]
        for i in range(0, len(ids), 500):
            now.update((entry_id, version) for entry_id, version in session.execute(
                select(Entry.id, Entry.version).where(Entry.id.in_(ids[i:i + 500]))))
        session.rollback()
    except Exception:  # the names are a courtesy; the refusal stands without them
        session.rollback()
        now = {}
    problems = [ImportProblem(line, None, f"entry {pid} ({headword}) was saved by someone else "
                                          "while the import was being written; nothing was "
                                          "imported. Check the file again and confirm.")
                for entry_id, pid, version, line, headword in seen
                if entry_id in now and now[entry_id] != version]
    return ImportConflict(errors=problems or [ImportProblem(None, None, (
        "an entry of the file was saved by someone else while the import was being written; "
        "nothing was imported. Check the file again and confirm."))])


def _parse(data: bytes, sources: dict[str, dict], data_dir: Path, *, filename: str,
           source: str | None, lang: str, limits: entry_limits.Limits,
           mapping: ImportMapping | None, skip_invalid: bool) -> ParsedLexicon:
    # The parse makes a few million objects that live until the import ends, and no
    # reference cycles: the collector's passes over them are pure cost (12-17% of the parse
    # of a 20,000-entry file), so it pauses; then they are frozen, so that its passes while
    # the plan and the writes run do not walk them (7% more; ``import_lexicon`` thaws them).
    paused = gc.isenabled()
    gc.disable()
    try:
        parsed = parse_lexicon(data, sources=sources, skip_invalid=skip_invalid,
                               parts_of_speech=load_parts_of_speech(data_dir),
                               filename=filename, source=source, lang=lang, limits=limits,
                               mapping=mapping)
    finally:
        if paused:
            gc.enable()
    gc.freeze()
    return parsed


def check_varieties(parsed, lang: str, known: dict) -> None:
    """A starter file names the variety of every row: refuse a file imported under the
    wrong language (``hre_starter.csv --lang cua``) instead of mixing two lexicons."""
    varieties = {item["code"]: item.get("varieties", []) for item in known.get("language", [])}
    allowed = varieties.get(lang, [])
    problems = [
        ImportProblem(p.line, "variety",
                      f"{p.variety!r} is not a variety of {lang!r} "
                      f"(data/languages.toml lists: {', '.join(allowed) or 'none'})")
        for p in parsed.entries
        if p.variety and p.variety.split(" (")[0].strip() not in allowed
    ]
    if problems:
        raise ImportFailed(errors=problems[:20] + (
            [ImportProblem(None, None, f"… and {len(problems) - 20} more rows like these")]
            if len(problems) > 20 else []))


def _default_data_dir() -> Path:
    if has_app_context():
        return Path(current_app.config["DATA_DIR"])
    return REPO_ROOT / "data"
