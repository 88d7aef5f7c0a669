"""The review queue and the status changes of an entry (submit, publish, reject, mark
reviewed, delete, undelete).

Where it sits in the data flow: each POST here is one ``workflow`` action (permission and
transition checked there) → commit → the session hooks queue the index update, so a
published entry becomes searchable and a deleted or rejected one leaves the index. The
queue page renders what ``curation.review.load`` finds.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask import render_template as render
from flask_babel import gettext as _

from ...auth import role_required
from ...db import session
from ...models import CONTRIBUTOR, EDITOR, REVIEWER, STATUSES
from ...web import safe_next
from .. import review, workflow
from .. import bp
from ..forms import EntryActionForm, RejectForm, form_version
from .entries import load_entry, render_entry, user

PER_PAGE = 50


def _back(public_id: str):
    target = request.form.get("next")
    if target and target.startswith("/admin/"):
        return redirect(safe_next(target))
    return redirect(url_for("admin.entry_view", public_id=public_id))


def _transition(public_id: str, action, done: str, form_class=EntryActionForm):
    s = session()
    entry = load_entry(public_id)
    form = form_class()
    if not form.validate():
        # Only the reject form can fail (no comment): show it again, with the message.
        return render_entry(entry, reject_form=form, status=400)
    try:
        # No version (a hand-made request) counts as stale: 0 never matches a stored one,
        # so leaving the field out cannot skip the conflict check.
        action(s, user(), entry, version=form_version(form) or 0, comment=form.comment.data)
        s.commit()
    except workflow.NotAllowed:
        abort(403)
    except workflow.InvalidTransition:
        s.rollback()
        flash(_("This is not possible while the entry's status is “%(status)s”.",
                status=_status(entry.status)))
        return redirect(url_for("admin.entry_view", public_id=public_id))
    except workflow.NotGlossed:
        s.rollback()
        flash(_("Every sense needs a Vietnamese gloss (or a note saying why it has none) "
                "before the entry can be published."))
        return redirect(url_for("admin.entry_view", public_id=public_id))
    except workflow.VersionConflict:
        s.rollback()
        flash(_("The entry was changed by someone else in the meantime. Look at it again "
                "before you decide."))
        return redirect(url_for("admin.entry_view", public_id=public_id))
    flash(done)
    return _back(public_id)


def _status(status: str) -> str:
    from .. import STATUS_LABELS

    return str(STATUS_LABELS.get(status, status))


@bp.post("/entries/<public_id>/submit")
@role_required(CONTRIBUTOR)
def entry_submit(public_id: str):
    return _transition(public_id, workflow.submit, _("Submitted for review."))


@bp.post("/entries/<public_id>/publish")
@role_required(REVIEWER)
def entry_publish(public_id: str):
    return _transition(public_id, workflow.publish, _("Published."))


@bp.post("/entries/<public_id>/reject")
@role_required(REVIEWER)
def entry_reject(public_id: str):
    def reject(s, u, entry, version, comment):
        workflow.reject(s, u, entry, comment, version=version)

    return _transition(public_id, reject, _("Sent back to draft with your comment."), RejectForm)


@bp.post("/entries/<public_id>/mark-reviewed")
@role_required(REVIEWER)
def entry_mark_reviewed(public_id: str):
    return _transition(public_id, workflow.mark_reviewed, _("Marked as reviewed."))


@bp.post("/entries/<public_id>/delete")
@role_required(EDITOR)
def entry_delete(public_id: str):
    return _transition(public_id, workflow.delete, _("Deleted. It can be restored."))


@bp.post("/entries/<public_id>/undelete")
@role_required(EDITOR)
def entry_undelete(public_id: str):
    return _transition(public_id, workflow.undelete, _("Restored."))


# ---- the queue ----------------------------------------------------------------------------------
@bp.get("/review", endpoint="review_queue")
@role_required(REVIEWER)
def review_queue():
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        page = 1
    queue = review.load(session(), page, PER_PAGE)
    page = queue.page
    listing = {"page": page, "pages": queue.pages, "total": queue.starter_total,
               "prev_url": url_for("admin.review_queue", page=page - 1) if page > 1 else None,
               "next_url": (url_for("admin.review_queue", page=page + 1)
                            if page < queue.pages else None)}
    return render("admin/review_queue.html", table=queue.table, statuses=STATUSES,
                  waiting=queue.waiting, edited=queue.edited, starter=queue.starter,
                  listing=listing, here=url_for("admin.review_queue", page=page if page > 1 else None))
