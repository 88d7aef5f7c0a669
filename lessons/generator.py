"""A first course from the lexicon: published, glossed senses by semantic field, 6–8 a lesson.

Where it sits: the lexicon (published entries) → ``build`` → ``CourseSpec`` → ``generate`` →
``course_files.dump`` (the writer ``courses.export_course`` uses too) → files an author edits
and ``flask --app dictionary lessons import`` reads. Deterministic: the same lexicon gives the
same bytes (senses in public-id order, units by field size then name, no randomness).

Units: one per semantic field with at least ``MIN`` senses, largest first. A field is trimmed
to the largest size that splits into lessons of ``MIN``–``MAX`` (9–11 → 8, 17 → 16). The rest
of it, smaller fields and senses without a field go to a last unit, "more words" (its senses
grouped by field, in unit order). When "more words" cannot be split either (fewer than 6,
9–11 or 17 senses), it borrows the last few senses of the largest unit that can spare them;
only when none can does a lesson fall outside 6–8, and ``Generated.notes`` says so.

Lessons: a unit of n senses has ceil(n / 8) lessons of sizes as even as possible. Two senses
that would be each other's distractor, because they share a Vietnamese gloss (compared by
``exact_key``) or a form (headword or listed variant, so two senses of one entry too), go in
different lessons: those senses are placed first, each in the open lesson with the most room
that holds none of its conflicts; the others then fill lessons in order. A field unit that
cannot keep two such senses apart (a gloss shared by more senses than it has lessons, e.g. a
one-lesson unit) gives the later ones to "more words", which has more lessons. Where even
that cannot separate them, a sense goes where it clashes least and ``Generated.notes`` names
the pair.

Titles, goals and the "more words" name are course text in Vietnamese (the course is for
Vietnamese speakers), written into the files for an author to edit; not interface strings.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

import dictionary.sense_ids as sense_ids
from dictionary.models import PHONETIC, PUBLISHED, Entry, Language
from search_index.normalize import exact_key

from .course_files import CourseSpec, ItemSpec, LessonSpec, UnitSpec, dump
from .follow import why_unusable

MIN, MAX = 6, 8
MORE_WORDS_KEY, MORE_WORDS_TITLE = "more-words", "Thêm từ"


@dataclass(frozen=True)
class Candidate:
    ref: str
    field: str | None
    keys: frozenset[str]  # "g:<gloss>" and "f:<form>", each by exact_key


@dataclass
class Generated:
    spec: CourseSpec
    notes: list[str] = field(default_factory=list)


def splittable(n: int) -> bool:
    """Can n senses make lessons of MIN–MAX each?

    >>> [n for n in range(1, 20) if splittable(n)]
    [6, 7, 8, 12, 13, 14, 15, 16, 18, 19]
    """
    return n >= MIN and min(sizes(n)) >= MIN


def sizes(n: int) -> list[int]:
    """ceil(n / MAX) lesson sizes, as even as possible, larger first.

    >>> sizes(13), sizes(27), sizes(5)
    ([7, 6], [7, 7, 7, 6], [5])
    """
    count = max(1, math.ceil(n / MAX))
    base, extra = divmod(n, count)
    return [base + 1] * extra + [base] * (count - extra)


def slug(text: str) -> str:
    """A unit key from a field name.

    >>> slug("Agriculture and vegetation")
    'agriculture-and-vegetation'
    """
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "unit"


def _number(public_id: str) -> tuple[str, int]:
    prefix, _, number = public_id.rpartition("-")
    return prefix, int(number)


def candidates(session: Session, language_code: str) -> list[Candidate]:
    """Every teachable sense of the language (``why_unusable`` says none), in public-id order."""
    entries = session.scalars(
        select(Entry).join(Language).where(Language.code == language_code,
                                           Entry.status == PUBLISHED)
        .options(selectinload(Entry.senses), selectinload(Entry.variants))).all()
    out = []
    for entry in sorted(entries, key=lambda e: _number(e.public_id)):
        forms = {f"f:{exact_key(entry.headword)}"} | {f"f:{exact_key(v.form)}"
                                                    for v in entry.variants}
        for sense in sorted(entry.senses, key=lambda s: s.position):
            ref = sense_ids.sense_id(entry.public_id, sense.position)
            if why_unusable(entry, ref) is None:
                glosses = {f"g:{exact_key(g)}" for g in sense.glosses_vi}
                out.append(Candidate(ref, sense.semantic_field, frozenset(forms | glosses)))
    return out


def _largest_splittable(n: int) -> int:
    return max((m for m in range(n, 0, -1) if splittable(m)), default=0)


def _settle(cands: list[Candidate]) -> tuple[list[Candidate], list[Candidate]]:
    """(kept, given away): a field unit keeps the senses it can teach in 6–8-sense lessons
    with no two conflicting senses in one lesson; the rest go to "more words"."""
    kept, away = cands, []
    while kept:
        size = _largest_splittable(len(kept))
        kept, away = kept[:size], away + kept[size:]
        _, forced = lessons_of(kept)
        if not forced:
            break
        later = {b for _, b in forced}
        away += [c for c in kept if c.ref in later]
        kept = [c for c in kept if c.ref not in later]
    return kept, away


def _units(cands: list[Candidate]) -> list[tuple[str | None, list[Candidate]]]:
    """(field, senses) per unit; the "more words" unit (field None) last."""
    by_field: dict[str | None, list[Candidate]] = defaultdict(list)
    for c in cands:
        by_field[c.field].append(c)
    ordered = sorted((f for f in by_field if f is not None), key=lambda f: (-len(by_field[f]), f))
    units: list[tuple[str | None, list[Candidate]]] = []
    pool: list[Candidate] = list(by_field.get(None, []))
    for name in ordered:
        kept, away = _settle(by_field[name])
        if kept:
            units.append((name, kept))
        pool += away
    if pool and not splittable(len(pool)):
        need = next(m for m in range(len(pool), len(pool) + MIN + 1) if splittable(m)) \
            - len(pool)
        for i in sorted(range(len(units)), key=lambda i: (-len(units[i][1]), i)):
            name, cs = units[i]
            if splittable(len(cs) - need) and not lessons_of(cs[:-need])[1]:
                units[i], pool = (name, cs[:-need]), pool + cs[-need:]
                break
    # Senses of one field stay together, fields in unit order: lessons are mostly one topic.
    rank = {name: i for i, name in enumerate(ordered)}
    pool.sort(key=lambda c: (rank.get(c.field, len(rank)), _number(c.ref.split("/")[0]),
                             int(c.ref.split("/")[1])))
    if pool:
        units.append((None, pool))
    return units


def lessons_of(senses: list[Candidate]) -> tuple[list[list[Candidate]], list[tuple[str, str]]]:
    """Split one unit's senses into lessons (see the module docstring); also the pairs of
    conflicting senses that had to share a lesson."""
    n = len(senses)
    if not n:
        return [], []
    room = sizes(n)
    clash = [[j for j in range(n) if j != i and senses[i].keys & senses[j].keys]
             for i in range(n)]
    order = sorted(range(n), key=lambda i: (not clash[i], -len(clash[i]), i))
    lessons: list[list[int]] = [[] for _ in room]
    forced: list[tuple[str, str]] = []
    for i in order:
        open_ = [k for k in range(len(room)) if len(lessons[k]) < room[k]]
        hits = {k: sum(j in clash[i] for j in lessons[k]) for k in open_}
        free = [k for k in open_ if not hits[k]]
        if free and clash[i]:
            k = max(free, key=lambda k: (room[k] - len(lessons[k]), -k))
        elif free:
            k = free[0]
        else:
            k = min(open_, key=lambda k: (hits[k], k))
            forced += [(senses[j].ref, senses[i].ref) for j in lessons[k] if j in clash[i]]
        lessons[k].append(i)
    ordered = sorted((sorted(lesson) for lesson in lessons), key=lambda lesson: lesson[0])
    return [[senses[i] for i in lesson] for lesson in ordered], forced


def layout(cands: list[Candidate]
           ) -> list[tuple[str | None, list[list[Candidate]], list[tuple[str, str]]]]:
    """The course's shape, without a database: per unit in order, its field (None for "more
    words"), its lessons, and the conflicting pairs that had to share a lesson."""
    return [(name, *lessons_of(senses)) for name, senses in _units(cands)]


