"""Course files (``lessons.course_files``) without a database: what is read, every problem
named ``file:line`` at the line that holds it, and the one writer reading back exactly."""
from __future__ import annotations

from pathlib import Path

import pytest

from lessons.course_files import (
    MAX_ITEMS,
    CourseSpec,
    DialogueSpec,
    ItemSpec,
    LessonSpec,
    UnitSpec,
    dump,
    read_course,
)

COURSE = """\
key = "khoa-thu"
language = "hre"
title = "Khoá thử"
description = "Mô tả thử."
phonetic = true
license = "CC-BY-4.0"
units = ["unit-01.toml", "unit-02.toml"]
"""

UNIT_1 = '''\
key = "u-mot"
title = "Phần một"
goal = "Mục tiêu thử."
semantic_field = "The body"

[[lesson]]
key = "bai-1"
title = "Bài 1"
intro = """
Dòng một.
[[lesson]] trong lời dẫn không phải bảng.
"""
items = [
    "hre-000001/1",
    "hre-000002/1",  # a comment with "hre-000003/1"
    "hre-000001/1/1",
]

[[lesson.dialogue]]
speaker = "A"
ref = "hre-000001/1/1"

[[lesson]]
key = "bai-2"
title = "Bài 2"
items = ["hre-000003/1"]
'''

UNIT_2 = """\
key = "u-hai"
title = "Phần hai"

[[lesson]]
key = "bai-3"
title = "Bài 3"
items = ["hre-000004/1"]
"""


def folder(tmp_path: Path, **files: str) -> Path:
    """A course folder: ``course``, ``unit1``, ``unit2`` default to the texts above; a value
    of None leaves that file out; other names are written as given (``name_toml`` →
    ``name.toml``)."""
    d = tmp_path / "khoa"
    d.mkdir(exist_ok=True)
    texts = {"course.toml": COURSE, "unit-01.toml": UNIT_1, "unit-02.toml": UNIT_2}
    names = {"course": "course.toml", "unit1": "unit-01.toml", "unit2": "unit-02.toml"}
    for name, text in files.items():
        texts[names.get(name, name.replace("_toml", ".toml"))] = text
    for name, text in texts.items():
        if text is not None:
            (d / name).write_text(text, encoding="utf-8")
    return d


def errors_of(d: Path) -> list[str]:
    return [str(e) for e in read_course(d, "khoa")[1]]


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """1-based line of the nth line containing ``needle``: the tests' own count."""
    return [i for i, line in enumerate(text.splitlines(), 1) if needle in line][nth]


def test_a_good_course_reads_with_the_lines_of_what_it_holds(tmp_path):
    spec, errors = read_course(folder(tmp_path), "khoa")
    assert errors == [] and spec.complete
    assert (spec.key, spec.language, spec.title, spec.phonetic, spec.license) == \
        ("khoa-thu", "hre", "Khoá thử", True, "CC-BY-4.0")
    assert [u.key for u in spec.units] == ["u-mot", "u-hai"]
    first = spec.units[0]
    assert first.path == "khoa/unit-01.toml" and first.semantic_field == "The body"
    assert [lesson.key for lesson in first.lessons] == ["bai-1", "bai-2"]
    lesson = first.lessons[0]
    assert lesson.intro.startswith("Dòng một.\n[[lesson]]")
    assert [(i.ref, i.line) for i in lesson.items] == [
        ("hre-000001/1", line_of(UNIT_1, '"hre-000001/1",')),
        ("hre-000002/1", line_of(UNIT_1, '"hre-000002/1"')),
        ("hre-000001/1/1", line_of(UNIT_1, '"hre-000001/1/1",'))]
    assert lesson.dialogue == [DialogueSpec("A", "hre-000001/1/1",
                                            line_of(UNIT_1, 'ref = "hre-000001/1/1"'))]
    # The header inside the intro string is not a table: the second lesson is where it is.
    assert first.lessons[1].line == line_of(UNIT_1, 'key = "bai-2"')
    assert first.lessons[1].items[0].line == line_of(UNIT_1, '"hre-000003/1"]')
    assert len(spec.content_hash) == 64


