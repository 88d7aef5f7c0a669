"""Bulk import through the browser: upload → dry run → confirm → batch (→ revert).

Where it sits: the HTTP side of ``importer.import_lexicon`` and
``import_batches.revert_batch``. An upload is never imported on arrival: its bytes go
through a dry run (which writes nothing), and only a file that passed can be confirmed; it
is kept by ``import_uploads`` with its parameters, sha256 and the entry versions the dry run
saw. "Confirm import" names the token; the confirm step imports exactly those bytes (the
hash is checked again), only for the person who uploaded them, only while the upload is
fresh, and only if no entry of the file was changed since the dry run (else 409, nothing
imported). A large file (``import_jobs.needs_background``) is checked and imported by the
background worker instead, and the person follows it on ``admin.import_status``. Requests
larger than ``MAX_CONTENT_LENGTH`` are refused by Werkzeug before the body is read (413).

Revert: a reviewer may revert any batch, an editor only the batches they imported (undoing
one's own mistake should not wait for a reviewer; undoing someone else's work is a review
decision).
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length

from ... import catalog
from ...auth import has_role, role_required
from ...db import get_db
from ...db import session as db_session
from ...models import EDITOR, PUBLISHED, REVIEWER, ImportBatch, Language
from ...web import lang_name
from .. import STATUS_LABELS, bp
from ..import_batches import RevertRefused, batch_revisions, list_batches, revert_batch
from ..import_jobs import CONFIRM, DRY_RUN, needs_background, start_job
from ...audio.models import Speaker
from ...formats.mdf_markers import load_marker_file
from ..import_sources import known_sources
from ..importer import NEW_STATUSES, ImportConflict, ImportFailed
from ..import_runs import import_upload, upload_summary
from ..uploads import Upload, claim, clean_expired, discard, release, store_upload
from .import_pages import (
    ACTION_LABELS,
    ROWS_SHOWN,
    UploadActionForm,
    conflict_page,
    failed,
    may_read_again,
    owned_upload,
    refused,
    report_page,
)


# ---- forms ----------------------------------------------------------------------------------
class UploadForm(FlaskForm):
    file = FileField(_l("Lexicon file"), validators=[FileRequired(_l("Choose a file."))])
    lang = SelectField(_l("Language"))
    source = SelectField(_l("Source (for files without a source column)"))
    status = SelectField(_l("Status of new entries"))
    new_source_key = StringField(_l("or a new source: its key"), validators=[Length(max=64)])
    new_source_citation = StringField(_l("its citation"), validators=[Length(max=2000)])
    new_source_license = StringField(_l("its licence"), validators=[Length(max=64)])
    markers = FileField(_l("Toolbox marker file (optional)"))
    audio = FileField(_l("Recordings (optional): a zip of sound files"))
    speaker = SelectField(_l("Speaker of the recordings"), default="")

    def fill_choices(self) -> None:
        languages = db_session().scalars(select(Language).order_by(Language.id))
        self.lang.choices = [SelectChoice(lang.code, f"{_language_name(lang)} ({lang.code})")
                             for lang in languages]
        known = known_sources(db_session(), catalog.load_catalog(
            Path(current_app.config["DATA_DIR"])))
        self.source.choices = [SelectChoice("", _("named in the file"))] + [
            SelectChoice(key, key) for key in sorted(known)]
        allowed = [s for s in NEW_STATUSES if s != PUBLISHED or has_role(current_user, REVIEWER)]
        self.status.choices = [SelectChoice(s, STATUS_LABELS[s]) for s in allowed]
        self.speaker.choices = [SelectChoice("", "–")] + [
            SelectChoice(p.public_id, f"{p.display_name} ({p.language_code}, {p.public_id})")
            for p in db_session().scalars(select(Speaker).order_by(Speaker.display_name))]


    def declared(self) -> dict | None:
        """A source declared with the import (checked by the importer), or None."""
        key = (self.new_source_key.data or "").strip()
        if not key:
            return None
        return {"key": key, "citation": (self.new_source_citation.data or "").strip(),
                "license": (self.new_source_license.data or "").strip()}


def _language_name(language: Language) -> str:

    return lang_name(language)


# ---- upload and dry run ---------------------------------------------------------------------
def _dry_run(upload: Upload, data: bytes):
    """The dry run of a stored upload, in this request: (report, audio plan)."""
    with get_db().Session() as s:
        return import_upload(s, upload, data, dry_run=True, user=current_user)


def clean_file_name(name: str | None) -> str:
    """The name as shown and recorded: no directories, no control characters, bounded."""
    name = re.split(r"[/\\]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "upload"


def _in_background(kind: str, upload: Upload):
    job = start_job(db_session(), kind, upload, current_user.id)
    return redirect(url_for("admin.import_status", job_id=job.id), 303)


@bp.route("/import", methods=["GET", "POST"])
@role_required(EDITOR)
def imports():
    form = UploadForm()
    form.fill_choices()
    if not form.validate_on_submit():
        return render_template("admin/import.html", form=form, limit=_limit_mb()), \
            400 if form.is_submitted() else 200
    data = form.file.data.read()
    audio = form.audio.data.read() if form.audio.data else None
    declared = form.declared()
    try:  # a Toolbox marker file, checked before anything is kept
        markers = load_marker_file(form.markers.data.read().decode("utf-8")) \
            if form.markers.data else {}
    except (ImportFailed, UnicodeDecodeError) as exc:
        failure = exc if isinstance(exc, ImportFailed) else ImportFailed(
            "the marker file is not UTF-8 text")
        return failed(failure, clean_file_name(form.markers.data.filename))
    params = {"file_name": clean_file_name(form.file.data.filename), "lang": form.lang.data,
              "source": declared["key"] if declared else form.source.data or None,
              "new_source": declared, "status": form.status.data,
              "speaker": form.speaker.data or None, "markers": markers,
              "marker_origins": dict.fromkeys(markers, "file"),
              "audio_name": clean_file_name(form.audio.data.filename) if audio else ""}
    # Kept before its check (the archive is read from disk), but it cannot be confirmed
    # until a dry run passed; one that fails is discarded at once.
    clean_expired()
    background = needs_background(len(data) + len(audio or b""), data.count(b"\n"))
    upload = store_upload(data, audio, user_id=current_user.id, checked=not background,
                          **params)
    if background:
        return _in_background(DRY_RUN, upload)
    try:
        report, plan = _dry_run(upload, data)
    except ImportFailed as exc:
        if not may_read_again(exc):
            discard(upload.directory)
            return failed(exc, params["file_name"])
        return failed(exc, params["file_name"], upload)
    upload.save_versions(report.versions)
    return report_page(upload, upload_summary(report, plan, ROWS_SHOWN))


@bp.get("/import/<token>")
@role_required(EDITOR)
def import_review(token: str):
    """The dry run of a stored upload again (against the database as it is now)."""
    upload, refusal = owned_upload(token)
    if refusal:
        return refusal
    data = upload.read()
    if data is None:
        discard(upload.directory)
        return refused(_("The stored file is damaged; nothing was imported. Upload the file "
                         "again."), 409)
    if needs_background(upload.size + upload.audio_size, upload.lines):
        return _in_background(DRY_RUN, upload)
    try:
        report, plan = _dry_run(upload, data)
    except ImportFailed as exc:
        return failed(exc, upload.file_name, upload if may_read_again(exc) else None)
    upload.save_versions(report.versions)  # what the person sees now is what they confirm
    return report_page(upload, upload_summary(report, plan, ROWS_SHOWN))


@bp.post("/import/<token>/confirm")
@role_required(EDITOR)
def import_confirm(token: str):
    # The CSRF token was checked before the view (CSRFProtect); the upload names its owner.
    upload, refusal = owned_upload(token)
    if refusal:
        return refusal
    if upload.status == PUBLISHED and not has_role(current_user, REVIEWER):
        return refused(_("Only reviewers may publish imported entries directly; nothing was "
                         "imported."), 403)
    if not upload.checked:
        return refused(_("This file has not passed its dry run yet; nothing was imported. "
                         "Wait until the check is finished."), 409)
    # Claim the upload (an atomic rename), so a second click cannot import it twice.
    claimed = claim(upload)
    if claimed is None:
        return refused(_("This upload does not exist or has expired. Nothing was imported; "
                         "upload the file again."), 404)
    if needs_background(upload.size + upload.audio_size, upload.lines):
        try:
            return _in_background(CONFIRM, upload)  # the worker checks the bytes again
        except Exception:
            release(upload)
            raise
    try:
        data = upload.read(claimed)
        if data is None:
            return refused(_("The stored file is not the file of the dry run; nothing was "
                             "imported. Upload the file again."), 409)
        with get_db().Session() as s:
            report, plan = import_upload(s, upload, data, directory=claimed,
                                         user=current_user._get_current_object(),
                                         expected=upload.versions(claimed))
    except ImportConflict as exc:
        release(upload)  # nothing was imported; it can be checked again and confirmed
        return conflict_page(upload, exc.errors[:ROWS_SHOWN],
                             max(0, len(exc.errors) - ROWS_SHOWN))
    except ImportFailed as exc:
        return failed(exc, upload.file_name)
    except Exception:
        release(upload)  # e.g. the database was busy: let them try again
        raise
    finally:
        if claimed.exists():
            discard(claimed)
    flash(_("Import %(n)d done: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
            n=report.batch_id, created=report.created, updated=report.updated,
            unchanged=report.unchanged))
    if plan is not None:
        flash(_("%(n)d new recordings wait for processing and review.", n=plan.recordings))
    return redirect(url_for("admin.import_batch", batch_id=report.batch_id))


@bp.post("/import/<token>/discard")
@role_required(EDITOR)
def import_discard(token: str):
    upload, refusal = owned_upload(token)
    if refusal:
        return refusal
    discard(upload.directory)
    flash(_("The upload was discarded; nothing was imported."))
    return redirect(url_for("admin.imports"))


# ---- batches --------------------------------------------------------------------------------
def may_revert(batch: ImportBatch) -> bool:
    return batch.reverted_at is None and (
        has_role(current_user, REVIEWER) or batch.user_id == current_user.id)


@bp.get("/import/batches")
@role_required(EDITOR)
def import_batches():
    return render_template("admin/import_batches.html", batches=list_batches(db_session()),
                           may_revert=may_revert)


@bp.get("/import/batches/<int:batch_id>")
@role_required(EDITOR)
def import_batch(batch_id: int):
    return _batch_page(batch_id)


def _batch_page(batch_id: int, refused: RevertRefused | None = None, code: int = 200):
    s = db_session()
    batch = s.get(ImportBatch, batch_id)
    if batch is None:
        abort(404)
    return render_template("admin/import_batch.html", batch=batch, refused=refused,
                           revisions=batch_revisions(s, batch_id), may_revert=may_revert(batch),
                           action_label=lambda a: ACTION_LABELS.get(a, a), form=UploadActionForm(),
                           history_url=_history_url), code


def _history_url(public_id: str) -> str:
    """Where a curator sees an entry's revisions (the public page while there is none)."""
    if "admin.entry_history" in current_app.view_functions:
        return url_for("admin.entry_history", public_id=public_id)
    return url_for("dictionary.entry", public_id=public_id)


