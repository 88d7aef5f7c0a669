"""Accounts under ``/admin/users`` (administrators only): list, create, change the role,
deactivate or reactivate, reset the password.

Where it sits: the HTTP side of ``dictionary.auth`` (hashing, ``create_user``,
``set_password``, ``end_sessions``). Deactivating an account or resetting its password ends
every session of it at once (the login cookie names the rotated ``session_token``). An
administrator cannot demote or deactivate their own account, so the person doing the work
stays an administrator and the dictionary always keeps one. Each change is logged as a
security event (``security_log``) once committed.
"""
from __future__ import annotations


from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length

from ... import security_log
from ...auth import (
    MIN_PASSWORD,
    AccountError,
    create_user,
    end_sessions,
    normalize_login,
    role_required,
    set_password,
)
from ...auth_views import new_password_error
from ...db import session
from ...models import ACCOUNT_ROLES, ADMIN, User
from .. import ROLE_LABELS, bp


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(role, ROLE_LABELS[role]) for role in ACCOUNT_ROLES]


def _check_password(password: str, email: str) -> None:
    error = new_password_error(password, email)
    if error:
        raise ValidationError(error)


class PasswordFields:
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter a password.")), Length(max=1000, message=_l("Too long."))])
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(_l("Type the password again.")),
        EqualTo("password", message=_l("The two passwords differ."))])


class CreateUserForm(FlaskForm, PasswordFields):
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(_l("Enter the e-mail address.")), Length(max=254, message=_l("Too long."))])
    name = StringField(_l("Name"), validators=[Length(max=120, message=_l("Too long."))])
    role = SelectField(_l("Role"), choices=_role_choices, default=ACCOUNT_ROLES[0])

    def validate_email(self, field) -> None:
        email = normalize_login(field.data or "")
        if "@" not in email or any(c.isspace() for c in email) or email.startswith("@") \
                or email.endswith("@"):
            raise ValidationError(_("This is not an e-mail address."))
        if session().scalar(select(User.id).where(User.email == email)) is not None:
            raise ValidationError(_("This e-mail address already has an account."))

    def validate_password(self, field) -> None:
        _check_password(field.data or "", self.email.data or "")


class PasswordForm(FlaskForm, PasswordFields):
    def __init__(self, user: User, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_password(self, field) -> None:
        _check_password(field.data or "", self.user.email)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=_role_choices)


class ActiveForm(FlaskForm):
    """The state asked for (not a toggle, so a double submission does no harm)."""

    active = HiddenField(validators=[AnyOf(("0", "1"))])


def _get_user(user_id: int) -> User:
    user = session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _is_me(user: User) -> bool:
    return user.id == current_user.id


def _user_page(user: User, *, role_form=None, active_form=None, password_form=None,
               status: int = 200):
    return render_template(
        "admin/users_edit.html", user=user, is_me=_is_me(user), min_password=MIN_PASSWORD,
        role_form=role_form or RoleForm(formdata=None, role=user.role),
        active_form=active_form or ActiveForm(formdata=None, active="0" if user.active else "1"),
        password_form=password_form or PasswordForm(user, formdata=None)), status


# ---- pages ----------------------------------------------------------------------------------
@bp.get("/users")
@role_required(ADMIN)
def users():
    accounts = list(session().scalars(select(User).order_by(User.email)))
    return render_template("admin/users.html", accounts=accounts)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(ADMIN)
def user_new():
    form = CreateUserForm()
    status = 200
    if form.validate_on_submit():
        s = session()
        try:
            user = create_user(s, form.email.data, form.password.data, form.role.data,
                               name=form.name.data or "")
        except AccountError as exc:  # the form checks the same rules first; a race lands here
            form.form_errors.append(str(exc))
            status = 400
        else:
            s.commit()
            security_log.event(security_log.ACCOUNT_CREATED, email=user.email, role=user.role)
            flash(_("Account %(email)s created.", email=user.email))
            return redirect(url_for("admin.user", user_id=user.id))
    elif form.is_submitted():
        status = 400
    return render_template("admin/users_new.html", form=form, min_password=MIN_PASSWORD), status


@bp.get("/users/<int:user_id>")
@role_required(ADMIN)
def user(user_id: int):
    return _user_page(_get_user(user_id))


@bp.post("/users/<int:user_id>/role")
@role_required(ADMIN)
def user_role(user_id: int):
    account = _get_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _user_page(account, role_form=form, status=400)
    if _is_me(account) and form.role.data != account.role:
        form.role.errors.append(_("You cannot change your own role."))
        return _user_page(account, role_form=form, status=400)
    if form.role.data != account.role:
        old_role, account.role = account.role, form.role.data
        session().commit()
        security_log.event(security_log.ROLE_CHANGED, email=account.email, old_role=old_role,
                           role=account.role)
        flash(_("The role of %(email)s is now: %(role)s.", email=account.email,
                role=ROLE_LABELS[account.role]))
    return redirect(url_for("admin.user", user_id=account.id))


@bp.post("/users/<int:user_id>/active")
@role_required(ADMIN)
def user_active(user_id: int):
    account = _get_user(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        return _user_page(account, active_form=form, status=400)
    active = form.active.data == "1"
    if _is_me(account) and not active:
        form.form_errors.append(_("You cannot deactivate your own account."))
        return _user_page(account, active_form=form, status=400)
    if active == account.active:
        return redirect(url_for("admin.user", user_id=account.id))
    account.active = active
    if not active:
        end_sessions(account)  # a signed-in browser of this account is signed out at once
    session().commit()
    security_log.event(security_log.ACCOUNT_REACTIVATED if account.active
                       else security_log.ACCOUNT_DEACTIVATED, email=account.email)
    flash(_("Account %(email)s reactivated.", email=account.email) if account.active
          else _("Account %(email)s deactivated; its sessions have ended.", email=account.email))
    return redirect(url_for("admin.user", user_id=account.id))


@bp.post("/users/<int:user_id>/password")
@role_required(ADMIN)
def user_password(user_id: int):
    account = _get_user(user_id)
    form = PasswordForm(account)
    if not form.validate_on_submit():
        return _user_page(account, password_form=form, status=400)
    me = _is_me(account)
    set_password(account, form.password.data)  # also ends every session of the account
    session().commit()
    security_log.event(security_log.PASSWORD_RESET, email=account.email)
    if me:
        flash(_("Your password has been changed. Please log in again."))
        return redirect(url_for("auth.login"))
    flash(_("The password of %(email)s has been reset; its sessions have ended.",
            email=account.email))
    return redirect(url_for("admin.user", user_id=account.id))
