"""The review queue of recordings and the two admin players: the playback copy and the
original as received.

Where it sits: the HTTP side of ``audio.review`` (approve, reject, ask for a new recording).
The queue lists ``pending_review`` clips oldest first with what a reviewer needs to judge one:
the headword or example with its gloss, the speaker and dialect, both files side by side, the
duration, what trimming removed and the loudness before and after. A clip the reviewer
uploaded has no approve button (``review.approve`` refuses it anyway), and a clip whose
consent no longer allows the website says so before anyone clicks. The files are served only
here, behind a login, never cached (``no-store``); the original goes out as an attachment
typed from the probe's format, never from what the uploader's browser claimed.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import Forbidden
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length

from ...auth import has_role, role_required
from ...db import session
from ...models import CONTRIBUTOR, REVIEWER
from ...sense_ids import resolve
from ...web import error_page, safe_next
from .. import review, storage
from ..models import PENDING, WITHDRAWN, Recording
from . import admin_bp, load_recording, render, user

PER_PAGE = 50
# The MIME type of an original, from the first name of ffprobe's format (``mov,mp4,…``).
ORIGINAL_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg",
                  "matroska": "audio/webm", "webm": "audio/webm", "mov": "audio/mp4",
                  "mp4": "audio/mp4", "m4a": "audio/mp4", "3gp": "audio/3gpp",
                  "flac": "audio/flac", "aac": "audio/aac", "amr": "audio/amr",
                  "caf": "audio/x-caf"}


# The uses a consent may cover, as the queue names them (short: one line per clip).
USE_LABELS = {"web": _l("website"), "lessons": _l("lessons"), "exports": _l("open exports"),
              "ml": _l("machine learning")}


class DecisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=review.MAX_REASON,
                                                            message=_l("Too long."))])
    next = HiddenField()


def original_type(format_name: str) -> str:
    """The type an original is served as, from ffprobe's format name (never the client's).

    >>> original_type("mov,mp4,m4a,3gp,3g2,mj2"), original_type("matroska,webm")
    ('audio/mp4', 'audio/webm')
    """
    return ORIGINAL_TYPES.get((format_name or "").split(",")[0], "application/octet-stream")


def review_context(recordings: list[Recording]) -> dict:
    """What the queue and the status page show beside each recording: the example a clip
    reads (if any), whether the viewer may approve it, and why it could not be published."""
    s = session()
    examples = resolve(s, [r.target for r in recordings if "/" in r.target],
                       published_only=False)
    refusals = {}
    for r in recordings:
        if r.status == PENDING:
            refusal = review.publish_refusal(s, r)
            if refusal is not None:
                refusals[r.uuid] = refusal.message
    me = current_user.id if current_user.is_authenticated else None
    def uses(r: Recording) -> list[str]:
        return [str(label) for scope, label in USE_LABELS.items() if r.consent.allows(scope)]

    return {"examples": examples, "refusals": refusals, "uses": uses,
            "can_review": has_role(current_user, REVIEWER),
            "is_own": lambda r: r.uploaded_by_id is not None and r.uploaded_by_id == me}


# ---- the queue ------------------------------------------------------------------------------
@admin_bp.get("/review")
@role_required(REVIEWER)
def review_queue():
    s = session()
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    total = s.scalar(select(func.count()).select_from(Recording)
                     .where(Recording.status == PENDING)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    waiting = list(s.scalars(
        select(Recording).where(Recording.status == PENDING)
        .options(selectinload(Recording.entry), selectinload(Recording.speaker),
                 selectinload(Recording.consent), selectinload(Recording.uploaded_by))
        .order_by(Recording.uploaded_at, Recording.id)
        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    here = url_for("audio_admin.review_queue", page=page if page > 1 else None)
    listing = {"page": page, "pages": pages, "total": total,
               "prev_url": url_for("audio_admin.review_queue", page=page - 1) if page > 1
               else None,
               "next_url": url_for("audio_admin.review_queue", page=page + 1) if page < pages
               else None}
    return render("admin/audio/review.html", waiting=waiting, listing=listing, here=here,
                  **review_context(waiting))


def _back(form: DecisionForm):
    target = form.next.data
    if target and safe_next(target).startswith("/admin/audio/"):
        return redirect(safe_next(target), 303)
    return redirect(url_for("audio_admin.review_queue"), 303)


def _decide(uuid: str, action, done: str):
    rec = load_recording(uuid)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for f in form for e in f.errors) or _("The form is not valid."))
        return _back(form)
    s = session()
    try:
        action(s, rec, form.reason.data)
        s.commit()
    except review.AudioReviewError as exc:
        s.rollback()
        if exc.reason in ("own", "role"):
            return error_page(Forbidden(), str(exc.message))
        flash(str(exc.message))
        return _back(form)
    flash(done)
    return _back(form)


@admin_bp.post("/recordings/<uuid>/approve")
@role_required(REVIEWER)
def recording_approve(uuid: str):
    return _decide(uuid, lambda s, rec, _reason: review.approve(s, user(), rec),
                   _("Approved: the recording is published."))


@admin_bp.post("/recordings/<uuid>/reject")
@role_required(REVIEWER)
def recording_reject(uuid: str):
    return _decide(uuid, lambda s, rec, reason: review.reject(s, user(), rec, reason),
                   _("Rejected, with your reason."))


@admin_bp.post("/recordings/<uuid>/rerecord")
@role_required(REVIEWER)
def recording_rerecord(uuid: str):
    return _decide(uuid, lambda s, rec, reason: review.ask_rerecord(s, user(), rec, reason),
                   _("Sent back: a new recording is asked for."))


# ---- the files (curators only, never cached) ------------------------------------------------
def _file(rec: Recording, relative: str | None):
    if rec.status == WITHDRAWN or rec.consent.withdrawn_at is not None:
        abort(410)  # the speaker took their consent back: nobody listens any more
    if not relative:
        abort(404)
    try:
        path = storage.absolute(relative)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    return path


@admin_bp.get("/recordings/<uuid>/playback.mp3")
@role_required(CONTRIBUTOR)
def recording_playback(uuid: str):
    rec = load_recording(uuid)
    path = _file(rec, rec.playback_path)
    return send_file(path, mimetype="audio/mpeg", conditional=True, max_age=0)


@admin_bp.get("/recordings/<uuid>/original")
@role_required(REVIEWER)
def recording_original(uuid: str):
    rec = load_recording(uuid)
    path = _file(rec, rec.original_path)
    return send_file(path, mimetype=original_type(rec.original_format), conditional=True,
                     as_attachment=True, download_name=f"{rec.uuid}{path.suffix}", max_age=0)
