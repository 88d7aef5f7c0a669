"""The export registry: which formats exist, which entries an export holds, and its bytes.

Where it sits: last step of the data flow, shared by the export page (``admin.export``) and
the ``export`` command. Entries are read from the database in batches (``yield_per`` with
``selectinload``, so memory stays bounded however large the lexicon is) and handed to the
writer of the chosen format (``formats.WRITERS``: CSV and XLSX, LIFT, LIFT with
recordings, CLDF), each ``(entries) -> Iterator[bytes]``. The formats that carry recordings
(``WITH_MEDIA``) are also handed those that may leave the server
(``dictionary.audio.exports.media_for_export``: published, consent to open exports); plain
LIFT names none, since its file would come without them. The tables (CSV, XLSX, CLDF) are
also handed the public ids of the entries relations point at (``relation_public_ids``).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session, selectinload

from ..audio.exports import media_for_export
from ..formats import WRITERS
from ..models import DELETED, PUBLISHED, Entry, Language, Sense, Source
from .import_history import people_revisions

ALL = "all"
CHUNK_ENTRIES = 500


@dataclass(frozen=True)
class ExportFormat:
    mimetype: str
    extension: str
    label: object  # a lazy string


# What the page and the command offer; the writers themselves are ``formats.WRITERS``.
FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("text/csv", "csv", _l("CSV (curated format, opens in Excel)")),
    "xlsx": ExportFormat("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         "xlsx", _l("Excel workbook (.xlsx, curated format)")),
    "lift": ExportFormat("application/xml", "lift",
                         _l("LIFT (for FieldWorks and other dictionary tools)")),
    "lift-media": ExportFormat(
        "application/zip", "zip",
        _l("LIFT with recordings (a zip: the .lift file and its audio folder)")),
    "cldf": ExportFormat("application/zip", "zip", _l("CLDF Dictionary (a zip, for archives)")),
}
WITH_MEDIA = ("lift-media", "cldf")  # the formats whose files carry the recordings


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
    """The export's bytes, in chunks."""
    export = WRITERS[fmt]
    # Read before the entries stream: the recordings' query runs on the same session.
    media = media_for_export(session, lang) if fmt in WITH_MEDIA else None
    history = people_revisions(session, None if lang == ALL else lang) \
        if fmt in ("lift", "lift-media") else None
    entries = export_entries(session, lang, everything)
    if fmt == "cldf":
        return export(entries, title=export_title(session, lang), media=media,
                      public_ids=relation_public_ids(session, lang))
    if fmt == "lift-media":
        return export(entries, media=media, name=f"tudien-{lang}",
                      sources=export_sources(session), history=history)
    if fmt == "lift":  # it carries the sources and people's revisions: a backup
        return export(entries, sources=export_sources(session), history=history)
    return export(entries, public_ids=relation_public_ids(session, lang))  # CSV, XLSX


def relation_public_ids(session: Session, lang: str) -> dict[tuple[str, str], str]:
    """(language, source key) → public id of the entries the relations of ``lang``'s
    entries point at (their ``target``), so the tables name them by public id. Read before
    the entries stream, as the recordings are; as large as the relations, not the lexicon."""
    targets: set[tuple[str, str]] = set()
    for owner in (Entry, Sense):
        q = select(Language.code, owner.relations).select_from(owner)
        if owner is Sense:
            q = q.join(Entry, Sense.entry_id == Entry.id)
        q = q.join(Language, Entry.language_id == Language.id).where(
            cast(owner.relations, String) != "[]")
        if lang != ALL:
            q = q.where(Language.code == lang)
        for code, relations in session.execute(q):
            targets.update((code, r["target"]) for r in relations or [] if r.get("target"))
    found: dict[tuple[str, str], str] = {}
    by_language: dict[str, list[str]] = {}
    for code, key in targets:
        by_language.setdefault(code, []).append(key)
    for code, keys in by_language.items():
        for i in range(0, len(keys), CHUNK_ENTRIES):
            found.update(((code, key), public_id) for key, public_id in session.execute(
                select(Entry.source_key, Entry.public_id)
                .join(Language, Entry.language_id == Language.id)
                .where(Language.code == code,
                       Entry.source_key.in_(keys[i:i + CHUNK_ENTRIES]))))
    return found


def export_sources(session: Session) -> list[dict]:
    """Every source, as plain dicts for the writers' headers."""
    return [{"key": s.key, "citation": s.citation, "license": s.license, "url": s.url}
            for s in session.scalars(select(Source).order_by(Source.key))]


def export_filename(fmt: str, lang: str, everything: bool, today: dt.date | None = None) -> str:
    """``tudien-hre-published-2026-05-01.csv``"""
    scope = "all" if everything else "published"
    day = (today or dt.date.today()).isoformat()
    return f"tudien-{lang}-{scope}-{day}.{FORMATS[fmt].extension}"
