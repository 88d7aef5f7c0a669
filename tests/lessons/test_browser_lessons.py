"""The learning system in a real headless Chromium at phone width, served by waitress: a
learner joins a class with its code, takes the placement test, does a lesson with every
exercise type (a synthetic course with examples and a synthetic recording, imported by the
real importer), reviews four days later (the app's clock moved forward), and the trainer's
chart changes.

The recording is a generated sine tone, a clearly synthetic fixture (nobody's voice, and no
machine voice reading Hrê), taken through the real upload, worker and review. The synthetic words (``zŏxo``…) are test tokens, not Hrê."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import load_courses, serving
from dictionary.auth import create_user
from dictionary.curation import workflow
from dictionary.db import get_db
from dictionary.models import Language, User
from lessons import accounts, clock, content, exercises
from lessons.models import Course, ReviewLog

import make_recordings
from test_browser import keep, phone_page

PASSWORD = "correct horse battery"
WORDS = [("zŏxo", "nghĩa-thử một", "zŏxo ba lemu kiro", "câu-thử một"),
         ("zabi", "nghĩa-thử hai", None, None),
         ("zeku", "nghĩa-thử ba", None, None),
         ("zomu", "nghĩa-thử bốn", None, None)]


@pytest.fixture
def course_app(bundled_copy, tmp_path):
    app = bundled_copy
    load_courses(app)
    refs = []
    with app.app_context(), get_db().transaction() as s:
        admin = create_user(s, "admin@example.test", PASSWORD, "admin")
        create_user(s, "trainer@example.test", PASSWORD, "trainer")
        hre = s.scalar(select(Language).where(Language.code == "hre"))
        for headword, gloss, example, translation in WORDS:
            sense = {"gloss_vi": gloss, "semantic_field": "The body",
                     "examples": [{"text": example, "translation_vi": translation}] if example else []}
            entry = workflow.create_entry(s, admin, hre, {"headword": headword,
                                                          "senses": [sense], "variants": []})
            workflow.submit(s, admin, entry)
            workflow.publish(s, admin, entry)
            refs.append(f"{entry.public_id}/1")
    # A real recording of the first word: a synthetic tone uploaded, processed by the worker
    # and approved by a reviewer, with consent for lessons.
    make_recordings.published(app, refs[0].split("/")[0])
    folder = tmp_path / "thu-nghiem"
    folder.mkdir()
    (folder / "course.toml").write_text(
        'key = "thu-nghiem"\nlanguage = "hre"\ntitle = "Khoá thử nghiệm"\nphonetic = false\n'
        'license = "CC-BY-4.0"\nunits = ["unit-01.toml"]\n', encoding="utf-8")
    items = ", ".join(f'"{r}"' for r in refs + [f"{refs[0]}/1"])
    (folder / "unit-01.toml").write_text(
        f'key = "u1"\ntitle = "Phần thử"\n\n[[lesson]]\nkey = "l1"\ntitle = "Bài thử"\n'
        f'items = [{items}]\n\n[[lesson.dialogue]]\nspeaker = "Cán bộ"\nref = "{refs[0]}/1"\n',
        encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["lessons", "import", str(folder)])
    assert result.exit_code == 0, result.output
    with app.app_context(), get_db().transaction() as s:
        course = s.scalar(select(Course).where(Course.key == "thu-nghiem"))
        trainer = s.scalar(select(User).where(User.email == "trainer@example.test"))
        cohort = accounts.create_cohort(s, name="Lớp xã thử", course=course, trainers=[trainer],
                                        starts_on=clock.now().date())
        app.config["TEST_JOIN_CODE"] = cohort.join_code
        app.config["TEST_COHORT"] = cohort.id
    return app


def go(page, locator) -> None:
    """Click what leads to another page and wait for that page (a slow server must not let the
    next check read the page before)."""
    with page.expect_navigation():
        locator.click()


def answer_of(app, page) -> tuple[str, str]:
    """(exercise type, right answer) of the exercise on ``page``, from its signed token."""
    from lessons.views.study import _signer

    token = page.locator("input[name=token]").get_attribute("value")
    with app.app_context(), get_db().Session() as s:
        data = _signer().loads(token)
        view = content.views(s, [data["v"]])[data["v"]]
        return data["t"], exercises.build(s, view, data["t"], data["s"]).answer


def answer(app, page, shots: Path, n: int) -> str:
    kind, right = answer_of(app, page)
    page.screenshot(path=str(shots / f"lesson-{n:02d}-{kind}.png"), full_page=True)
    if kind in ("type_form", "dictation"):
        box = page.locator("#answer")
        if "ŏ" in right:  # the on-screen letter button, as a phone user would
            head, tail = right.split("ŏ", 1)
            box.fill(head)
            page.get_by_role("button", name="ŏ", exact=True).click()
            box.press_sequentially(tail)
        else:
            box.fill(right)
        assert box.input_value() == right
        go(page, page.get_by_role("button", name="Check"))
    elif kind == "word_bank":
        for word in exercises.tiles(right):
            page.locator(f"button[data-word='{word}']").click()
        go(page, page.get_by_role("button", name="Check"))
    else:
        if kind == "audio_pick_gloss":
            audio = page.locator("audio")
            assert audio.get_attribute("preload") == "none"
        go(page, page.get_by_role("button", name=right, exact=True))
    assert page.get_by_role("heading", name="Correct!").is_visible(), page.content()
    return kind


def test_join_place_learn_review_and_the_trainer_sees_it(browser, course_app, tmp_path):
    app = course_app
    shots = tmp_path / "shots"
    shots.mkdir()
    with serving(app) as url:
        context, page, errors = phone_page(browser)
        trainer_ctx, trainer, _ = phone_page(browser)
        try:
            # The trainer's page before.
            trainer.goto(url + "/login?lang=en")
            trainer.get_by_label("E-mail or phone number").fill("trainer@example.test")
            trainer.get_by_label("Password").fill(PASSWORD)
            go(trainer, trainer.get_by_role("button", name="Log in"))
            cohort_url = f"{url}/lessons/cohorts/{app.config['TEST_COHORT']}"
            trainer.goto(cohort_url)
            charts_before = trainer.locator("svg").evaluate_all("e => e.map(x => x.outerHTML)")

            # Join with the code, on a phone.
            page.goto(url + "/lessons/join?lang=en")
            page.get_by_label("Join code").fill(app.config["TEST_JOIN_CODE"].lower())
            page.get_by_label("Your name").fill("Chị Thử")
            page.get_by_label("E-mail or phone number").fill("0905 123 456")
            page.get_by_label("Office or agency").fill("UBND xã thử")
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_label("Password again").fill(PASSWORD)
            go(page, page.get_by_role("button", name="Join"))
            assert page.url.endswith("/lessons/")
            page.screenshot(path=str(shots / "home.png"), full_page=True)
            assert "Khoá thử nghiệm" in page.content()

            # The placement test: claim two words, confirm one.
            go(page, page.get_by_role("link", name="Placement test"))
            boxes = page.locator("input[type=checkbox]")
            assert boxes.count() == len(WORDS)
            boxes.nth(0).check()
            boxes.nth(1).check()
            go(page, page.get_by_role("button", name="Next"))
            page.screenshot(path=str(shots / "placement.png"), full_page=True)
            first = page.locator("fieldset").nth(0)
            legend = first.locator("legend").inner_text()
            gloss = next(g for h, g, _, _ in WORDS if h == legend)
            first.get_by_label(gloss, exact=True).check()
            go(page, page.get_by_role("button", name="Finish the test"))
            assert "1 of 2 words confirmed" in page.content()

            # The lesson: every exercise type.
            page.goto(url + "/lessons/")
            go(page, page.get_by_role("link", name="Bài thử").first)
            assert "Cán bộ:" in page.content() and "zŏxo ba lemu kiro" in page.content()
            seen, n = [], 0
            while "/done" not in page.url:
                n += 1
                if page.locator("input[name=token]").count():
                    seen.append(answer(app, page, shots, n))
                else:
                    page.screenshot(path=str(shots / f"lesson-{n:02d}-intro.png"), full_page=True)
                    seen.append("intro")
                go(page, page.get_by_role("link", name="Continue"))
            assert set(seen) == {"intro", "pick_gloss", "pick_form", "type_form", "cloze",
                                 "word_bank", "audio_pick_gloss", "dictation"}
            assert "Lesson done" in page.content()

            # Four days later: the reviews due, one card per word.
            clock.shift(app, days=4)
            page.goto(url + "/lessons/review")
            reviewed = 0
            while page.locator("input[name=token]").count():
                answer(app, page, shots, 100 + reviewed)
                reviewed += 1
                go(page, page.get_by_role("link", name="Continue"))
            assert reviewed >= 1 and "No more reviews for now" in page.content()
            page.screenshot(path=str(shots / "review-done.png"), full_page=True)
            assert errors == []

            # The trainer's chart has changed.
            trainer.goto(cohort_url)
            trainer.screenshot(path=str(shots / "trainer.png"), full_page=True)
            charts_after = trainer.locator("svg").evaluate_all("e => e.map(x => x.outerHTML)")
            assert charts_after != charts_before
            assert "Chị Thử" in trainer.content()
            with app.app_context(), get_db().Session() as s:
                purposes = set(s.scalars(select(ReviewLog.purpose)))
            assert {"placement", "lesson", "scheduled"} <= purposes
        finally:
            clock.shift(app, days=-4)
            for path in shots.glob("*.png"):
                keep(path)
            context.close()
            trainer_ctx.close()
