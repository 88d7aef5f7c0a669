"""The pages where a learner answers: a lesson step by step, the day's reviews, practice.

Where it sits: each page shows one exercise (``exercises.build`` over a ``content`` view of
the sense, read from the dictionary as it is now) with a signed token; the answer post
checks the token, rebuilds the same exercise from it (exercises are deterministic in their
seed), grades the answer (``grading``) and records it (``review.record_answer``). The token
binds the answer to this learner, this card and one UUID: a forged or altered post is refused
(400), and the same post sent twice (a slow connection, a reload) is recorded once.

One round trip per answer and plain forms: everything works without JavaScript; the small
script only adds the on-screen letter buttons, the word bank and audio playback.
"""
from __future__ import annotations

import uuid

from flask import abort, current_app, redirect, render_template, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dictionary.audio import tts
from dictionary.db import session

from .. import bp, content, exercises, grading, keyboard, review
from ..clock import now
from ..models import LESSON, PRACTICE, SCHEDULED, Lesson, LessonDone, ReviewState, Unit
from .access import learner_required
from .learner import current_learner

TOKEN_MAX_AGE = 6 * 3600  # an exercise left open longer is shown again, not graded
# Exercises whose prompt is a Vietnamese gloss (the others show a Hrê/Co form or a sentence).
VIETNAMESE_PROMPTS = {exercises.PICK_FORM, exercises.TYPE_FORM}


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="lessons-answer")


def _token(learner_id: int, ex: exercises.Exercise, seed: str, view_ref: str, **extra) -> str:
    """``view_ref``: what the exercise was built from (a sense id, or the example id of a
    lesson's example item), so the answer is graded against the very same exercise."""
    return _signer().dumps({"u": str(uuid.uuid4()), "l": learner_id, "v": view_ref,
                            "t": ex.type, "s": seed, "at": now().timestamp(), **extra})


def _read_token(learner_id: int) -> dict:
    """The posted token's content, or 400 when it is missing, forged, stale or someone else's."""
    try:
        data = _signer().loads(request.form.get("token", ""), max_age=TOKEN_MAX_AGE)
    except BadData:
        abort(400)
    if not isinstance(data, dict) or data.get("l") != learner_id:
        abort(400)
    try:
        uuid.UUID(str(data["u"]))
    except (KeyError, ValueError):
        abort(400)
    return data


def _grade(ex: exercises.Exercise, view: content.SenseView) -> tuple[grading.Grade, str]:
    if ex.type in exercises.TYPED:
        typed = request.form.get("answer", "")[:200]
        return grading.grade_typed(typed, view, keyboard.rules_for(view.language)), typed
    chosen = request.form.get("answer", "")[:500]  # an option, or a word bank's sentence
    return grading.grade_choice(chosen, ex), chosen


def _answer(learner, data: dict, *, purpose: str, course_id: int | None):
    """Grade and record the posted answer; (exercise, view, grade, answer, recorded)."""
    s = session()
    view = content.views(s, [data["v"]]).get(data["v"])
    if view is None or not exercises.can_build(view, data["t"]):
        return None  # the sense (or its audio) left the public lexicon since the page was shown
    ex = exercises.build(s, view, data["t"], data["s"])
    grade, answer = _grade(ex, view)
    elapsed = int(max(0.0, now().timestamp() - float(data["at"])) * 1000)
    def record():
        return review.record_answer(
            s, learner, log_id=data["u"], sense_ref=ex.ref, kind=ex.kind, rating=grade.rating,
            purpose=purpose, exercise=ex.type, answer=answer, match=grade.match, at=now(),
            duration_ms=min(elapsed, 120_000), course_id=course_id)

    try:
        recorded = record()
        s.commit()
    except review.AnswerError:
        abort(400)
    except IntegrityError:  # the same post twice at once: the other one recorded it
        s.rollback()
        recorded = record()
    return ex, view, grade, answer, recorded


def _page(template: str, **context):
    learner = context["learner"]
    view = context.get("view")
    return render_template(template, letters=keyboard.letters(view.language) if view else [],
                           course=learner.course, speech=_speech(context), **context)


