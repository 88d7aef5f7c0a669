"""Reading an Excel workbook (.xlsx) as a lexicon table, safely.

First step of an import for spreadsheets, beside ``text.decode_lexicon`` +
``read_table`` for CSV/TSV: ``read_xlsx_table`` turns the uploaded bytes into the same
``text.Table`` (header, rows with the spreadsheet's row numbers), so that
``table_in._Parser`` reads the starter and curated formats from a workbook exactly as
from a CSV file. Nothing here touches the database.

An upload is hostile until proven otherwise. Before openpyxl parses a single byte, the
package is checked with ``zipfile``: it must be a zip holding ``xl/workbook.xml``, its parts
must not unpack to more than ``MAX_UNPACKED_BYTES`` nor be compressed more than
``MAX_RATIO`` : 1 (declared sizes in the central directory, and the bytes actually
inflated, since a forged directory can lie), and no part may carry an XML document type
declaration (DTD, the vehicle of entity-expansion and external-entity attacks; Excel never
writes one). Only then does openpyxl read it, with ``read_only=True, data_only=True``.
Defence in depth: openpyxl 3.1 parses worksheets and shared strings with defusedxml's
``iterparse`` (defusedxml is a dependency), and the other package parts with lxml's
``XMLParser(resolve_entities=False)`` when lxml is installed (it comes with clldutils),
else with defusedxml's ``fromstring``.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator


from ..limits import too_many_rows
from .records import ImportFailed, ImportProblem
from .text import Row, Table

MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # all parts together, inflated
MAX_RATIO = 100  # inflated : compressed, per part
RATIO_FLOOR = 1024 * 1024  # parts smaller than this cannot be bombs; Excel XML compresses well
MAX_MEMBERS = 10_000
MAX_COLUMNS = 256  # a lexicon sheet has a dozen; cells further right are refused, not read
CHUNK = 64 * 1024

_RESAVE = "open it in Excel and save it again as an Excel Workbook (.xlsx), or as “CSV UTF-8”"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
# "<!DOCTYPE" and "<!ENTITY" in the encodings an XML parser detects by itself; chunks are
# lower-cased before the search (libxml2 and expat are case-sensitive, we need not be).
_DTD_MARKERS = tuple(word.encode(encoding) for word in ("<!doctype", "<!entity")
                     for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le",
                                      "utf-32-be"))
_OVERLAP = max(len(m) for m in _DTD_MARKERS) - 1


def looks_like_xlsx(data: bytes) -> bool:
    """Whether the bytes are a zip package or an OLE2 compound file (legacy .xls, or an
    encrypted .xlsx): these go to ``read_xlsx_table``, which accepts or explains.

    >>> looks_like_xlsx(b"PK\\x03\\x04..."), looks_like_xlsx(b"headword,vietnamese")
    (True, False)
    """
    return data.startswith(_ZIP) or data.startswith(_OLE2)


def read_xlsx_table(data: bytes, known: Callable[[str], bool], *,
                    max_unpacked: int = MAX_UNPACKED_BYTES, max_rows: int | None = None) -> Table:
    """The lexicon table of a workbook: the first worksheet whose first non-empty row has a
    known column name (``known``, e.g. ``formats.is_known_column``), else the first
    worksheet. ``Row.line`` is the spreadsheet row number; empty rows are skipped.
    ``ImportFailed`` for anything that is not a safe, readable .xlsx workbook, and for a
    sheet with more than ``max_rows`` filled rows below the header (rows are counted as
    openpyxl streams them, so reading stops at the first row over the limit)."""
    import openpyxl  # imported by an upload only: a server starts sooner

    check_package(data, max_unpacked=max_unpacked)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True,
                                          keep_links=False)
    except Exception as exc:  # openpyxl raises anything from KeyError to XML errors
        raise ImportFailed(f"the workbook could not be read ({_reason(exc)}); {_RESAVE}") from None
    try:
        return _sheet_table(workbook.worksheets, known, max_rows)
    except ImportFailed:
        raise
    except Exception as exc:
        raise ImportFailed(f"the workbook could not be read ({_reason(exc)}); {_RESAVE}") from None
    finally:
        workbook.close()


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


# ---- the package ---------------------------------------------------------------------------
def check_package(data: bytes, *, max_unpacked: int = MAX_UNPACKED_BYTES) -> None:
    """Refuse, with ``ImportFailed``, anything but a plain .xlsx package of bounded size
    with no DTD in any part. Inflates every part once (in chunks, counting real bytes)."""
    if data.startswith(_OLE2):
        raise ImportFailed(_ole2_message(data))
    if not data.startswith(_ZIP):
        raise ImportFailed(f"this is not an Excel workbook (.xlsx); {_RESAVE}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
            _check_contents(package, members)
            _check_declared_sizes(members, max_unpacked)
            _inflate_and_scan(package, members, max_unpacked)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise ImportFailed(f"the workbook is damaged or not a real .xlsx file ({_reason(exc)}); "
                           f"{_RESAVE}") from None


def _ole2_message(data: bytes) -> str:
    if "EncryptionInfo".encode("utf-16-le") in data[:1 << 20] or \
            "EncryptedPackage".encode("utf-16-le") in data:
        return ("the workbook is protected with a password (encrypted), so it cannot be read; "
                "in Excel remove the password (File → Info → Protect Workbook → Encrypt with "
                "Password, clear it) and save it again as .xlsx")
    return ("this is an old Excel 97–2003 workbook (.xls), which is not accepted; "
            f"{_RESAVE}")


def _check_contents(package: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise ImportFailed(f"the file holds {len(members)} parts, more than a workbook "
                           f"has (at most {MAX_MEMBERS}); {_RESAVE}")
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise ImportFailed(f"this zip file is not an Excel .xlsx workbook "
                           f"({_what_zip(package, names)}); {_RESAVE}")
    for member in members:
        if member.flag_bits & 0x1:
            raise ImportFailed(f'the part "{member.filename}" is encrypted; remove the '
                               f"password, then {_RESAVE}")


def _what_zip(package: zipfile.ZipFile, names: set[str]) -> str:
    if "xl/workbook.bin" in names:
        return "it is a binary workbook, .xlsb"
    if "mimetype" in names:
        info = package.getinfo("mimetype")
        if info.file_size < 200 and b"opendocument" in package.read(info):
            return "it is an OpenDocument file such as .ods"
    if "word/document.xml" in names:
        return "it is a Word document"
    return "it has no xl/workbook.xml"


def _check_declared_sizes(members: list[zipfile.ZipInfo], max_unpacked: int) -> None:
    total = 0
    for member in members:
        total += member.file_size
        if total > max_unpacked:
            raise ImportFailed(_too_big(max_unpacked))
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise ImportFailed(
                f'the part "{member.filename}" is compressed {ratio:,.0f} : 1 (at most '
                f"{MAX_RATIO} : 1 is accepted), the mark of a “zip bomb”; the file was not "
                f"opened. If it is a genuine workbook, save it as “CSV UTF-8” and import that")


def _too_big(max_unpacked: int) -> str:
    return (f"the workbook unpacks to more than {max_unpacked // (1024 * 1024)} MB, too "
            "large to import; split it into smaller files, or save it as “CSV UTF-8”")


def _inflate_and_scan(package: zipfile.ZipFile, members: list[zipfile.ZipInfo],
                      max_unpacked: int) -> None:
    """Inflate every part, counting the real bytes (the central directory may lie), and
    look for a DTD. ``zipfile`` itself checks each part's CRC at its end."""
    total = 0
    for member in members:
        read = 0
        tail = b""
        with package.open(member) as part:
            while chunk := part.read(CHUNK):
                read += len(chunk)
                total += len(chunk)
                if total > max_unpacked:
                    raise ImportFailed(_too_big(max_unpacked))
                if read > member.file_size:
                    raise ImportFailed(f'the part "{member.filename}" is larger than its zip '
                                       f"entry says; the file is damaged or forged; {_RESAVE}")
                window = tail + chunk.lower()
                if any(marker in window for marker in _DTD_MARKERS):
                    raise ImportFailed(
                        f'the part "{member.filename}" contains an XML document type '
                        "declaration (<!DOCTYPE or <!ENTITY), which Excel never writes and "
                        f"which can be used to attack a server; {_RESAVE}")
                tail = window[-_OVERLAP:]


