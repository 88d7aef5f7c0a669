"""Courses, lessons, spaced review and learner progress, built on ``dictionary``.

Data flow: course files (``data/lessons/<course>/*.toml``) → ``course_files`` (read, check)
→ ``courses`` (import into ``models``) → lesson pages (``views``) where each item is read
from the dictionary through its sense id (``content``) and turned into exercises
(``exercises``, answers checked by ``grading``) → answers go to the review log and FSRS
(``review``, ``scheduling``) → ``DailyStat`` → the trainers' dashboard (``dashboard``).
``follow`` keeps lesson items pointing at the right senses when entries are merged, deleted
or edited (through the dictionary's signals).

Arrows: ``lessons → dictionary → search_index``; the dictionary never imports this package
(the factory plugs it in with ``init_app``).
"""
from __future__ import annotations

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from dictionary.models import LEARNER, TRAINER

bp = Blueprint("lessons", __name__, url_prefix="/lessons")


def init_app(app: Flask) -> None:
    from . import cli, follow, views  # noqa: F401  (views registers the routes on bp)

    follow.connect()
    cli.init_app(app)
    views.curation.init_app(app)
    app.register_blueprint(bp)
    # Where each learning role lands after logging in, and its link in the menu.
    app.extensions.setdefault("role_home", {}).update(
        {LEARNER: ("lessons.home", _l("My lessons")), TRAINER: ("lessons.cohorts", _l("Cohorts"))})
    app.extensions.setdefault("menu", []).append(("lessons.home", _l("Learn Hre and Co")))
