"""Courses into the database and back (``lessons.courses``), on the bundled lexicon: every
reference checked at its ``file:line``, import all or nothing and idempotent, progress kept
through reordering, retitling and removal, export → import a round trip, and the bundled
courses valid against the bundled data."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dictionary import REPO_ROOT
from dictionary.auth import create_user
from dictionary.db import get_db
from dictionary.models import DRAFT, PUBLISHED, Entry, Example, Language, Sense
from lessons import follow
from lessons.course_files import (
    CourseSpec,
    DialogueSpec,
    ItemSpec,
    LessonSpec,
    UnitSpec,
    dump,
    read_course,
)
from lessons.courses import CourseInvalid, check, export_course, import_course, retired_items
from lessons.models import (
    Course,
    DialogueLine,
    Learner,
    Lesson,
    LessonDone,
    LessonItem,
    ReviewState,
    Unit,
)

BUNDLED = REPO_ROOT / "data" / "lessons"
T0 = dt.datetime(2026, 12, 1, 3, 0)


def refs(s, code: str = "hre", n: int = 12) -> list[str]:
    """The first ``n`` teachable sense ids of the bundled data (published, glossed)."""
    rows = s.execute(select(Entry.public_id, Sense.position).join(Sense).join(Language)
                     .where(Language.code == code, Entry.status == PUBLISHED,
                            Sense.gloss_vi != "").order_by(Entry.public_id, Sense.position))
    return [f"{pid}/{pos + 1}" for pid, pos in rows][:n]


def course(units: list[tuple[str, str, list[tuple[str, str, list[str]]]]],
           language: str = "hre") -> CourseSpec:
    """A spec from (unit key, title, [(lesson key, title, [refs])])."""
    return CourseSpec(key="khoa-thu", language=language, title="Khoá thử", phonetic=True,
                      license="CC-BY-4.0", units=[
                          UnitSpec(key, title, lessons=[LessonSpec(lk, lt, items=[
                              ItemSpec(r) for r in items]) for lk, lt, items in lessons])
                          for key, title, lessons in units])


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.toml"):
        old.unlink()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def read(folder: Path) -> CourseSpec:
    spec, errors = read_course(folder)
    assert errors == []
    return spec


def run_import(app, folder: Path, dry_run: bool = False):
    with app.app_context(), get_db().transaction() as s:
        return import_course(s, read(folder), dry_run=dry_run)


def exported(app, key: str = "khoa-thu") -> dict[str, str]:
    with app.app_context(), get_db().Session() as s:
        return export_course(s, s.scalar(select(Course).where(Course.key == key)))


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def ids(bundled_copy) -> list[str]:
    with bundled_copy.app_context(), get_db().Session() as s:
        return refs(s)


def v1(r: list[str]) -> CourseSpec:
    return course([("u1", "Phần 1", [("l1", "Bài 1", r[0:3]), ("l2", "Bài 2", r[3:6])]),
                   ("u2", "Phần 2", [("l3", "Bài 3", r[6:9])])])


def test_check_names_every_unusable_reference_at_its_line(bundled_copy, ids, tmp_path):
    with bundled_copy.app_context(), get_db().transaction() as s:
        draft = s.scalar(select(Entry).where(Entry.public_id == ids[1].split("/")[0]))
        draft.status = DRAFT
        unglossed = s.execute(select(Entry.public_id, Sense.position).join(Sense).join(Language)
                              .where(Language.code == "hre", Sense.gloss_vi == "")).first()
        no_gloss = f"{unglossed[0]}/{unglossed[1] + 1}"
        co = refs(s, "cua", 1)[0]
    pid = ids[0].split("/")[0]
    bad = [ids[1], "hre-999999/1", no_gloss, f"{pid}/9", f"{pid}/1/1", co]
    spec = course([("u1", "Phần 1", [("l1", "Bài 1", [ids[0], *bad])])])
    folder = write(tmp_path / "khoa", dump(spec))
    text = (folder / "unit-01.toml").read_text(encoding="utf-8")
    with bundled_copy.app_context(), get_db().Session() as s:
        found = [str(e) for e in check(s, read(folder))]
    where = {ref: f"{folder}/unit-01.toml:{line_of(text, f'{chr(34)}{ref}{chr(34)}')}"
             for ref in bad}
    assert found == [
        f"{where[ids[1]]}: {ids[1]}: the entry is draft",
        f"{where['hre-999999/1']}: hre-999999/1: the entry does not exist",
        f"{where[no_gloss]}: {no_gloss}: sense {no_gloss.split('/')[1]} has no Vietnamese gloss",
        f"{where[f'{pid}/9']}: {pid}/9: the entry has no sense 9",
        f"{where[f'{pid}/1/1']}: {pid}/1/1: sense 1 has no example 1",
        f"{where[co]}: {co}: the entry is cua, the course hre"]


def test_the_language_must_be_known_and_cannot_change(bundled_copy, ids, tmp_path):
    folder = write(tmp_path / "khoa", dump(v1(ids)))
    run_import(bundled_copy, folder)
    text = (folder / "course.toml").read_text(encoding="utf-8")
    line = line_of(text, "language =")
    for code, message in (("zzz", "unknown language 'zzz'"),
                          ("cua", "course khoa-thu teaches hre; its language cannot change "
                                  "(learners' progress is in it): use a new key")):
        (folder / "course.toml").write_text(text.replace('"hre"', f'"{code}"'), encoding="utf-8")
        with bundled_copy.app_context(), get_db().Session() as s:
            assert f"{folder}/course.toml:{line}: {message}" in map(str, check(s, read(folder)))


def test_a_bad_reference_refuses_the_whole_import_and_changes_nothing(bundled_copy, ids, tmp_path):
    folder = write(tmp_path / "khoa", dump(v1(ids)))
    run_import(bundled_copy, folder)
    before = exported(bundled_copy)
    changed = v1(ids)
    changed.title = "Khoá khác"
    changed.units[0].lessons[0].title = "Bài khác"
    changed.units[1].lessons[0].items.append(ItemSpec("hre-999999/1"))
    write(folder, dump(changed))
    with bundled_copy.app_context(), get_db().transaction() as s:
        # Caught inside the transaction, which then commits: nothing must have been touched.
        with pytest.raises(CourseInvalid) as refused:
            import_course(s, read(folder))
    assert [e.message for e in refused.value.errors] == [
        "hre-999999/1: the entry does not exist"]
    assert exported(bundled_copy) == before


def test_importing_the_same_files_again_changes_nothing(bundled_copy, ids, tmp_path):
    folder = write(tmp_path / "khoa", dump(v1(ids)))
    first = run_import(bundled_copy, folder)
    assert first.created and "course khoa-thu: new" in first.changes
    with bundled_copy.app_context(), get_db().Session() as s:
        rows = s.execute(select(LessonItem.id, LessonItem.ref, Lesson.id, Lesson.title)
                         .join(Lesson)).all()
        stamp = s.scalar(select(Course.imported_at))
    second = run_import(bundled_copy, folder)
    assert (second.created, second.changes, second.summary()) == \
        (False, [], "khoa-thu: unchanged.")
    with bundled_copy.app_context(), get_db().Session() as s:
        assert s.execute(select(LessonItem.id, LessonItem.ref, Lesson.id, Lesson.title)
                         .join(Lesson)).all() == rows
        assert s.scalar(select(Course.imported_at)) == stamp


def test_a_dry_run_reports_and_changes_nothing(bundled_copy, ids, tmp_path):
    folder = write(tmp_path / "khoa", dump(v1(ids)))
    report = run_import(bundled_copy, folder, dry_run=True)
    assert report.dry_run and report.changes[:3] == [
        "course khoa-thu: new", "unit u1: new", "lesson l1: new, 3 item(s)"]
    assert "would be created" in report.summary()
    with bundled_copy.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count()).select_from(Course)) == 0
    run_import(bundled_copy, folder)
    before = exported(bundled_copy)
    changed = v1(ids)
    changed.units.reverse()
    write(folder, dump(changed))
    report = run_import(bundled_copy, folder, dry_run=True)
    assert report.changes == ["unit u2: position changed", "unit u1: position changed"]
    assert exported(bundled_copy) == before


def learner_with_progress(s, lesson_key: str, ref: str) -> int:
    user = create_user(s, "l@example.test", "correct horse battery", "learner")
    learner = Learner(user=user, language_code="hre")
    s.add(learner)
    s.flush()
    lesson = s.scalar(select(Lesson).where(Lesson.key == lesson_key))
    s.add(LessonDone(learner_id=learner.id, lesson_id=lesson.id, done_at=T0))
    s.add(ReviewState(learner_id=learner.id, sense_ref=ref, kind="R", card_id=7, state=2,
                      stability=30.0, difficulty=5.0, due=T0, last_review=T0, last_rating=3))
    return learner.id


def test_reordering_moving_and_retitling_keep_learners_progress(bundled_copy, ids, tmp_path):
    folder = write(tmp_path / "khoa", dump(v1(ids)))
    run_import(bundled_copy, folder)
    with bundled_copy.app_context(), get_db().transaction() as s:
        learner = learner_with_progress(s, "l1", ids[0])
        l1 = s.scalar(select(Lesson.id).where(Lesson.key == "l1"))
    # Unit 2 first and retitled; lesson l1 moved into it, retitled, its items reversed.
    r = ids
    write(folder, dump(course([("u2", "Phần hai", [("l3", "Bài 3", r[6:9]),
                                                   ("l1", "Chào hỏi", r[2::-1])]),
                               ("u1", "Phần 1", [("l2", "Bài 2", r[3:6])])])))
    report = run_import(bundled_copy, folder)
    assert "lesson l1: position, title changed; moved to unit u2" in report.changes
    assert "lesson l1: items reordered" in report.changes
    with bundled_copy.app_context(), get_db().Session() as s:
        lesson = s.get(Lesson, l1)
        assert (lesson.key, lesson.title, lesson.unit.key, lesson.unit.title, lesson.retired) \
            == ("l1", "Chào hỏi", "u2", "Phần hai", False)
        assert [i.ref for i in lesson.items] == r[2::-1]
        assert s.scalar(select(LessonDone.lesson_id).where(LessonDone.learner_id == learner)) \
            == l1
        state = s.get(ReviewState, (learner, ids[0], "R"))
        assert (state.stability, state.reps, state.retired) == (30.0, 0, False)
        assert [u.key for u in sorted(s.scalars(select(Unit)), key=lambda u: u.position)] == \
            ["u2", "u1"]


def test_dropped_lessons_with_progress_are_retired_not_deleted_and_come_back(
        bundled_copy, ids, tmp_path):
    folder = write(tmp_path / "khoa", dump(v1(ids)))
    run_import(bundled_copy, folder)
    with bundled_copy.app_context(), get_db().transaction() as s:
        learner = learner_with_progress(s, "l3", ids[6])
        l3 = s.scalar(select(Lesson.id).where(Lesson.key == "l3"))
    # u2 (with l3, which a learner finished) and l2 (nobody did) are gone; l1 loses an item.
    write(folder, dump(course([("u1", "Phần 1", [("l1", "Bài 1", ids[0:2])])])))
    report = run_import(bundled_copy, folder)
    assert set(report.changes) == {
        f"lesson l1: 1 item(s) removed: {ids[2]}", "lesson l2: removed",
        "lesson l3: retired (learners finished it)", "unit u2: retired"}
    with bundled_copy.app_context(), get_db().Session() as s:
        assert s.scalar(select(Lesson.key).where(Lesson.key == "l2")) is None
        assert (s.get(Lesson, l3).retired, s.get(Lesson, l3).unit.retired) == (True, True)
        assert s.scalar(select(LessonItem).where(LessonItem.ref == ids[2])) is None
        assert s.get(ReviewState, (learner, ids[6], "R")) is not None
    files = exported(bundled_copy)
    assert list(files) == ["course.toml", "unit-01.toml"] and "l3" not in files["unit-01.toml"]
    write(folder, dump(v1(ids)))
    report = run_import(bundled_copy, folder)
    assert {"lesson l3: retired changed", "unit u2: retired changed",
            "lesson l2: new, 3 item(s)"} <= set(report.changes)
    with bundled_copy.app_context(), get_db().Session() as s:
        assert s.get(Lesson, l3).retired is False and s.get(Lesson, l3).unit.retired is False
    assert exported(bundled_copy) == dump(v1(ids))


def test_export_then_import_is_a_round_trip(bundled_copy, ids, tmp_path):
    # Authored by hand in another layout: other file names, inline arrays, comments.
    folder = write(tmp_path / "khoa", {
        "course.toml": 'key = "khoa-thu"\nlanguage = "hre"\ntitle = "Khoá thử"\n'
                       'units = ["chao.toml"]  # one unit\n',
        "chao.toml": f'key = "chao"\ntitle = "Chào"\ngoal = "Chào hỏi."\n\n[[lesson]]\n'
                     f'key = "chao-1"\ntitle = "Chào 1"\nintro = """\nDòng một.\nDòng hai.\n"""\n'
                     f'items = ["{ids[0]}", "{ids[1]}"]\n'})
    run_import(bundled_copy, folder)
    files = exported(bundled_copy)
    assert list(files) == ["course.toml", "unit-01.toml"]
    again = write(tmp_path / "export", files)
    assert run_import(bundled_copy, again).changes == []
    assert exported(bundled_copy) == files
    spec = read(again)
    assert spec.units[0].lessons[0].intro == "Dòng một.\nDòng hai.\n"
    assert spec.phonetic is False and spec.description == ""


@pytest.mark.parametrize("key", ["hre-co-ban", "co-co-ban"])
def test_a_bundled_course_imports_and_exports_byte_for_byte(bundled_copy, key):
    report = run_import(bundled_copy, BUNDLED / key)
    assert report.created and report.changes
    files = exported(bundled_copy, key)
    assert files == {p.name: p.read_text(encoding="utf-8")
                     for p in sorted((BUNDLED / key).glob("*.toml"))}
    assert run_import(bundled_copy, BUNDLED / key).changes == []


def test_a_retired_item_is_exported_with_its_reason_and_check_names_it(
        bundled_copy, ids, tmp_path):
    folder = write(tmp_path / "khoa", dump(v1(ids)))
    run_import(bundled_copy, folder)
    with bundled_copy.app_context(), get_db().transaction() as s:
        entry = s.scalar(select(Entry).where(Entry.public_id == ids[4].split("/")[0]))
        entry.status = DRAFT
        follow.recheck(s, entry)
    with bundled_copy.app_context(), get_db().Session() as s:
        assert retired_items(s) == [("khoa-thu", "l2", ids[4], "the entry is draft")]
    files = exported(bundled_copy)
    assert f'"{ids[4]}",  # retired: the entry is draft' in files["unit-01.toml"]
    out = write(tmp_path / "export", files)
    with bundled_copy.app_context(), get_db().Session() as s:
        found = [str(e) for e in check(s, read(out))]
    line = line_of(files["unit-01.toml"], ids[4])
    assert found == [f"{out}/unit-01.toml:{line}: {ids[4]}: the entry is draft"]


@pytest.mark.parametrize("key, language, title", [
    ("hre-co-ban", "hre", "Hrê cơ bản (phiên âm)"), ("co-co-ban", "cua", "Co cơ bản (phiên âm)")])
def test_the_bundled_courses_pass_check_against_the_bundled_data(bundled_app, key, language,
                                                                   title):
    spec, errors = read_course(BUNDLED / key)
    assert errors == []
    with bundled_app.app_context(), get_db().Session() as s:
        assert check(s, spec) == []
        licenses = set(s.scalars(select(Entry.license).join(Language)
                                 .where(Language.code == language)))
    assert (spec.key, spec.language, spec.title, spec.phonetic) == (key, language, title, True)
    assert {spec.license} == licenses
    # Labelled as a pilot on a linguist's phonetic transcription.
    assert "thí điểm" in spec.description and "phiên âm" in spec.description


def test_lessons_moved_into_a_new_unit_survive_the_removal_of_their_old_units(
        bundled_copy, ids, tmp_path):
    folder = write(tmp_path / "khoa", dump(v1(ids)))
    run_import(bundled_copy, folder)
    with bundled_copy.app_context(), get_db().transaction() as s:
        learner = learner_with_progress(s, "l1", ids[0])
        before = dict(s.execute(select(Lesson.key, Lesson.id)).all())
    merged = course([("u3", "Phần gộp", [("l3", "Bài 3", ids[6:9]), ("l1", "Bài 1", ids[0:3]),
                                         ("l2", "Bài 2", ids[3:6])])])
    write(folder, dump(merged))
    report = run_import(bundled_copy, folder)
    assert {"unit u3: new", "unit u1: removed", "unit u2: removed"} <= set(report.changes)
    with bundled_copy.app_context(), get_db().Session() as s:
        assert dict(s.execute(select(Lesson.key, Lesson.id)).all()) == before
        assert [u.key for u in s.scalars(select(Unit))] == ["u3"]
        assert s.scalar(select(LessonDone.lesson_id).where(LessonDone.learner_id == learner)) \
            == before["l1"]
        assert s.scalar(select(func.count()).select_from(LessonItem)) == 9
    assert exported(bundled_copy) == dump(merged)
    assert run_import(bundled_copy, folder).changes == []


def test_examples_as_items_and_dialogue_lines_go_in_and_come_out(bundled_copy, ids, tmp_path):
    with bundled_copy.app_context(), get_db().transaction() as s:
        hre = s.scalar(select(Language).where(Language.code == "hre"))
        entry = Entry(language=hre, headword="zuxo", status=PUBLISHED)
        entry.senses.append(Sense(position=0, gloss_vi="nhà-thử", examples=[
            Example(position=0, text="zuxo zuxa", translation_vi="câu-thử"),
            Example(position=1, text="zuxa zuxo", translation_vi="câu-thử-hai")]))
        s.add(entry)
        s.flush()
        pid = entry.public_id
    spec = course([("u1", "Phần 1", [("l1", "Bài 1", [ids[0], f"{pid}/1", f"{pid}/1/2"])])])
    spec.units[0].lessons[0].dialogue = [DialogueSpec("Già làng", f"{pid}/1/1"),
                                         DialogueSpec("Cán bộ", f"{pid}/1/2")]
    folder = write(tmp_path / "khoa", dump(spec))
    run_import(bundled_copy, folder)
    with bundled_copy.app_context(), get_db().Session() as s:
        lines = s.execute(select(DialogueLine.position, DialogueLine.speaker, DialogueLine.ref,
                                 DialogueLine.entry_public_id).order_by(DialogueLine.position))
        assert lines.all() == [(0, "Già làng", f"{pid}/1/1", pid), (1, "Cán bộ", f"{pid}/1/2", pid)]
        example = s.scalar(select(LessonItem).where(LessonItem.ref == f"{pid}/1/2"))
        assert example.is_example and example.entry_public_id == pid
    assert exported(bundled_copy) == dump(spec)
    spec.units[0].lessons[0].dialogue[1].speaker = "Cán bộ xã"
    write(folder, dump(spec))
    assert run_import(bundled_copy, folder).changes == ["lesson l1: dialogue changed"]
    assert run_import(bundled_copy, folder).changes == []
    # A dialogue line must name an example that exists.
    spec.units[0].lessons[0].dialogue.append(DialogueSpec("Già làng", f"{pid}/1/3"))
    files = dump(spec)
    write(folder, files)
    with bundled_copy.app_context(), get_db().Session() as s:
        assert [str(e) for e in check(s, read(folder))] == [
            f"{folder}/unit-01.toml:{line_of(files['unit-01.toml'], f'{pid}/1/3')}: "
            f"{pid}/1/3: sense 1 has no example 3"]