def test_a_syntax_error_names_the_file_and_tomllibs_line(tmp_path):
    broken = UNIT_2.replace('title = "Bài 3"', 'title = "Bài 3')
    spec, errors = read_course(folder(tmp_path, unit2=broken), "khoa")
    assert [(e.file, e.line) for e in errors] == [
        ("khoa/unit-02.toml", line_of(broken, 'title = "Bài 3'))]
    assert "TOML syntax" in errors[0].message and not spec.complete


def test_unknown_keys_wrong_types_and_missing_values_are_named_at_their_line(tmp_path):
    unit = UNIT_2.replace('title = "Bài 3"', 'tittle = "Bài 3"').replace(
        'key = "bai-3"', 'key = "Bai 3"')
    course = COURSE.replace("phonetic = true", 'phonetic = "yes"')
    found = errors_of(folder(tmp_path, unit2=unit, course=course))
    assert found == [
        f"khoa/course.toml:{line_of(course, 'phonetic')}: phonetic must be true or false",
        f"khoa/unit-02.toml:{line_of(unit, 'tittle')}: unknown key 'tittle' in the lesson",
        f"khoa/unit-02.toml:{line_of(unit, 'Bai 3')}: key 'Bai 3' must be lower-case "
        "letters, digits and hyphens",
        f"khoa/unit-02.toml:{line_of(unit, '[[lesson]]')}: the lesson has no title"]


def test_a_malformed_reference_is_named_at_its_own_line_even_when_repeated(tmp_path):
    unit = UNIT_1.replace('items = ["hre-000003/1"]',
                          'items = [\n    "hre-3/x",\n    "hre-000005/1",\n]')
    unit2 = UNIT_2.replace('items = ["hre-000004/1"]', 'items = ["hre-3/x", " hre-000004/1"]')
    found = errors_of(folder(tmp_path, unit1=unit, unit2=unit2))
    assert found == [
        f"khoa/unit-01.toml:{line_of(unit, 'hre-3/x')}: 'hre-3/x' is not a sense id "
        "(hre-000123/1) or an example id (hre-000123/1/2)",
        f"khoa/unit-02.toml:{line_of(unit2, 'hre-3/x')}: 'hre-3/x' is not a sense id "
        "(hre-000123/1) or an example id (hre-000123/1/2)",
        f"khoa/unit-02.toml:{line_of(unit2, 'hre-3/x')}: ' hre-000004/1' is not a sense id "
        "(hre-000123/1) or an example id (hre-000123/1/2)"]


def test_duplicate_keys_and_items_point_at_the_second_use_and_name_the_first(tmp_path):
    unit2 = UNIT_2.replace('key = "u-hai"', 'key = "u-mot"').replace(
        'key = "bai-3"', 'key = "bai-2"').replace(
        'items = ["hre-000004/1"]', 'items = [\n  "hre-000004/1",\n  "hre-000002/1",\n'
                                    '  "hre-000004/1",\n]')
    found = errors_of(folder(tmp_path, unit2=unit2))
    first = f"khoa/unit-01.toml:{line_of(UNIT_1, 'key = ')}"
    lesson_2, item_2 = line_of(UNIT_1, 'key = "bai-2"'), line_of(UNIT_1, '"hre-000002/1"')
    assert found == [
        f"khoa/unit-02.toml:1: unit key 'u-mot' is also at {first}",
        f"khoa/unit-02.toml:{line_of(unit2, 'bai-2')}: lesson key 'bai-2' is also at "
        f"khoa/unit-01.toml:{lesson_2}",
        f"khoa/unit-02.toml:{line_of(unit2, 'hre-000002/1')}: item 'hre-000002/1' is also at "
        f"khoa/unit-01.toml:{item_2}",
        f"khoa/unit-02.toml:{line_of(unit2, 'hre-000004/1', 1)}: item 'hre-000004/1' is also "
        f"at khoa/unit-02.toml:{line_of(unit2, 'hre-000004/1')}"]


