"""Course files: the TOML a course is written in, read and written without a database.

Where it sits: ``data/lessons/<course>/course.toml`` and one TOML file per unit → ``read_course``
(here: syntax, shape, keys, duplicate keys, reference syntax; every problem as ``file:line``)
→ ``CourseSpec`` → ``courses.check`` (against the lexicon) and ``courses.import_course`` (into
``models``). The way back, ``courses.export_course`` and ``generator``, builds a ``CourseSpec``
and writes it with ``dump``, the one writer, so an exported course reads back to the same spec
and an unchanged course exports byte for byte as it was written.

Items and dialogue lines hold sense ids (``hre-000123/1``) and example ids
(``hre-000123/1/2``), never lexicon text. ``tomllib`` keeps no positions, so ``_Places`` scans
the text for the lines of tables, keys and strings (outside comments and multi-line strings).
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import dictionary.sense_ids as sense_ids

COURSE_FILE = "course.toml"
KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LANGUAGE = re.compile(r"[a-z]{2,8}")
# More new words than this is more than a 10–20 minute session holds.
MAX_ITEMS = 12
# The columns' sizes (``models``): longer text is refused here rather than cut by a database.
LENGTHS = {"key": 64, "language": 8, "title": 200, "license": 64, "semantic_field": 80,
           "speaker": 80}

COURSE_KEYS = ("key", "language", "title", "description", "phonetic", "license", "units")
UNIT_KEYS = ("key", "title", "goal", "semantic_field", "lesson")
LESSON_KEYS = ("key", "title", "intro", "items", "dialogue")
DIALOGUE_KEYS = ("speaker", "ref")


@dataclass(frozen=True)
class Error:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class ItemSpec:
    ref: str
    line: int = 0
    note: str = ""  # written as a comment by ``dump`` (why an exported item is retired)


@dataclass
class DialogueSpec:
    speaker: str
    ref: str
    line: int = 0


@dataclass
class LessonSpec:
    key: str
    title: str
    intro: str = ""
    items: list[ItemSpec] = field(default_factory=list)
    dialogue: list[DialogueSpec] = field(default_factory=list)
    line: int = 0


@dataclass
class UnitSpec:
    key: str
    title: str
    goal: str = ""
    semantic_field: str | None = None
    lessons: list[LessonSpec] = field(default_factory=list)
    path: str = ""  # as errors name it
    line: int = 0


@dataclass
class CourseSpec:
    key: str
    language: str
    title: str
    description: str = ""
    phonetic: bool = False
    license: str = ""
    units: list[UnitSpec] = field(default_factory=list)
    path: str = ""  # of course.toml, as errors name it
    lines: dict[str, int] = field(default_factory=dict)  # top-level key → line
    content_hash: str = ""
    complete: bool = True  # False after errors: a partial spec, to check, never to import


def content_hash(files: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, data in files:
        h.update(f"{name}\0{len(data)}\0".encode() + data)
    return h.hexdigest()


# ---- where things are in a file ------------------------------------------------------------
# A string (basic, literal, or either multi-line), a comment, a line break, or at the start of
# a line a table header or a bare key before "=": what ``_Places`` needs, in file order.
_TOKEN = re.compile(r'(?P<s>"""(?:\\.|[^\\])*?"""|' r"'''.*?'''|" r'"(?:\\.|[^"\\\n])*"|'
                    r"'[^'\n]*')|(?P<c>#[^\n]*)|(?P<n>\n)"
                    r"|^[ \t]*(?:\[(?P<h>[^\n#]*)|(?P<k>[A-Za-z0-9_-]+)(?=[ \t]*=))",
                    re.M | re.S)


class _Places:
    """Lines of table headers, keys and strings in TOML text, in order of appearance."""

    def __init__(self, text: str) -> None:
        self.last = text.count("\n") + 1
        self.tokens: list[tuple[int, str, str]] = []  # (line, "header"|"key"|"string", text)
        line = 1
        for m in _TOKEN.finditer(text):
            if m["n"]:
                line += 1
            elif m["s"]:
                q = 3 if m["s"][:3] in ('"""', "'''") else 1
                self.tokens.append((line, "string", m["s"][q:-q]))
                line += m["s"].count("\n")
            elif m["h"] is not None:
                self.tokens.append((line, "header", re.sub(r"[\[\]\s]", "", m["h"])))
            elif m["k"]:
                self.tokens.append((line, "key", m["k"]))

    def lines(self, kind: str, text: str | None = None,
              span: tuple[int, int] | None = None) -> list[int]:
        lo, hi = span or (1, self.last + 1)
        return [ln for ln, k, t in self.tokens
                if k == kind and (text is None or t == text) and lo <= ln < hi]

    def table(self, name: str, nth: int, within: tuple[int, int] | None = None
              ) -> tuple[int, int]:
        """Lines [first, end) of the ``nth`` ``[[name]]`` table (``within`` a parent's lines),
        up to the next table of the same name; the whole parent when there is no such header
        (e.g. inline tables)."""
        lo, hi = within or (1, self.last + 1)
        heads = self.lines("header", name, (lo, hi)) + [hi]
        return (heads[nth], heads[nth + 1]) if nth + 1 < len(heads) else (lo, hi)

    def own(self, span: tuple[int, int]) -> tuple[int, int]:
        """The lines of ``span`` before its first sub-table."""
        return span[0], (self.lines("header", span=(span[0] + 1, span[1])) or [span[1]])[0]

    def top(self) -> tuple[int, int]:
        return 1, (self.lines("header") or [self.last + 1])[0]

    def key(self, name: str, span: tuple[int, int]) -> int:
        return (self.lines("key", name, span) or [span[0]])[0]

    def string(self, value: str, span: tuple[int, int], nth: int = 0) -> int:
        found = self.lines("string", value, span) or [span[0]]
        return found[min(nth, len(found) - 1)]


