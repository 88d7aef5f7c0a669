"""Reading a lexicon file: bytes → text → a table of cells with line numbers → checked cells.

First step of an import (``importer.import_lexicon``): ``decode_lexicon`` turns the uploaded
bytes into text (UTF-8 with or without BOM, UTF-16 with BOM; Vietnamese typed in the legacy
TCVN3/VNI fonts is converted by ``legacy_encodings``; a Toolbox file's lines that are not
UTF-8 are read as Windows-1252), refusing binary files and naming the first undecodable
byte, with advice for a table or for a Toolbox file; ``read_table`` sniffs the delimiter from the header line
and splits the text into rows, each with the line it starts on; ``CellReader`` hands out
cells in storage form, reporting bad characters and overlong text by line and column. What
the columns mean is ``formats``' business. Every problem becomes an
``ImportProblem``; nothing here touches the database.
"""
from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from search_index import normalize

from ..limits import too_many_rows
from . import code_pages, legacy_encodings
from .records import ImportFailed, ImportProblem  # (named here too, as always)


# ---- decoding ---------------------------------------------------------------------------------
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_SAVE_AS = "save the file as UTF-8 (in Excel: File → Save As → “CSV UTF-8”)"
_WHAT = {False: "CSV/TSV table", True: "Toolbox database"}
_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook or another zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Word file (.xls/.doc)"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)

# Legacy Vietnamese font encodings (TCVN3/ABC, VNI-Windows; see ``legacy_encodings``). A
# decoder gets bytes that are not UTF-8 and returns (text, encoding name) when it recognises
# them, else None; they are tried in order. Text that *did* decode but is legacy-font mojibake
# (a Word "Unicode text" export of a .VnTime/VNI-Times document) is fixed by ``fix_legacy_text``.
LegacyDecoder = Callable[[bytes], "tuple[str, str] | None"]
LEGACY_DECODERS: list[LegacyDecoder] = [legacy_encodings.decode_legacy_bytes]
MAX_SAMPLES = 5


@dataclass(frozen=True)
class Decoded:
    text: str
    # "utf-8", "utf-8-sig", "utf-16"; "tcvn3"/"vni" for legacy bytes; "utf-8+tcvn3" and the
    # like for decoded text that was legacy-font mojibake
    encoding: str
    # (line, original, converted) for the first lines a legacy conversion changed, for the
    # dry run to show; empty when nothing was converted
    samples: list[tuple[int, str, str]] = field(default_factory=list)


def decode_lexicon(data: bytes) -> Decoded:
    """The file's text; ``ImportFailed`` for binary files and undecodable bytes. Text in a
    legacy Vietnamese font encoding (TCVN3, VNI) is converted to Unicode.

    >>> decode_lexicon("từ".encode("utf-16")).text
    'từ'
    >>> try:
    ...     decode_lexicon(b"a,b\\nc,d\\xe9f\\n")
    ... except ImportFailed as exc:
    ...     print(str(exc).split(";")[0])
    line 2: not valid UTF-8 (byte 0xE9 at column 4, byte offset 7)
    >>> d = decode_lexicon("a,b\\nc,Céng ®ång d©n téc\\n".encode("cp1252"))
    >>> d.encoding, d.text.splitlines()[1], d.samples
    ('tcvn3', 'c,Cộng đồng dân tộc', [(2, 'c,Céng ®ång d©n téc', 'c,Cộng đồng dân tộc')])
    >>> decode_lexicon("a,b\\nc,Coäng ñoàng daân toäc\\n".encode("utf-8")).encoding
    'utf-8+vni'
    """
    if not data.strip():
        raise ImportFailed("the file is empty")
    toolbox = code_pages.looks_like_toolbox(data)
    for bom, encoding in _BOMS:
        if data.startswith(bom) and not (toolbox and encoding == "utf-8-sig"):
            return _fix_legacy(_decode(data, encoding, toolbox), encoding)
    _refuse_binary(data, toolbox)
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    try:
        text = _decode(data, "utf-8-sig" if bom else "utf-8", toolbox)
    except ImportFailed:
        for decoder in LEGACY_DECODERS:
            found = decoder(data[len(bom):])
            if found is not None:
                text, name = found  # the samples show the bytes as Windows-1252 reads them
                original = legacy_encodings.cp1252_text(data[len(bom):])
                return Decoded(text, name, _samples(original, text))
        if toolbox:
            text, name, samples = code_pages.decode_lines(data, len(bom), MAX_SAMPLES)
            _decode(text.encode("utf-8"), "utf-8", True)  # (refuses NUL characters)
            return Decoded(text, name, samples)
        raise
    return _fix_legacy(text, "utf-8-sig" if bom else "utf-8")


