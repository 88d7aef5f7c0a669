"""The trainers' pages under ``/lessons/cohorts``: their cohorts, each cohort's dashboard,
one learner's history, exports, certificates, and adding learners and co-trainers.

Where it sits: every view carries ``access.trainer_required`` (trainer or administrator)
and then asks ``accounts.cohort_for_trainer`` for the cohort, so a trainer who is not among
its trainers gets 404 — the same answer as for a cohort that does not exist — and a learner
id is looked up only among that cohort's members. Figures come from ``dashboard`` (measure),
``charts`` (draw) and ``reports`` (tables, exports, certificate); lexicon text (difficult
words, leeches) is read from the dictionary at render time (``reports.describe``).
"""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, FloatField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

import dictionary.security_log as security_log
from dictionary.auth import MIN_PASSWORD, WeakPassword, user_by_email
from dictionary.auth_views import new_password_error
from dictionary.db import session as db_session
from dictionary.models import LEARNER, User

from .. import accounts, bp, charts, clock, dashboard, reports, review
from ..accounts import CohortError
from ..models import Cohort, CohortTrainer, Course
from .access import trainer_required
from .join import LearnerFields, message


class CohortForm(FlaskForm):
    name = StringField(_l("Name of the cohort"), validators=[
        DataRequired(_l("Enter the name.")), Length(max=200, message=_l("Too long."))])
    course = SelectField(_l("Course"), coerce=int)
    starts_on = DateField(_l("First day"), validators=[DataRequired(_l("Enter a date."))])
    target_known = IntegerField(_l("Target: known words"), default=300, validators=[
        InputRequired(), NumberRange(1, 5000)])
    target_weeks = IntegerField(_l("… by the end of week"), default=8, validators=[
        InputRequired(), NumberRange(1, 104)])
    new_per_day = IntegerField(_l("New words a day"), default=8, validators=[
        InputRequired(), NumberRange(1, 50)])
    reviews_per_day = IntegerField(_l("Reviews a day at most"), default=75, validators=[
        InputRequired(), NumberRange(10, 1000)])
    desired_retention = FloatField(_l("Desired retention (0.70–0.97)"), default=0.9,
                                   validators=[InputRequired(), NumberRange(0.7, 0.97)])


class NewLearnerForm(FlaskForm, LearnerFields):
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Enter the name.")), Length(max=120, message=_l("Too long."))])


class TrainerForm(FlaskForm):
    login = StringField(_l("Login of a trainer account"), validators=[
        DataRequired(_l("Enter the login.")), Length(max=254, message=_l("Too long."))])


class EmptyForm(FlaskForm):
    """A button that changes something: the CSRF token and nothing else."""


def _cohort(cohort_id: int) -> Cohort:
    cohort = accounts.cohort_for_trainer(db_session(), current_user, cohort_id)
    if cohort is None:
        abort(404)  # not "403": do not tell a trainer that someone else's cohort exists
    return cohort


def _learner(cohort: Cohort, learner_id: int):
    learner = accounts.member_of(db_session(), cohort, learner_id)
    if learner is None:
        abort(404)
    return learner


@bp.get("/cohorts")
@trainer_required
def cohorts():
    s = db_session()
    mine = accounts.cohorts_of_trainer(s, current_user)
    today = dashboard.report_day(clock.now())
    return render_template("lessons/trainer/cohorts.html", cohorts=mine,
                           weeks={c.id: dashboard.week_of(c, today) for c in mine},
                           format_code=accounts.format_code)


@bp.route("/cohorts/new", methods=["GET", "POST"])
@trainer_required
def cohort_new():
    s = db_session()
    form = CohortForm()
    courses = list(s.scalars(select(Course).where(Course.active.is_(True))
                             .order_by(Course.title)))
    form.course.choices = [(c.id, c.title) for c in courses]
    if form.starts_on.data is None and not form.is_submitted():
        form.starts_on.data = dashboard.report_day(clock.now())
    status = 200
    if form.validate_on_submit():
        course = s.get(Course, form.course.data)
        user = s.merge(current_user._get_current_object())
        cohort = accounts.create_cohort(
            s, name=form.name.data, course=course, trainers=[user],
            starts_on=form.starts_on.data, target_known=form.target_known.data,
            target_weeks=form.target_weeks.data, new_per_day=form.new_per_day.data,
            reviews_per_day=form.reviews_per_day.data,
            desired_retention=form.desired_retention.data)
        s.commit()
        flash(_("Cohort %(name)s created. Its join code is %(code)s.", name=cohort.name,
                code=accounts.format_code(cohort.join_code)))
        return redirect(url_for("lessons.cohort", cohort_id=cohort.id))
    elif form.is_submitted():
        status = 400
    return render_template("lessons/trainer/cohort_new.html", form=form,
                           has_courses=bool(courses)), status


