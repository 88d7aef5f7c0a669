"""Lexicon files, bytes to records and records to bytes: one module per format and direction.

No Flask request and no database session in this package: readers (``table_in`` for CSV/TSV,
``xlsx_in``, ``lift_in``, ``mdf_in``) take bytes and give ``records.ParsedEntry`` values;
writers (``table_out`` for CSV/XLSX, ``lift_out``, ``lift_media_out``, ``cldf_out``) take
entries and give bytes; those that carry recordings take them as ``media=`` (``media``:
``MediaFile`` by target, which ``lift_media`` writes into LIFT).
``text`` decodes (``legacy_encodings`` converts TCVN3/VNI) and splits tables; ``checks``
applies the limits of ``dictionary.limits``.

Second step of an import (``importer.import_lexicon``): ``parse_lexicon`` takes the bytes,
lets ``text`` decode and split them, detects the format from the header row and
has ``table_in`` (or the LIFT, MDF readers) turn every row into a ``ParsedEntry``
whose text is already in storage form (``normalize.clean``), so the importer can compare it
with what the database holds. Every row is checked before anything is written, the limits
of ``limits`` included (rows per file are counted while the file is read); all problems are
collected, each with its line and column, and raised together as ``ImportFailed``. The
formats are documented in the README.
"""
from __future__ import annotations

import codecs

from .. import limits as entry_limits
from ..parts_of_speech import PartOfSpeech
from .checks import entry_problems
from .cldf_out import export_cldf
from .lift_in import looks_like_lift, parse_lift
from .lift_media_out import export_lift_media
from .lift_out import export_lift
from .mdf_in import decoding_warnings, looks_like_mdf, parse_mdf
from .records import (
    ImportFailed,
    ImportMapping,
    ImportProblem,
    ParsedEntry,
    ParsedLexicon,
    ParsedSense,
)
from .table_in import CURATED_COLUMNS, LIMITS, _Parser, fold_header, is_known_column, stable_key
from .table_out import export_csv, export_xlsx
from .text import Table, decode_lexicon, iter_lines, read_table
from .xlsx_in import looks_like_xlsx, read_xlsx_table

STARTER, CURATED = "starter", "curated"  # the two table formats (CSV/TSV or XLSX)
LIFT, MDF = "lift", "mdf"  # formats parsed by lift_in and mdf_in
XLSX, TEXT = "xlsx", "text"  # what detect_format sees before decoding

#: The writers, by format name: ``(entries) -> Iterator[bytes]``. CLDF also takes a title;
#: LIFT with recordings (a zip), CLDF and LIFT take the recordings as ``media=``; CSV, XLSX
#: and CLDF the public ids of the entries relations point at as ``public_ids=``.
WRITERS = {"csv": export_csv, "xlsx": export_xlsx, "lift": export_lift,
           "lift-media": export_lift_media, "cldf": export_cldf}


def parse_lexicon(data: bytes, *, sources: dict[str, dict], parts_of_speech: list[PartOfSpeech],
                  filename: str = "", source: str | None = None, lang: str | None = None,
                  limits: entry_limits.Limits | None = None,
                  mapping: ImportMapping | None = None,
                  skip_invalid: bool = False) -> ParsedLexicon:
    """Detect the format, decode, read and check a whole file; ``ImportFailed`` lists every
    problem found.

    ``sources`` are the known sources by key (data/languages.toml). Tables (CSV/TSV and
    XLSX) name each row's source in a column; LIFT and Toolbox/MDF files do not, so their
    entries take ``source`` (the import's choice), which is then required (a LIFT file
    written by our export names each entry's source itself). ``lang`` is the language the
    file is imported into: a LIFT file's headwords are read from that writing system.
    ``limits`` (default: ``limits.current()``) bound the rows of the file, counted while it
    is read, and what each entry holds. ``mapping``: the writing systems (LIFT) and markers
    (Toolbox) as the linguist mapped them, for files that cannot say it themselves.
    ``skip_invalid``: leave out the entries that have problems of their own (LIFT), their
    problems becoming warnings, instead of refusing the file.
    """
    limits = limits or entry_limits.current()
    fmt = detect_format(data, filename)
    if fmt == XLSX:
        return _parse_table(read_xlsx_table(data, is_known_column, max_rows=limits.file_rows),
                            "xlsx", [], sources, parts_of_speech, limits)
    if fmt == LIFT:
        warnings: list[ImportProblem] = []
        found: list[dict] = []
        declared: list[dict] = []
        entries = parse_lift(data, source=source, sources=dict(sources),
                             parts_of_speech=parts_of_speech, vernacular=lang, warnings=warnings,
                             limits=limits, mapping=mapping, writing_systems_out=found,
                             skip_invalid=skip_invalid, sources_out=declared)
        return _checked(ParsedLexicon(LIFT, "xml", "", entries, [], warnings=warnings,
                                      writing_systems=found, declared_sources=declared))
    refuse_too_many_rows(data, limits.file_rows)
    decoded = decode_lexicon(data)
    samples = list(getattr(decoded, "samples", []))
    if looks_like_mdf(decoded.text):
        warnings = decoding_warnings(decoded.encoding, samples)
        markers: list[dict] = []
        try:
            entries = parse_mdf(decoded.text, sources=sources, parts_of_speech=parts_of_speech,
                                source=_required_source(source, "Toolbox/MDF", sources),
                                limits=limits, mapping=mapping, warnings=warnings,
                                markers_out=markers)
        except ImportFailed as failed:
            failed.encoding = decoded.encoding  # shown beside the markers
            raise
        return _checked(ParsedLexicon(MDF, decoded.encoding, "", entries, [], samples,
                                      warnings=warnings, markers=markers))
    table = read_table(decoded.text, is_known_column, max_rows=limits.file_rows)
    return _parse_table(table, decoded.encoding, samples, sources, parts_of_speech, limits)