def _fix_legacy(text: str, encoding: str) -> Decoded:
    fixed = legacy_encodings.fix_legacy_text(text)
    if fixed is None:
        return Decoded(text, encoding)
    converted, name = fixed
    return Decoded(converted, f"{encoding}+{name}", _samples(text, converted))


def _samples(original: str, converted: str) -> list[tuple[int, str, str]]:
    """The first ``MAX_SAMPLES`` lines (numbered like the error messages) that differ."""
    samples = []
    for number, (before, after) in enumerate(
            zip(original.split("\n"), converted.split("\n")), start=1):
        before, after = before.rstrip("\r"), after.rstrip("\r")
        if before != after:
            samples.append((number, before, after))
            if len(samples) == MAX_SAMPLES:
                break
    return samples


def _refuse_binary(data: bytes, toolbox: bool = False) -> None:
    advice = code_pages.TOOLBOX_ADVICE if toolbox else _SAVE_AS
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            raise ImportFailed(f"this is {what}, not a text file; {advice}")
    nul = data.find(b"\x00")
    if nul >= 0:
        head = data[:400]
        if max(head[0::2].count(0), head[1::2].count(0)) > len(head) // 5:  # every other byte
            hint = "it looks like UTF-16 without a byte-order mark"
        else:
            hint = f"this is a binary file, not a {_WHAT[toolbox]}"
        raise ImportFailed(f"{_where(data, nul)}: the file contains NUL bytes: {hint}; {advice}")


def _decode(data: bytes, encoding: str, toolbox: bool = False) -> str:
    advice = code_pages.TOOLBOX_ADVICE if toolbox else _SAVE_AS
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.start + 1].hex().upper()
        name = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise ImportFailed(
            f"{_where(data, exc.start, encoding)}: not valid {name} (byte 0x{bad} at "
            f"column {_column(data, exc.start, encoding)}, byte offset {exc.start}); "
            f"{advice}") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportFailed(f"line {line}: the file contains NUL characters: this is a binary "
                           f"file, not a {_WHAT[toolbox]}; {advice}")
    return text


def _prefix(data: bytes, end: int, encoding: str) -> str:
    """The text before byte ``end`` (the BOM, if any, removed by the codec)."""
    return data[:end].decode(encoding, errors="replace")


def _where(data: bytes, offset: int, encoding: str = "utf-8") -> str:
    return f"line {_prefix(data, offset, encoding).count(chr(10)) + 1}"


def _column(data: bytes, offset: int, encoding: str) -> int:
    before = _prefix(data, offset, encoding)
    return len(before) - (before.rfind("\n") + 1) + 1


# ---- the table ------------------------------------------------------------------------------
DELIMITERS = {"\t": "tab", ",": "comma", ";": "semicolon"}


@dataclass
class Row:
    line: int  # the line the row starts on (1-based, counting the header)
    cells: list[str]
    end_line: int  # > line when a quoted cell spans lines


@dataclass
class Table:
    header: list[str]
    header_line: int
    delimiter: str
    rows: list[Row] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)


