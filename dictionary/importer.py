"""Bulk import of lexicon files: the one code path of the CLI and the admin upload.

Data flow: file bytes → ``lexicon_files`` (decode, table) → ``lexicon_formats`` (starter or
curated columns → checked ``ParsedEntry`` rows) → here: a plan (created / updated / unchanged
per row, homograph numbers) → ORM objects in one transaction. The session hooks of
``indexing`` then compute derived fields, public ids and the index queue on flush, and apply
the queue after commit; this module never computes those itself.

An entry is identified by (language, ``source_key``), so importing the same file again
updates in place and keeps public ids. Nothing is written unless every row is valid. A
confirmed import is one transaction recorded as an ``ImportBatch``; every revision it
writes carries the batch id, so ``import_batches.revert_batch`` can undo it as a whole.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from search_index import normalize

from . import catalog
from .config import REPO_ROOT
from .lexicon_files import ImportFailed, ImportProblem
from .lexicon_formats import STARTER, ParsedEntry, ParsedLexicon, parse_lexicon
from .models import (DELETED, DRAFT, IN_REVIEW, PUBLISHED, Entry, ImportBatch, Language, Sense,
                     Source)
from .parts_of_speech import load_parts_of_speech
from .revisions import assign_state, entry_snapshot, entry_state, record

__all__ = ["ImportFailed", "ImportProblem", "ImportReport", "ReportRow", "entry_snapshot",
           "entry_state", "import_lexicon"]

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# What new entries may be created as; ``None`` asks for the format's default.
NEW_STATUSES = (DRAFT, IN_REVIEW, PUBLISHED)


def default_status(fmt: str) -> str:
    """The starter CSVs are published datasets, shown at once with an "unreviewed" badge;
    curated work (and every other format) goes through review like a form edit."""
    return PUBLISHED if fmt == STARTER else DRAFT


@dataclass
class ReportRow:
    line: int
    action: str  # created | updated | unchanged
    public_id: str | None  # None: a new entry (or one a dry run would create)
    headword: str


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do): one ``ReportRow`` per entry in
    the file, counts by action, ignored columns, and other entries renumbered as homographs."""

    file: str
    lang: str
    format: str  # "starter" | "curated" | the other parsers' names
    encoding: str
    dry_run: bool = False
    rows: list[ReportRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # Entries not in the file whose homograph number changed because of it.
    renumbered: list[str] = field(default_factory=list)
    status: str = PUBLISHED  # what new entries are (or would be) created as
    # Which entry fields the file fills, with how many entries fill each (format-neutral,
    # so it says the same for a CSV, a workbook, LIFT or MDF).
    fields: list[tuple[str, int]] = field(default_factory=list)
    # (line, as found, as converted) for lines a legacy-encoding conversion changed.
    samples: list[tuple[int, str, str]] = field(default_factory=list)
    # What does not stop the import but should be read (e.g. a LIFT part of speech that is
    # not in the controlled list, kept as it was).
    warnings: list[ImportProblem] = field(default_factory=list)
    batch_id: int | None = None  # the ImportBatch of a confirmed import

    def _count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def created(self) -> int:
        return self._count(CREATED)

    @property
    def updated(self) -> int:
        return self._count(UPDATED)

    @property
    def unchanged(self) -> int:
        return self._count(UNCHANGED)

    def summary(self) -> str:
        """One or two lines for people: what happened (or would happen, for a dry run)."""
        verb = "would be " if self.dry_run else ""
        text = (f"{self.file} ({self.format} format, {self.lang}): {len(self.rows)} entries; "
                f"{self.created} {verb}created, {self.updated} {verb}updated, "
                f"{self.unchanged} unchanged")
        if self.renumbered:
            text += f"; homograph numbers of {len(self.renumbered)} other entries {verb}updated"
        if self.ignored_columns:
            text += "\nIgnored columns: " + ", ".join(self.ignored_columns)
        return text


def import_lexicon(session: Session, path: str | Path | None, lang: str, *,
                   dry_run: bool = False, data_dir: str | Path | None = None, user=None,
                   status: str | None = None, data: bytes | None = None,
                   file_name: str | None = None, source: str | None = None) -> ImportReport:
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
    does not name one (LIFT, MDF).
    """
    if session.new or session.dirty or session.deleted:
        raise ValueError("import_lexicon needs a session without pending changes")
    if status is not None and status not in NEW_STATUSES:
        raise ValueError(f"new entries cannot be created as {status!r}")
    if data is None:
        if path is None:
            raise ValueError("import_lexicon needs a path or the data")
        data = Path(path).read_bytes()
    name = file_name or (Path(path).name if path is not None else "upload")
    data_dir = Path(data_dir) if data_dir is not None else _default_data_dir()
    known = catalog.load_catalog(data_dir)
    codes = [item["code"] for item in known.get("language", [])]
    if lang not in codes:
        raise ImportFailed(f"unknown language {lang!r}; the languages in "
                           f"data/languages.toml are: {', '.join(codes)}")
    parsed = _parse(data, known, data_dir, filename=name, source=source,
                    lang=lang)
    check_varieties(parsed, lang, known)
    report = ImportReport(name, lang, parsed.format, parsed.encoding, dry_run,
                          ignored_columns=parsed.ignored_columns,
                          status=status or default_status(parsed.format),
                          fields=filled_fields(parsed), samples=list(parsed.samples),
                          warnings=list(parsed.warnings))
    try:
        if dry_run:
            with session.no_autoflush:
                plan = _Plan(session, lang, parsed)
            report.rows = [ReportRow(p.line, action, e.public_id if e else None, p.headword)
                           for p, e, action in plan.rows]
            report.renumbered = sorted(e.public_id for e, _ in plan.others)
            session.rollback()  # end the read transaction; nothing was written
            return report
        catalog.ensure_catalog(session, data_dir)
        session.flush()
        with session.no_autoflush:
            plan = _Plan(session, lang, parsed)
            written = _apply(session, plan, report.status)
        session.flush()  # the indexing hooks assign public ids and queue index updates
        entries = {e.source_key: e for e, _ in written}
        report.rows = [ReportRow(p.line, action, (entries.get(p.source_key) or e).public_id,
                                 p.headword) for p, e, action in plan.rows]
        report.renumbered = sorted(e.public_id for e, _ in plan.others)
        batch = ImportBatch(user_id=getattr(user, "id", None),
                            author=getattr(user, "email", None) or f"import:{name}",
                            file_name=name[:300], format=parsed.format, lang=lang,
                            encoding=parsed.encoding[:32], counts=batch_counts(report))
        session.add(batch)
        session.flush()
        report.batch_id = batch.id
        author = None if user is not None else f"import:{name}"[:120]
        for entry, summary in written:
            record(session, entry, summary, user=user, author=author, batch_id=batch.id)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return report


def _parse(data: bytes, known: dict, data_dir: Path, *, filename: str, source: str | None,
           lang: str) -> ParsedLexicon:
    return parse_lexicon(data, sources={s["key"]: s for s in known.get("source", [])},
                         parts_of_speech=load_parts_of_speech(data_dir), filename=filename,
                         source=source, lang=lang)


def batch_counts(report: ImportReport) -> dict[str, Any]:
    """What an ``ImportBatch`` keeps of the report (its ``counts`` column)."""
    return {"entries": len(report.rows), "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "renumbered": len(report.renumbered),
            "new_status": report.status}


# The entry fields a report lists, in the order people read an entry.
_FIELD_CHECKS: tuple[tuple[str, Any], ...] = (
    ("headword", lambda p: p.headword),
    ("part_of_speech", lambda p: p.part_of_speech),
    ("pronunciation", lambda p: p.pronunciation),
    ("variety", lambda p: p.variety),
    ("gloss_vi", lambda p: any(s.gloss_vi for s in p.senses)),
    ("gloss_en", lambda p: any(s.gloss_en for s in p.senses)),
    ("definition", lambda p: any(s.definition for s in p.senses)),
    ("semantic_field", lambda p: any(s.semantic_field for s in p.senses)),
    ("concept_id", lambda p: any(s.concept_id for s in p.senses)),
    ("example", lambda p: any(s.examples for s in p.senses)),
    ("variant", lambda p: p.variants),
    ("note", lambda p: p.note),
    ("source", lambda p: p.source),
    ("extra", lambda p: p.extra or any(s.extra for s in p.senses)),
)


def filled_fields(parsed: ParsedLexicon) -> list[tuple[str, int]]:
    """(field, number of entries with a value) for the fields the file fills."""
    counts = [(name, sum(1 for p in parsed.entries if check(p))) for name, check in _FIELD_CHECKS]
    return [(name, n) for name, n in counts if n]


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


# ---- the plan --------------------------------------------------------------------------------
def parsed_state(p: ParsedEntry) -> dict[str, Any]:
    """What the file says an entry is, in the shape of ``entry_state``."""
    return {
        "headword": p.headword, "part_of_speech": p.part_of_speech, "form_kind": p.form_kind,
        "pronunciation": p.pronunciation, "variety": p.variety, "note": p.note,
        "license": p.license, "source": p.source, "extra": p.extra,
        "senses": [{"gloss_vi": s.gloss_vi, "gloss_en": s.gloss_en, "definition": s.definition,
                    "semantic_field": s.semantic_field, "concept_id": s.concept_id,
                    "concept_gloss": s.concept_gloss, "gloss_note": s.gloss_note,
                    "extra": s.extra,
                    "examples": [{"text": t, "translation_vi": v} for t, v in s.examples]}
                   for s in p.senses],
        "variants": [{"form": f, "kind": k, "label": lb} for f, k, lb in p.variants],
    }


class _Plan:
    """Compare the parsed file with the database; decide each row's action and the
    homograph numbers, without changing anything."""

    def __init__(self, session: Session, lang: str, parsed: ParsedLexicon) -> None:
        self.language = session.scalar(select(Language).where(Language.code == lang))
        self.parsed = parsed
        self.keys = {p.source_key for p in parsed.entries}
        self.existing = self._load_existing(session, [p.source_key for p in parsed.entries])
        numbers, others = self._homographs(session)
        self.rows: list[tuple[ParsedEntry, Entry | None, str]] = []
        # (row, stored entry or None, homograph number, content changed)
        self.changes: list[tuple[ParsedEntry, Entry | None, int | None, bool]] = []
        for p in parsed.entries:
            entry = self.existing.get(p.source_key)
            number = numbers.get(("file", p.source_key))
            if entry is not None and entry.status == DELETED:
                number = entry.homograph  # deleted entries keep out of the numbering
            if entry is None:
                action, content = CREATED, True
            else:
                content = entry_state(entry) != parsed_state(p)
                action = UPDATED if content or entry.homograph != number else UNCHANGED
            self.rows.append((p, entry, action))
            if action != UNCHANGED:
                self.changes.append((p, entry, number, content))
        self.others: list[tuple[Entry, int | None]] = [
            (session.get(Entry, entry_id), number) for entry_id, number in others]

    def _load_existing(self, session: Session, keys: list[str]) -> dict[str, Entry]:
        if self.language is None:
            return {}
        found: dict[str, Entry] = {}
        for i in range(0, len(keys), 500):
            q = (select(Entry)
                 .where(Entry.language_id == self.language.id,
                        Entry.source_key.in_(keys[i:i + 500]))
                 .options(selectinload(Entry.source), selectinload(Entry.variants),
                          selectinload(Entry.senses).selectinload(Sense.examples)))
            found.update((e.source_key, e) for e in session.scalars(q))
        return found

    def _homographs(self, session: Session):
        """Number the entries sharing an exact headword key 1, 2, … by source_key when there
        are two or more, else None; only for headwords this file touches (including the old
        headword of an entry the file renames). Deleted entries take no number."""
        members: dict[tuple, tuple[str, str]] = {}  # member -> (exact key, source key)
        current: dict[tuple, int | None] = {}
        touched: set[str] = set()
        if self.language is not None:
            for entry_id, headword, source_key, homograph in session.execute(
                    select(Entry.id, Entry.headword, Entry.source_key, Entry.homograph)
                    .where(Entry.language_id == self.language.id, Entry.status != DELETED)):
                member = ("file", source_key) if source_key in self.keys else ("db", entry_id)
                members[member] = (normalize.exact_key(headword), source_key or "")
                current[member] = homograph
                if member[0] == "file":
                    touched.add(members[member][0])
        for p in self.parsed.entries:
            stored = self.existing.get(p.source_key)
            if stored is not None and stored.status == DELETED:
                continue
            members[("file", p.source_key)] = (normalize.exact_key(p.headword), p.source_key)
            touched.add(members[("file", p.source_key)][0])
        groups: dict[str, list[tuple]] = {}
        for member, (key, _) in members.items():
            if key in touched:
                groups.setdefault(key, []).append(member)
        numbers: dict[tuple, int | None] = {}
        for group in groups.values():
            group.sort(key=lambda m: (members[m][1], str(m[1])))
            for n, member in enumerate(group, 1):
                numbers[member] = n if len(group) > 1 else None
        others = [(m[1], n) for m, n in numbers.items() if m[0] == "db" and current.get(m) != n]
        return numbers, others


# ---- writing ---------------------------------------------------------------------------------
def _apply(session: Session, plan: _Plan, status: str) -> list[tuple[Entry, str]]:
    """Create (as ``status``) and update the planned entries; return (entry, revision
    summary) pairs."""
    language = plan.language
    assert language is not None  # ensure_catalog ran
    sources = {s.key: s for s in session.scalars(select(Source))}
    written: list[tuple[Entry, str]] = []
    for p, entry, number, content in plan.changes:
        if entry is None:
            entry = Entry(language=language, source_key=p.source_key, status=status,
                          reviewed=False, source=sources[p.source])
            session.add(entry)
            summary = CREATED
        else:
            summary = UPDATED
        if content:
            _fill(entry, p, sources[p.source])
        if entry.homograph != number:
            entry.homograph = number
        written.append((entry, summary))
    for entry, number in plan.others:
        entry.homograph = number
        written.append((entry, UPDATED))
    return written


def _fill(entry: Entry, p: ParsedEntry, source: Source) -> None:
    """Copy the file's content onto the entry."""
    changed = entry.id is not None
    assign_state(entry, parsed_state(p), source)
    if changed:
        entry.reviewed = False  # new source content: a reviewer has not seen it yet
