"""Bulk import through the browser: upload → dry run → confirm → batch (→ revert).

Where it sits: the HTTP side of ``importer.import_lexicon`` and
``import_batches.revert_batch``. An upload is never imported on arrival: its bytes go
through a dry run (which writes nothing), and only a file that passed is kept, under
``instance/uploads/<random token>/`` with its parameters and sha256. "Confirm import" names
the token; the confirm step imports exactly those bytes (the hash is checked again), only
for the person who uploaded them, and only while the upload is fresh. Requests larger than
``MAX_CONTENT_LENGTH`` are refused by Werkzeug before the body is read (413, the page
below).

Revert: a reviewer may revert any batch, an editor only the batches they imported (undoing
one's own mistake should not wait for a reviewer; undoing someone else's work is a review
decision).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SelectChoice, SelectField

from .. import catalog
from ..auth import has_role, role_required
from ..db import get_db
from ..db import session as db_session
from ..import_batches import RevertRefused, batch_revisions, list_batches, revert_batch
from ..importer import NEW_STATUSES, ImportFailed, import_lexicon
from ..models import EDITOR, PUBLISHED, REVIEWER, ImportBatch, Language
from . import STATUS_LABELS, bp

UPLOAD_MAX_AGE = 6 * 3600  # seconds; config IMPORT_UPLOAD_MAX_AGE overrides
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
ROWS_SHOWN = 1000

ACTION_LABELS = {"created": _l("new"), "updated": _l("updated"), "unchanged": _l("unchanged")}
FIELD_LABELS = {
    "headword": _l("headword"), "part_of_speech": _l("part of speech"),
    "pronunciation": _l("pronunciation"), "variety": _l("variety"),
    "gloss_vi": _l("Vietnamese gloss"), "gloss_en": _l("English gloss"),
    "definition": _l("definition"), "semantic_field": _l("semantic field"),
    "concept_id": _l("concept id"), "example": _l("examples"), "variant": _l("variants"),
    "note": _l("note"), "source": _l("source"), "extra": _l("other source fields (kept as is)"),
}


# ---- forms ----------------------------------------------------------------------------------
class UploadForm(FlaskForm):
    file = FileField(_l("Lexicon file"), validators=[FileRequired(_l("Choose a file."))])
    lang = SelectField(_l("Language"))
    source = SelectField(_l("Source (for files without a source column)"))
    status = SelectField(_l("Status of new entries"))

    def fill_choices(self) -> None:
        languages = db_session().scalars(select(Language).order_by(Language.id))
        self.lang.choices = [SelectChoice(lang.code, f"{_language_name(lang)} ({lang.code})")
                             for lang in languages]
        known = catalog.load_catalog(Path(current_app.config["DATA_DIR"]))
        self.source.choices = [SelectChoice("", _("named in the file"))] + [
            SelectChoice(s["key"], s["key"]) for s in known.get("source", [])]
        allowed = [s for s in NEW_STATUSES if s != PUBLISHED or has_role(current_user, REVIEWER)]
        self.status.choices = [SelectChoice(s, STATUS_LABELS[s]) for s in allowed]


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (confirm, discard, revert)."""


def _language_name(language: Language) -> str:
    from ..views import lang_name

    return lang_name(language)


# ---- stored uploads -------------------------------------------------------------------------
@dataclass
class Upload:
    token: str
    user_id: int
    file_name: str
    lang: str
    source: str | None
    status: str
    sha256: str
    size: int
    created: float

    @property
    def directory(self) -> Path:
        return uploads_dir() / self.token

    def read(self) -> bytes | None:
        """The stored bytes, or None when they are not the bytes of the dry run."""
        try:
            data = (self.directory / "data").read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == self.sha256 else None


def uploads_dir() -> Path:
    return Path(current_app.instance_path) / "uploads"


def _max_age() -> float:
    return float(current_app.config.get("IMPORT_UPLOAD_MAX_AGE", UPLOAD_MAX_AGE))


