"""Export through the browser: the form, and the streamed file (``exports`` does the work).

Where it sits: the page of the export registry (``dictionary.exports``), which the
``export`` command shares. The response is streamed: the session stays open while the
chunks go out and is closed when the stream ends.
"""
from __future__ import annotations

from collections.abc import Iterator

from flask import Response, render_template, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import RadioField, SelectChoice, SelectField

from ...auth import role_required
from ...db import get_db
from ...db import session as db_session
from ...models import EDITOR, Language
from ...web import lang_name
from .. import bp
from ..export import ALL, FORMATS, export_chunks, export_filename
from .imports import UploadActionForm


# ---- the page -------------------------------------------------------------------------------
class ExportForm(UploadActionForm):
    format = SelectField(_l("Format"),
                         choices=[SelectChoice(k, f.label) for k, f in FORMATS.items()])
    lang = SelectField(_l("Language"))
    scope = RadioField(_l("Entries"), default="published", choices=[
        SelectChoice("published", _l("published entries only")),
        SelectChoice("all", _l("all entries except deleted ones (drafts included)"))])


@bp.route("/export", methods=["GET", "POST"])
@role_required(EDITOR)
def export():
    form = ExportForm()

    languages = list(db_session().scalars(select(Language).order_by(Language.id)))
    form.lang.choices = [SelectChoice(lang.code, lang_name(lang)) for lang in languages] + [
        SelectChoice(ALL, _("All"))]
    if not form.validate_on_submit():
        return render_template("admin/export.html", form=form), 400 if form.is_submitted() else 200
    fmt, lang, everything = form.format.data, form.lang.data, form.scope.data == "all"
    work = get_db().Session()
    try:
        chunks = export_chunks(work, fmt, lang, everything)
    except BaseException:
        work.close()
        raise

    def generate() -> Iterator[bytes]:
        try:
            yield from chunks
        finally:
            work.close()

    name = export_filename(fmt, lang, everything)
    return Response(stream_with_context(generate()), mimetype=FORMATS[fmt].mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