def test_lesson_sizes_and_dialogue_references_are_checked(tmp_path):
    many = ", ".join(f'"hre-{n:06d}/1"' for n in range(10, 11 + MAX_ITEMS))
    unit2 = UNIT_2.replace('items = ["hre-000004/1"]', f"items = [{many}]") + \
        '\n[[lesson]]\nkey = "bai-4"\ntitle = "Bài 4"\nitems = []\n\n' \
        '[[lesson.dialogue]]\nspeaker = "B"\nref = "hre-000004/1"\n'
    found = errors_of(folder(tmp_path, unit2=unit2))
    many_line = line_of(unit2, 'items = ["')
    assert found == [
        f"khoa/unit-02.toml:{many_line}: lesson bai-3 has "
        f"{MAX_ITEMS + 1} items; a lesson teaches 1 to {MAX_ITEMS}",
        f"khoa/unit-02.toml:{line_of(unit2, 'items = []')}: lesson bai-4 has 0 items; "
        f"a lesson teaches 1 to {MAX_ITEMS}",
        f"khoa/unit-02.toml:{line_of(unit2, 'ref = ')}: dialogue ref 'hre-000004/1' is not "
        "an example id (hre-000123/1/2)"]


def test_unit_files_missing_unlisted_listed_twice_or_not_utf8(tmp_path):
    course = COURSE.replace('units = ["unit-01.toml", "unit-02.toml"]',
                            'units = [\n  "unit-01.toml",\n  "unit-02.toml",\n'
                            '  "unit-01.toml",\n  "unit-03.toml",\n]')
    d = folder(tmp_path, course=course, extra_toml="key = 1\n")
    (d / "unit-02.toml").write_bytes(b'key = "u-hai"\ntitle = "Ph\xe1n"\n')
    found = errors_of(d)
    assert found == [
        "khoa/unit-02.toml:2: is not UTF-8",
        f"khoa/course.toml:{line_of(course, 'unit-01.toml', 1)}: units: unit-01.toml is "
        "listed twice",
        "khoa/unit-03.toml:1: cannot be read (No such file or directory)",
        f"khoa/course.toml:{line_of(course, 'units')}: extra.toml is in the folder but not "
        "listed in units"]


def test_a_folder_without_course_toml_is_one_error(tmp_path):
    spec, errors = read_course(folder(tmp_path, course=None), "khoa")
    assert spec is None
    assert [str(e) for e in errors] == ["khoa/course.toml:1: cannot be read (No such file or "
                                        "directory)"]


TRICKY = ['quote " and backslash \\ and tab \t', "two\nlines\n", 'ends with a quote "',
          "control \x01 and DEL \x7f", "Tiếng Việt: ơ̆ ê̆ ʼ", '"""triple"""', "a\r\nb"]


@pytest.mark.parametrize("text", TRICKY)
def test_the_writer_reads_back_exactly_and_writes_what_it_read_byte_for_byte(tmp_path, text):
    spec = CourseSpec(key="khoa-thu", language="hre", title=text, description=text,
                      phonetic=False, license="CC-BY-4.0", units=[
                          UnitSpec("u-mot", text, text, text, lessons=[
                              LessonSpec("bai-1", text, text,
                                         items=[ItemSpec("hre-000001/1"),
                                                ItemSpec("hre-000002/1", note=f"why: {text}")],
                                         dialogue=[DialogueSpec(text, "hre-000001/1/1")])]),
                          UnitSpec("u-hai", "Hai", lessons=[
                              LessonSpec("bai-2", "Bài 2", items=[ItemSpec("hre-000003/1")])])])
    files = dump(spec)
    assert '"hre-000002/1",  # why: ' in files["unit-01.toml"]
    spec.units[0].lessons[0].items[1].note = ""  # a comment: the export's, not read back
    files = dump(spec)
    assert list(files) == ["course.toml", "unit-01.toml", "unit-02.toml"]
    d = tmp_path / "out"
    d.mkdir()
    for name, content in files.items():
        (d / name).write_text(content, encoding="utf-8", newline="")
    back, errors = read_course(d)
    assert errors == []
    assert (back.title, back.description, back.phonetic) == (text, text, False)
    unit = back.units[0]
    assert (unit.title, unit.goal, unit.semantic_field) == (text, text, text)
    lesson = unit.lessons[0]
    assert (lesson.title, lesson.intro) == (text, text)
    assert [i.ref for i in lesson.items] == ["hre-000001/1", "hre-000002/1"]
    assert [(d.speaker, d.ref) for d in lesson.dialogue] == [(text, "hre-000001/1/1")]
    assert dump(back) == files