def sniff_delimiter(header_line: str, known: Callable[[str], bool]) -> str:
    """The delimiter that splits the header into the most known column names; ties go to
    tab, then comma, then semicolon. ``known(name)`` says whether a header cell is known.

    >>> sniff_delimiter("headword;vietnamese, english", lambda n: n in {"headword", "vietnamese"})
    ';'
    """
    def score(delim: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=delim), [])
        return sum(1 for c in cells if known(c)), len(cells)

    return max(DELIMITERS, key=score)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def iter_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings (``\\r\\n``, ``\\r`` or ``\\n``), one at a
    time: what ``csv.reader`` needs, without a copy of the whole text (``io.StringIO``
    holds four bytes per character).

    >>> list(iter_lines("a,b\\r\\n\\"x\\ny\\",c\\rlast"))
    ['a,b\\r\\n', '"x\\n', 'y",c\\r', 'last']
    """
    end = len(text)
    for match in _LINE.finditer(text):
        if match.start() == end:
            return
        yield match.group()


def read_table(text: str, known: Callable[[str], bool], *,
               max_rows: int | None = None) -> Table:
    """Split ``text`` into a header and rows. Blank lines (and rows of empty cells) are
    skipped; malformed quoting stops the reading with a problem naming the line. More than
    ``max_rows`` data rows stop the reading at once with ``ImportFailed`` (the rows are
    counted as they are read: a huge file is never held as rows)."""
    header_line = next((line for line in iter_lines(text) if line.strip()), None)
    if header_line is None:
        raise ImportFailed("the file is empty")
    header_line = header_line.rstrip("\r\n")
    delimiter = sniff_delimiter(header_line, known)
    reader = csv.reader(iter_lines(text), delimiter=delimiter, strict=True)
    table: Table | None = None
    problems: list[ImportProblem] = []
    done = 0  # physical lines consumed so far
    while True:
        start = done + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            message = _quote_problem(str(exc), start, reader.line_num)
            problems.append(ImportProblem(start, None, message))
            break
        done = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if table is None:
            table = Table([c.strip() for c in cells], start, delimiter)
            continue
        if max_rows is not None and len(table.rows) >= max_rows:
            raise ImportFailed(errors=[ImportProblem(start, None, too_many_rows(max_rows))])
        table.rows.append(Row(start, cells, done))
    if table is None:
        raise ImportFailed(errors=problems or [ImportProblem(None, None, "the file is empty")])
    width = len(table.header)
    for row in table.rows:
        if len(row.cells) != width:
            spans = (f" (the row runs on to line {row.end_line}: check for an unbalanced quote)"
                     if row.end_line > row.line else "")
            table.problems.append(ImportProblem(
                row.line, None, f"{len(row.cells)} cells, but the header has {width} columns"
                f"{spans}; a cell containing a {DELIMITERS[delimiter]} must be quoted"))
    table.problems.extend(problems)
    return table


def _quote_problem(error: str, start: int, reached: int) -> str:
    runs = f" (the quoted cell runs on to line {reached})" if reached > start else ""
    if "unexpected end of data" in error:
        return (f'a quoted cell starts on this line but its closing quote (") is missing{runs}; '
                "the rest of the file was not read")
    if "expected after" in error:
        return ('text follows the closing quote (") of a cell; inside a quoted cell write a '
                f'quote as ""{runs}; the rest of the file was not read')
    return f"malformed CSV ({error}); the rest of the file was not read"


# ---- cells -----------------------------------------------------------------------------------
def fold_header(name: str) -> str:
    """How header cells are compared: case, spaces, ``_`` and ``-`` do not matter.

    >>> fold_header("  Part_of-Speech "), fold_header("Nghĩa  Tiếng Việt")
    ('part of speech', 'nghĩa tiếng việt')
    """
    name = unicodedata.normalize("NFC", name).casefold()
    return " ".join(re.sub(r"[_\-]+", " ", name).split())


_LINE_BREAKS = frozenset("\n\r\t")


def bad_character(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored as typed, or None: controls, invisible format
    characters (BOM, zero-width, bidi) and private-use characters (legacy fonts).

    >>> bad_character("zatok"), bad_character("za\u200btok")
    (None, 'contains an invisible character (U+200B)')
    """
    if value.isprintable():  # (all that is refused is not: the common case, fast)
        return None
    for ch in value:
        cat = unicodedata.category(ch)
        if cat == "Cc" and not (multiline and ch in _LINE_BREAKS):
            what = "a line break" if ch in "\n\r" else "a control character"
            return f"contains {what} (U+{ord(ch):04X})"
        if cat in ("Cf", "Cs"):
            return f"contains an invisible character (U+{ord(ch):04X})"
        if cat == "Co":
            return (f"contains a private-use character (U+{ord(ch):04X}), usually from a legacy "
                    "font; retype it in Unicode")
    return None


