"""Lexicon files in and out: ``import-lexicon``, ``import-batches``, ``revert-import N`` and
``export``, thin over ``importer``, ``import_batches`` and the export functions.

Where it sits: registered by ``cli.init_app``; exit codes as everywhere: 0 success, 1 the
work failed or was refused, 2 usage.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..auth import user_by_email
from ..catalog import ordered_languages
from ..curation.export import ALL, FORMATS, export_chunks
from ..curation.import_batches import RevertRefused, list_batches, revert_batch
from ..audio.bulk import AudioPlan
from ..curation.import_runs import import_with_audio
from ..curation.import_sources import NewSource
from ..curation.import_advice import FORMAT_TOOLS, advice_refs, explain
from ..curation.import_report import problem_kinds
from ..curation.importer import CHECKING, SAVING, ImportFailed
from ..formats.lift_ws import parse_ws_option
from ..formats.mdf_markers import load_marker_file
from ..formats.records import ImportMapping
from ..db import get_db
from ..schema import init_db


@click.command("import-lexicon")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", required=True, help="Language code of the entries (hre, cua).")
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@click.option("--status", type=click.Choice(["draft", "in_review", "published"]),
              help="Status of NEW entries (existing ones keep theirs). Default: published "
                   "(unreviewed) for the starter format, draft for every other format.")
@click.option("--source", help="Source key for files that name none (LIFT, Toolbox/MDF).")
@click.option("--user", "email", help="Record the import as this account's (an e-mail).")
@click.option("--audio", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A zip of the recordings that come with the file (see the README).")
@click.option("--speaker", help="Public id of the recordings' speaker (spk-0001); needed "
                                "with --audio.")
@click.option("--ws", "ws", multiple=True, metavar="CODE=ROLE",
              help="What a LIFT writing system holds: headword, phonetic, vi, gloss (another "
                   "language's gloss, kept) or ignore; repeatable.")
@click.option("--markers", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A Toolbox marker file (TOML: [markers] gn = \"gloss:id\" …), for files "
                   "whose markers are not standard MDF.")
@click.option("--source-citation", help="Declare a new source (--source KEY): its citation.")
@click.option("--source-license", help="Declare a new source: its licence (SPDX, CC-BY-4.0).")
@click.option("--remember-mapping", is_flag=True,
              help="The source remembers this --ws/--markers mapping for its next imports.")
@click.option("--skip-invalid", is_flag=True,
              help="Import the valid entries of a LIFT file and skip those with problems "
                   "(listed), instead of refusing the file.")
def import_lexicon_command(path: Path, lang: str, dry_run: bool, status: str | None,
                           source: str | None, email: str | None, audio: Path | None,
                           speaker: str | None, ws: tuple[str, ...], markers: Path | None,
                           source_citation: str | None, source_license: str | None,
                           remember_mapping: bool, skip_invalid: bool) -> None:
    """Import a lexicon file, all or nothing, as one import batch (see `import-batches`)."""
    init_db()
    try:
        mapping = ImportMapping(ws=parse_ws_option(ws), markers=load_marker_file(
            markers.read_text(encoding="utf-8")) if markers else {})
    except ValueError as exc:
        click.echo(f"--ws {exc}", err=True)
        sys.exit(2)
    except (ImportFailed, UnicodeDecodeError) as exc:
        click.echo(f"{markers}: {exc}", err=True)
        sys.exit(2)
    new_source = None
    if source_citation is not None or source_license is not None:
        if not source:
            click.echo("--source-citation and --source-license declare the source named by "
                       "--source KEY.", err=True)
            sys.exit(2)
        new_source = NewSource(source, source_citation or "", source_license or "")
    bar = ProgressBars(path) if _stderr_is_a_terminal() else None
    try:
        with get_db().Session() as s:
            user = user_by_email(s, email) if email else None
            if email and user is None:
                click.echo(f"No account for {email}.", err=True)
                sys.exit(1)
            report, recordings = import_with_audio(
                s, path, lang, dry_run=dry_run, status=status, source=source, user=user,
                audio=str(audio) if audio else None, audio_label=audio.name if audio else "",
                speaker=speaker, data_dir=Path(current_app.config["DATA_DIR"]),
                mapping=mapping or None, new_source=new_source,
                remember_mapping=remember_mapping, skip_invalid=skip_invalid,
                **({"progress": bar} if bar else {}))
    except ImportFailed as exc:
        if bar:
            bar.close()
        click.echo(f"{path}: nothing was imported.", err=True)
        _echo_problems(exc, path.name)
        _echo_writing_systems(exc.writing_systems, err=True)
        if exc.skippable:
            click.echo(f"Only entries are wrong: --skip-invalid imports the other {exc.valid} "
                       f"and skips these {exc.skippable}.", err=True)
        sys.exit(1)
    finally:
        if bar:
            bar.close()
    if dry_run:
        _echo_writing_systems(report.writing_systems)
        for row in report.rows:
            click.echo(f"  line {row.line}: {row.action:<9} {row.public_id or '(new)'}  {row.headword}")
    for line, before, after in report.samples:
        click.echo(f"  converted from {report.encoding}, line {line}: {before!r} → {after!r}")
    for warning, ref in zip(report.warnings, advice_refs(report.warnings,
                                                         FORMAT_TOOLS.get(report.format))):
        click.echo(f"  warning: {warning}", err=True)
        _echo_advice(ref, path.name, "    ")
    if report.created:
        click.echo(f"New entries {'would be' if dry_run else 'are'} {report.status}.")
    click.echo(("Dry run, nothing changed: " if dry_run else "") + report.summary())
    if recordings is not None:
        _echo_recordings(recordings, dry_run)
    if report.batch_id is not None:
        click.echo(f"Import batch {report.batch_id} (undo it with: "
                   f"flask --app dictionary revert-import {report.batch_id})")


def _echo_problems(exc: ImportFailed, file_name: str | None = None) -> None:
    """Every problem, or, when there are many, each kind once with its count and the first
    few (a mistake made in every entry is one kind, not thousands of lines); each kind with
    what to do about it in the linguist's tool (``import_advice``, in English)."""
    kinds = problem_kinds(exc.errors)
    if len(exc.errors) <= 20:
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        for kind in kinds:
            _echo_advice(kind, file_name, "  ")
        return
    for kind in kinds:
        click.echo(f"  {kind['count']} × column {kind['column'] or '–'}:", err=True)
        _echo_advice(kind, file_name, "    ")
        for x in kind["examples"]:
            click.echo(f"    line {x['line'] if x['line'] is not None else '–'}: "
                       f"{x['message']}", err=True)
        if kind["count"] > len(kind["examples"]):
            click.echo(f"    … and {kind['count'] - len(kind['examples'])} more like these",
                       err=True)


