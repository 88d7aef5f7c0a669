"""``/lessons/join``: an official joins a cohort with the code their trainer gave them.

Where it sits: the HTTP side of ``accounts.register_learner`` (anonymous visitors: a new
learner account, then logged in) and ``accounts.join`` (a logged-in learner joins another
cohort). Codes are checked through ``dictionary.login_throttle`` like passwords: each
check is counted per client address before it runs (the key is the literal "join code", not
a person), a right code takes the count back, and too many wrong ones make that address
wait. The page is open to anonymous visitors on purpose; everything it changes needs a
valid code and a CSRF token.
"""
from __future__ import annotations

from flask import flash, make_response, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

import dictionary.login_throttle as login_throttle
import dictionary.security_log as security_log
from dictionary.auth import MIN_PASSWORD, WeakPassword, is_phone, normalize_login
from dictionary.auth_views import new_password_error
from dictionary.db import session as db_session
from dictionary.models import LEARNER, User, utcnow

from .. import accounts, bp
from ..accounts import CohortError

THROTTLE_KEY = "join code"
CODE_REASONS = ("malformed", "unknown", "inactive", "member")
CODE_MESSAGES = {
    "malformed": _l("A join code has 8 letters and digits, like ABCD-EFGH."),
    "unknown": _l("No cohort has this join code. Check it with your trainer."),
    "inactive": _l("This cohort is closed. Ask your trainer for a new code."),
    "member": _l("You are already in this cohort."),
    "not_learner": _l("Only learner accounts can join a cohort."),
    "not_trainer": _l("You do not run this cohort."),
    "name": _l("Enter the name."),
    "login": _l("Enter an e-mail address or a phone number."),
    "taken": _l("This e-mail address or phone number already has an account. Log in "
                "instead."),
}


def message(error: CohortError) -> str:
    return str(CODE_MESSAGES.get(error.reason, error.reason))


def check_login(field) -> None:
    """Form rule shared with the trainers' "add a learner" form."""
    login = normalize_login(field.data or "")
    if not is_phone(login) and ("@" not in login or login.startswith("@")
                                or login.endswith("@") or any(c.isspace() for c in login)):
        raise ValidationError(str(CODE_MESSAGES["login"]))
    if db_session().scalar(select(User.id).where(User.email == login)) is not None:
        raise ValidationError(str(CODE_MESSAGES["taken"]))


def check_password(field, login: str) -> None:
    error = new_password_error(field.data or "", login or "")
    if error:
        raise ValidationError(error)


class LearnerFields:
    name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Enter the name.")), Length(max=120, message=_l("Too long."))])
    login = StringField(_l("E-mail or phone number"), validators=[
        DataRequired(str(CODE_MESSAGES["login"])), Length(max=254, message=_l("Too long."))])
    office = StringField(_l("Office or agency"), validators=[
        Length(max=200, message=_l("Too long."))])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter a password.")), Length(max=1000, message=_l("Too long."))])
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(_l("Type the password again.")),
        EqualTo("password", message=_l("The two passwords differ."))])

    def validate_login(self, field) -> None:
        check_login(field)

    def validate_password(self, field) -> None:
        check_password(field, self.login.data)


class CodeField:
    code = StringField(_l("Join code"), validators=[
        DataRequired(_l("Enter the join code from your trainer.")),
        Length(max=32, message=_l("Too long."))])


class RegisterForm(FlaskForm, CodeField, LearnerFields):
    pass


class JoinForm(FlaskForm, CodeField):
    pass


def _throttled(form: FlaskForm, wait: int) -> None:
    security_log.event(security_log.LOGIN_THROTTLED, email=THROTTLE_KEY, wait_seconds=wait)
    form.code.errors.append(_("Too many wrong codes. Wait %(n)d seconds, then try again.",
                              n=wait))


@bp.route("/join", methods=["GET", "POST"])
def join():
    s = db_session()
    learner = accounts.learner_of(s, current_user)
    signed_in = current_user.is_authenticated
    form = JoinForm() if learner is not None else RegisterForm()
    status, wait = 200, 0
    if signed_in and learner is None:
        # A curator or trainer: this page makes learner accounts only.
        form = None
    elif form.validate_on_submit():
        # Counted (and committed) before the code is looked up, as a password check is.
        wait = login_throttle.admit(s, THROTTLE_KEY)
        if wait:
            _throttled(form, wait)
            status = 429
        else:
            try:
                if learner is not None:
                    membership = accounts.join(s, learner, form.code.data)
                    user = None
                else:
                    user = accounts.register_learner(
                        s, login=form.login.data, password=form.password.data,
                        name=form.name.data, code=form.code.data, office=form.office.data)
            except CohortError as exc:
                s.rollback()
                errors = form.code.errors if exc.reason in CODE_REASONS else form.form_errors
                errors.append(message(exc))
                status = 400
            except WeakPassword as exc:  # the form checks the same policy; a race lands here
                s.rollback()
                form.password.errors.append(new_password_error(form.password.data,
                                                               form.login.data) or str(exc))
                status = 400
            else:
                login_throttle.succeeded(s, THROTTLE_KEY)
                if user is not None:
                    user.last_login_at = utcnow()
                s.commit()
                if user is None:
                    flash(_("You have joined the cohort %(name)s.",
                            name=membership.cohort.name))
                    return redirect(url_for("lessons.home"))
                security_log.event(security_log.ACCOUNT_CREATED, email=user.email,
                                   role=LEARNER)
                session.clear()  # a fresh session: nothing from before the login survives
                login_user(user)
                return redirect(url_for("lessons.home"))
    elif form.is_submitted():
        status = 400
    response = make_response(render_template(
        "lessons/join.html", form=form, learner=learner, min_password=MIN_PASSWORD), status)
    response.headers["Cache-Control"] = "no-store"
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response
