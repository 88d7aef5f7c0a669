"""Limits per entry and per file (``dictionary.limits``), the same in every import reader:
CSV/TSV, XLSX, LIFT and Toolbox/MDF files over a limit are refused with the line (sheet row,
XML line, MDF line) of the first sense, example, variant or row too many, and a file with
too many rows is refused as soon as the count passes the limit, without being read whole.

Real files (bytes as a linguist's program writes them) through the real readers; headwords
are synthetic tokens (``tok0001``), not Hrê or Co words.
"""
from __future__ import annotations

import csv
import io
import tracemalloc
from dataclasses import replace

import openpyxl
import pytest

from dictionary import REPO_ROOT
from dictionary.db import get_db
from dictionary.curation.importer import ImportFailed, import_lexicon
from dictionary.formats import parse_lexicon
from dictionary.limits import DEFAULT, Limits, current, from_config
from dictionary.models import Entry
from dictionary.parts_of_speech import load_parts_of_speech

POS = load_parts_of_speech(REPO_ROOT / "data")
SOURCES = {"nhomthu": {"key": "nhomthu", "license": "CC-BY-4.0"}}
SMALL = Limits(senses=3, examples=2, entry_examples=3, variants=2, text=5000, file_rows=10)
FIVE_ROWS = replace(SMALL, file_rows=5)
HEADER = ["id", "headword", "vietnamese", "example", "example_vi", "variant", "source"]


