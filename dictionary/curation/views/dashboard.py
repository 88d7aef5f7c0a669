"""The admin start page: what is waiting for the signed-in person."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from ...auth import role_required
from ...db import session
from ...models import CONTRIBUTOR, Entry, Language
from .. import bp


@bp.route("/")
@role_required(CONTRIBUTOR)
def dashboard():
    counts = session().execute(
        select(Language.code, Entry.status, func.count())
        .join(Entry.language).group_by(Language.code, Entry.status)).all()
    return render_template("admin/dashboard.html", counts=counts)
