"""The curators' audio pages under ``/admin/audio`` (blueprint ``audio_admin``): speakers and
their consent, recording or uploading clips for an entry, the "missing audio" walk, and the
review queue.

Where it sits: HTTP only, beside the admin blueprint (``dictionary.curation``) whose chrome
it borrows (``render`` runs the admin blueprint's context processors, which Flask runs only
for that blueprint's own views). Each view parses the request, calls one operation
(``intake.accept``, ``review``, ``consent.withdraw``) and renders. The routes live in
``speakers``, ``record`` and ``queue`` (the review queue); this package's ``__init__`` holds
the blueprint, its guards and what they share.

Every view carries ``auth.role_required``; a test walks ``app.url_map`` for ``audio_admin.*``.
As under ``/admin``, anonymous requests go to the login page before anything else runs, and
no answer is cached (consent records, unpublished voices).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from ...auth import login_manager, role_required
from ...db import session
from ...models import CONTRIBUTOR, User
from ..models import (
    FAILED,
    PENDING,
    PROCESSING,
    PUBLISHED,
    REJECTED,
    RERECORD,
    WITHDRAWN,
    Recording,
    Speaker,
)

admin_bp = Blueprint("audio_admin", __name__, url_prefix="/admin/audio")

RECORDING_STATUS_LABELS = {
    PROCESSING: _l("processing"), PENDING: _l("waiting for review"), PUBLISHED: _l("published"),
    REJECTED: _l("rejected"), WITHDRAWN: _l("consent withdrawn"), FAILED: _l("could not be used"),
    RERECORD: _l("new recording asked for")}


def user() -> User:
    return current_user._get_current_object()


def render(template: str, status: int = 200, **context):
    """``render_template`` with the admin pages' helpers (menu, labels, entry macros' globals)."""
    helpers: dict = {}
    for processor in current_app.template_context_processors.get("admin", ()):
        helpers.update(processor())
    helpers["recording_status"] = lambda status: RECORDING_STATUS_LABELS.get(status, status)
    helpers["refusal_text"] = refusal_text
    helpers.update(context)
    return render_template(template, **helpers), status


def refusal_text(reason: str | None, fallback: str | None) -> str:
    """Why a file could not be used, in the interface language (the worker's English text
    when the reason is unknown)."""
    from .record import REFUSALS

    known = REFUSALS.get(reason or "")
    return str(known) if known is not None else (fallback or "")


def load_speaker(public_id: str) -> Speaker:
    speaker = session().scalar(select(Speaker).where(Speaker.public_id == public_id))
    if speaker is None:
        abort(404)
    return speaker


def load_recording(uuid: str) -> Recording:
    recording = session().scalar(select(Recording).where(Recording.uuid == uuid))
    if recording is None:
        abort(404)
    return recording


def wants_json() -> bool:
    """Whether the request came from the recorder's ``fetch`` (it asks for JSON)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and "text/html" not in request.accept_mimetypes


# ---- guards ---------------------------------------------------------------------------------
def _require_login():
    """Anonymous requests go to the login page first (before the global CSRF check, which
    would answer a POST with 400), as under ``/admin``."""
    if request.blueprint == admin_bp.name and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@admin_bp.record_once
def _login_first(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _require_login)


@admin_bp.after_request
def _no_store(response):
    # Consent records, full names and unpublished voices must stay out of shared caches.
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- the start page -------------------------------------------------------------------------
@admin_bp.get("/")
@role_required(CONTRIBUTOR)
def index():
    """Counts by status, the newest uploads, and a way to reach an entry's upload page."""
    s = session()
    entry = (request.args.get("entry") or "").strip()
    if entry:
        return redirect(url_for("audio_admin.upload", public_id=entry[:40]))
    counts = dict(s.execute(select(Recording.status, func.count()).group_by(Recording.status))
                  .all())
    recent = list(s.scalars(select(Recording).order_by(Recording.uploaded_at.desc(),
                                                       Recording.id.desc()).limit(20)))
    return render("admin/audio/index.html", counts=counts, recent=recent,
                  statuses=list(RECORDING_STATUS_LABELS))


# Importing a module registers its routes on ``admin_bp``.
from . import queue, record, speakers  # noqa: E402,F401
