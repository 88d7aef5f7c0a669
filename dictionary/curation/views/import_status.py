"""The pages of a background import job: its progress, then its report, batch or error.

Where it sits: ``admin.imports`` starts an ``import_jobs.ImportJob`` for a large file and
sends the person here. The HTML page refreshes itself (a ``Refresh`` header, no script)
while the job is queued or running; ``….json`` answers the same state for a script. Both
are for the person who uploaded the file (editor role, like the import itself). A job whose
process died is marked failed as soon as someone looks at it (``import_jobs.recover``).
"""
from __future__ import annotations

from flask import abort, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...auth import role_required
from ...db import session as db_session
from ...models import EDITOR
from .. import bp
from ..import_jobs import (
    CONFIRM,
    CONFLICT,
    CRASHED,
    DONE,
    DRY_RUN,
    FAILED,
    GONE,
    INTERRUPTED,
    INVALID,
    QUEUED,
    RUNNING,
    ImportJob,
    recover,
    worker,
)
from ..uploads import load_upload
from .import_markers import marker_context
from .import_pages import WS_ROLE_LABELS, UploadActionForm, conflict_page, refused, report_page

REFRESH_SECONDS = 2
PHASES = {"": _l("Reading the file"), "checking": _l("Comparing the file with the dictionary"),
          "saving": _l("Writing the entries to the database")}
ERRORS = {
    INVALID: _l("The file cannot be imported; nothing was changed."),
    CONFLICT: _l("Entries in the file were changed by someone else after the dry run. Nothing "
                 "was imported. Check the file again, then confirm."),
    INTERRUPTED: _l("The import was interrupted: the server stopped while it ran. Nothing was "
                    "imported (an import is written all at once or not at all). The file is "
                    "kept: check it again, then confirm."),
    CRASHED: _l("The import failed because of an unexpected error; nothing was imported. The "
                "details are in the server log."),
    GONE: _l("The uploaded file is no longer there (expired or damaged); nothing was imported. "
             "Upload the file again."),
}


def _job(job_id: int) -> ImportJob:
    s = db_session()
    job = s.get(ImportJob, job_id)
    if job is None:
        abort(404)
    if job.user_id != current_user.id:
        abort(403)
    if job.state in (QUEUED, RUNNING):
        recover(current_app._get_current_object(), s, [job])  # its process may be gone
    return job


def progress(job: ImportJob) -> tuple[str, int, int]:
    """(phase, done, total): this process's own count while it runs the job (the database
    cannot take progress writes while the import holds its write lock), else the row's."""
    runner = worker()
    if job.state == RUNNING and job.worker == runner.token and job.id in runner.live:
        return runner.live[job.id]
    return job.phase, job.done, job.total


def message(job: ImportJob) -> str:
    if job.state == QUEUED:
        return _("Waiting for another import to finish.")
    if job.state == RUNNING:
        phase, done, total = progress(job)
        text = str(PHASES.get(phase, phase))
        return _("%(phase)s: %(done)d of %(total)d", phase=text, done=done, total=total) \
            if total else text
    if job.state == DONE and job.kind == CONFIRM:
        r = job.result
        return _("Import %(n)d done: %(created)d new, %(updated)d updated, %(unchanged)d "
                 "unchanged.", n=r.get("batch_id") or 0, created=r.get("created", 0),
                 updated=r.get("updated", 0), unchanged=r.get("unchanged", 0))
    if job.state == DONE:
        return _("The dry run is finished: nothing has been changed yet.")
    return str(ERRORS.get((job.error or {}).get("kind"), ERRORS[CRASHED]))


def result_url(job: ImportJob) -> str | None:
    if job.state == DONE and job.kind == CONFIRM and job.result.get("batch_id"):
        return url_for("admin.import_batch", batch_id=job.result["batch_id"])
    if job.state == FAILED and job.error.get("kind") in (CONFLICT, INTERRUPTED):
        return url_for("admin.import_review", token=job.upload_token)
    return None


@bp.get("/import/jobs/<int:job_id>")
@role_required(EDITOR)
def import_status(job_id: int):
    job = _job(job_id)
    if job.state == DONE and job.kind == DRY_RUN:
        upload = load_upload(job.upload_token)
        if upload is None:
            return refused(str(ERRORS[GONE]), 404)
        return report_page(upload, job.result)
    error = job.error or {}
    if job.state == FAILED and error.get("kind") == INVALID:
        upload = load_upload(job.upload_token)  # kept when it can be read another way
        return render_template("admin/import_failed.html", problems=error.get("problems", []),
                               kinds=error.get("kinds") or [],
                               hidden=error.get("hidden", 0), rejected=error.get("rejected", 0),
                               file_name=job.file_name, upload=upload,
                               writing_systems=error.get("writing_systems") or [],
                               skippable=error.get("skippable", 0), valid=error.get("valid", 0),
                               ws_roles=WS_ROLE_LABELS, form=UploadActionForm(),
                               **marker_context(error.get("markers"), error.get("encoding")))
    if job.state == FAILED and error.get("kind") == CONFLICT:
        upload = load_upload(job.upload_token)
        if upload is not None:
            return conflict_page(upload, error.get("problems", []), error.get("hidden", 0), 200)
    phase, done, total = progress(job)
    waiting = job.state in (QUEUED, RUNNING)
    page = render_template("admin/import_job.html", job=job, message=message(job), done=done,
                           total=total, waiting=waiting, result_url=result_url(job),
                           refresh=REFRESH_SECONDS)
    headers = {"Refresh": str(REFRESH_SECONDS)} if waiting else {}
    return page, 200, headers


@bp.get("/import/jobs/<int:job_id>.json")
@role_required(EDITOR)
def import_status_json(job_id: int):
    job = _job(job_id)
    phase, done, total = progress(job)
    return jsonify({
        "id": job.id, "kind": job.kind, "state": job.state, "phase": phase, "done": done,
        "total": total, "message": message(job), "error": (job.error or {}).get("kind"),
        "batch_id": job.result.get("batch_id") if job.state == DONE else None,
        "url": url_for("admin.import_status", job_id=job.id), "result_url": result_url(job),
    })