def _echo_advice(kind: dict, file_name: str | None, indent: str) -> None:
    about = explain(kind, file_name, locale="en")
    if about.advice:
        click.echo(f"{indent}{about.title}\n{indent}What to do: {about.advice}", err=True)


def _stderr_is_a_terminal() -> bool:
    """Progress bars only for a person watching: never in a pipe, a log or a test."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


class ProgressBars:
    """``progress(phase, done, total)`` of ``import_lexicon`` shown on standard error: a
    line while the file is read (that step reports no progress), then one
    ``click.progressbar`` per phase (checking the file against the database, saving it), then
    a line while the import commits and the search index is written (the revisions are
    written while saving)."""

    LABELS = {CHECKING: "Checking", SAVING: "Saving  "}

    def __init__(self, path: Path) -> None:
        self.phase: str | None = None
        self.bar = None
        self.stream = click.get_text_stream("stderr")
        size = path.stat().st_size
        click.echo(f"Reading {path.name} ({size / 1e6:.1f} MB)…", file=self.stream)

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self.close()
            self.phase = phase
            if total > 0:
                self.bar = click.progressbar(length=total, label=self.LABELS.get(phase, phase),
                                             file=self.stream, show_pos=True, show_eta=True)
                self.bar.__enter__()
        if self.bar is not None and done > self.bar.pos:
            self.bar.update(min(done, self.bar.length) - self.bar.pos)
            if phase == SAVING and done >= total:
                self.close()
                click.echo("Committing and writing the search index…", file=self.stream)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _echo_writing_systems(found: list[dict], err: bool = False) -> None:
    """The LIFT file's writing systems: code, role, where found how often."""
    if not found:
        return
    click.echo("Writing systems (map one with --ws CODE=ROLE):", err=err)
    for row in found:
        where = ", ".join(f"{context} {n}" for context, n in row["counts"].items())
        mapped = " (mapped)" if row["mapped"] else ""
        click.echo(f"  {row['code']:<20} {row['role'] + mapped:<18} {where}", err=err)


