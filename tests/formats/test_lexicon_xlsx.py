"""Reading .xlsx workbooks: real workbooks written by openpyxl, and hostile packages built
byte by byte (zip bombs, forged sizes, DTDs, legacy and encrypted files).

Hrê/Co tokens in the fixtures (``zatok``, ``bimlu``) are made up; the starter rows are
copied from the bundled data/hre_starter.csv.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import struct
import time
import zipfile

import openpyxl
import openpyxl.xml.functions
import pytest

from dictionary import REPO_ROOT
from dictionary.db import get_db
from dictionary.curation.importer import import_lexicon
from dictionary.formats.records import ImportFailed
from dictionary.formats import _Parser, is_known_column, parse_lexicon
from dictionary.formats.xlsx_in import MAX_UNPACKED_BYTES, looks_like_xlsx, read_xlsx_table
from dictionary.parts_of_speech import load_parts_of_speech

DATA = REPO_ROOT / "data"
POS = load_parts_of_speech(DATA)
SOURCES = {"nhomthu": {"key": "nhomthu", "license": "CC-BY-4.0"},
           "peiros2004": {"key": "peiros2004", "license": "CC-BY-4.0"}}
CURATED = [
    ["id", "headword", "part_of_speech", "vietnamese", "english", "example", "example_vi",
     "variant", "source", "note"],
    ["z1", "zatok", "danh từ", "nhà; căn nhà", "house", "zatok bimlu", "nhà của tôi",
     "zatôk; zatoq", "nhomthu", ""],
    ["", "", "", "mái nhà", "roof", "", "", "", "", ""],
    ["z2", "bimlu", "động từ", "đi", "to go", "bimlu, zatok", "đi về nhà", "", "nhomthu",
     "một ghi chú, có dấu phẩy"],
]


def workbook_bytes(*sheets: tuple[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def parse_table(table, fmt="curated"):
    parser = _Parser(table, SOURCES, POS)
    parser.starter() if fmt == "starter" else parser.curated()
    assert table.problems + parser.problems == []
    return parser.entries


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def refusal(data: bytes, **kw) -> str:
    with pytest.raises(ImportFailed) as info:
        read_xlsx_table(data, is_known_column, **kw)
    assert len(info.value.errors) == 1
    return str(info.value)


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The package with some parts' content replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
    return out.getvalue()


# ---- reading ---------------------------------------------------------------------------------
def test_curated_workbook_parses_like_the_same_csv():
    data = workbook_bytes(("Sheet1", CURATED))
    table = read_xlsx_table(data, is_known_column)
    assert (table.header, table.header_line, table.delimiter) == (CURATED[0], 1, "xlsx")
    from_csv = parse_lexicon(csv_bytes(CURATED), sources=SOURCES, parts_of_speech=POS).entries
    assert parse_table(table) == from_csv
    assert [e.headword for e in from_csv] == ["zatok", "bimlu"]


def test_starter_rows_parse_like_the_bundled_csv():
    with open(DATA / "hre_starter.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[:12]
    table = read_xlsx_table(workbook_bytes(("hre", rows)), is_known_column)
    from_csv = parse_lexicon(csv_bytes(rows), sources=SOURCES, parts_of_speech=POS).entries
    assert parse_table(table, "starter") == from_csv and len(from_csv) == 11


def test_first_sheet_with_known_columns_is_read_and_lines_are_row_numbers():
    rows = [[], ["headword", "vietnamese", "source"], ["zatok", "nhà", "nhomthu"], [],
            [None, None, None], ["bimlu", "đi", "nhomthu"]]
    data = workbook_bytes(("Ghi chú", [["Notes for the team"], ["no columns here"]]),
                          ("Từ vựng", rows))
    table = read_xlsx_table(data, is_known_column)
    assert table.header_line == 2
    assert [(r.line, r.cells) for r in table.rows] == [
        (3, ["zatok", "nhà", "nhomthu"]), (6, ["bimlu", "đi", "nhomthu"])]
    assert [e.line for e in parse_table(table)] == [3, 6]


def test_without_known_columns_the_first_sheet_is_read():
    data = workbook_bytes(("A", [["tu", "nghia"], ["zatok", "nhà"]]), ("B", [["x"], ["y"]]))
    table = read_xlsx_table(data, is_known_column)
    assert table.header == ["tu", "nghia"] and table.rows[0].cells == ["zatok", "nhà"]


def test_cell_values_become_text():
    rows = [["headword", "vietnamese", "id", "note", "english", "x"],
            ["zatok", "nhà", 12, dt.datetime(2024, 5, 1), 0.25, True],
            ["bimlu", "đi", 3.0, dt.datetime(2024, 5, 1, 9, 30), dt.date(2023, 1, 2), None]]
    table = read_xlsx_table(workbook_bytes(("S", rows)), is_known_column)
    assert [r.cells for r in table.rows] == [
        ["zatok", "nhà", "12", "2024-05-01", "0.25", "TRUE"],
        ["bimlu", "đi", "3", "2024-05-01T09:30:00", "2023-01-02", ""]]


def test_a_cell_right_of_the_header_is_a_problem_with_its_row():
    rows = [["headword", "vietnamese", "source"], ["zatok", "nhà", "nhomthu", None, "lạc"]]
    table = read_xlsx_table(workbook_bytes(("S", rows)), is_known_column)
    assert [str(p) for p in table.problems] == [
        "line 2: a filled cell in column 5, right of the last column of the header row (3); "
        "give that column a header or clear it"]


def test_empty_workbook():
    assert "the file is empty" in refusal(workbook_bytes(("S", [])))


def test_forged_dimension_does_not_pad_rows():
    data = workbook_bytes(("S", CURATED))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    forged = sheet.replace(b'<dimension ref="A1:J4"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert forged != sheet
    started = time.perf_counter()
    table = read_xlsx_table(rezip(data, {"xl/worksheets/sheet1.xml": forged}), is_known_column)
    assert time.perf_counter() - started < 2
    assert len(table.rows) == 3 and all(len(r.cells) == 10 for r in table.rows)


def test_openpyxl_parses_worksheets_with_defusedxml():
    assert openpyxl.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")


# ---- refusals --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A workbook whose one sheet inflates to 200 MB of zeros (about 200 KB on disk)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/workbook.xml", b"<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = bytes(1 << 20)
            for _ in range(200):
                member.write(block)
    return out.getvalue()


def test_zip_bomb_is_refused_from_the_central_directory(zip_bomb):
    assert len(zip_bomb) < 2_000_000
    started = time.perf_counter()
    message = refusal(zip_bomb)
    assert time.perf_counter() - started < 0.5  # nothing was inflated
    assert message.startswith(f"the workbook unpacks to more than "
                              f"{MAX_UNPACKED_BYTES // 2**20} MB, too large to import")


def test_high_compression_ratio_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", bytes(5 << 20))
    message = refusal(out.getvalue())
    assert 'the part "xl/worksheets/sheet1.xml" is compressed' in message
    assert "zip bomb" in message


def forge_size(data: bytes, name: bytes, size: int) -> bytes:
    """Write ``size`` as the uncompressed size of ``name`` in its local header and its
    central-directory record (the CRC stays that of the real content)."""
    data = bytearray(data)
    local = data.find(b"PK\x03\x04")
    while local >= 0:
        name_len = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30:local + 30 + name_len] == name:
            struct.pack_into("<I", data, local + 22, size)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + name_len] == name:
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def test_a_zip_whose_declared_size_lies_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", bytes(20 << 20))  # 20 MB inflated
    forged = forge_size(out.getvalue(), b"xl/worksheets/sheet1.xml", 1000)
    with zipfile.ZipFile(io.BytesIO(forged)) as z:  # the directory now claims 1,000 bytes
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    message = refusal(forged)
    assert message.startswith("the workbook is damaged or not a real .xlsx file")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_dtd_in_any_part_is_refused(encoding):
    data = workbook_bytes(("S", CURATED))
    laughs = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
              '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'
              '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              "<si><t>&lol2;</t></si></sst>").encode(encoding)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
    target = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else "xl/workbook.xml"
    message = refusal(rezip(data, {target: laughs}))
    assert f'the part "{target}" contains an XML document type declaration' in message


def test_non_workbooks_are_refused():
    assert "not an Excel workbook (.xlsx)" in refusal(b"headword,vietnamese\n")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("lexicon.csv", "headword,vietnamese\n")
    assert "this zip file is not an Excel .xlsx workbook (it has no xl/workbook.xml)" in \
        refusal(out.getvalue())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    assert "OpenDocument file such as .ods" in refusal(out.getvalue())


def test_damaged_workbook_is_refused():
    data = workbook_bytes(("S", CURATED))
    assert refusal(data[: len(data) // 2]).startswith("the workbook is damaged")
    broken = rezip(data, {"xl/workbook.xml": b"<workbook><sheets>"})
    assert refusal(broken).startswith("the workbook could not be read")


def test_legacy_and_encrypted_files_are_refused():
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)
    assert looks_like_xlsx(ole2)
    assert "old Excel 97–2003 workbook (.xls)" in refusal(ole2)
    encrypted = ole2 + "EncryptionInfo".encode("utf-16-le") + bytes(100)
    assert "protected with a password" in refusal(encrypted)


def test_encrypted_zip_member_is_refused():
    data = bytearray(workbook_bytes(("S", CURATED)))
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 8, struct.unpack_from("<H", data, central + 8)[0] | 1)
    assert "is encrypted; remove the password" in refusal(bytes(data))


def test_messages_tell_the_linguist_what_to_do(zip_bomb):
    for data in (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), b"PK\x03\x04broken", zip_bomb):
        message = refusal(data)
        assert ".xlsx" in message or "CSV UTF-8" in message


# ---- through the importer ----------------------------------------------------------------------
def test_import_lexicon_reads_a_workbook_and_a_second_import_changes_nothing(app, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "parts_of_speech.toml").write_bytes((DATA / "parts_of_speech.toml").read_bytes())
    (data_dir / "languages.toml").write_text(
        (DATA / "languages.toml").read_text(encoding="utf-8") + '\n[[source]]\nkey = "nhomthu"'
        '\nlicense = "CC-BY-4.0"\ncitation = "Synthetic test source."\n', encoding="utf-8")
    path = tmp_path / "words.xlsx"
    path.write_bytes(workbook_bytes(("Sheet1", CURATED)))
    for created, unchanged in ((2, 0), (0, 2)):
        with app.app_context(), get_db().Session() as s:
            report = import_lexicon(s, path, "hre", data_dir=data_dir)
        assert (report.format, report.encoding) == ("curated", "xlsx")
        assert (report.created, report.unchanged) == (created, unchanged)
    assert [r.line for r in report.rows] == [2, 4]