def table_bytes(rows, delimiter=",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def refused(data: bytes, limits: Limits = SMALL, **kw) -> list[tuple[int | None, str]]:
    with pytest.raises(ImportFailed) as info:
        parse_lexicon(data, sources=SOURCES, parts_of_speech=POS, limits=limits, **kw)
    return [(p.line, p.message) for p in info.value.errors]


def accepted(data: bytes, limits: Limits = SMALL, **kw):
    return parse_lexicon(data, sources=SOURCES, parts_of_speech=POS, limits=limits, **kw)


def one(problems, needle: str) -> int | None:
    found = [line for line, message in problems if needle in message]
    assert len(found) == 1, problems
    return found[0]


# ---- CSV / TSV ------------------------------------------------------------------------------
CURATED = [
    HEADER,
    ["t1", "tok0001", "nghĩa một", "", "", "", "nhomthu"],      # line 2
    ["", "", "nghĩa hai", "", "", "", ""],                       # 3: sense 2
    ["", "", "nghĩa ba", "", "", "", ""],                        # 4: sense 3
    ["", "", "nghĩa bốn", "", "", "", ""],                       # 5: sense 4, one too many
    ["t2", "tok0002", "nghĩa", "tok0002 a", "câu một", "tok0002x; tok0002y; tok0002z",
     "nhomthu"],                                                 # 6: the third variant
    ["", "", "", "tok0002 b", "câu hai", "", ""],                # 7: example 2 of sense 1
    ["", "", "", "tok0002 c", "câu ba", "", ""],                 # 8: example 3, one too many
    ["t3", "tok0003", "nghĩa", "", "", "", "nhomthu"],           # 9: fine
]


def test_csv_entries_over_the_limits_are_refused_with_their_lines():
    problems = refused(table_bytes(CURATED))
    assert one(problems, "has 4 senses; at most 3 senses fit in one entry") == 5
    assert one(problems, "the entry “tok0001” (line 2)") == 5
    assert one(problems, "has 3 variants; at most 2 fit") == 6
    assert one(problems, "sense 1 of the entry “tok0002” (line 6) has 3 examples") == 8
    assert len(problems) == 3
    # Within the limits the same file is read (the default limits are larger).
    assert [len(e.senses) for e in accepted(table_bytes(CURATED), DEFAULT).entries] == [4, 1, 1]


def test_examples_of_all_senses_together_are_limited_too():
    rows = [HEADER, ["t1", "tok0001", "nghĩa một", "tok a", "câu", "", "nhomthu"],
            ["", "", "", "tok b", "câu", "", ""],                 # 3
            ["", "", "nghĩa hai", "tok c", "câu", "", ""],        # 4
            ["", "", "", "tok d", "câu", "", ""]]                 # 5: the fourth of the entry
    problems = refused(table_bytes(rows))
    assert one(problems, "has more than 3 examples in all its senses") == 5


def test_text_the_form_would_refuse_is_refused_on_import():
    rows = [["id", "headword", "vietnamese", "english", "concept_id", "source"],
            ["t1", "tok0001", "x" * 2001, "", "", "nhomthu"],
            ["t2", "tok0002", "nghĩa", "", "không số", "nhomthu"],
            ["t3", "tok0003", "nghĩa", "y" * 2000, "646", "nhomthu"]]
    problems = refused(table_bytes(rows), DEFAULT)
    assert one(problems, "the Vietnamese gloss of sense 1 of the entry “tok0001” (line 2) has "
                         "2,001 characters; at most 2,000 fit") == 2
    assert one(problems, "the concept id “không số” of sense 1") == 3
    assert len(problems) == 2


def test_text_per_entry_is_limited():
    rows = [HEADER, ["t1", "tok0001", "g" * 1500, "e" * 1500, "d" * 1500, "", "nhomthu"],
            ["", "", "h" * 1500, "", "", "", ""]]
    problems = refused(table_bytes(rows))
    assert one(problems, "holds 6,007 characters of text; at most 5,000 fit in one entry") == 2


def test_a_table_with_too_many_rows_is_refused_at_the_first_row_over_the_limit():
    rows = [["id", "headword", "vietnamese", "source"]] + [
        [f"t{i}", f"tok{i:04d}", "nghĩa", "nhomthu"] for i in range(1, 7)]
    data = table_bytes(rows, "\t")
    # The reading stops there: an unclosed quote further down is never reached.
    broken = data + b't9\t"tok0009\tnghia\tnhomthu\n' + data.split(b"\n", 1)[1] * 2
    for body in (data, broken):
        [(line, message)] = refused(body, FIVE_ROWS)
        assert line == 7
        assert message.startswith("the file has more than 5 data rows, the most one import "
                                  "takes (IMPORT_MAX_ROWS); reading stopped here")
    assert len(accepted(table_bytes(rows[:6], "\t"), FIVE_ROWS).entries) == 5


def test_a_million_row_tsv_is_refused_without_being_read_whole():
    # What the outside probe sent: 1,000,000 rows. Counted on the bytes before decoding;
    # reading them all as entries would take gigabytes.
    data = b"id\theadword\tvietnamese\tsource\n" + b"".join(
        b"t%d\ttok%07d\tnghia\tnhomthu\n" % (i, i) for i in range(1_000_000))
    tracemalloc.start()
    try:
        problems = refused(data, DEFAULT, filename="big.tsv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert problems == [(20_002, problems[0][1])]
    assert "more than 20,000 data rows" in problems[0][1]
    assert peak < 2 * len(data), f"peak {peak / 1e6:.0f} MB for a {len(data) / 1e6:.0f} MB file"


# ---- XLSX -----------------------------------------------------------------------------------
def workbook(rows, gap: int = 0) -> bytes:
    """A workbook of ``rows``, with ``gap`` empty sheet rows after each data row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(rows[0])
    for row in rows[1:]:
        ws.append(row)
        for _ in range(gap):
            ws.append([])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_xlsx_limits_name_sheet_rows():
    # One empty row after each data row: CSV line n is sheet row 2n - 2.
    problems = refused(workbook(CURATED, gap=1), filename="tu.xlsx")
    assert one(problems, "has 4 senses") == 8
    assert one(problems, "has 3 variants") == 10
    assert one(problems, "has 3 examples") == 14
    rows = [["id", "headword", "vietnamese", "source"]] + [
        [f"t{i}", f"tok{i:04d}", "nghĩa", "nhomthu"] for i in range(1, 9)]
    [(line, message)] = refused(workbook(rows, gap=1), FIVE_ROWS, filename="many.xlsx")
    assert line == 12 and "more than 5 filled rows below the header" in message
    assert len(accepted(workbook(rows[:6], gap=1), FIVE_ROWS, filename="ok.xlsx").entries) == 5


# ---- LIFT -----------------------------------------------------------------------------------
def lift(entries: list[str]) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<lift version="0.13">\n'
            + "".join(entries) + "</lift>\n").encode()


def lift_entry(n: int, senses: int = 1, examples: int = 0) -> str:
    """One entry, one line per element (so the lines are easy to count)."""
    out = [f'<entry id="tok{n:04d}" guid="00000000-0000-4000-8000-{n:012d}">\n',
           f'<lexical-unit><form lang="hre"><text>tok{n:04d}</text></form></lexical-unit>\n']
    for s in range(senses):
        out.append(f'<sense id="s{n}-{s}">\n')
        out.append(f'<gloss lang="vi"><text>nghĩa {s + 1}</text></gloss>\n')
        out += [f'<example><form lang="hre"><text>tok{n:04d} {x}</text></form></example>\n'
                for x in range(examples)]
        out.append("</sense>\n")
    out.append("</entry>\n")
    return "".join(out)


def test_lift_limits_name_xml_lines():
    # Entry 1 (line 3) has 4 senses: sense 4 starts on line 3 + 2 + 3 * 3 = 14.
    # Entry 2 starts on line 3 + 2 + 4 * 3 + 1 = 18; its one sense has 3 examples, the
    # third on line 18 + 2 + 1 + 1 + 2 = 24.
    data = lift([lift_entry(1, senses=4), lift_entry(2, examples=3)])
    problems = refused(data, source="nhomthu", lang="hre")
    assert one(problems, "the entry “tok0001” (line 3) has 4 senses") == 14
    assert one(problems, "sense 1 of the entry “tok0002” (line 18) has 3 examples") == 24
    # Six entries (6 lines each) where five are allowed: refused at the sixth, line 33.
    [(line, message)] = refused(lift([lift_entry(n) for n in range(1, 7)]), FIVE_ROWS,
                                source="nhomthu", lang="hre")
    assert line == 33 and "more than 5 entries" in message
    assert len(accepted(lift([lift_entry(n) for n in range(1, 6)]), FIVE_ROWS,
                        source="nhomthu", lang="hre").entries) == 5


# ---- Toolbox / MDF --------------------------------------------------------------------------
def test_mdf_limits_name_their_lines():
    text = ("\\_sh v3.0  400  MDF 4.0\n\n"
            "\\lx tok0001\n\\gn nghĩa\n\\xv tok a\n\\xn câu\n\\xv tok b\n\\xv tok c\n\n"  # 3..8
            "\\lx tok0002\n\\sn 1\n\\gn một\n\\sn 2\n\\gn hai\n\\sn 3\n\\gn ba\n"        # 10..16
            "\\sn 4\n\\gn bốn\n\\va tok0002x\n\\va tok0002y\n\\va tok0002z\n")          # 17..21
    problems = refused(text.encode(), source="nhomthu")
    assert one(problems, "sense 1 of the entry “tok0001” (line 3) has 3 examples") == 8
    assert one(problems, "the entry “tok0002” (line 10) has 4 senses") == 17
    assert one(problems, "has 3 variants") == 21
    records = "".join(f"\\lx tok{n:04d}\n\\gn nghĩa\n\n" for n in range(1, 9))
    [(line, message)] = refused(records.encode(), FIVE_ROWS, source="nhomthu")
    assert line == 16 and "more than 5 records (\\lx)" in message


def test_a_huge_mdf_file_is_refused_before_it_is_decoded():
    text = "".join(f"\\lx tok{n:07d}\n\\gn nghĩa\n" for n in range(40_000))
    [(line, message)] = refused(text.encode(), DEFAULT, source="nhomthu")
    assert line == 40_001 and "more than 20,000 records" in message


# ---- configuration ----------------------------------------------------------------------------
def test_limits_come_from_the_configuration(app, data_dir):
    assert current() == DEFAULT  # outside an app
    app.config.update(ENTRY_MAX_SENSES=3, IMPORT_MAX_ROWS="8")  # the file has 8 rows
    with app.app_context():
        assert (current().senses, current().file_rows, current().variants) == (3, 8, 50)
        with get_db().Session() as s, pytest.raises(ImportFailed) as info:
            import_lexicon(s, None, "hre", data=table_bytes(CURATED), file_name="tu.csv",
                           data_dir=data_dir)
        assert [p.line for p in info.value.errors] == [5]  # only the senses
        with get_db().Session() as s:
            assert s.query(Entry).count() == 0
    for bad in ({"ENTRY_MAX_SENSES": 0}, {"IMPORT_MAX_ROWS": "many"}):
        with pytest.raises(ValueError, match="must be"):
            from_config(bad)
