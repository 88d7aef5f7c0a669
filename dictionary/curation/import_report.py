"""What an import did, or a dry run would do: the report, and its summaries for pages and jobs.

Where it sits: ``importer.import_lexicon`` fills an ``ImportReport``; the CLI prints it, the
import pages show it, and a background job keeps its JSON summary (``report_summary``,
``problems_summary``) so any process can show it; an ``ImportBatch`` keeps its counts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..formats import ParsedLexicon
from ..formats.records import AudioRef, ImportFailed, ImportProblem
from ..models import PUBLISHED
from .import_advice import FORMAT_TOOLS, advice_refs
from .import_plan import CREATED, UNCHANGED, UPDATED


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
    # public id → version of the stored entries the file names, as this run saw them: a
    # dry run's are handed back as ``expected`` when the import is confirmed.
    versions: dict[str, int] = field(default_factory=dict)
    # Recordings the file names (LIFT media references), by the line of their entry:
    # ``dictionary.audio.bulk`` matches them with the files of an audio archive.
    audio: dict[int, list[AudioRef]] = field(default_factory=dict)
    # LIFT: the file's writing systems, with counts by where and the role each got.
    writing_systems: list[dict] = field(default_factory=list)
    # Toolbox/MDF: the file's markers, with counts, a sample and the meaning each got.
    markers: list[dict] = field(default_factory=list)

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


ROWS_KEPT = 1000  # report rows and problems a summary keeps (the pages show as many)


def report_summary(report: ImportReport, rows: int = ROWS_KEPT) -> dict[str, Any]:
    """What the report page shows of a dry run, as JSON (kept with a background job)."""
    changed = [r for r in report.rows if r.action != "unchanged"]
    return {
        "file": report.file, "lang": report.lang, "format": report.format,
        "encoding": report.encoding, "status": report.status, "entries": len(report.rows),
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
        "fields": [list(f) for f in report.fields], "ignored_columns": report.ignored_columns,
        "warnings": [str(w) for w in report.warnings[:rows]],
        "warning_kinds": advice_refs(report.warnings[:rows], FORMAT_TOOLS.get(report.format)),
        "samples": [list(s) for s in report.samples], "renumbered": report.renumbered[:rows],
        "rows": [{"line": r.line, "action": r.action, "public_id": r.public_id,
                  "headword": r.headword} for r in changed[:rows]],
        "hidden_rows": max(0, len(changed) - rows), "batch_id": report.batch_id,
        "writing_systems": report.writing_systems, "markers": report.markers,
    }


_VARYING = re.compile(r'"[^"]*"|\'[^\']*\'|\d+')  # what differs between two of a kind
EXAMPLES = 5  # problems shown for each kind


def problem_kinds(problems: list[ImportProblem]) -> list[dict[str, Any]]:
    """The problems grouped by kind (the same column and message but for the quoted values
    and numbers), most frequent first, each with its count and first examples: a file of
    25,000 entries with one mistake made everywhere gives one line, not 25,000. Each kind
    also names what ``import_advice.explain`` makes a title and advice of (``key``, ``tool``)."""
    kinds: dict[tuple, dict[str, Any]] = {}
    first: list[ImportProblem] = []
    for p in problems:
        key = (p.column, _VARYING.sub("…", p.message))
        kind = kinds.get(key)
        if kind is None:
            kind = kinds[key] = {"column": p.column, "count": 0, "examples": []}
            first.append(p)
        kind["count"] += 1
        if len(kind["examples"]) < EXAMPLES:
            kind["examples"].append({"line": p.line, "message": p.message})
    for kind, ref in zip(kinds.values(), advice_refs(first)):
        kind.update(ref)
    return sorted(kinds.values(), key=lambda k: -k["count"])


def problems_summary(exc: ImportFailed, rows: int = ROWS_KEPT) -> dict[str, Any]:
    """The problems of a file that cannot be imported, as JSON (kept with a background job)."""
    return {"problems": [{"line": p.line, "column": p.column, "message": p.message}
                         for p in exc.errors[:rows]],
            "hidden": max(0, len(exc.errors) - rows),
            "kinds": problem_kinds(exc.errors),
            "writing_systems": exc.writing_systems, "skippable": exc.skippable,
            "markers": exc.markers, "encoding": exc.encoding,
            "valid": exc.valid,
            "rejected": len({p.line for p in exc.errors if p.line is not None})}


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
    ("lexeme_form", lambda p: p.lexeme_form),
    ("dialects", lambda p: p.dialects or any(s.dialects for s in p.senses)),
    ("subsense", lambda p: any(s.level for s in p.senses)),
    ("notes", lambda p: p.notes or any(s.notes for s in p.senses)),
    ("relations", lambda p: p.relations or any(s.relations for s in p.senses)),
    ("pictures", lambda p: any(s.pictures for s in p.senses)),
    ("example_translations", lambda p: any(t for s in p.senses
                                           for t in s.example_translations)),
    ("source", lambda p: p.source),
    ("extra", lambda p: p.extra or any(s.extra for s in p.senses)),
)


def filled_fields(parsed: ParsedLexicon) -> list[tuple[str, int]]:
    """(field, number of entries with a value) for the fields the file fills."""
    counts = [(name, sum(1 for p in parsed.entries if check(p))) for name, check in _FIELD_CHECKS]
    return [(name, n) for name, n in counts if n]