@bp.get("/cohorts/<int:cohort_id>")
@trainer_required
def cohort(cohort_id: int):
    s = db_session()
    c = _cohort(cohort_id)
    report = dashboard.cohort_report(s, c, clock.now())
    header, rows = reports.table(report)
    pictures = {
        "known": charts.known_bars([(r.name, r.known) for r in report.learners],
                                   report.target_now, report.target_known, report.week),
        "retention": charts.retention_line(
            [(w.label, w.retention, w.reviews) for w in report.weeks], c.desired_retention),
        "activity": charts.heatmap(report.days, [(r.name, report.activity[r.learner_id])
                                                 for r in report.learners]),
    }
    trainers = list(s.scalars(select(User).join(CohortTrainer).where(
        CohortTrainer.cohort_id == c.id).order_by(User.name, User.email)))
    return render_template(
        "lessons/trainer/cohort.html", cohort=c, report=report, header=header,
        rows=list(zip(report.learners, rows)), charts=pictures,
        words=reports.describe(s, [d.ref for d in report.difficult]),
        risk_text=reports.risk_text, percent=charts.percent, trainers=trainers,
        code=accounts.format_code(c.join_code), trainer_form=TrainerForm(formdata=None),
        remove_form=EmptyForm(formdata=None))


@bp.get("/cohorts/<int:cohort_id>/export.csv", defaults={"fmt": "csv"})
@bp.get("/cohorts/<int:cohort_id>/export.xlsx", defaults={"fmt": "xlsx"})
@trainer_required
def cohort_export(cohort_id: int, fmt: str):
    c = _cohort(cohort_id)
    report = dashboard.cohort_report(db_session(), c, clock.now())
    if fmt == "csv":
        body, mime = reports.to_csv(report), "text/csv; charset=utf-8"
    else:
        body = reports.to_xlsx(report)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"cohort-{c.id}-{report.today.isoformat()}.{fmt}"
    return Response(body, mimetype=mime, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store"})  # names of people: not for shared caches


@bp.get("/cohorts/<int:cohort_id>/learners/<int:learner_id>")
@trainer_required
def cohort_learner(cohort_id: int, learner_id: int):
    s = db_session()
    c = _cohort(cohort_id)
    learner = _learner(c, learner_id)
    at = clock.now()
    rows, activity, days = dashboard.learner_rows(s, c, at, [learner.id])
    points = review.forecast(s, learner, at)
    leech_refs = reports.leeches(s, learner)
    return render_template(
        "lessons/trainer/learner.html", cohort=c, learner=learner, row=rows[0],
        history=reports.history(s, learner, at), forecast=points,
        forecast_chart=charts.forecast_columns(points),
        activity_chart=charts.heatmap(days, [(rows[0].name, activity[learner.id])]),
        leeches=leech_refs, words=reports.describe(s, leech_refs),
        risk_text=reports.risk_text, percent=charts.percent)


@bp.get("/cohorts/<int:cohort_id>/learners/<int:learner_id>/certificate")
@trainer_required
def certificate(cohort_id: int, learner_id: int):
    c = _cohort(cohort_id)
    learner = _learner(c, learner_id)
    figures = reports.certificate(db_session(), c, learner, clock.now())
    return render_template("lessons/trainer/certificate.html", cohort=c, learner=learner,
                           cert=figures, percent=charts.percent)


@bp.route("/cohorts/<int:cohort_id>/learners/new", methods=["GET", "POST"])
@trainer_required
def cohort_learner_new(cohort_id: int):
    s = db_session()
    c = _cohort(cohort_id)
    form = NewLearnerForm()
    status = 200
    if form.validate_on_submit():
        trainer = s.merge(current_user._get_current_object())
        try:
            user = accounts.create_learner_by_trainer(
                s, trainer, c, form.login.data, form.name.data, form.office.data,
                form.password.data)
        except (CohortError, WeakPassword) as exc:  # the form checks first; races land here
            s.rollback()
            form.form_errors.append(message(exc) if isinstance(exc, CohortError) else
                                    new_password_error(form.password.data, form.login.data)
                                    or str(exc))
            status = 400
        else:
            s.commit()
            security_log.event(security_log.ACCOUNT_CREATED, email=user.email, role=LEARNER)
            flash(_("Account %(login)s created and added to the cohort. Give the learner "
                    "their password in a safe way.", login=user.email))
            return redirect(url_for("lessons.cohort", cohort_id=c.id))
    elif form.is_submitted():
        status = 400
    return render_template("lessons/trainer/learner_new.html", cohort=c, form=form,
                           min_password=MIN_PASSWORD), status


@bp.post("/cohorts/<int:cohort_id>/trainers")
@trainer_required
def cohort_trainer_add(cohort_id: int):
    s = db_session()
    c = _cohort(cohort_id)
    form = TrainerForm()
    if not form.validate_on_submit():
        abort(400)
    user = user_by_email(s, form.login.data)
    try:
        if user is None:
            raise CohortError("not_trainer")
        accounts.add_trainer(s, c, user)
    except CohortError:
        flash(_("No active trainer account has this login."))
    else:
        s.commit()
        flash(_("%(login)s now runs this cohort too.", login=user.email))
    return redirect(url_for("lessons.cohort", cohort_id=c.id) + "#trainers")


@bp.post("/cohorts/<int:cohort_id>/trainers/<int:user_id>/remove")
@trainer_required
def cohort_trainer_remove(cohort_id: int, user_id: int):
    s = db_session()
    c = _cohort(cohort_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    user = s.get(User, user_id)
    if user is None:
        abort(404)
    accounts.remove_trainer(s, c, user)
    s.commit()
    flash(_("%(login)s no longer runs this cohort.", login=user.email))
    if not accounts.runs_cohort(s, current_user, c.id):
        return redirect(url_for("lessons.cohorts"))
    return redirect(url_for("lessons.cohort", cohort_id=c.id) + "#trainers")