def refuse_too_many_rows(data: bytes, maximum: int) -> None:
    """Refuse a CSV/TSV or MDF file with more than ``maximum`` rows (records) before it is
    decoded (decoding looks at every word for legacy Vietnamese encodings): its rows are
    counted on the bytes read as Latin-1, which keeps the line breaks, quotes and
    delimiters of UTF-8, TCVN3 and VNI files where they are, and the count stops at the
    first row over the limit. Files with fewer line breaks than ``maximum`` are not looked at.
    """
    breaks = max(data.count(b"\n"), data.count(b"\r"))
    if breaks <= maximum or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # (UTF-16 is counted while it is read)
    text = data.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    if not looks_like_mdf(text):
        read_table(text, is_known_column, max_rows=maximum)  # raises when over
        return
    records = 0
    for number, line in enumerate(iter_lines(text), 1):
        if line.startswith("\\lx") and line[3:4] in ("", " ", "\t", "\r", "\n"):
            records += 1
            if records > maximum:
                raise ImportFailed(errors=[ImportProblem(
                    number, None, entry_limits.too_many_rows(maximum, "records (\\lx)"))])


def detect_format(data: bytes, filename: str = "") -> str:
    """``xlsx`` for a zip archive or an OLE2 file (the XLSX reader accepts a workbook and
    explains everything else: another archive, a legacy .xls, a password-protected file),
    ``lift`` for XML, else ``text`` (CSV/TSV or Toolbox/MDF, told apart after decoding).

    >>> detect_format(b"PK\\x03\\x04...", "words.xlsx"), detect_format(b"<?xml ...><lift>")
    ('xlsx', 'lift')
    >>> detect_format(b"\\xef\\xbb\\xbfheadword,vietnamese\\n", "words.csv")
    'text'
    """
    if looks_like_xlsx(data):
        return XLSX
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if looks_like_lift(data) or head.startswith((b"<?xml", b"<!DOCTYPE", b"<!--")) or \
            filename.lower().endswith(".lift"):
        return LIFT  # any XML: the LIFT reader refuses what is not LIFT, and DTDs, clearly
    return TEXT


def _required_source(source: str | None, what: str, sources: dict[str, dict]) -> str:
    if source:
        return source
    known = ", ".join(sorted(sources)) or "none yet"
    raise ImportFailed(f"{what} files do not name their source: choose one of the sources in "
                       f"data/languages.toml ({known}) for the whole file")


def _parse_table(table: Table, encoding: str, samples: list, sources: dict[str, dict],
                 parts_of_speech: list[PartOfSpeech],
                 limits: entry_limits.Limits | None = None) -> ParsedLexicon:
    folded = [fold_header(h) for h in table.header]
    fmt = STARTER if "entry id" in folded else CURATED
    parser = _Parser(table, sources, parts_of_speech)
    if fmt == STARTER:
        parser.starter()
    else:
        parser.curated()
    problems = table.problems + parser.problems + entry_problems(
        parser.entries, limits or entry_limits.current())
    if not problems and not parser.entries:
        problems.append(ImportProblem(None, None, "the file has a header row but no data rows"))
    if problems:
        raise ImportFailed(errors=sorted(problems, key=lambda p: (p.line or 0)))
    return ParsedLexicon(fmt, encoding, table.delimiter, parser.entries, parser.ignored, samples,
                         unsaid=parser.unsaid)


def _checked(parsed: ParsedLexicon) -> ParsedLexicon:
    if not parsed.entries:
        raise ImportFailed("the file holds no entries")
    return parsed


# The table formats and the column lengths live in ``table_in``, the records in ``records``;
# they are named here too, for whoever imports a lexicon file.
__all__ = ["CURATED", "CURATED_COLUMNS", "LIFT", "LIMITS", "MDF", "STARTER", "ImportFailed",
           "ImportMapping", "ImportProblem", "ParsedEntry", "ParsedLexicon", "ParsedSense", "WRITERS", "_Parser",
           "detect_format", "is_known_column", "parse_lexicon", "stable_key"]