def _speech(context: dict) -> dict[str, tuple[str, bool]]:
    """Vietnamese text on the page → (URL, machine voice) where speech is cached: the gloss a
    question asks about, the glosses of a new word. Never a Hrê or Co form; never fetched
    here (the audio worker fetches)."""
    ex, view = context.get("exercise"), context.get("view")
    texts = [ex.prompt] if ex is not None and ex.type in VIETNAMESE_PROMPTS else []
    if view is not None and template_shows_glosses(context):
        texts += list(view.glosses)
    ready = tts.ready_clips(session(), [t for t in texts if t])
    return {t: (tts.url_for_clip(c), c.engine in tts.MACHINE_VOICE_ENGINES)
            for t, c in ready.items()}


def template_shows_glosses(context: dict) -> bool:
    ex = context.get("exercise")
    return ex is not None and (ex.type == exercises.INTRO or "grade" in context)


# ---- a lesson -------------------------------------------------------------------------------
def _lesson_of(learner, lesson_id: int) -> Lesson:
    lesson = session().get(Lesson, lesson_id)
    if lesson is None or lesson.retired or lesson.course_id != learner.course_id:
        abort(404)
    return lesson


def _plan(learner, lesson: Lesson) -> tuple[list[tuple[str, str]], dict[str, content.SenseView]]:
    s = session()
    refs = [i.ref for i in lesson.items if i.retired_at is None]
    sense_refs = [r for r in refs if r.count("/") == 1]
    views = content.views(s, refs)
    senses = [views[r] for r in sense_refs if r in views]
    examples = list(content.example_views(s, [r for r in refs if r.count("/") == 2]).values())
    return exercises.lesson_plan(senses, examples, f"{learner.id}:{lesson.id}"), views


def _counts_for_schedule(plan: list[tuple[str, str]], step: int) -> bool:
    """Only the first exercise of each card kind in a lesson starts the card; the others are
    practice within the lesson (same-day repetitions add little to memory, FSRS-wise)."""
    def sense(ref: str) -> str:  # an example item trains its sense's card
        return "/".join(ref.split("/")[:2])

    ref, kind_of = sense(plan[step][0]), exercises.KIND_OF
    kind = kind_of.get(plan[step][1])
    return bool(kind) and all(not (sense(r) == ref and kind_of.get(t) == kind)
                              for r, t in plan[:step])


@bp.route("/lesson/<int:lesson_id>/<int:step>", methods=["GET", "POST"])
@learner_required
def lesson_step(lesson_id: int, step: int):
    learner = current_learner(required=True)
    lesson = _lesson_of(learner, lesson_id)
    plan, views = _plan(learner, lesson)
    if not plan:
        abort(404)
    if step >= len(plan):
        return redirect(url_for("lessons.lesson_done", lesson_id=lesson.id))
    s = session()
    done = s.get(LessonDone, (learner.id, lesson.id)) is not None
    if step == 0 and request.method == "GET" and not done:
        lim = review.limits(s, learner)
        if review.new_today(s, learner, now()) >= lim.new_per_day \
                and request.args.get("anyway") != "1":
            return _page("lessons/enough_new.html", learner=learner, lesson=lesson,
                         limit=lim.new_per_day)
    ref, kind = plan[step]
    view = views.get(ref) or abort(404)
    progress = {"step": step + 1, "total": len(plan)}
    seed = f"{learner.id}:{lesson.id}:{step}"
    if request.method == "POST":
        data = _read_token(learner.id)
        if data.get("x") != lesson.id or data.get("n") != step:
            abort(400)
        purpose = LESSON if not done and _counts_for_schedule(plan, step) else PRACTICE
        result = _answer(learner, data, purpose=purpose, course_id=lesson.course_id)
        if result is None:
            return redirect(url_for("lessons.lesson_step", lesson_id=lesson.id, step=step + 1))
        ex, view, grade, answer, _recorded = result
        if step + 1 == len(plan):
            _finish(learner, lesson)
        return _page("lessons/feedback.html", learner=learner, exercise=ex, view=view,
                     grade=grade, answer=answer, progress=progress, lesson=lesson,
                     next_url=url_for("lessons.lesson_step", lesson_id=lesson.id, step=step + 1))
    ex = exercises.build(s, view, kind, seed)
    if ex.type == exercises.INTRO:
        return _page("lessons/intro.html", learner=learner, exercise=ex, view=view,
                     progress=progress, lesson=lesson, dialogue=_dialogue(lesson) if step == 0 else [],
                     next_url=url_for("lessons.lesson_step", lesson_id=lesson.id, step=step + 1))
    return _page("lessons/exercise.html", learner=learner, exercise=ex, view=view,
                 progress=progress, lesson=lesson, mode="lesson",
                 token=_token(learner.id, ex, seed, ref, x=lesson.id, n=step),
                 action=url_for("lessons.lesson_step", lesson_id=lesson.id, step=step))


