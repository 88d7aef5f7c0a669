"""The export registry: which formats exist, which entries an export holds, and its bytes.

Where it sits: last step of the data flow, shared by the export page (``admin.export``) and
the ``export`` command. Entries are read from the database in batches (``yield_per`` with
``selectinload``, so memory stays bounded however large the lexicon is) and handed to the
exporter of the chosen format: ``formats.table_out.export_csv`` / ``export_xlsx``,
``formats.lift_out.export_lift``, ``formats.cldf_out.export_cldf``, each ``(entries) -> Iterator[bytes]``.
Exporter modules are imported when used, so a missing optional one makes that format
unavailable, not the admin.
"""
from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import DELETED, PUBLISHED, Entry, Language, Sense

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
    "csv": ExportFormat("formats.table_out", "export_csv", "text/csv", "csv",
                        _l("CSV (curated format, opens in Excel)")),
    "xlsx": ExportFormat("formats.table_out", "export_xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         "xlsx", _l("Excel workbook (.xlsx, curated format)")),
    "lift": ExportFormat("formats.lift_out", "export_lift", "application/xml", "lift",
                         _l("LIFT (for FieldWorks and other dictionary tools)")),
    "cldf": ExportFormat("formats.cldf_out", "export_cldf", "application/zip", "zip",
                         _l("CLDF Dictionary (a zip, for archives)")),
}


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