def build(session: Session, language_code: str, *, key: str, title: str,
          description: str = "", phonetic: bool | None = None, license: str | None = None,
          field_titles: Mapping[str, str] | None = None) -> Generated:
    """The course spec and notes. ``field_titles`` names units (field → Vietnamese title,
    e.g. from ``data/semantic_fields.toml``); ``phonetic`` and ``license`` default to what the
    entries say (all phonetic transcriptions → True; their one licence, or all, joined)."""
    cands = candidates(session, language_code)
    entries = session.scalars(
        select(Entry).where(Entry.public_id.in_({sense_ids.parse(c.ref).public_id
                                                 for c in cands}))).all()
    if phonetic is None:
        phonetic = bool(entries) and all(e.form_kind == PHONETIC for e in entries)
    if license is None:
        license = ", ".join(sorted({e.license for e in entries if e.license}))
    spec = CourseSpec(key=key, language=language_code, title=title, description=description,
                      phonetic=phonetic, license=license)
    result = Generated(spec)
    used_keys: set[str] = set()
    for field_name, parts, forced in layout(cands):
        unit_key = slug(field_name) if field_name else MORE_WORDS_KEY
        while unit_key in used_keys:
            unit_key += "-2"
        used_keys.add(unit_key)
        unit_title = (field_titles or {}).get(field_name, field_name) if field_name \
            else MORE_WORDS_TITLE
        goal = f"Nhận biết {sum(map(len, parts))} từ" + (
            f" về chủ đề “{unit_title}”." if field_name else " thuộc nhiều chủ đề.")
        unit = UnitSpec(unit_key, unit_title, goal, field_name)
        spec.units.append(unit)
        for number, lesson in enumerate(parts, 1):
            unit.lessons.append(LessonSpec(
                key=f"{unit_key}-{number}",
                title=f"{unit_title} {number}" if len(parts) > 1 else unit_title,
                items=[ItemSpec(c.ref) for c in lesson]))
        result.notes += [f"unit {unit_key}: {a} and {b} share a gloss or a form but could "
                         "not go in different lessons" for a, b in forced]
    if any(len(lesson.items) < MIN for u in spec.units for lesson in u.lessons):
        result.notes.append(f"some lessons have fewer than {MIN} senses: no unit could "
                            "spare senses to fill them")
    return result


def generate(session: Session, language_code: str, *, key: str, title: str,
             **options) -> dict[str, str]:
    """The course files (name → text) for ``build``'s spec, written by ``course_files.dump``."""
    return dump(build(session, language_code, key=key, title=title, **options).spec)
