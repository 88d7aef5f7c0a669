"""Reading an uploaded file another way: its writing systems (LIFT) or markers (Toolbox)
mapped, its invalid entries skipped, the mapping remembered for its source; then its dry
run again.

Where it sits: the form under a LIFT or Toolbox file's dry run (``import_pages``: the
report, or the problems of a file that cannot pass as it was read) posts here. The choices
are kept with the upload (``uploads.Upload.ws``, ``markers`` over its marker file,
``skip_invalid``, ``remember_mapping``), so the check
that follows and "Confirm import" read the file the same way; nothing is imported here.
"""
from __future__ import annotations

import re

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from ...auth import role_required
from ...db import session as db_session
from ...formats.records import WS_ROLES
from ...models import EDITOR
from .. import bp
from ..import_sources import saved_mapping
from ..uploads import Upload
from .import_markers import chosen_meanings
from .import_pages import UploadActionForm, owned_upload, refused

_CODE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")  # a writing system code, case-folded
FIELD = "ws:"  # form fields ws:<code> = role (Toolbox markers: ``import_markers``)
CHOSEN, SOURCE = "chosen", "source"  # where a marker's meaning comes from


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
    markers, refused_markers = chosen_meanings(request.form)
    if markers:
        _choose_markers(upload, markers)
    upload.ws = chosen_roles(request.form)
    if refused_markers:
        flash(_("The other language is not a language code (such as id, zh or fr); "
                "%(markers)s kept what they held.",
                markers=", ".join("\\" + m for m in refused_markers)))
    upload.skip_invalid = request.form.get("skip_invalid") == "1"
    upload.remember_mapping = request.form.get("remember_mapping") == "1"
    upload.save()
    flash(_("The file is checked again, read the way you chose."))
    return redirect(url_for("admin.import_review", token=token), 303)


def _choose_markers(upload: Upload, chosen: dict[str, str]) -> None:
    """The markers chosen in the page over what the file was read with: the upload's
    (its marker file, earlier choices) or, when it had none, the mapping its source
    remembers. A marker whose meaning did not change keeps where it came from."""
    base, origins = dict(upload.markers), dict(upload.marker_origins)
    if not base and not upload.ws:  # the dry run read it the remembered way
        found = saved_mapping(db_session(), upload.source)
        base = dict(found.markers) if found else {}
        origins = dict.fromkeys(base, SOURCE)
    for marker, meaning in chosen.items():
        if base.get(marker) != meaning:
            origins[marker] = CHOSEN
        origins.setdefault(marker, CHOSEN)
    upload.markers = {**base, **chosen}
    upload.marker_origins = origins
