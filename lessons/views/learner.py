"""The learner's own pages: the way in, choosing a course, the home page, the placement test.

Where it sits: over ``review`` (what is due, streak, known words, forecast), ``placement``
and the course tables; the answering pages are in ``study``. Every page shows only the
signed-in learner's own data: the learner is always taken from the session, never from the
URL.
"""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from wtforms import RadioField
from wtforms.validators import InputRequired

from dictionary.db import session
from dictionary.models import ADMIN, LEARNER, TRAINER

from .. import bp, content, exercises, grading, placement, review
from ..clock import local_day, now
from ..models import Course, DailyStat, Lesson, LessonDone, Learner, PlacementResult, Unit
from .access import learner_required

PLACEMENT_MAX_AGE = 3600


def current_learner(required: bool = False) -> Learner | None:
    """The signed-in learner's profile; with ``required``, a learner without one is sent to
    choose a course first."""
    learner = session().scalar(select(Learner).where(Learner.user_id == current_user.id))
    if learner is None and required:
        abort(redirect(url_for("lessons.start")))
    if learner is not None and required and learner.course is None:
        abort(redirect(url_for("lessons.start")))
    return learner


def _courses() -> list[Course]:
    return list(session().scalars(select(Course).where(Course.active.is_(True))
                                  .order_by(Course.language_code, Course.key)))


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return render_template("lessons/landing.html", courses=_courses())
    if current_user.role in (TRAINER, ADMIN):
        return redirect(url_for("lessons.cohorts"))
    if current_user.role != LEARNER:
        return render_template("lessons/landing.html", courses=_courses())
    learner = current_learner(required=True)
    s, at = session(), now()
    units = [u for u in learner.course.units if not u.retired]
    done = set(s.scalars(select(LessonDone.lesson_id).where(LessonDone.learner_id == learner.id)))
    placed = s.scalar(select(PlacementResult).where(
        PlacementResult.learner_id == learner.id, PlacementResult.course_id == learner.course_id)
        .order_by(PlacementResult.taken_at.desc()).limit(1))
    start_pos = next((u.position for u in units if placed and u.id == placed.unit_id), None)
    next_lesson = next((lesson for u in units for lesson in u.lessons
                        if not lesson.retired and lesson.id not in done
                        and (start_pos is None or u.position >= start_pos)), None)
    limits = review.limits(s, learner)
    today = s.get(DailyStat, (learner.id, local_day(at, learner.timezone)))
    return render_template(
        "lessons/home.html", learner=learner, course=learner.course, units=units, done=done,
        next_lesson=next_lesson, placed=placed,
        due=len(review.due_states(s, learner, at, limits.reviews_per_day)),
        new_today=review.new_today(s, learner, at), limits=limits,
        streak=review.streak(s, learner, at), known=len(review.known_refs(s, learner.id)),
        forecast=review.forecast(s, learner, at),
        minutes_today=round((today.milliseconds if today else 0) / 60000))


class StartForm(FlaskForm):
    course = RadioField(_l("Course"), coerce=int,
                        validators=[InputRequired(_l("Choose a course."))])


@bp.route("/start", methods=["GET", "POST"])
@learner_required
def start():
    """A learner without a course (created by an administrator, say) chooses one."""
    courses = _courses()
    form = StartForm()
    form.course.choices = [(c.id, c.title) for c in courses]
    if form.validate_on_submit():
        s = session()
        course = s.get(Course, form.course.data)
        learner = current_learner() or Learner(user_id=current_user.id,
                                               language_code=course.language_code)
        learner.course_id, learner.language_code = course.id, course.language_code
        s.add(learner)
        s.commit()
        return redirect(url_for("lessons.home"))
    return render_template("lessons/start.html", form=form, courses=courses)


# ---- placement test -------------------------------------------------------------------------
def _placement_signer() -> URLSafeTimedSerializer:
    from flask import current_app

    return URLSafeTimedSerializer(current_app.secret_key, salt="lessons-placement")


def _placement_token(learner_id: int) -> dict:
    try:
        data = _placement_signer().loads(request.form.get("token", ""),
                                         max_age=PLACEMENT_MAX_AGE)
    except BadData:
        abort(400)
    if not isinstance(data, dict) or data.get("l") != learner_id:
        abort(400)
    return data


@bp.route("/placement", methods=["GET", "POST"])
@learner_required
def placement_test():
    """Step 1: which of these words do you know? (yes/no, one page). Step 2 checks each
    "yes" with a choice of meanings (one page). The result places the learner."""
    learner = current_learner(required=True)
    s = session()
    if request.method == "GET":
        result = s.scalar(select(PlacementResult).where(
            PlacementResult.learner_id == learner.id,
            PlacementResult.course_id == learner.course_id)
            .order_by(PlacementResult.taken_at.desc()).limit(1))
        refs = placement.plan(s, learner, learner.course, f"{learner.id}:placement")
        views = content.views(s, refs)
        words = [views[r] for r in refs if r in views]
        token = _placement_signer().dumps({"l": learner.id, "refs": [w.ref for w in words]})
        unit = s.get(Unit, result.unit_id) if result and result.unit_id else None
        return render_template("lessons/placement_claim.html", learner=learner, words=words,
                               token=token, result=result, unit=unit, course=learner.course)
    data = _placement_token(learner.id)
    if "claimed" not in data:  # step 1 posted: ask about every word claimed
        claimed = [r for r in data["refs"] if request.form.get(f"know-{r}") == "1"]
        views = content.views(s, claimed)
        questions = [exercises.build(s, views[r], exercises.PICK_GLOSS, f"{learner.id}:p:{r}")
                     for r in claimed if r in views]
        token = _placement_signer().dumps({"l": learner.id, "refs": data["refs"],
                                           "claimed": [q.ref for q in questions]})
        if questions:
            return render_template("lessons/placement_verify.html", learner=learner,
                                   questions=questions, views=views, token=token,
                                   course=learner.course)
        data = {"refs": data["refs"], "claimed": []}
    verified = set()
    views = content.views(s, data["claimed"])
    for i, ref in enumerate(data["claimed"]):
        if ref not in views:
            continue
        question = exercises.build(s, views[ref], exercises.PICK_GLOSS, f"{learner.id}:p:{ref}")
        if grading.grade_choice(request.form.get(f"q{i}", ""), question).match == "exact":
            verified.add(ref)
    placement.score(s, learner, learner.course, set(data["claimed"]), verified, now(),
                    asked=data["refs"])
    s.commit()
    return redirect(url_for("lessons.placement_test"))


@bp.route("/units")
@learner_required
def units():
    """Every unit and lesson of the learner's course, with what they have done."""
    learner = current_learner(required=True)
    s = session()
    done = set(s.scalars(select(LessonDone.lesson_id).where(LessonDone.learner_id == learner.id)))
    lessons = s.scalars(select(Lesson).where(Lesson.course_id == learner.course_id)).all()
    return render_template("lessons/units.html", learner=learner, course=learner.course,
                           units=[u for u in learner.course.units if not u.retired],
                           done=done, count=len(lessons))
