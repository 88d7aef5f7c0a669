"""Login and logout pages (blueprint ``auth``): the way into the admin pages.

Where it sits: ``auth`` holds the rules (hashing, throttling, roles); this module is the
HTTP side. Logging in clears the old session first (no session fixation) and logging out
rotates the account's session token, so the cookie is worthless afterwards.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from . import auth
from .db import session as db_session
from .models import utcnow
from .views import _safe_next

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")),
                                                 Length(max=254)])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Enter your password.")),
                                         Length(max=1000)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    target = _safe_next(request.args.get("next") or url_for("admin.dashboard"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target)
    status = 200
    if form.validate_on_submit():
        s = db_session()
        wait = auth.locked_for(s, form.email.data)
        if wait:
            minutes = (wait + 59) // 60
            form.form_errors.append(_("Too many failed attempts. Try again in %(n)d minutes.",
                                      n=minutes))
            status = 429
        else:
            user = auth.verify_login(s, form.email.data, form.password.data)
            if user is None:
                auth.record_failure(s, form.email.data)
                s.commit()
                form.form_errors.append(_("Wrong e-mail address or password."))
                status = 401
            else:
                auth.clear_failures(s, form.email.data)
                user.last_login_at = utcnow()
                s.commit()
                session.clear()  # a fresh session: nothing from before the login survives
                login_user(user)
                return redirect(target)
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form,
                           needs_login=request.args.get("next") is not None), status


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