class CellReader:
    """Walks the rows of a ``Table`` by column name, collecting problems with their line and
    the column as the file's header writes it. ``limits``: longest text per column."""

    limits: dict[str, int] = {}

    def __init__(self, table: Table) -> None:
        self.table = table
        self.problems: list[ImportProblem] = []
        self.reported: set[tuple[int, str | None]] = set()  # one problem per cell is enough
        self.cols: dict[str, int] = {}  # canonical name -> index
        self.ignored: list[str] = []
        self.row: list[str] = []
        self.line = 0

    def problem(self, column: str | None, message: str) -> None:
        shown = self.table.header[self.cols[column]] if column in self.cols else column
        self.problems.append(ImportProblem(self.line, shown, message))
        self.reported.add((self.line, column))

    def raw(self, column: str) -> str:
        i = self.cols.get(column)
        return self.row[i] if i is not None and i < len(self.row) else ""

    def text(self, column: str, *, limit: str | None = None, multiline: bool = False,
             clean: bool = True) -> str:
        """The cell in storage form ("" when empty), checked for bad characters and length:
        ``normalize.clean`` for text the session hooks clean too, else NFC and trimmed."""
        value = self.raw(column)
        bad = bad_character(value, multiline=multiline)
        if bad:
            self.problem(column, bad)
            return ""
        value = normalize.clean(value) if clean else unicodedata.normalize("NFC", value).strip()
        maximum = self.limits.get(limit or column)
        if maximum is not None and len(value) > maximum:
            self.problem(column, f"{len(value)} characters; at most {maximum} fit")
        return value

    def map_header(self, names: dict[str, str], keep_unknown: bool) -> list[tuple[int, str]]:
        """Fill ``self.cols`` from folded header names; return the unknown (index, header)
        pairs (unnamed empty columns left out); flag repeated columns."""
        unknown = []
        for i, cell in enumerate(self.table.header):
            canon = names.get(fold_header(cell))
            if canon is None:
                if cell or any(i < len(r.cells) and r.cells[i].strip() for r in self.table.rows):
                    unknown.append((i, cell))
                continue
            if canon in self.cols:
                first = self.cols[canon]
                message = f'repeats column "{self.table.header[first]}" (column {first + 1})'
                self.problems.append(ImportProblem(self.table.header_line, cell, message))
                continue
            self.cols[canon] = i
        if not keep_unknown:
            self.ignored = [c or f"column {i + 1} (no name)" for i, c in unknown]
        return unknown

    def require(self, required: tuple[str, ...]) -> bool:
        missing = [c for c in required if c not in self.cols]
        if missing:
            names = ", ".join(f'"{m}"' for m in missing)
            self.problems.append(ImportProblem(
                self.table.header_line, None,
                f"missing required column{'s' if len(missing) > 1 else ''} {names}; "
                f"the header row has: {', '.join(self.table.header)}"))
        return not missing

    def rows(self) -> Iterator[Row]:
        """The well-formed rows (wrong cell counts were reported by ``read_table``)."""
        width = len(self.table.header)
        for row in self.table.rows:
            if len(row.cells) == width:
                self.row, self.line = row.cells, row.line
                yield row
