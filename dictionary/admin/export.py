"""Export through the browser (and the plain functions the ``export`` command shares).

Where it sits: last step of the data flow. Entries are read from the database in batches
(``yield_per`` with ``selectinload``, so memory stays bounded however large the lexicon is)
and handed to the exporter of the chosen format: ``exporter.export_csv`` /
``export_xlsx``, ``lift_export.export_lift``, ``cldf_export.export_cldf``, each
``(entries) -> Iterator[bytes]``. The response is streamed: the session stays open while
the chunks go out and is closed when the stream ends. Exporter modules are imported when
used, so a missing optional one makes that format unavailable, not the admin.
"""
from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Response, render_template, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from wtforms import RadioField, SelectChoice, SelectField

from ..auth import role_required
from ..db import get_db
from ..db import session as db_session
from ..models import DELETED, EDITOR, PUBLISHED, Entry, Language, Sense
from ..web import lang_name
from . import bp
from .imports import UploadActionForm

ALL = "all"
CHUNK_ENTRIES = 500


@dataclass(frozen=True)
class ExportFormat:
    module: str  # inside the ``dictionary`` package
    function: str
    mimetype: str
    extension: str
    label: object  # a lazy string

    def exporter(self):
        """The export function; ``ExportUnavailable`` when its module is not installed."""
        try:
            module = importlib.import_module(f"dictionary.{self.module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"dictionary.{self.module}":
                raise
            raise ExportUnavailable(self.extension) from None
        return getattr(module, self.function)


class ExportUnavailable(Exception):
    pass


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("exporter", "export_csv", "text/csv", "csv",
                        _l("CSV (curated format, opens in Excel)")),
    "xlsx": ExportFormat("exporter", "export_xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         "xlsx", _l("Excel workbook (.xlsx, curated format)")),
    "lift": ExportFormat("lift_export", "export_lift", "application/xml", "lift",
                         _l("LIFT (for FieldWorks and other dictionary tools)")),
    "cldf": ExportFormat("cldf_export", "export_cldf", "application/zip", "zip",
                         _l("CLDF Dictionary (a zip, for archives)")),
}


# ---- plain functions (also used by `flask export`) --------------------------------------------
def export_entries(session: Session, lang: str, everything: bool) -> Iterator[Entry]:
    """The entries to export in dictionary order, loaded ``CHUNK_ENTRIES`` at a time:
    published ones, or with ``everything`` all that are not deleted (drafts, in review)."""
    q = (select(Entry).join(Entry.language)
         .options(selectinload(Entry.language), selectinload(Entry.source),
                  selectinload(Entry.variants),
                  selectinload(Entry.senses).selectinload(Sense.examples))
         .where(Entry.status != DELETED if everything else Entry.status == PUBLISHED)
         .order_by(Language.id, Entry.sort_key, Entry.homograph, Entry.id)
         .execution_options(yield_per=CHUNK_ENTRIES))
    if lang != ALL:
        q = q.where(Language.code == lang)
    yield from session.scalars(q)


def export_title(session: Session, lang: str) -> str:
    """The dataset title (lexicon data, so not translated): "Từ điển Việt–Hrê"."""
    q = select(Language).order_by(Language.id)
    if lang != ALL:
        q = q.where(Language.code == lang)
    names = [language.name_vi for language in session.scalars(q)]
    return "Từ điển " + " · ".join(f"Việt–{name}" for name in names)


def export_chunks(session: Session, fmt: str, lang: str, everything: bool) -> Iterator[bytes]:
    """The export's bytes, in chunks; resolves the exporter first (``ExportUnavailable``
    is raised at the call, not in the middle of a stream)."""
    export = FORMATS[fmt].exporter()
    entries = export_entries(session, lang, everything)
    if fmt == "cldf":
        return export(entries, title=export_title(session, lang))
    return export(entries)


def export_filename(fmt: str, lang: str, everything: bool, today: dt.date | None = None) -> str:
    """``tudien-hre-published-2026-05-01.csv``"""
    scope = "all" if everything else "published"
    day = (today or dt.date.today()).isoformat()
    return f"tudien-{lang}-{scope}-{day}.{FORMATS[fmt].extension}"


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
    except ExportUnavailable:
        work.close()
        form.format.errors.append(_("This format is not available on this server yet."))
        return render_template("admin/export.html", form=form), 501

    def generate() -> Iterator[bytes]:
        try:
            yield from chunks
        finally:
            work.close()

    name = export_filename(fmt, lang, everything)
    return Response(stream_with_context(generate()), mimetype=FORMATS[fmt].mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