def _echo_recordings(plan: AudioPlan, dry_run: bool) -> None:
    for m in plan.matches if dry_run else []:
        where = f" example {m.example[0]}.{m.example[1]}" if m.example else ""
        click.echo(f"  audio: {m.file} → line {m.line} {m.public_id or '(new)'} "
                   f"{m.headword}{where} (by {m.how.replace('_', ' ')})")
    for line, headword, href in plan.missing:
        click.echo(f"  warning: line {line} ({headword}) names {href}, which is not in the "
                   "archive", err=True)
    for name in plan.unmatched:
        click.echo(f"  warning: {name} matches no entry; not imported", err=True)
    if dry_run:
        click.echo(f"{len(plan.matches)} recordings would be added (speaker {plan.speaker}).")
    else:
        click.echo(f"{plan.recordings} new recordings by {plan.speaker} wait for processing "
                   "and review (flask --app dictionary audio work processes them).")


@click.command("import-batches")
@with_appcontext
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def import_batches_command(limit: int, as_json: bool) -> None:
    """Confirmed imports, newest first (revert one with `revert-import N`)."""
    init_db()
    with get_db().Session() as s:
        batches = list_batches(s, limit)
        if as_json:
            click.echo(json.dumps([{
                "id": b.id, "created_at": b.created_at.isoformat(), "author": b.author,
                "file": b.file_name, "format": b.format, "lang": b.lang, "encoding": b.encoding,
                "counts": b.counts,
                "reverted_at": b.reverted_at.isoformat() if b.reverted_at else None,
                "reverted_by": b.reverted_by} for b in batches], ensure_ascii=False, indent=1))
            return
        for b in batches:
            c = b.counts or {}
            state = f"  reverted {b.reverted_at:%Y-%m-%d %H:%M} by {b.reverted_by}" \
                if b.reverted_at else ""
            click.echo(f"{b.id:5d}  {b.created_at:%Y-%m-%d %H:%M}  {b.lang:4} {b.format:8} "
                       f"{c.get('created', 0)} created, {c.get('updated', 0)} updated, "
                       f"{c.get('unchanged', 0)} unchanged  {b.file_name}  ({b.author}){state}")


@click.command("revert-import")
@with_appcontext
@click.argument("batch_id", type=int)
@click.option("--user", "email", help="Record the revert as this account's (an e-mail).")
def revert_import_command(batch_id: int, email: str | None) -> None:
    """Undo import N as a whole: its new entries are deleted, the entries it changed get
    their earlier content back. Refused (nothing changes) when an entry changed since."""
    with get_db().Session() as s:
        user = user_by_email(s, email) if email else None
        if email and user is None:
            click.echo(f"No account for {email}.", err=True)
            sys.exit(1)
        try:
            report = revert_batch(s, batch_id, user, author="cli:revert-import")
        except RevertRefused as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
    click.echo(report.summary())


@click.command("export")
@with_appcontext
@click.option("--format", "fmt", required=True, type=click.Choice(list(FORMATS)),
              help="lift-media: a zip of the LIFT file and the recordings that may be "
                   "exported; cldf carries them too.")
@click.option("--lang", default="all", show_default=True,
              help="Language code (hre, cua) or all.")
@click.option("--all", "everything", is_flag=True,
              help="All entries except deleted ones (drafts included); default: published.")
@click.argument("out", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
def export_command(fmt: str, lang: str, everything: bool, out: str) -> None:
    """Write the entries to OUT (`-` for standard output) in the chosen format."""
    with get_db().Session() as s:
        codes = [language.code for language in ordered_languages(s)]
        if lang != ALL and lang not in codes:
            click.echo(f"Unknown language {lang!r}; use one of: {', '.join(codes + [ALL])}.",
                       err=True)
            sys.exit(2)
        chunks = export_chunks(s, fmt, lang, everything)
        if out == "-":
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        target = Path(out)
        # Write beside the target and rename: a failed export never leaves half a file.
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        try:
            size = 0
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
                    size += len(chunk)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; an export is for sharing
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    click.echo(f"{target}: {size} bytes written.", err=True)
