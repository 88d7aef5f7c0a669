"""The curation pages under ``/admin`` (blueprint ``admin``): entries, review, imports,
quality lists, users.

Every view carries ``auth.role_required(ROLE)``; a test walks ``app.url_map`` and fails for
an ``admin.*`` endpoint without it. The blueprint's ``before_request`` also sends anonymous
users to the login page, so a forgotten decorator still cannot expose a page to them.
Interface strings go through Flask-Babel; lexicon text is shown as stored.
"""
from __future__ import annotations

from flask import Blueprint, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth import has_role, login_manager
from .import_advice import explain as problem_advice
from ..models import (
    ADMIN,
    CONTRIBUTOR,
    DELETED,
    DRAFT,
    EDITOR,
    IN_REVIEW,
    LEARNER,
    PUBLISHED,
    REVIEWER,
    TRAINER,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {CONTRIBUTOR: _l("contributor"), EDITOR: _l("editor"), REVIEWER: _l("reviewer"),
               ADMIN: _l("administrator"), LEARNER: _l("learner"), TRAINER: _l("trainer")}
STATUS_LABELS = {DRAFT: _l("draft"), IN_REVIEW: _l("in review"), PUBLISHED: _l("published"),
                 DELETED: _l("deleted")}

# The admin menu: (endpoint, label, weakest role that sees it). Entries whose module is
# not registered (yet) are left out.
MENU = [
    ("admin.entries", _l("Entries"), CONTRIBUTOR),
    ("admin.review_queue", _l("Review queue"), REVIEWER),
    ("admin.imports", _l("Import"), EDITOR),
    ("admin.export", _l("Export"), EDITOR),
    ("admin.quality", _l("Quality lists"), EDITOR),
    ("audio_admin.index", _l("Audio"), CONTRIBUTOR),
    ("admin.users", _l("Users"), ADMIN),
]


@bp.app_context_processor
def _admin_globals() -> dict:
    def admin_menu():
        return [(endpoint, label, role) for endpoint, label, role in MENU
                if endpoint in current_app.view_functions and has_role(current_user, role)]

    return {
        "admin_menu": admin_menu,
        "has_role": lambda role: has_role(current_user, role),
        "role_label": lambda role: ROLE_LABELS.get(role, role),
        "status_label": lambda status: STATUS_LABELS.get(status, status),
        "problem_advice": problem_advice,  # an import problem's title and advice
    }


def _require_login():
    """Anonymous requests to /admin go to the login page, before anything else runs (the
    global CSRF check included, which would otherwise answer a POST with 400)."""
    if request.blueprint == "admin" and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.record_once
def _login_first(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _require_login)


@bp.after_request
def _no_store(response):
    # Drafts and personal data must not stay in shared or proxy caches.
    response.headers["Cache-Control"] = "no-store"
    return response


from . import views  # noqa: E402,F401  (registers the routes)