# ---- reading ---------------------------------------------------------------------------------
_TYPES = {"phonetic": bool, "units": list, "items": list, "lesson": list, "dialogue": list}


class _File:
    """One file being read: its bytes, data, places and the errors found in it."""

    def __init__(self, path: Path, display: str, errors: list[Error]) -> None:
        self.display, self.errors, self.data, self.raw = display, errors, None, b""
        self.places = _Places("")
        try:
            self.raw = path.read_bytes()
            text = self.raw.decode("utf-8")
        except OSError as exc:
            return self.error(1, f"cannot be read ({exc.strerror or exc})")
        except UnicodeDecodeError as exc:
            return self.error(self.raw.count(b"\n", 0, exc.start) + 1, "is not UTF-8")
        self.places = _Places(text)
        try:
            self.data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"\s*\(at line (\d+), column \d+\)$", str(exc))
            self.error(int(m[1]) if m else self.places.last,
                       "TOML syntax: " + (str(exc)[:m.start()] if m else str(exc)))

    def error(self, line: int, message: str) -> None:
        self.errors.append(Error(self.display, line, message))

    def fields(self, table: dict, allowed: tuple[str, ...], span: tuple[int, int], what: str,
               required: tuple[str, ...] = ("key", "title")) -> dict:
        """The table's values, with errors for unknown keys, missing ones and wrong types."""
        for name in sorted(table.keys() - set(allowed)):
            self.error(self.places.key(name, span), f"unknown key {name!r} in {what}")
        out = {}
        for name in allowed:
            value, line, want = table.get(name), self.places.key(name, span), \
                _TYPES.get(name, str)
            if value is None:
                problem = f"{what} has no {name}" if name in required else None
                line = span[0]
            elif not isinstance(value, want):
                problem = f"{name} must be " + {bool: "true or false", list: "a list"}.get(
                    want, "a string")
            elif want is str and name in required and not value.strip():
                problem = f"{name} is empty"
            elif want is str and len(value) > LENGTHS.get(name, len(value)):
                problem = f"{name} is longer than {LENGTHS[name]} characters"
            elif name == "key" and not KEY.fullmatch(value):
                problem = f"key {value!r} must be lower-case letters, digits and hyphens"
            elif name == "language" and not LANGUAGE.fullmatch(value):
                problem = f"language {value!r} is not a language code (hre, cua)"
            else:
                out[name] = value
                continue
            if problem:
                self.error(line, problem)
        return out

    def string_lines(self, values: list, span: tuple[int, int], key: str) -> list[int]:
        """The line of each string of ``values`` (the nth of equal strings at its own line)."""
        return [self.places.string(v, span, values[:i].count(v)) if isinstance(v, str)
                else self.places.key(key, span) for i, v in enumerate(values)]


