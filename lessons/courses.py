"""Courses into the database and back out: check, import, export.

Where it sits: ``course_files.read_course`` → ``CourseSpec`` → ``check`` (every reference
exists in the course's language, is published and has a Vietnamese gloss: the same test as
``follow.why_unusable``, which retires items later) → ``import_course`` → ``models`` (Course,
Unit, Lesson, LessonItem, DialogueLine); ``export_course`` → ``course_files.dump``.

Identity is by key, never by position or title: a unit, a lesson (key unique in the course,
so it may move between units) and an item (its key is the reference as first authored) are
matched by key, so reordering or retitling keeps every learner's progress. Progress lives
outside these rows (``ReviewState``/``ReviewLog`` by sense id, ``LessonDone`` by lesson id,
``PlacementResult`` by unit id), so: an item dropped from the files is deleted (learners keep
their cards for that sense); a lesson dropped from the files is deleted unless a learner
finished it, then it is retired (hidden, kept); a unit likewise unless it still holds a retired
lesson or a placement points at it. Import is all or nothing: it checks first and raises
``CourseInvalid`` before changing anything; the caller commits. Importing the same files
again changes nothing (``Report.changes`` is empty).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

import dictionary.sense_ids as sense_ids
from dictionary.models import Entry, Language, Sense

from .clock import now
from .course_files import CourseSpec, DialogueSpec, Error, ItemSpec, LessonSpec, UnitSpec, dump
from .follow import why_unusable
from .models import (
    Course,
    DialogueLine,
    Lesson,
    LessonDone,
    LessonItem,
    PlacementResult,
    ReviewState,
    Unit,
)


class CourseInvalid(Exception):
    def __init__(self, errors: list[Error]) -> None:
        super().__init__(f"{len(errors)} error(s) in the course files")
        self.errors = errors


@dataclass
class Report:
    course_key: str
    created: bool
    dry_run: bool = False
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        if not self.changes:
            return f"{self.course_key}: unchanged."
        verb = "would be" if self.dry_run else "was"
        return f"{self.course_key} {verb} {'created' if self.created else 'updated'}: " \
               f"{len(self.changes)} change(s)."


# ---- check -----------------------------------------------------------------------------------
def _entries(session: Session, public_ids: set[str]) -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    ids = sorted(public_ids)
    for start in range(0, len(ids), 500):  # stay far below SQLite's bound-parameter limit
        query = (select(Entry).where(Entry.public_id.in_(ids[start:start + 500]))
                 .options(selectinload(Entry.senses).selectinload(Sense.examples),
                          selectinload(Entry.language)))
        found.update((e.public_id, e) for e in session.scalars(query))
    return found


def check(session: Session, parsed: CourseSpec) -> list[Error]:
    """Errors (``file:line``) for what the lexicon says of ``parsed``: the language is known
    (and is the one the course was imported with), and every item and dialogue line points to
    a published sense of that language with a Vietnamese gloss (or an example of one)."""
    errors: list[Error] = []
    if session.scalar(select(Language.id).where(Language.code == parsed.language)) is None:
        errors.append(Error(parsed.path, parsed.lines.get("language", 1),
                            f"unknown language {parsed.language!r}"))
    old = session.scalar(select(Course.language_code).where(Course.key == parsed.key))
    if old is not None and old != parsed.language:
        errors.append(Error(parsed.path, parsed.lines.get("language", 1),
                            f"course {parsed.key} teaches {old}; its language cannot change "
                            "(learners' progress is in it): use a new key"))
    refs: list[tuple[str, str, int]] = [
        (unit.path, ref.ref, ref.line) for unit in parsed.units for lesson in unit.lessons
        for ref in [*lesson.items, *lesson.dialogue]]
    entries = _entries(session, {sense_ids.parse(ref).public_id for _, ref, _ in refs})
    for path, ref, line in refs:
        entry = entries.get(sense_ids.parse(ref).public_id)
        reason = why_unusable(entry, ref)
        if reason is None and entry.language.code != parsed.language:
            reason = f"the entry is {entry.language.code}, the course {parsed.language}"
        if reason:
            errors.append(Error(path, line, f"{ref}: {reason}"))
    return errors


def retired_items(session: Session, course: Course | None = None
                  ) -> list[tuple[str, str, str, str]]:
    """(course key, lesson key, ref, reason) of every item ``follow`` has retired."""
    query = (select(Course.key, Lesson.key, LessonItem.ref, LessonItem.retired_reason)
             .join(Lesson, LessonItem.lesson_id == Lesson.id)
             .join(Course, Lesson.course_id == Course.id)
             .where(LessonItem.retired_at.is_not(None))
             .order_by(Course.key, Lesson.key, LessonItem.position))
    if course is not None:
        query = query.where(Course.id == course.id)
    return [tuple(row) for row in session.execute(query)]


# ---- import ----------------------------------------------------------------------------------
def import_course(session: Session, parsed: CourseSpec, dry_run: bool = False) -> Report:
    """Bring the course in the database in line with ``parsed``; ``dry_run`` only reports.
    Raises ``CourseInvalid`` (nothing changed) when the files or the references are wrong.
    Does not commit."""
    if not parsed.complete:
        raise CourseInvalid([Error(parsed.path, 1, "the course files have errors "
                                   "(see `flask --app dictionary lessons check`)")])
    errors = check(session, parsed)
    if errors:
        raise CourseInvalid(errors)
    course = session.scalar(select(Course).where(Course.key == parsed.key))
    report = Report(parsed.key, created=course is None, dry_run=dry_run)
    _Sync(session, parsed, course, apply=not dry_run, changes=report.changes).run()
    return report


def _differs(obj: object, values: dict) -> list[str]:
    return [name for name, value in values.items() if getattr(obj, name) != value]


def _assign(obj: object, values: dict) -> None:
    for name, value in values.items():
        setattr(obj, name, value)


class _Sync:
    """One import: compares the rows with the spec, records each difference in ``changes``
    and, when ``apply``, makes it (only then is anything touched: a dry run reads only)."""

    def __init__(self, session: Session, spec: CourseSpec, course: Course | None, *,
                 apply: bool, changes: list[str]) -> None:
        self.s, self.spec, self.course, self.apply, self.changes = \
            session, spec, course, apply, changes

    def run(self) -> None:
        spec, values = self.spec, dict(
            language_code=self.spec.language, title=self.spec.title,
            description=self.spec.description, phonetic=self.spec.phonetic,
            license=self.spec.license)
        if self.course is None:
            self.changes.append(f"course {spec.key}: new")
            if self.apply:
                self.course = Course(key=spec.key, **values)
                self.s.add(self.course)
                self.s.flush()  # lessons carry the course id
        elif diffs := _differs(self.course, values):
            self.changes.append(f"course {spec.key}: {', '.join(diffs)} changed")
        units = {u.key: u for u in self.course.units} if self.course is not None else {}
        lessons = {lesson.key: lesson for u in units.values() for lesson in u.lessons}
        for position, unit_spec in enumerate(spec.units):
            unit = self._unit(units.get(unit_spec.key), unit_spec, position)
            for lesson_position, lesson_spec in enumerate(unit_spec.lessons):
                self._lesson(lessons.get(lesson_spec.key), lesson_spec, unit, lesson_position,
                             unit_spec.key)
        self._drop(units, lessons)
        if self.apply and self.course is not None:
            _assign(self.course, values)
            self.course.content_hash = spec.content_hash
            if self.changes:
                self.course.imported_at = now()

    def _unit(self, unit: Unit | None, spec: UnitSpec, position: int) -> Unit | None:
        values = dict(position=position, title=spec.title, goal=spec.goal,
                      semantic_field=spec.semantic_field, retired=False)
        if unit is None:
            self.changes.append(f"unit {spec.key}: new")
            if self.apply:
                unit = Unit(key=spec.key, **values)
                self.course.units.append(unit)
            return unit
        if diffs := _differs(unit, values):
            self.changes.append(f"unit {spec.key}: {', '.join(diffs)} changed")
            if self.apply:
                _assign(unit, values)
        return unit

    def _lesson(self, lesson: Lesson | None, spec: LessonSpec, unit: Unit | None,
                position: int, unit_key: str) -> None:
        values = dict(position=position, title=spec.title, intro=spec.intro, retired=False)
        fresh = lesson is None
        if fresh:
            self.changes.append(f"lesson {spec.key}: new, {len(spec.items)} item(s)")
            if not self.apply:
                return
            lesson = Lesson(course_id=self.course.id, key=spec.key, **values)
            unit.lessons.append(lesson)
        else:
            moved = unit is None or lesson.unit is not unit
            said = [f"{', '.join(diffs)} changed"] if (diffs := _differs(lesson, values)) else []
            said += [f"moved to unit {unit_key}"] if moved else []
            if said:
                self.changes.append(f"lesson {spec.key}: {'; '.join(said)}")
            if self.apply:
                _assign(lesson, values)
                if lesson.unit is not unit:
                    lesson.unit.lessons.remove(lesson)
                    unit.lessons.append(lesson)
        self._items(lesson, spec.items, spec.key, report=not fresh)
        self._dialogue(lesson, spec.dialogue, spec.key, report=not fresh)

    def _items(self, lesson: Lesson, items: list[ItemSpec], lesson_key: str, *,
               report: bool) -> None:
        existing = list(lesson.items)
        by_key = {i.key: i for i in existing}
        by_ref = {i.ref: i for i in existing}
        plan: list[tuple[str, LessonItem | None]] = []
        for spec in items:
            match = by_key.get(spec.ref) or by_ref.get(spec.ref)
            if match is not None and any(match is m for _, m in plan):
                match = None
            plan.append((spec.ref, match))
        matched = {id(m) for _, m in plan if m is not None}
        gone = [i for i in existing if id(i) not in matched]
        new = [ref for ref, m in plan if m is None]
        moved = [m for p, (_, m) in enumerate(plan) if m is not None and m.position != p]
        repointed = [m for ref, m in plan if m is not None and m.ref != ref]
        back = [m for _, m in plan if m is not None and m.retired_at is not None]
        for what, refs in (("added", new), ("removed", [i.ref for i in gone]),
                           ("re-pointed", [i.ref for i in repointed]),
                           ("back from retirement", [i.ref for i in back])):
            if refs and report:
                self.changes.append(f"lesson {lesson_key}: {len(refs)} item(s) {what}: "
                                    + ", ".join(refs))
        if moved and not (new or gone) and report:
            self.changes.append(f"lesson {lesson_key}: items reordered")
        if not self.apply:
            return
        for item in gone:
            lesson.items.remove(item)  # delete-orphan: the row goes, cards for it stay
        for position, (ref, item) in enumerate(plan):
            if item is None:
                item = LessonItem(key=ref)
                lesson.items.append(item)
            item.position, item.ref = position, ref
            item.entry_public_id = sense_ids.parse(ref).public_id
            item.retired_at = item.retired_reason = None
        senses = [i.ref for i in back if not i.is_example]
        if senses:  # as ``follow.recheck`` does when a sense comes back
            self.s.execute(update(ReviewState).where(ReviewState.sense_ref.in_(senses))
                           .values(retired=False))

    def _dialogue(self, lesson: Lesson, lines: list[DialogueSpec], lesson_key: str, *,
                  report: bool) -> None:
        old = [(d.speaker, d.ref) for d in lesson.dialogue]
        if old == [(d.speaker, d.ref) for d in lines]:
            return
        if report:
            self.changes.append(f"lesson {lesson_key}: dialogue changed")
        if self.apply:
            lesson.dialogue.clear()
            lesson.dialogue.extend(
                DialogueLine(position=p, speaker=d.speaker, ref=d.ref,
                             entry_public_id=sense_ids.parse(d.ref).public_id)
                for p, d in enumerate(lines))

    def _drop(self, units: dict[str, Unit], lessons: dict[str, Lesson]) -> None:
        """Lessons and units no longer in the files: retired where progress points at them,
        deleted otherwise."""
        lesson_keys = {lesson.key for u in self.spec.units for lesson in u.lessons}
        dropped = [lesson for key, lesson in lessons.items() if key not in lesson_keys]
        done = set(self.s.scalars(select(LessonDone.lesson_id).where(
            LessonDone.lesson_id.in_([lesson.id for lesson in dropped])))) if dropped else set()
        kept_units = set()
        for lesson in dropped:
            if lesson.id in done:
                kept_units.add(lesson.unit.key)
                if not lesson.retired:
                    self.changes.append(f"lesson {lesson.key}: retired (learners finished it)")
                    if self.apply:
                        lesson.retired = True
            else:
                self.changes.append(f"lesson {lesson.key}: removed")
                if self.apply:
                    lesson.unit.lessons.remove(lesson)
        unit_keys = {u.key for u in self.spec.units}
        dropped_units = [u for key, u in units.items() if key not in unit_keys]
        placed = set(self.s.scalars(select(PlacementResult.unit_id).where(
            PlacementResult.unit_id.in_([u.id for u in dropped_units])))) \
            if dropped_units else set()
        for unit in dropped_units:
            if unit.key in kept_units or unit.id in placed:
                if not unit.retired:
                    self.changes.append(f"unit {unit.key}: retired")
                    if self.apply:
                        unit.retired = True
            else:
                self.changes.append(f"unit {unit.key}: removed")
                if self.apply:
                    self.course.units.remove(unit)


# ---- export ----------------------------------------------------------------------------------
def course_spec(course: Course) -> CourseSpec:
    """The course as it stands, without what is retired, as ``course_files`` reads it."""
    spec = CourseSpec(key=course.key, language=course.language_code, title=course.title,
                      description=course.description, phonetic=course.phonetic,
                      license=course.license)
    for unit in sorted((u for u in course.units if not u.retired),
                       key=lambda u: (u.position, u.id)):
        unit_spec = UnitSpec(unit.key, unit.title, unit.goal, unit.semantic_field)
        spec.units.append(unit_spec)
        for lesson in sorted((x for x in unit.lessons if not x.retired),
                             key=lambda x: (x.position, x.id)):
            unit_spec.lessons.append(LessonSpec(
                lesson.key, lesson.title, lesson.intro,
                items=[ItemSpec(i.ref, note=f"retired: {i.retired_reason}"
                                if i.retired_at is not None else "")
                       for i in sorted(lesson.items, key=lambda i: (i.position, i.id))],
                dialogue=[DialogueSpec(d.speaker, d.ref)
                          for d in sorted(lesson.dialogue, key=lambda d: (d.position, d.id))]))
    return spec


def export_course(session: Session, course: Course) -> dict[str, str]:
    """The files of ``course`` (``course.toml``, ``unit-01.toml`` …) in the import format.
    Retired items are written with the reason as a comment: ``check`` names them until an
    author removes them or the sense comes back."""
    session.flush()
    return dump(course_spec(course))
