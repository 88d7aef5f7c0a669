"""The learner's pages through the real app on the bundled data and courses: the way in,
a whole lesson answered through its forms, the next day's review, practice that leaves the
schedule alone, the placement test, and the refusals (another learner's token, a forged or
replayed post, a missing CSRF token, a learner at /admin)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from conftest import csrf_token, load_courses, login
from dictionary.auth import create_user
from dictionary.db import get_db
from lessons import accounts, clock, content, exercises, review
from lessons.models import (
    Course,
    DailyStat,
    Lesson,
    LessonDone,
    Learner,
    PlacementResult,
    ReviewLog,
    ReviewState,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def learning(bundled_copy):
    load_courses(bundled_copy)
    with bundled_copy.app_context(), get_db().transaction() as s:
        course = s.scalar(select(Course).where(Course.key == "hre-co-ban"))
        trainer = create_user(s, "trainer@example.test", PASSWORD, "trainer")
        cohort = accounts.create_cohort(s, name="Lớp thử", course=course, trainers=[trainer],
                                        starts_on=clock.now().date())
        for login_ in ("an@example.test", "binh@example.test"):
            accounts.register_learner(s, login=login_, password=PASSWORD, name=login_,
                                      code=cohort.join_code, office="UBND xã")
    return bundled_copy


def english(app):
    client = app.test_client()
    client.set_cookie("ui_lang", "en")  # the tests read the English interface
    return client


def client_of(app, who: str):
    client = english(app)
    assert login(client, who).status_code == 302
    return client


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(token|csrf_token)" (?:type="hidden" )?value="([^"]+)"', html))


def right_answer(app, html: str) -> str:
    """What a learner who knows the word answers: the exercise rebuilt from the page's token."""
    from lessons.views.study import _signer

    token = form_fields(html)["token"]
    with app.app_context(), get_db().Session() as s:
        data = _signer().loads(token)
        view = content.views(s, [data["v"]])[data["v"]]
        return exercises.build(s, view, data["t"], data["s"]).answer


def do_lesson(app, client, lesson_id: int, *, wrong_at: set[int] = frozenset()) -> list[str]:
    """Answer every step of a lesson through its pages; the exercise types seen."""
    seen, step = [], 0
    while True:
        page = client.get(f"/lessons/lesson/{lesson_id}/{step}")
        if page.status_code == 302:
            assert page.location.endswith(f"/lessons/lesson/{lesson_id}/done")
            return seen
        html = page.get_data(as_text=True)
        assert page.status_code == 200, html
        kind = re.search(r'data-type="(\w+)"', html)
        if kind is None:  # an intro card: a link onwards
            assert f"/lessons/lesson/{lesson_id}/{step + 1}" in html
            seen.append("intro")
        else:
            seen.append(kind[1])
            answer = "sai-hoàn-toàn" if step in wrong_at else right_answer(app, html)
            fields = form_fields(html)
            done = client.post(f"/lessons/lesson/{lesson_id}/{step}",
                               data={**fields, "answer": answer})
            assert done.status_code == 200
            verdict = "Not quite" if step in wrong_at else "Correct!"
            assert verdict in done.get_data(as_text=True)
        step += 1


def first_lesson(app) -> Lesson:
    with app.app_context(), get_db().Session() as s:
        course = s.scalar(select(Course).where(Course.key == "hre-co-ban"))
        return course.units[0].lessons[0]


