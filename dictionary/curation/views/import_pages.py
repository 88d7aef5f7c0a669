"""What the import pages show, shared by the upload and confirm steps (``admin.imports``)
and the background jobs' pages (``admin.import_status``): the dry run's report with
"Confirm import", the problems of a file that cannot be imported, a refusal, a conflict.
"""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_login import current_user
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from ..import_report import problem_kinds
from ..importer import ImportFailed
from ..uploads import Upload, load_upload, max_age
from .import_markers import marker_context

ROWS_SHOWN = 1000

ACTION_LABELS = {"created": _l("new"), "updated": _l("updated"), "unchanged": _l("unchanged")}
FIELD_LABELS = {
    "headword": _l("headword"), "part_of_speech": _l("part of speech"),
    "pronunciation": _l("pronunciation"), "variety": _l("variety"),
    "gloss_vi": _l("Vietnamese gloss"), "gloss_en": _l("English gloss"),
    "definition": _l("definition"), "semantic_field": _l("semantic field"),
    "concept_id": _l("concept id"), "example": _l("examples"), "variant": _l("variants"),
    "note": _l("note"), "source": _l("source"), "extra": _l("other source fields (kept as is)"),
    "lexeme_form": _l("lexeme form"), "dialects": _l("dialect labels"),
    "subsense": _l("subsenses"), "notes": _l("notes by type"),
    "relations": _l("links to other entries"), "pictures": _l("pictures"),
    "example_translations": _l("example translations in other languages"),
}


WS_ROLE_LABELS = {
    "headword": _l("headword"), "phonetic": _l("phonetic transcription"),
    "vi": _l("Vietnamese gloss"), "gloss": _l("gloss in another language (kept)"),
    "ignore": _l("ignore (kept in the LIFT data only)"),
}


class UploadActionForm(FlaskForm):
    """A button that only needs its CSRF token (confirm, discard, revert)."""


def refused(message: str, code: int):
    return render_template("admin/import_refused.html", message=message), code


def failed(exc: ImportFailed, file_name: str, upload: Upload | None = None):
    """The problems; with ``upload`` (kept because the file can be read another way), the
    form to map its writing systems or skip its invalid entries and check it again."""
    lines = {p.line for p in exc.errors if p.line is not None}
    return render_template("admin/import_failed.html", problems=exc.errors[:ROWS_SHOWN],
                           kinds=problem_kinds(exc.errors),
                           hidden=max(0, len(exc.errors) - ROWS_SHOWN), rejected=len(lines),
                           file_name=file_name, upload=upload, ws_roles=WS_ROLE_LABELS,
                           writing_systems=exc.writing_systems, skippable=exc.skippable,
                           valid=exc.valid, form=UploadActionForm(),
                           **marker_context(exc.markers, exc.encoding)), 422


def may_read_again(exc: ImportFailed) -> bool:
    """Whether the file could pass read another way: a LIFT file's writing systems or a
    Toolbox file's markers mapped differently, or its invalid entries skipped."""
    return bool(exc.writing_systems or exc.skippable or exc.markers)


def conflict_page(upload: Upload, problems, hidden: int = 0, code: int = 409):
    """Entries of the file were changed since its dry run: nothing was imported; the upload
    is kept, to be checked again and confirmed."""
    return render_template("admin/import_conflict.html", upload=upload, problems=problems,
                           hidden=hidden), code


def report_page(upload: Upload, summary: dict):
    """The dry run's report (``import_jobs.report_summary``) with "Confirm import"."""
    return render_template(
        "admin/import_report.html", upload=upload, report=summary, rows=summary["rows"],
        hidden_rows=summary["hidden_rows"], form=UploadActionForm(),
        action_label=lambda a: ACTION_LABELS.get(a, a), field_labels=FIELD_LABELS,
        ws_roles=WS_ROLE_LABELS, writing_systems=summary.get("writing_systems") or [],
        keep_hours=f"{max_age() / 3600:g}",
        **marker_context(summary.get("markers"), summary.get("encoding")))


def owned_upload(token: str):
    """(upload, None) for the signed-in person's fresh upload, else (None, refusal page)."""
    upload = load_upload(token)
    if upload is None:
        return None, refused(_("This upload does not exist or has expired. Nothing was "
                               "imported; upload the file again."), 404)
    if upload.user_id != current_user.id:
        return None, refused(_("This upload belongs to another person. Only the person who "
                               "uploaded a file can import it; nothing was imported."), 403)
    return upload, None
