"""``flask --app dictionary lessons check|import|export|generate``: course files and the
database, thin over ``course_files``, ``courses`` and ``generator``.

Where it sits: ``init_app`` (called by ``lessons.init_app``) registers the group. Course
folders default to every folder under ``<DATA_DIR>/lessons/`` that has a ``course.toml``.
Exit codes as everywhere in the project: 0 success, 1 the work failed or was refused (errors
printed as ``file:line: message``), 2 usage error (click's own).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from dictionary.catalog import semantic_fields
from dictionary.db import get_db
from dictionary.models import Language
from dictionary.schema import init_db

from .course_files import COURSE_FILE, KEY, CourseSpec, Error, dump, read_course
from .courses import CourseInvalid, check, export_course, import_course, retired_items
from .generator import build
from .models import Course
from .review import rebuild

lessons_cli = AppGroup("lessons", help="Courses: check, import, export and generate them.")

FOLDERS = click.argument("folders", nargs=-1,
                         type=click.Path(exists=True, file_okay=False, path_type=Path))


def init_app(app: Flask) -> None:
    app.cli.add_command(lessons_cli)


def _folders(given: tuple[Path, ...]) -> list[Path]:
    if given:
        return list(given)
    root = Path(current_app.config["DATA_DIR"]) / "lessons"
    return sorted(p.parent for p in root.glob(f"*/{COURSE_FILE}"))


def _read(folders: list[Path]) -> tuple[list[CourseSpec], list[Error]]:
    """Every folder read; also an error for a course key used by two folders."""
    specs, errors, keys = [], [], {}
    for folder in folders:
        spec, found = read_course(folder)
        errors += found
        if spec is None:
            continue
        if spec.key in keys:
            errors.append(Error(spec.path, spec.lines.get("key", 1), f"course key {spec.key!r} "
                                f"is also used by {keys[spec.key]}"))
        keys.setdefault(spec.key, spec.path)
        specs.append(spec)
    return specs, errors


def _fail(errors: list[Error], what: str) -> None:
    for error in errors:
        click.echo(str(error), err=True)
    click.echo(f"{len(errors)} error(s); {what}", err=True)
    sys.exit(1)


@lessons_cli.command("check")
@FOLDERS
def check_command(folders: tuple[Path, ...]) -> None:
    """Check course folders (default: all under data/lessons/): the files, and every
    reference against the dictionary. Also lists items retired since their import."""
    specs, errors = _read(_folders(folders))
    with get_db().Session() as s:
        for spec in specs:
            errors += check(s, spec)
        retired = retired_items(s)
    for course_key, lesson_key, ref, reason in retired:
        click.echo(f"note: in the database, course {course_key} lesson {lesson_key}: "
                   f"{ref} is retired ({reason})")
    if errors:
        _fail(errors, "fix them before importing.")
    click.echo(f"{len(specs)} course(s) checked: no errors.")


@lessons_cli.command("import")
@FOLDERS
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@click.option("--quiet", is_flag=True, help="One line per course, not each change.")
def import_command(folders: tuple[Path, ...], dry_run: bool, quiet: bool) -> None:
    """Import course folders (default: all under data/lessons/), all or nothing. Importing
    unchanged files changes nothing; units, lessons and items are matched by key, so
    learners keep their progress when they are reordered or retitled."""
    init_db()
    specs, errors = _read(_folders(folders))
    if errors:
        _fail(errors, "nothing was imported.")
    try:
        with get_db().transaction() as s:
            errors = [e for spec in specs for e in check(s, spec)]
            if errors:
                raise CourseInvalid(errors)
            reports = [import_course(s, spec, dry_run=dry_run) for spec in specs]
    except CourseInvalid as exc:
        _fail(exc.errors, "nothing was imported.")
    for report in reports:
        click.echo(("Dry run, nothing changed: " if dry_run else "") + report.summary())
        for change in () if quiet else report.changes:
            click.echo(f"  {change}")


def _write(files: dict[str, str], out: Path) -> None:
    """Write ``files`` into ``out``, each beside its target then renamed (never half a file).
    Refused (exit 1) when ``out`` holds other TOML files, which ``check`` would reject."""
    out.mkdir(parents=True, exist_ok=True)
    stale = sorted(p.name for p in out.glob("*.toml") if p.name not in files)
    if stale:
        click.echo(f"{out} holds other course files ({', '.join(stale)}): remove them or "
                   "choose another folder.", err=True)
        sys.exit(1)
    for name, text in files.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, out / name)
        except BaseException:
            os.unlink(tmp)
            raise
    click.echo(f"{len(files)} file(s) written to {out}.")


@lessons_cli.command("export")
@click.argument("course_key")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def export_command(course_key: str, out_dir: Path) -> None:
    """Write the course COURSE_KEY as it is in the database to OUT_DIR, in the format
    `lessons import` reads."""
    with get_db().Session() as s:
        course = s.scalar(select(Course).where(Course.key == course_key))
        if course is None:
            click.echo(f"No course {course_key!r}.", err=True)
            sys.exit(1)
        files = export_course(s, course)
    _write(files, out_dir)


@lessons_cli.command("generate")
@click.argument("lang")
@click.argument("key")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", required=True, help="The course title (Vietnamese).")
@click.option("--description", default="", help="What the course is (Vietnamese).")
@click.option("--license", "license_", help="Default: the licence of the entries.")
def generate_command(lang: str, key: str, out_dir: Path, title: str, description: str,
                     license_: str | None) -> None:
    """Build a course of LANG's published senses, by semantic field, 6–8 a lesson, into
    OUT_DIR as course KEY (check and edit the files, then `lessons import` them)."""
    if not KEY.fullmatch(key) or len(key) > 64:
        raise click.BadParameter("lower-case letters, digits and hyphens", param_hint="KEY")
    with get_db().Session() as s:
        if s.scalar(select(Language.id).where(Language.code == lang)) is None:
            raise click.BadParameter(f"unknown language {lang!r}", param_hint="LANG")
        try:
            labels = semantic_fields(Path(current_app.config["DATA_DIR"]))
        except (OSError, ValueError):
            labels = {}
        generated = build(s, lang, key=key, title=title, description=description,
                          license=license_,
                          field_titles={name: v.get("vi", name) for name, v in labels.items()})
    if not generated.spec.units:
        click.echo(f"No published {lang} sense with a Vietnamese gloss: no course.", err=True)
        sys.exit(1)
    for note in generated.notes:
        click.echo(f"note: {note}", err=True)
    _write(dump(generated.spec), out_dir)


@lessons_cli.command("replay")
@click.option("--learner", "learner_id", type=int, help="Only this learner (id); default all.")
def replay_command(learner_id: int | None) -> None:
    """Rebuild learners' review cards from the review log (the source of truth): after a
    restore, a fix of the scheduler, or to check that nothing drifted."""
    with get_db().transaction() as s:
        rebuilt = rebuild(s, learner_id)
    click.echo(f"{rebuilt.cards} cards from the log; {rebuilt.changed} rewritten, "
               f"{rebuilt.removed} without answers removed, {rebuilt.logs} answers corrected.")