def read_course(folder: Path, display: str | None = None) -> tuple[CourseSpec | None, list[Error]]:
    """Read ``folder`` (``course.toml`` and the unit files it lists). Returns the spec (partial,
    ``complete=False``, when there are errors; None when course.toml is unusable) and every
    error found. ``display`` is how error messages name the folder (default: as given)."""
    base = str(folder) if display is None else display
    errors: list[Error] = []
    head = _File(folder / COURSE_FILE, str(Path(base, COURSE_FILE)), errors)
    if not isinstance(head.data, dict):
        return None, errors
    top = head.places.top()
    values = head.fields(head.data, COURSE_KEYS, top, COURSE_FILE,
                         required=("key", "language", "title", "units"))
    if not {"key", "language", "title"} <= values.keys():
        return None, errors
    lines = {k: head.places.key(k, top) for k in COURSE_KEYS}
    course = CourseSpec(
        key=values["key"], language=values["language"], title=values["title"],
        description=values.get("description", ""), phonetic=values.get("phonetic", False),
        license=values.get("license", ""), path=head.display, lines=lines)
    files: list[tuple[str, bytes]] = [(COURSE_FILE, head.raw)]
    listed = values.get("units", [])
    if "units" in values and not listed:
        head.error(lines["units"], "units is empty")
    for name, line in zip(listed, head.string_lines(listed, top, "units")):
        if not isinstance(name, str) or not re.fullmatch(r"[\w.-]+\.toml", name) \
                or name == COURSE_FILE:
            head.error(line, f"units: {name!r} is not a unit file name (unit-01.toml)")
        elif name in (n for n, _ in files):
            head.error(line, f"units: {name} is listed twice")
        else:
            before = len(errors)
            source = _File(folder / name, str(Path(base, name)), errors)
            files.append((name, source.raw))
            if len(errors) == before and isinstance(source.data, dict) \
                    and (unit := _read_unit(source)):
                course.units.append(unit)
    for extra in sorted(p.name for p in folder.glob("*.toml")) if folder.is_dir() else ():
        if extra not in (n for n, _ in files):
            head.error(lines["units"], f"{extra} is in the folder but not listed in units")
    _check_duplicates(course, errors)
    course.content_hash = content_hash(files)
    course.complete = not errors
    return course, errors


def _read_unit(f: _File) -> UnitSpec | None:
    top = f.places.top()
    values = f.fields(f.data, UNIT_KEYS, top, "the unit")
    if not {"key", "title"} <= values.keys():
        return None
    unit = UnitSpec(key=values["key"], title=values["title"], goal=values.get("goal", ""),
                    semantic_field=values.get("semantic_field") or None, path=f.display,
                    line=f.places.key("key", top))
    if not values.get("lesson"):
        f.error(top[0], "the unit has no lessons ([[lesson]] tables)")
    for nth, table in enumerate(values.get("lesson", [])):
        span = f.places.table("lesson", nth)
        if not isinstance(table, dict):
            f.error(span[0], "each lesson must be a table")
        elif lesson := _read_lesson(f, table, span):
            unit.lessons.append(lesson)
    return unit


def _read_lesson(f: _File, table: dict, span: tuple[int, int]) -> LessonSpec | None:
    own = f.places.own(span)
    values = f.fields(table, LESSON_KEYS, own, "the lesson", required=("key", "title", "items"))
    if not {"key", "title"} <= values.keys():
        return None
    lesson = LessonSpec(key=values["key"], title=values["title"], intro=values.get("intro", ""),
                        line=f.places.key("key", own))
    items = values.get("items", [])
    for ref, line in zip(items, f.string_lines(items, own, "items")):
        if isinstance(ref, str) and _parse(ref) is not None:
            lesson.items.append(ItemSpec(ref=ref, line=line))
        else:
            f.error(line, f"{ref!r} is not a sense id (hre-000123/1) or an example id "
                          "(hre-000123/1/2)")
    if "items" in values and not 0 < len(items) <= MAX_ITEMS:
        f.error(f.places.key("items", own), f"lesson {lesson.key} has {len(items)} items; "
                f"a lesson teaches 1 to {MAX_ITEMS}")
    for nth, table in enumerate(values.get("dialogue", [])):
        dspan = f.places.own(f.places.table("lesson.dialogue", nth, span))
        if not isinstance(table, dict):
            f.error(dspan[0], "each dialogue line must be a table")
            continue
        line_values = f.fields(table, DIALOGUE_KEYS, dspan, "the dialogue line",
                               required=("ref",))
        ref, line = line_values.get("ref"), f.places.key("ref", dspan)
        if ref is not None and getattr(_parse(ref), "example", None) is None:
            f.error(line, f"dialogue ref {ref!r} is not an example id (hre-000123/1/2)")
        elif ref is not None:
            lesson.dialogue.append(DialogueSpec(line_values.get("speaker", ""), ref, line))
    return lesson


