"""Curator accounts from the command line: ``create-user`` and ``set-password`` (the
password is asked for, never echoed; both are security events).

Where it sits: registered by ``cli.init_app``; exit codes as everywhere: 0 success, 1 the
work failed or was refused, 2 usage.
"""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from .. import security_log
from ..auth import MIN_PASSWORD, AccountError, create_user, set_password, user_by_email
from ..db import get_db
from ..models import ACCOUNT_ROLES
from ..schema import init_db

# The policy (dictionary.auth) in the prompt, so nobody types a password twice in vain.
PASSWORD_PROMPT = (f"Password (at least {MIN_PASSWORD} characters, not a common password, "
                   "not the e-mail address)")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ACCOUNT_ROLES),
              help="contributor, editor, reviewer or admin.")
@click.option("--name", default="", help="The person's name, shown in the history.")
@click.password_option(prompt=PASSWORD_PROMPT, confirmation_prompt="Repeat the password",
                       help="Prompted for (never echoed) when not given.")
def create_user_command(email: str, role: str, name: str, password: str) -> None:
    """Add a curator account; the password is asked for and never echoed."""
    init_db()
    try:
        with get_db().transaction() as s:
            user = create_user(s, email, password, role, name)
    except AccountError as exc:
        click.echo(f"No account created: {exc}.", err=True)
        sys.exit(1)
    security_log.event(security_log.ACCOUNT_CREATED, email=user.email, role=user.role)
    click.echo(f"Account {user.email} created with role {user.role}.")


@click.command("set-password")
@with_appcontext
@click.argument("email")
@click.password_option(prompt=f"New {PASSWORD_PROMPT[0].lower()}{PASSWORD_PROMPT[1:]}",
                       confirmation_prompt="Repeat the password")
def set_password_command(email: str, password: str) -> None:
    """Change a curator's password (ends that person's sessions)."""
    with get_db().transaction() as s:
        user = user_by_email(s, email)
        if user is None:
            click.echo(f"No account for {email}.", err=True)
            sys.exit(1)
        try:
            set_password(user, password)
        except AccountError as exc:
            click.echo(f"Password not changed: {exc}.", err=True)
            sys.exit(1)
    security_log.event(security_log.PASSWORD_RESET, email=user.email)
    click.echo(f"Password of {user.email} changed; that person's sessions have ended.")