# ---- the sheet -----------------------------------------------------------------------------
def _sheet_table(worksheets: list, known: Callable[[str], bool],
                 max_rows: int | None = None) -> Table:
    if not worksheets:
        raise ImportFailed(f"the workbook has no worksheet; {_RESAVE}")
    ordered = ([ws for ws in worksheets if ws.sheet_state == "visible"]
               + [ws for ws in worksheets if ws.sheet_state != "visible"])
    for ws in ordered:
        rows = _numbered_rows(ws)
        first = next(rows, None)
        if first is not None and any(known(cell) for cell in first[1]):
            return _table(first, rows, max_rows)
        rows.close()  # releases the sheet's stream in the package
    rows = _numbered_rows(ordered[0])
    first = next(rows, None)
    if first is None:
        raise ImportFailed("the file is empty (its first worksheet has no filled cell)")
    return _table(first, rows, max_rows)


def _numbered_rows(ws) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) of the non-empty rows, at most ``MAX_COLUMNS + 1`` cells
    wide. The declared sheet dimension is ignored: a forged one (A1:XFD1048576) would make
    openpyxl pad every row to 16,384 cells."""
    ws.reset_dimensions()
    for number, values in enumerate(ws.iter_rows(min_row=1, max_col=MAX_COLUMNS + 1,
                                                 values_only=True), 1):
        cells = [cell_text(v) for v in values]
        if any(c.strip() for c in cells):
            yield number, cells


def _table(first: tuple[int, list[str]], rows: Iterable[tuple[int, list[str]]],
           max_rows: int | None = None) -> Table:
    header_line, header = first
    header = _trim(header)
    table = Table([c.strip() for c in header], header_line, "xlsx")
    width = len(header)
    for count, (number, cells) in enumerate(rows):
        if max_rows is not None and count >= max_rows:
            raise ImportFailed(errors=[ImportProblem(
                number, None, too_many_rows(max_rows, "filled rows below the header"))])
        cells = _trim(cells)
        if len(cells) > width:
            table.problems.append(ImportProblem(
                number, None, f"a filled cell in column {len(cells)}, right of the last "
                f"column of the header row ({width}); give that column a header or clear it"))
        else:
            table.rows.append(Row(number, cells + [""] * (width - len(cells)), number))
    return table


def _trim(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def cell_text(value: object) -> str:
    """A cell's value as the text a CSV export of it would hold.

    >>> [cell_text(v) for v in (None, 12.0, 0.5, 7, True, dt.datetime(2024, 5, 1))]
    ['', '12', '0.5', '7', 'TRUE', '2024-05-01']
    >>> cell_text(dt.datetime(2024, 5, 1, 9, 30))
    '2024-05-01T09:30:00'
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