def _parse(ref: str) -> sense_ids.Ref | None:
    """The parsed id, if ``ref`` is one as written (no spaces, no leading zeros)."""
    try:
        return parsed if str(parsed := sense_ids.parse(ref)) == ref else None
    except ValueError:
        return None


def _check_duplicates(course: CourseSpec, errors: list[Error]) -> None:
    """Keys are identities (progress follows them): unique in the course. A sense or example
    is taught by one lesson only."""
    first: dict[tuple[str, str], str] = {}

    def once(what: str, value: str, path: str, line: int) -> None:
        if (what, value) in first:
            errors.append(Error(path, line, f"{what} {value!r} is also at {first[what, value]}"))
        first.setdefault((what, value), f"{path}:{line}")

    for unit in course.units:
        once("unit key", unit.key, unit.path, unit.line)
        for lesson in unit.lessons:
            once("lesson key", lesson.key, unit.path, lesson.line)
            for item in lesson.items:
                once("item", item.ref, unit.path, item.line)


# ---- writing ---------------------------------------------------------------------------------
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")  # not allowed in a comment


def _string(text: str) -> str:
    """A TOML basic string (multi-line when ``text`` has line breaks) that reads back as
    ``text`` exactly."""
    def escape(ch: str) -> str:
        if ch in '"\\':
            return "\\" + ch
        if ch == "\t" or (ch == "\n" and multi):
            return ch
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            return f"\\u{ord(ch):04X}"
        return ch
    multi = "\n" in text
    body = "".join(map(escape, text))
    return f'"""\n{body}"""' if multi else f'"{body}"'


def dump(course: CourseSpec) -> dict[str, str]:
    """The files of ``course``: ``course.toml`` and ``unit-01.toml`` … in unit order.
    Empty optional values are left out (they read back as empty)."""
    def pairs(*kv: tuple[str, object]) -> list[str]:
        return [f"{k} = {str(v).lower() if isinstance(v, bool) else _string(v)}"
                for k, v in kv if v is not None and v != ""]

    names = [f"unit-{i:02d}.toml" for i in range(1, len(course.units) + 1)]
    head = ["# Read by `flask --app dictionary lessons check|import`. Units are taught in this "
            "order; items are sense ids (hre-000123/1) or example ids (hre-000123/1/2)."]
    head += pairs(("key", course.key), ("language", course.language), ("title", course.title),
                  ("description", course.description), ("phonetic", course.phonetic),
                  ("license", course.license))
    head += ["units = ["] + [f"    {_string(n)}," for n in names] + ["]"]
    files = {COURSE_FILE: "\n".join(head) + "\n"}
    for name, unit in zip(names, course.units):
        lines = pairs(("key", unit.key), ("title", unit.title), ("goal", unit.goal),
                      ("semantic_field", unit.semantic_field))
        for lesson in unit.lessons:
            lines += ["", "[[lesson]]", *pairs(("key", lesson.key), ("title", lesson.title),
                                               ("intro", lesson.intro)), "items = ["]
            lines += [f"    {_string(i.ref)},"
                      + (f"  # {' '.join(_CONTROLS.sub(' ', i.note).split())}" if i.note
                         else "")
                      for i in lesson.items]
            lines.append("]")
            for d in lesson.dialogue:
                lines += ["", "[[lesson.dialogue]]", *pairs(("speaker", d.speaker),
                                                            ("ref", d.ref))]
        files[name] = "\n".join(lines) + "\n"
    return files