def store_upload(data: bytes, **params) -> Upload:
    upload = Upload(token=secrets.token_urlsafe(24), sha256=hashlib.sha256(data).hexdigest(),
                    size=len(data), created=time.time(), **params)
    uploads_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
    upload.directory.mkdir(mode=0o700)
    for name, content in (("data", data), ("meta.json", json.dumps(asdict(upload)).encode())):
        fd = os.open(upload.directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
    return upload


def load_upload(token: str) -> Upload | None:
    """The upload of ``token`` (checked: never a path), or None when missing or expired."""
    if not _TOKEN.match(token):
        return None
    try:
        meta = json.loads((uploads_dir() / token / "meta.json").read_text())
        upload = Upload(**meta)
    except (OSError, ValueError, TypeError):
        return None
    if time.time() - upload.created > _max_age():
        discard(upload.directory)
        return None
    return upload


def discard(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def clean_expired() -> None:
    """Remove uploads older than the maximum age (called on each new upload)."""
    root = uploads_dir()
    if not root.is_dir():
        return
    limit = time.time() - _max_age()
    for child in root.iterdir():
        try:
            if child.stat().st_mtime < limit:
                discard(child)
        except OSError:  # another request discarded it first: nothing left to clean
            pass


def _owned_upload(token: str):
    """(upload, None) for the signed-in person's fresh upload, else (None, refusal page)."""
    upload = load_upload(token)
    if upload is None:
        return None, _refused(_("This upload does not exist or has expired. Nothing was "
                                "imported; upload the file again."), 404)
    if upload.user_id != current_user.id:
        return None, _refused(_("This upload belongs to another person. Only the person who "
                                "uploaded a file can import it; nothing was imported."), 403)
    return upload, None


def _refused(message: str, code: int):
    return render_template("admin/import_refused.html", message=message), code


# ---- upload and dry run ---------------------------------------------------------------------
def _dry_run(data: bytes, *, file_name: str, lang: str, source: str | None, status: str):
    with get_db().Session() as s:
        return import_lexicon(s, None, lang, dry_run=True, data=data, file_name=file_name,
                              status=status, source=source, user=current_user)


def _failed(exc: ImportFailed, file_name: str):
    lines = {p.line for p in exc.errors if p.line is not None}
    return render_template("admin/import_failed.html", problems=exc.errors[:ROWS_SHOWN],
                           hidden=max(0, len(exc.errors) - ROWS_SHOWN), rejected=len(lines),
                           file_name=file_name), 422


def clean_file_name(name: str | None) -> str:
    """The name as shown and recorded: no directories, no control characters, bounded."""
    name = re.split(r"[/\\]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "upload"


@bp.route("/import", methods=["GET", "POST"])
@role_required(EDITOR)
def imports():
    form = UploadForm()
    form.fill_choices()
    if not form.validate_on_submit():
        return render_template("admin/import.html", form=form, limit=_limit_mb()), \
            400 if form.is_submitted() else 200
    data = form.file.data.read()
    params = {"file_name": clean_file_name(form.file.data.filename), "lang": form.lang.data,
              "source": form.source.data or None, "status": form.status.data}
    try:
        report = _dry_run(data, **params)
    except ImportFailed as exc:
        return _failed(exc, params["file_name"])
    clean_expired()
    upload = store_upload(data, user_id=current_user.id, **params)
    return _report_page(upload, report)


def _report_page(upload: Upload, report):
    changed = [r for r in report.rows if r.action != "unchanged"]
    return render_template(
        "admin/import_report.html", upload=upload, report=report, rows=changed[:ROWS_SHOWN],
        hidden_rows=max(0, len(changed) - ROWS_SHOWN), form=ActionForm(),
        action_label=lambda a: ACTION_LABELS.get(a, a), field_labels=FIELD_LABELS,
        keep_hours=f"{_max_age() / 3600:g}")


@bp.get("/import/<token>")
@role_required(EDITOR)
def import_review(token: str):
    """The dry run of a stored upload again (against the database as it is now)."""
    upload, refusal = _owned_upload(token)
    if refusal:
        return refusal
    data = upload.read()
    if data is None:
        discard(upload.directory)
        return _refused(_("The stored file is damaged; nothing was imported. Upload the file "
                          "again."), 409)
    try:
        report = _dry_run(data, file_name=upload.file_name, lang=upload.lang,
                          source=upload.source, status=upload.status)
    except ImportFailed as exc:
        return _failed(exc, upload.file_name)
    return _report_page(upload, report)


@bp.post("/import/<token>/confirm")
@role_required(EDITOR)
def import_confirm(token: str):
    # The CSRF token was checked before the view (CSRFProtect); the upload names its owner.
    upload, refusal = _owned_upload(token)
    if refusal:
        return refusal
    if upload.status == PUBLISHED and not has_role(current_user, REVIEWER):
        return _refused(_("Only reviewers may publish imported entries directly; nothing was "
                          "imported."), 403)
    # Claim the upload (an atomic rename), so a second click cannot import it twice.
    claimed = upload.directory.with_name(upload.token + ".importing")
    try:
        upload.directory.rename(claimed)
    except OSError:
        return _refused(_("This upload does not exist or has expired. Nothing was imported; "
                          "upload the file again."), 404)
    try:
        data = (claimed / "data").read_bytes()
        if hashlib.sha256(data).hexdigest() != upload.sha256:
            return _refused(_("The stored file is not the file of the dry run; nothing was "
                              "imported. Upload the file again."), 409)
        with get_db().Session() as s:
            report = import_lexicon(s, None, upload.lang, data=data, file_name=upload.file_name,
                                    status=upload.status, source=upload.source,
                                    user=current_user._get_current_object())
    except ImportFailed as exc:
        return _failed(exc, upload.file_name)
    except Exception:
        claimed.rename(upload.directory)  # e.g. the database was busy: let them try again
        raise
    finally:
        if claimed.exists():
            discard(claimed)
    flash(_("Import %(n)d done: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
            n=report.batch_id, created=report.created, updated=report.updated,
            unchanged=report.unchanged))
    return redirect(url_for("admin.import_batch", batch_id=report.batch_id))


@bp.post("/import/<token>/discard")
@role_required(EDITOR)
def import_discard(token: str):
    upload, refusal = _owned_upload(token)
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
                           action_label=lambda a: ACTION_LABELS.get(a, a), form=ActionForm(),
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
