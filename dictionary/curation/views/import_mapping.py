"""Reading an uploaded file another way: its writing systems mapped, its invalid entries
skipped, the mapping remembered for its source; then its dry run again.

Where it sits: the form under a LIFT file's dry run (``import_pages``: the report, or the
problems of a file that cannot pass as it was read) posts here. The choices are kept with
the upload (``uploads.Upload.ws``, ``skip_invalid``, ``remember_mapping``), so the check
that follows and "Confirm import" read the file the same way; nothing is imported here.
"""
from __future__ import annotations

import re

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from ...auth import role_required
from ...formats.records import WS_ROLES
from ...models import EDITOR
from .. import bp
from .import_pages import UploadActionForm, owned_upload, refused

_CODE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")  # a writing system code, case-folded
FIELD = "ws:"  # form fields ws:<code> = role


def chosen_roles(form) -> dict[str, str]:
    """``ws:<code>`` fields as a mapping; codes and roles that are not ours are left out."""
    mapping = {}
    for name, role in form.items():
        code = name[len(FIELD):].casefold() if name.startswith(FIELD) else ""
        if _CODE.fullmatch(code) and role in WS_ROLES:
            mapping[code] = role
    return mapping


@bp.post("/import/<token>/mapping")
@role_required(EDITOR)
def import_mapping(token: str):
    if not UploadActionForm().validate():
        return refused(_("The form has expired; nothing was changed. Check the file again."),
                       400)
    upload, refusal = owned_upload(token)
    if refusal:
        return refusal
    upload.ws = chosen_roles(request.form)
    upload.skip_invalid = request.form.get("skip_invalid") == "1"
    upload.remember_mapping = request.form.get("remember_mapping") == "1"
    upload.save()
    flash(_("The file is checked again, read the way you chose."))
    return redirect(url_for("admin.import_review", token=token), 303)