def test_a_lesson_then_tomorrows_review(learning):
    client = client_of(learning, "an@example.test")
    home = client.get("/lessons/").get_data(as_text=True)
    assert "Hrê cơ bản (phiên âm)" in home and "phonetic transcription" in home
    lesson = first_lesson(learning)
    seen = do_lesson(learning, client, lesson.id, wrong_at={8})
    assert seen[:7] == ["intro"] * 7
    assert {"pick_gloss", "pick_form", "type_form"} <= set(seen)
    with learning.app_context(), get_db().Session() as s:
        learner = s.scalar(select(Learner).join(Learner.user).where(
            Learner.user.has(email="an@example.test")))
        assert s.get(LessonDone, (learner.id, lesson.id)) is not None
        states = s.scalars(select(ReviewState).where(ReviewState.learner_id == learner.id)).all()
        # Every sense of the lesson has a recognition and a production card.
        assert {st.kind for st in states} == {"R", "P"} and len(states) == 14
        assert s.scalar(select(DailyStat.new_cards).where(DailyStat.learner_id == learner.id))
    assert "No more reviews for now" in client.get("/lessons/review").get_data(as_text=True)

    clock.shift(learning, days=4)  # FSRS puts a first "Good" 2–4 days ahead
    try:
        with learning.app_context(), get_db().Session() as s:
            learner = s.scalar(select(Learner).where(Learner.user.has(email="an@example.test")))
            due = {st.sense_ref for st in review.due_states(s, learner, clock.now(), 100)}
        assert len(due) >= 5
        answered = 0
        while True:
            page = client.get("/lessons/review")
            html = page.get_data(as_text=True)
            if "No more reviews for now" in html:
                break
            done = client.post("/lessons/review",
                               data={**form_fields(html), "answer": right_answer(learning, html)})
            assert "Correct!" in done.get_data(as_text=True)
            answered += 1
            assert answered <= 14
        # Siblings are buried: one card per sense a day.
        assert answered == len(due)
    finally:
        clock.shift(learning, days=-4)


def test_practice_never_moves_the_schedule(learning):
    client = client_of(learning, "an@example.test")
    do_lesson(learning, client, first_lesson(learning).id)
    with learning.app_context(), get_db().Session() as s:
        before = [(r.sense_ref, r.kind, r.due, r.stability) for r in
                  s.scalars(select(ReviewState).order_by(ReviewState.sense_ref, ReviewState.kind))]
        # A lesson's later questions on a card already started are practice too.
        practised = s.scalar(select(func.count()).where(ReviewLog.purpose == "practice"))
    html = client.get("/lessons/practice").get_data(as_text=True)
    assert "does not change your schedule" in html
    client.post("/lessons/practice", data={**form_fields(html), "answer": "sai"})
    with learning.app_context(), get_db().Session() as s:
        after = [(r.sense_ref, r.kind, r.due, r.stability) for r in
                 s.scalars(select(ReviewState).order_by(ReviewState.sense_ref, ReviewState.kind))]
        assert s.scalar(select(func.count()).where(ReviewLog.purpose == "practice")) \
            == practised + 1
    assert after == before


def test_a_post_is_recorded_once_and_cannot_be_forged_or_reused(learning):
    an, binh = client_of(learning, "an@example.test"), client_of(learning, "binh@example.test")
    lesson = first_lesson(learning)
    step = 7  # the first question after the intro cards
    html = an.get(f"/lessons/lesson/{lesson.id}/{step}").get_data(as_text=True)
    fields = form_fields(html)
    answer = right_answer(learning, html)
    for _ in range(2):  # a reload, a slow connection: recorded once
        assert an.post(f"/lessons/lesson/{lesson.id}/{step}",
                       data={**fields, "answer": answer}).status_code == 200
    with learning.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count()).select_from(ReviewLog)) == 1
    # Binh cannot post An's token (even with his own CSRF token)...
    theirs = {**fields, "csrf_token": csrf_token(binh, "/lessons/")}
    assert binh.post(f"/lessons/lesson/{lesson.id}/{step}",
                     data={**theirs, "answer": answer}).status_code == 400
    # ...nor a token altered by hand, nor one for another step.
    forged = {**fields, "token": fields["token"][:-3] + "abc"}
    assert an.post(f"/lessons/lesson/{lesson.id}/{step}", data=forged).status_code == 400
    assert an.post(f"/lessons/lesson/{lesson.id}/{step + 1}",
                   data={**fields, "answer": answer}).status_code == 400
    # No CSRF token: refused before anything is read.
    assert an.post(f"/lessons/lesson/{lesson.id}/{step}",
                   data={"token": fields["token"], "answer": answer}).status_code == 400
    with learning.app_context(), get_db().Session() as s:
        assert s.scalar(select(func.count()).select_from(ReviewLog)) == 1


