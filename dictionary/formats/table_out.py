"""Exporting entries as a curated-format table: CSV (for Excel) and XLSX.

Last step of the data flow, the mirror of the import: ``Entry`` rows from the database
(with ``language``, ``source``, ``senses`` + ``examples`` and ``variants`` loaded) → rows
of the *curated format* that ``formats.parse_lexicon`` reads back (one row per
entry with its first sense and first example, then continuation rows with an empty
headword for further examples and senses) → chunks of bytes. The functions are
generators: a web response or a CLI writing to a file streams them and never holds the
whole export in memory (the entries iterable is consumed lazily, so a database session
must stay open while the stream runs).

The ``id`` cell is the entry's public id (``hre-000123``), so a re-import keys the rows as
``<source>:hre-000123``: exact in an empty dictionary, but in the database the export came
from, entries whose stable key is something else (the starter rows' ``entry_id``) are not
matched by it. The curated format has no language column: export one language per file.

Not in the curated format, so not exported: definitions, concept glosses, gloss notes,
pronunciation, variety, ``extra`` source fields, variant kinds and labels, media. The CLDF
export (``cldf_out``) keeps more of these.
"""
from __future__ import annotations

import codecs
import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..models import Entry

CURATED_HEADER = ("id", "headword", "part_of_speech", "vietnamese", "english", "example",
                  "example_vi", "variant", "semantic_field", "source", "concept_id", "note")
CHUNK = 64 * 1024
ROWS_PER_CHUNK = 200

# Spreadsheet formula injection (CWE-1236): Excel and LibreOffice evaluate a CSV cell that
# starts with one of these. Only such cells get a leading ASCII apostrophe, which the
# spreadsheet shows as a text marker. U+02BC ʼ, the glottal mark Hrê/Co words may start with
# (and the form ``normalize.clean`` gives every apostrophe), is a letter, not a formula
# trigger, so ``ʼbăh`` is exported untouched.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_formula(cell: str) -> str:
    """The CSV text of a cell: a leading apostrophe only where a spreadsheet would see a
    formula.

    >>> guard_formula("=1+1"), guard_formula("-ka"), guard_formula("ʼbăh"), guard_formula("")
    ("'=1+1", "'-ka", 'ʼbăh', '')
    """
    return f"'{cell}" if cell.startswith(FORMULA_START) else cell


def unguard_formula(cell: str) -> str:
    """The inverse of ``guard_formula``, for reading a curated CSV back: an ASCII
    apostrophe followed by a formula character is dropped (``normalize.clean`` would
    otherwise keep it as the letter ʼ).

    >>> unguard_formula("'-ka"), unguard_formula("'băh"), unguard_formula("ʼ-ka")
    ('-ka', "'băh", 'ʼ-ka')
    """
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_START) else cell


# ---- rows ------------------------------------------------------------------------------------
def curated_rows(entries: Iterable[Entry]) -> Iterator[list[str]]:
    """The curated-format rows (without the header) of ``entries``, in their order."""
    for entry in entries:
        yield from entry_rows(entry)


def entry_rows(entry: Entry) -> list[list[str]]:
    """One entry as curated rows: the entry row carries the entry's own cells (id,
    headword, part of speech, variants, source, note) and its first sense and example;
    each further example is a row with only ``example``/``example_vi`` (the parser adds
    it to the sense above), each further sense a row with its ``vietnamese`` gloss."""
    rows: list[dict[str, str]] = []
    for position, sense in enumerate(entry.senses or [None]):
        examples = list(sense.examples) if sense is not None else []
        row = _sense_cells(sense)
        if examples:
            row.update(example=examples[0].text, example_vi=examples[0].translation_vi or "")
        if position == 0:
            row.update(_entry_cells(entry))
        rows.append(row)
        rows.extend({"example": x.text, "example_vi": x.translation_vi or ""}
                    for x in examples[1:])
    return [[row.get(column) or "" for column in CURATED_HEADER] for row in rows]


def _entry_cells(entry: Entry) -> dict[str, str]:
    return {
        "id": entry.public_id or "", "headword": entry.headword,
        "part_of_speech": entry.part_of_speech or "",
        "variant": "; ".join(v.form for v in entry.variants),
        "source": entry.source.key if entry.source is not None else "",
        "note": entry.note or "",
    }


def _sense_cells(sense) -> dict[str, str]:
    if sense is None:  # an entry without senses: the re-import will ask for a gloss
        return {}
    return {"vietnamese": sense.gloss_vi or "", "english": sense.gloss_en or "",
            "semantic_field": sense.semantic_field or "", "concept_id": sense.concept_id or ""}


# ---- CSV -------------------------------------------------------------------------------------
def export_csv(entries: Iterable[Entry]) -> Iterator[bytes]:
    """The curated CSV, UTF-8 with a byte-order mark (so Excel reads it as UTF-8), CRLF
    line ends, formula-like cells guarded (``guard_formula``); a few hundred rows per
    chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CURATED_HEADER)
    yield codecs.BOM_UTF8 + _drain(buffer)
    for n, row in enumerate(curated_rows(entries), 1):
        writer.writerow([guard_formula(cell) for cell in row])
        if n % ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    rest = _drain(buffer)
    if rest:
        yield rest


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


# ---- XLSX ------------------------------------------------------------------------------------
def export_xlsx(entries: Iterable[Entry]) -> Iterator[bytes]:
    """The curated table as a one-sheet workbook. openpyxl's write-only mode spools the
    rows to disk; the saved workbook is a temporary file streamed in chunks and deleted.

    Every cell is written as a text cell, which a spreadsheet never evaluates, so no
    apostrophe is added; cells that start like a formula also get Excel's "quote prefix"
    style, which keeps them text when someone edits them."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("lexicon")
    sheet.append([_text_cell(sheet, name) for name in CURATED_HEADER])
    for row in curated_rows(entries):
        sheet.append([_text_cell(sheet, cell) for cell in row])
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        yield from stream_file(file)


def _text_cell(sheet, value: str) -> WriteOnlyCell | None:
    if not value:
        return None
    # Stored text passed ``bad_character`` on import; a control character that slipped in
    # by another way would make the workbook unreadable, so it is dropped here.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # openpyxl would turn "=…" into a formula
    if value.startswith(FORMULA_START):
        cell.quotePrefix = True
    return cell


def stream_file(file: IO[bytes], chunk: int = CHUNK) -> Iterator[bytes]:
    """The rest of an open binary file, in chunks."""
    while data := file.read(chunk):
        yield data
