"""Login, logout and the curator's own password page (blueprint ``auth``): the way into the
admin pages.

Where it sits: ``auth`` holds the rules (hashing, roles, password policy), ``login_throttle``
the counting, ``security_log`` the events; this module is the HTTP side. Logging in clears
the old session first (no session fixation) and logging out rotates the account's session
token, so the cookie is worthless afterwards. Every password check, at login and on the
password page, is counted before it runs; a throttled one answers 429 with the wait.
"""
from __future__ import annotations

import datetime as dt
import math

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

from . import auth, login_throttle, security_log
from .db import session as db_session
from .models import utcnow
from .web import safe_next

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    # Learners may log in with a phone number, so the field is plain text (an "email" input
    # would make phones refuse the number).
    email = StringField(_l("E-mail or phone number"),
                        validators=[DataRequired(_l("Enter your e-mail address or phone number.")),
                                    Length(max=254)])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Enter your password.")),
                                         Length(max=1000)])


def new_password_error(password: str, email: str) -> str | None:
    """The translated reason a new password is refused (``auth.password_weakness``), or None.
    Shared by this page and the account pages of ``admin.users``."""
    reason = auth.password_weakness(password, email)
    if reason == "short":
        return _("The password needs at least %(n)d characters.", n=auth.MIN_PASSWORD)
    if reason == "email":
        return _("The password must not be the e-mail address.")
    if reason == "common":
        return _("This password is on a list of common passwords that attackers try first. "
                 "Choose another one.")
    return None


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")), Length(max=1000)])
    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a password.")), Length(max=1000, message=_l("Too long."))])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Type the password again.")),
        EqualTo("password", message=_l("The two passwords differ."))])

    def validate_password(self, field) -> None:
        error = new_password_error(field.data or "", current_user.email)
        if error:
            raise ValidationError(error)
        if field.data == self.current.data:
            raise ValidationError(_("The new password must differ from the current one."))


def _wait_text(seconds: int) -> str:
    """The wait in words ("45 seconds", "15 minutes"), never shorter than the real wait."""
    if seconds >= 120:
        seconds = math.ceil(seconds / 60) * 60
    return format_timedelta(dt.timedelta(seconds=seconds), threshold=2)


def _throttled(form: FlaskForm, email: str, wait: int) -> None:
    security_log.event(security_log.LOGIN_THROTTLED, email=auth.normalize_login(email),
                       wait_seconds=wait)
    form.form_errors.append(_("Too many failed attempts. Wait %(time)s, then try again.",
                              time=_wait_text(wait)))


def home_url(user) -> str:
    """Where ``user`` lands after logging in: the admin dashboard for curators, the page a
    feature package registered for its roles (``app.extensions["role_home"]``, e.g. the
    learner's lessons) for the others."""
    home = current_app.extensions.get("role_home", {}).get(user.role)
    return url_for(home[0] if home else "admin.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    wanted = request.args.get("next")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(wanted or home_url(current_user)))
    status, wait = 200, 0
    if form.validate_on_submit():
        s = db_session()
        email = form.email.data
        # Counted and committed before the password is checked (see login_throttle).
        wait = login_throttle.admit(s, email)
        if wait:
            _throttled(form, email, wait)
            status = 429
        else:
            user = auth.verify_login(s, email, form.password.data)
            if user is None:
                security_log.event(security_log.LOGIN_FAILED, email=auth.normalize_login(email))
                form.form_errors.append(_("Wrong e-mail address or password."))
                status = 401
            else:
                login_throttle.succeeded(s, email)
                user.last_login_at = utcnow()
                s.commit()
                session.clear()  # a fresh session: nothing from before the login survives
                login_user(user)
                security_log.event(security_log.LOGIN_SUCCEEDED, email=user.email)
                return redirect(safe_next(wanted or home_url(user)))
    elif request.method == "POST":
        status = 400
    response = make_response(render_template(
        "auth/login.html", form=form, needs_login=request.args.get("next") is not None), status)
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    s = db_session()
    user = s.merge(current_user._get_current_object())
    auth.end_sessions(user)
    s.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."))
    return redirect(url_for("dictionary.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Any curator changes their own password: the current one first (checked and throttled
    like a login), then the new one twice. Every other session of the account ends; this one
    stays logged in with the new session token."""
    form = PasswordChangeForm()
    status, wait = 200, 0
    if form.validate_on_submit():
        s = db_session()
        user = s.merge(current_user._get_current_object())
        wait = login_throttle.admit(s, user.email)
        if wait:
            _throttled(form, user.email, wait)
            status = 429
        elif not auth.password_matches(user, form.current.data):
            security_log.event(security_log.PASSWORD_CHANGE_FAILED, email=user.email)
            form.current.errors.append(_("This is not your current password."))
            status = 400
        else:
            login_throttle.succeeded(s, user.email)
            auth.set_password(user, form.password.data)  # rotates the session token
            s.commit()
            session.clear()
            login_user(user)  # this browser carries the new token; every other one is out
            security_log.event(security_log.PASSWORD_CHANGED, email=user.email)
            flash(_("Your password has been changed. Your other sessions have ended."))
            return redirect(url_for("admin.dashboard"))
    elif form.is_submitted():
        status = 400
    response = make_response(render_template(
        "auth/password.html", form=form, min_password=auth.MIN_PASSWORD), status)
    response.headers["Cache-Control"] = "no-store"
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response