def _dialogue(lesson: Lesson) -> list[tuple[str, content.ExampleView]]:
    """The lesson's dialogue, shown before its first word: (speaker, example) per line, read
    from the dictionary (a line whose example left the public lexicon is left out)."""
    found = content.example_views(session(), [line.ref for line in lesson.dialogue])
    return [(line.speaker, found[line.ref]) for line in lesson.dialogue if line.ref in found]


def _finish(learner, lesson: Lesson) -> None:
    s = session()
    if s.get(LessonDone, (learner.id, lesson.id)) is None:
        s.add(LessonDone(learner_id=learner.id, lesson_id=lesson.id, done_at=now()))
        s.commit()


@bp.route("/lesson/<int:lesson_id>/done")
@learner_required
def lesson_done(lesson_id: int):
    learner = current_learner(required=True)
    lesson = _lesson_of(learner, lesson_id)
    s = session()
    if s.get(LessonDone, (learner.id, lesson.id)) is None:
        return redirect(url_for("lessons.lesson_step", lesson_id=lesson.id, step=0))
    later = s.scalars(select(Lesson).join(Unit).where(
        Lesson.course_id == lesson.course_id, Lesson.retired.is_(False), Unit.retired.is_(False))
        .order_by(Unit.position, Lesson.position)).all()
    after = later[later.index(lesson) + 1:] if lesson in later else []
    return _page("lessons/lesson_done.html", learner=learner, lesson=lesson,
                 next_lesson=after[0] if after else None,
                 due=len(review.due_states(s, learner, now(), 1000)))


# ---- reviews and practice -------------------------------------------------------------------
def _card_page(learner, state: ReviewState, mode: str, seed: str):
    view = content.views(session(), [state.sense_ref]).get(state.sense_ref)
    if view is None:
        return None
    ex = exercises.build(session(), view, exercises.for_review(view, state.kind), seed)
    return _page("lessons/exercise.html", learner=learner, exercise=ex, view=view, mode=mode,
                 token=_token(learner.id, ex, seed, state.sense_ref, m=mode),
                 action=url_for(f"lessons.{mode}"), state=state)


def _card_answer(learner, mode: str, purpose: str):
    """The feedback page for a posted review or practice answer (None: the card's sense
    left the lexicon meanwhile; show the next card)."""
    data = _read_token(learner.id)
    if data.get("m") != mode:
        abort(400)
    result = _answer(learner, data, purpose=purpose, course_id=learner.course_id)
    if result is None:
        return None
    ex, view, grade, answer, recorded = result
    return _page("lessons/feedback.html", learner=learner, exercise=ex, view=view, grade=grade,
                 answer=answer, leech=recorded.leech_now, practice=purpose == PRACTICE,
                 next_url=url_for(f"lessons.{mode}"))


@bp.route("/review", methods=["GET", "POST"], endpoint="review")
@learner_required
def review_page():
    learner = current_learner(required=True)
    s = session()
    if request.method == "POST" and (page := _card_answer(learner, "review", SCHEDULED)):
        return page
    for _attempt in range(20):
        state = review.next_due(s, learner, now())
        if state is None:
            break
        page = _card_page(learner, state, "review", str(uuid.uuid4()))
        if page is not None:
            return page
        state.retired = True  # the sense left the public lexicon: set the card aside
        s.commit()
    return _page("lessons/review_empty.html", learner=learner,
                 forecast=review.forecast(s, learner, now()))


@bp.route("/practice", methods=["GET", "POST"])
@learner_required
def practice():
    """Extra practice on words already met: logged, never moves the schedule."""
    learner = current_learner(required=True)
    s = session()
    if request.method == "POST" and (page := _card_answer(learner, "practice", PRACTICE)):
        return page
    states = s.scalars(select(ReviewState).where(
        ReviewState.learner_id == learner.id, ReviewState.retired.is_(False))
        .order_by(ReviewState.due)).all()
    seed = str(uuid.uuid4())
    if states:
        # Weakest first, with some variety: one of the ten cards due soonest.
        pick = states[int(uuid.UUID(seed)) % min(10, len(states))]
        page = _card_page(learner, pick, "practice", seed)
        if page is not None:
            return page
    return _page("lessons/practice_empty.html", learner=learner)