def test_the_placement_test_places_and_marks_what_was_verified(learning):
    client = client_of(learning, "binh@example.test")
    html = client.get("/lessons/placement").get_data(as_text=True)
    boxes = re.findall(r'name="(know-[^"]+)"', html)
    assert 0 < len(boxes) <= 30
    claim = {**form_fields(html), **{b: "1" for b in boxes[:6]}}
    verify = client.post("/lessons/placement", data=claim).get_data(as_text=True)
    questions = re.findall(r'<legend>.*?</legend>', verify, re.S)
    assert len(questions) == 6 and verify.count("I don") == 6
    from lessons.views.learner import _placement_signer

    answers = {}
    with learning.app_context(), get_db().Session() as s:
        data = _placement_signer().loads(form_fields(verify)["token"])
        views = content.views(s, data["claimed"])
        for i, ref in enumerate(data["claimed"]):
            q = exercises.build(s, views[ref], exercises.PICK_GLOSS, f"{_learner_id(s)}:p:{ref}")
            answers[f"q{i}"] = q.answer if i < 4 else ""
    done = client.post("/lessons/placement", data={**form_fields(verify), **answers})
    assert done.status_code == 302
    with learning.app_context(), get_db().Session() as s:
        result = s.scalar(select(PlacementResult))
        assert (result.claimed, result.verified) == (6, 4)
        assert s.scalar(select(func.count()).where(ReviewLog.purpose == "placement")) == 4
    assert "4 of 6 words confirmed" in client.get("/lessons/placement").get_data(as_text=True)


def _learner_id(s) -> int:
    return s.scalar(select(Learner.id).where(Learner.user.has(email="binh@example.test")))


def test_learners_never_reach_the_admin_and_anonymous_visitors_see_the_landing(learning):
    client = client_of(learning, "an@example.test")
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/entries").status_code == 403
    landing = english(learning).get("/lessons/")
    assert landing.status_code == 200 and "Join a class with a code" in landing.get_data(as_text=True)
    assert learning.test_client().get("/lessons/review").status_code == 302  # to the login


def test_a_learner_logs_in_with_a_phone_number_written_any_way(learning):
    with learning.app_context(), get_db().transaction() as s:
        cohort = s.scalar(select(accounts.Cohort))
        accounts.register_learner(s, login="0905 123 456", password=PASSWORD, name="Chị Hoa",
                                  code=cohort.join_code, office="")
    client = english(learning)
    response = login(client, "+84 905-123-456")
    assert response.status_code == 302 and response.location.endswith("/lessons/")
    assert "My lessons" in client.get("/lessons/").get_data(as_text=True)


def test_vietnamese_glosses_are_spoken_where_speech_is_ready(learning):
    """Speech made by the audio worker (espeak-ng here: no network) plays beside the gloss of
    a new word; the Hrê form is never spoken."""
    from dictionary.audio import jobs, tts

    learning.config["TTS_ENGINES"] = ["espeak-ng"]
    lesson = first_lesson(learning)
    with learning.app_context(), get_db().Session() as s:
        ref = s.get(Lesson, lesson.id).items[0].ref
        first = content.views(s, [ref])[ref]
        for gloss in first.glosses:
            tts.request(s, gloss)
        s.commit()
    assert jobs.run_pending(learning) == len(first.glosses)
    client = client_of(learning, "an@example.test")
    intro = client.get(f"/lessons/lesson/{lesson.id}/0").get_data(as_text=True)
    assert intro.count('src="/audio/tts/') == len(first.glosses) and "machine voice" in intro
    with learning.app_context(), get_db().Session() as s:
        keys = {c.key for c in s.scalars(select(tts.TtsClip))}
    assert tts.clip_key(first.headword, False) not in keys