@bp.post("/import/batches/<int:batch_id>/revert")
@role_required(EDITOR)
def import_revert(batch_id: int):
    s = db_session()
    batch = s.get(ImportBatch, batch_id)
    if batch is None:
        abort(404)
    if not (has_role(current_user, REVIEWER) or batch.user_id == current_user.id):
        abort(403)
    try:
        with get_db().Session() as work:
            report = revert_batch(work, batch_id, current_user._get_current_object())
    except RevertRefused as exc:
        s.expire_all()
        return _batch_page(batch_id, exc, 409)
    s.expire_all()
    flash(_("Import %(n)d reverted: %(deleted)d new entries deleted, %(restored)d entries "
            "restored.", n=batch_id, deleted=len(report.deleted), restored=len(report.restored)))
    return redirect(url_for("admin.import_batch", batch_id=batch_id))


# ---- too large ------------------------------------------------------------------------------
@bp.errorhandler(413)
def _too_large(_exc):
    """Werkzeug refuses a body over ``MAX_CONTENT_LENGTH`` from its Content-Length before
    reading it (or, without one, stops reading at the limit)."""
    return render_template("admin/import_too_large.html", limit=_limit_mb()), 413


def _limit_mb() -> str | None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return f"{limit / 1048576:g}" if limit else None


from . import import_mapping, import_status  # noqa: E402,F401  (register their pages)
