"""``flask --app dictionary lessons check|import|export|generate`` (``lessons.cli``): exit
codes scripts can trust (0 ok, 1 errors, 2 usage), errors as ``file:line: message``, and the
bundled courses reproducible from the bundled data by ``generate``."""
from __future__ import annotations

import shutil
import tomllib

import pytest
from sqlalchemy import func, select

from dictionary import REPO_ROOT
from dictionary.db import get_db
from dictionary.models import DRAFT, Entry
from lessons import cli, follow
from lessons.models import Course

BUNDLED = REPO_ROOT / "data" / "lessons"


@pytest.fixture
def app(bundled_copy):
    if "lessons" not in bundled_copy.cli.commands:  # until lessons.init_app registers it
        cli.init_app(bundled_copy)
    return bundled_copy


def run(app, *args: str):
    return app.test_cli_runner(mix_stderr=False).invoke(args=["lessons", *args])


def courses(app) -> list[str]:
    with app.app_context(), get_db().Session() as s:
        return sorted(s.scalars(select(Course.key)))


def broken_copy(tmp_path):
    """hre-co-ban with a dangling reference in unit 2 and a syntax error in unit 3."""
    folder = tmp_path / "hong"
    shutil.copytree(BUNDLED / "hre-co-ban", folder)
    unit2 = (folder / "unit-02.toml").read_text(encoding="utf-8")
    first = unit2.split('"hre-')[1].split('"')[0]
    unit2 = unit2.replace(f'"hre-{first}"', '"hre-999999/1"', 1)
    (folder / "unit-02.toml").write_text(unit2, encoding="utf-8")
    line2 = next(i for i, t in enumerate(unit2.splitlines(), 1) if "hre-999999/1" in t)
    (folder / "unit-03.toml").write_text('key = "x"\ntitle = \n', encoding="utf-8")
    return folder, line2


def test_check_passes_the_bundled_courses_and_fails_with_file_line_errors(app, tmp_path):
    ok = run(app, "check")
    assert (ok.exit_code, ok.stdout) == (0, "2 course(s) checked: no errors.\n")
    folder, line = broken_copy(tmp_path)
    bad = run(app, "check", str(folder))
    assert bad.exit_code == 1
    assert bad.stderr.splitlines() == [
        f"{folder}/unit-03.toml:2: TOML syntax: Invalid value",
        f"{folder}/unit-02.toml:{line}: hre-999999/1: the entry does not exist",
        "2 error(s); fix them before importing."]


def test_import_is_all_or_nothing_across_folders_then_idempotent(app, tmp_path):
    folder, _ = broken_copy(tmp_path)
    refused = run(app, "import", str(BUNDLED / "co-co-ban"), str(folder))
    assert refused.exit_code == 1 and refused.stderr.endswith("nothing was imported.\n")
    assert courses(app) == []
    # A dangling reference alone (the syntax error mended) is refused by the database check.
    shutil.copy(BUNDLED / "hre-co-ban" / "unit-03.toml", folder / "unit-03.toml")
    refused = run(app, "import", str(BUNDLED / "co-co-ban"), str(folder))
    assert refused.exit_code == 1 and "hre-999999/1: the entry does not exist" in refused.stderr
    assert courses(app) == []
    dry = run(app, "import", "--dry-run")
    assert dry.exit_code == 0 and "Dry run, nothing changed: co-co-ban would be created" \
        in dry.stdout
    assert courses(app) == []
    done = run(app, "import", "--quiet")  # no folder: every course under data/lessons/
    assert done.exit_code == 0 and done.stdout.splitlines() == [
        "co-co-ban was created: 55 change(s).", "hre-co-ban was created: 22 change(s)."]
    assert courses(app) == ["co-co-ban", "hre-co-ban"]
    again = run(app, "import")
    assert (again.exit_code, again.stdout) == (0, "co-co-ban: unchanged.\nhre-co-ban: unchanged.\n")


def test_export_writes_the_import_format_and_refuses_what_it_cannot_do(app, tmp_path):
    assert run(app, "import", str(BUNDLED / "hre-co-ban")).exit_code == 0
    out = tmp_path / "out"
    done = run(app, "export", "hre-co-ban", str(out))
    assert done.exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == \
        {p.name: p.read_bytes() for p in (BUNDLED / "hre-co-ban").iterdir()}
    missing = run(app, "export", "khong-co", str(tmp_path / "x"))
    assert (missing.exit_code, missing.stderr) == (1, "No course 'khong-co'.\n")
    (out / "unit-99.toml").write_text("", encoding="utf-8")
    stale = run(app, "export", "hre-co-ban", str(out))
    assert stale.exit_code == 1 and "unit-99.toml" in stale.stderr


def test_check_notes_items_retired_since_the_import(app):
    assert run(app, "import", str(BUNDLED / "hre-co-ban")).exit_code == 0
    unit = tomllib.loads((BUNDLED / "hre-co-ban" / "unit-01.toml").read_text(encoding="utf-8"))
    ref = unit["lesson"][0]["items"][0]
    with app.app_context(), get_db().transaction() as s:
        entry = s.scalar(select(Entry).where(Entry.public_id == ref.split("/")[0]))
        entry.status = DRAFT
        follow.recheck(s, entry)
    result = run(app, "check", str(BUNDLED / "hre-co-ban"))
    assert result.exit_code == 1
    assert f"note: in the database, course hre-co-ban lesson {unit['lesson'][0]['key']}: " \
           f"{ref} is retired (the entry is draft)" in result.stdout
    assert f"{ref}: the entry is draft" in result.stderr


@pytest.mark.parametrize("lang, key", [("hre", "hre-co-ban"), ("cua", "co-co-ban")])
def test_generate_rebuilds_the_bundled_course_byte_for_byte(app, tmp_path, lang, key):
    meta = tomllib.loads((BUNDLED / key / "course.toml").read_text(encoding="utf-8"))
    out = tmp_path / key
    result = run(app, "generate", lang, key, str(out), "--title", meta["title"],
                 "--description", meta["description"])
    assert result.exit_code == 0, result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == \
        {p.name: p.read_bytes() for p in (BUNDLED / key).iterdir()}


def test_generate_usage_errors_exit_2(app, tmp_path):
    assert run(app, "generate", "xyz", "thu", str(tmp_path), "--title", "T").exit_code == 2
    assert run(app, "generate", "hre", "Thu Thu", str(tmp_path), "--title", "T").exit_code == 2
    assert run(app, "generate", "hre", "thu", str(tmp_path)).exit_code == 2  # no --title
    with app.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count()).select_from(Course)) == 0
