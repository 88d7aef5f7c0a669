"""The linguists' side of learning: the senses learners fail most, as a quality list.

Where it sits: a tab of the curators' quality lists (``/admin/quality``), registered through
``app.extensions["quality_tabs"]`` so the dictionary needs no knowledge of lessons. A sense
that many learners fail may have a misleading gloss or a wrong form: the list links each to
its entry's curation page. Editors and up, as the other quality lists.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Flask, current_app, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from dictionary.auth import role_required
from dictionary.db import session
from dictionary.models import EDITOR
from dictionary.sense_ids import parse, resolve

from ..clock import now
from ..dashboard import most_failed_senses
from ..models import ReviewState

bp = Blueprint("lessons_admin", __name__, url_prefix="/admin/quality")
DAYS = 90  # the window read: the whole log is millions of rows at province scale


@bp.route("/learners")
@role_required(EDITOR)
def failed_senses():
    s = session()
    rows = most_failed_senses(s, limit=100, since=now() - dt.timedelta(days=DAYS))
    senses = resolve(s, [r.ref for r in rows], published_only=False)
    # Learners for whom the sense became a leech (failed 8 times): flagged here for linguists.
    leeches = dict(s.execute(
        select(ReviewState.sense_ref, func.count()).where(
            ReviewState.leech.is_(True), ReviewState.sense_ref.in_([r.ref for r in rows]))
        .group_by(ReviewState.sense_ref)).all()) if rows else {}
    # The admin pages' own helpers (tabs, menu, labels) come from the admin blueprint's
    # context processors, which Flask runs only for its own views.
    context: dict = {}
    for processor in current_app.template_context_processors.get("admin", ()):
        context.update(processor())
    return render_template("lessons/failed_senses.html", rows=rows, senses=senses, days=DAYS,
                           leeches=leeches,
                           public_id=lambda ref: parse(ref).public_id, **context)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.extensions.setdefault("quality_tabs", []).append(
        ("lessons_admin.failed_senses", _l("Hard for learners")))
