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
``<source>:hre-000123``: exact in an empty dictionary, while in the database the export came
from the rows update the entries with those public ids. The curated format has no language
column: export one language per file.

The twelve columns the curated format always had come first; after them the FieldWorks
fields the model holds (``CURATED_HEADER``): ``lexeme_form``, ``notes`` and ``relations`` of
the entry, on its first row; ``sense_level`` (empty for a sense, 1 for a subsense, 2 …),
``sense_notes``, ``sense_relations`` and ``pictures`` on each sense's row;
``example_translations`` (other languages than Vietnamese) on each example's row. The list
cells hold one item per line (``table_cells``: ``type [lang]: text``, ``type: target``,
``file: caption``, ``lang: text``, with ``\\n`` for a line break inside an item). A relation
whose target was found is written with the target's public id, so that it means something
outside this database (``public_ids``: (language, source key) → public id, which
``curation.export`` reads), and an import finds it again by that id. Last, ``other_fields``
lists as text, one per line, what the entry's FieldWorks file holds beyond the model
(``lift_fields``: ``sense 2 · note (bibliography): …``); an import does not read it back
(it reports the column as not imported).

Not in the curated format, so not exported: definitions, concept glosses, gloss notes,
pronunciation, variety, form kind, per-entry licences, variant kinds and labels, the
source data kept in ``extra``, media. Re-imported into the database the file came from,
these stay as they are (``curation.import_table``); the LIFT export (``lift_out``) carries
all of them, the CLDF export (``cldf_out``) most.
"""
from __future__ import annotations

import codecs
import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, TYPE_CHECKING

from ..models import Entry
from .lift_fields import other_fields
from .table_cells import escape, note_cell, picture_cell, relation_cell, translation_cell

if TYPE_CHECKING:  # openpyxl is imported by an export only: a server starts sooner
    from openpyxl.cell import WriteOnlyCell

CURATED_HEADER = ("id", "headword", "part_of_speech", "vietnamese", "english", "example",
                  "example_vi", "variant", "semantic_field", "source", "concept_id", "note",
                  "lexeme_form", "notes", "relations", "sense_level", "sense_notes",
                  "sense_relations", "pictures", "example_translations", "other_fields")
# (language code, source key) -> public id: where the resolved relations point.
PublicIds = Mapping[tuple[str, str], str]
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
def curated_rows(entries: Iterable[Entry], public_ids: PublicIds | None = None
                 ) -> Iterator[list[str]]:
    """The curated-format rows (without the header) of ``entries``, in their order."""
    for entry in entries:
        yield from entry_rows(entry, public_ids)


def entry_rows(entry: Entry, public_ids: PublicIds | None = None) -> list[list[str]]:
    """One entry as curated rows: the entry row carries the entry's own cells (id,
    headword, part of speech, variants, source, note, lexeme form, notes, relations, other
    fields) and its first sense and example; each further example is a row with only
    ``example``/``example_vi``/``example_translations`` (the parser adds it to the sense
    above), each further sense a row with its ``vietnamese`` gloss and its own cells."""
    code = entry.language.code if entry.language is not None else ""
    ids = public_ids or {}

    def linked(target: str) -> str | None:
        return ids.get((code, target))

    rows: list[dict[str, str]] = []
    for position, sense in enumerate(entry.senses or [None]):
        examples = list(sense.examples) if sense is not None else []
        row = _sense_cells(sense, linked)
        if examples:
            row.update(_example_cells(examples[0]))
        if position == 0:
            row.update(_entry_cells(entry, linked))
        rows.append(row)
        rows.extend(_example_cells(x) for x in examples[1:])
    return [[row.get(column) or "" for column in CURATED_HEADER] for row in rows]


def _entry_cells(entry: Entry, linked) -> dict[str, str]:
    return {
        "id": entry.public_id or "", "headword": entry.headword,
        "part_of_speech": entry.part_of_speech or "",
        "variant": "; ".join(v.form for v in entry.variants),
        "source": entry.source.key if entry.source is not None else "",
        "note": entry.note or "", "lexeme_form": entry.lexeme_form or "",
        "notes": note_cell(entry.notes or []),
        "relations": relation_cell(entry.relations or [], linked),
        "other_fields": other_fields_cell(entry),
    }


def _sense_cells(sense, linked) -> dict[str, str]:
    if sense is None:  # an entry without senses: the re-import will ask for a gloss
        return {}
    return {"vietnamese": sense.gloss_vi or "", "english": sense.gloss_en or "",
            "semantic_field": sense.semantic_field or "", "concept_id": sense.concept_id or "",
            "sense_level": str(sense.level) if sense.level else "",
            "sense_notes": note_cell(sense.notes or []),
            "sense_relations": relation_cell(sense.relations or [], linked),
            "pictures": picture_cell(sense.pictures or [])}


def _example_cells(example) -> dict[str, str]:
    return {"example": example.text, "example_vi": example.translation_vi or "",
            "example_translations": translation_cell(example.translations or [])}


def other_fields_cell(entry: Entry) -> str:
    """What the entry's FieldWorks file holds beyond the model, one field a line:
    ``sense 2 · note (bibliography): Notes, p. 12``."""
    found = other_fields((entry.extra or {}).get("lift"),
                         [(s.extra or {}).get("lift") for s in entry.senses], entry.headword)
    lines = []
    for field in found:
        what = field.label if field.label.startswith(field.kind) or not field.label else \
            f"{field.kind} ({field.label})"
        where = f"sense {field.where} · " if field.where is not None else ""
        lines.append(f"{where}{what}: {escape(field.value)}")
    return "\n".join(lines)


# ---- CSV -------------------------------------------------------------------------------------
def export_csv(entries: Iterable[Entry], *,
               public_ids: PublicIds | None = None) -> Iterator[bytes]:
    """The curated CSV, UTF-8 with a byte-order mark (so Excel reads it as UTF-8), CRLF
    line ends, formula-like cells guarded (``guard_formula``); a few hundred rows per
    chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CURATED_HEADER)
    yield codecs.BOM_UTF8 + _drain(buffer)
    for n, row in enumerate(curated_rows(entries, public_ids), 1):
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
def export_xlsx(entries: Iterable[Entry], *,
                public_ids: PublicIds | None = None) -> Iterator[bytes]:
    """The curated table as a one-sheet workbook. openpyxl's write-only mode spools the
    rows to disk; the saved workbook is a temporary file streamed in chunks and deleted.

    Every cell is written as a text cell, which a spreadsheet never evaluates, so no
    apostrophe is added; cells that start like a formula also get Excel's "quote prefix"
    style, which keeps them text when someone edits them."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("lexicon")
    sheet.append([_text_cell(sheet, name) for name in CURATED_HEADER])
    for row in curated_rows(entries, public_ids):
        sheet.append([_text_cell(sheet, cell) for cell in row])
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        yield from stream_file(file)


def _text_cell(sheet, value: str) -> WriteOnlyCell | None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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
