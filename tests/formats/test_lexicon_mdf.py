r"""Reading Toolbox/MDF lexicons: records, senses, examples, variants, homographs, the
markers kept in ``extra``, and every problem with its line.

Hrê/Co tokens in the fixtures (``zatok``, ``bơ̆nxa``, ``kelop``) are made up.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from dictionary import REPO_ROOT
from dictionary.db import get_db
from dictionary.curation.importer import import_lexicon
from dictionary.formats.text import ImportFailed, decode_lexicon
from dictionary.formats.mdf_in import looks_like_mdf, parse_mdf
from dictionary.models import ORTHOGRAPHIC, Entry
from dictionary.parts_of_speech import load_parts_of_speech

POS = load_parts_of_speech(REPO_ROOT / "data")
SOURCES = {"nhomthu": {"key": "nhomthu", "license": "CC-BY-4.0"},
           "peiros2004": {"key": "peiros2004", "license": "CC-BY-4.0"}}

LEXICON = r"""\_sh v3.0  400  MDF 4.0
\_DateStampHasFourDigitYear

\lx zatok
\hm 1
\ps n
\sn 1
\ge house
\gn nhà; căn
  nhà
\xv zatok bơ̆nxa
\xe my house
\xn nhà
   của tôi
\xv zatok kelop
\xn nhà đẹp
\sn 2
\ge roof
\gn mái nhà
\sd Nhà cửa
\va zatôk
\ve phương ngữ Ba Tơ
\va zatoq
\rf Notebook 3, p. 12
\nt ghi chú
thứ hai
\dt 12/Mar/2024
\bw Vietnamese

\lx zatok
\hm 2
\ps động từ
\ge to build
\gn xây
\dn làm nhà
\de to make a house

\lx bơ̆nxa
\ps Adj.
\gn đẹp
\sd Tính chất
\sd Màu sắc
"""


def parse(text: str, source: str = "nhomthu"):
    return parse_mdf(text, source=source, sources=SOURCES, parts_of_speech=POS)


def problems(text: str) -> list[str]:
    with pytest.raises(ImportFailed) as info:
        parse(text)
    return [str(e) for e in info.value.errors]


def test_records_senses_and_examples():
    first, second, third = parse(LEXICON)
    assert (first.line, first.source_key, first.headword, first.part_of_speech) == (
        4, "nhomthu:zatok#1", "zatok", "noun")
    assert (first.form_kind, first.source, first.license) == (ORTHOGRAPHIC, "nhomthu",
                                                               "CC-BY-4.0")
    assert [(s.gloss_vi, s.gloss_en, s.semantic_field) for s in first.senses] == [
        ("nhà; căn nhà", "house", None), ("mái nhà", "roof", "Nhà cửa")]
    assert first.senses[0].examples == [("zatok bơ̆nxa", "nhà của tôi"),
                                        ("zatok kelop", "nhà đẹp")]
    assert first.senses[0].extra == {"xe": [["zatok bơ̆nxa", "my house"]]}
    assert first.variants == [("zatôk", "spelling", "phương ngữ Ba Tơ"),
                              ("zatoq", "spelling", None)]
    assert first.note == "ghi chú thứ hai"
    assert first.extra == {"dt": "12/Mar/2024",
                           "mdf": [["rf", "Notebook 3, p. 12"], ["bw", "Vietnamese"]]}
    assert (second.source_key, second.part_of_speech) == ("nhomthu:zatok#2", "verb")
    assert second.senses[0].definition == "làm nhà"
    assert second.senses[0].extra == {"de": "to make a house"}
    assert (third.source_key, third.part_of_speech) == ("nhomthu:bơ̆nxa", "adjective")
    assert third.senses[0].semantic_field == "Tính chất"
    assert third.extra == {"mdf": [["sd", "Màu sắc"]]}  # a second domain is kept, not lost


def test_english_definition_when_there_is_no_national_one():
    (entry,) = parse("\\lx kelop\n\\gn đẹp\n\\de pretty to look at\n")
    assert entry.senses[0].definition == "pretty to look at" and entry.senses[0].extra == {}


def test_text_is_stored_clean():
    (entry,) = parse("\\lx  Za’tok \n\\gn hoà  bình\n\\xv za'tok\tbơ\u0306nxa\n\\xn thuỷ\n")
    assert entry.headword == "Zaʼtok"
    assert entry.senses[0].gloss_vi == "hòa bình"
    assert entry.senses[0].examples == [("zaʼtok bơ̆nxa", "thủy")]


def test_a_decoded_file_with_bom_and_crlf():
    data = "\ufeff\\_sh v3.0 MDF\r\n\\lx zatok\r\n\\gn nhà\r\n".encode("utf-8")
    text = decode_lexicon(data).text
    assert looks_like_mdf(text)
    (entry,) = parse(text)
    assert (entry.line, entry.headword) == (2, "zatok")


def test_missing_vietnamese_gloss_is_reported_with_its_line():
    text = "\\lx zatok\n\\ge house\n\n\\lx kelop\n\\sn 1\n\\gn đẹp\n\\sn 2\n\\ge pretty\n"
    assert problems(text) == [
        'line 1, column "\\gn": no \\gn (Vietnamese gloss); every sense needs one',
        'line 7, column "\\gn": no \\gn (Vietnamese gloss) in sense 2 of this record; every '
        "sense needs one"]


def test_every_problem_is_listed_with_line_and_marker():
    text = "\n".join([
        "\\ge stray",                 # 1 before any record
        "\\lx zatok",                 # 2
        "\\ps thing",                 # 3 unknown part of speech
        "\\gn nhà",                   # 4
        "\\xn không có ví dụ",        # 5 translation without example
        "\\hm one",                   # 6 bad homograph number
        "\\lx zatok",                 # 7 duplicate key
        "\\ps n",                     # 8
        "\\ps v",                     # 9 second part of speech
        "\\gn nh\u200bà",             # 10 invisible character
        "\\va " + "z" * 201,          # 11 too long
        "\\lx",                       # 12 empty headword
        "\\gn x",                     # 13
    ])
    found = problems(text)
    assert found[0] == 'line 1, column "\\ge": a \\ge field before the first \\lx record; ' \
                       "every entry starts with a \\lx line"
    assert found[1].startswith('line 3, column "\\ps": unknown part of speech "thing"; use '
                               "one of: danh từ (noun), động từ (verb), tính từ (adjective)")
    assert [f.split(":")[0] for f in found] == [
        'line 1, column "\\ge"', 'line 3, column "\\ps"', 'line 5, column "\\xn"',
        'line 6, column "\\hm"', 'line 7, column "\\gn"', 'line 7, column "\\lx"',
        'line 9, column "\\ps"', 'line 10, column "\\gn"', 'line 11, column "\\va"',
        'line 12, column "\\lx"']
    # the only gloss of the second record had a bad character: reported twice, by line
    assert found[4].endswith("no \\gn (Vietnamese gloss); every sense needs one")
    assert found[5].endswith('duplicate record: "zatok" is also on line 2; number '
                             "homographs with \\hm 1, \\hm 2, …")
    assert found[7].endswith("contains an invisible character (U+200B)")
    assert found[8].endswith("201 characters; at most 200 fit")
    assert found[9].endswith("empty headword")


def test_duplicate_homograph_numbers():
    text = "\\lx zatok\n\\hm 1\n\\gn nhà\n\\lx zatok\n\\hm 01\n\\gn xây\n"
    assert problems(text) == ['line 4, column "\\lx": duplicate record: homograph 1 of '
                              '"zatok" is also on line 1; number homographs with \\hm 1, '
                              "\\hm 2, …"]


def test_unknown_source_names_the_known_ones():
    with pytest.raises(ImportFailed) as info:
        parse("\\lx zatok\n\\gn nhà\n", source="nobody")
    assert str(info.value).startswith('unknown source "nobody"; use a source key from '
                                      "data/languages.toml (nhomthu, peiros2004)")


def test_a_file_without_records():
    assert problems("\\_sh v3.0 MDF\n") == [
        "no \\lx record found; in a Toolbox/MDF file every entry starts with a \\lx line"]


def test_looks_like_mdf():
    assert looks_like_mdf("\\lx zatok\n\\gn nhà")
    assert looks_like_mdf("\n  \n\\_sh v3.0")
    assert not looks_like_mdf("\\lxzatok\n")
    assert not looks_like_mdf("headword,vietnamese\n\\lx,x")
    assert not looks_like_mdf("")


def test_import_lexicon_reads_mdf_and_a_second_import_changes_nothing(app, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data = REPO_ROOT / "data"
    (data_dir / "parts_of_speech.toml").write_bytes((data / "parts_of_speech.toml").read_bytes())
    (data_dir / "languages.toml").write_text(
        (data / "languages.toml").read_text(encoding="utf-8") + '\n[[source]]\nkey = "nhomthu"'
        '\nlicense = "CC-BY-4.0"\ncitation = "Synthetic test source."\n', encoding="utf-8")
    path = tmp_path / "words.db"
    path.write_text(LEXICON, encoding="utf-8")
    for created, unchanged in ((3, 0), (0, 3)):  # extra data survives the JSON column as is
        with app.app_context(), get_db().Session() as s:
            report = import_lexicon(s, path, "hre", data_dir=data_dir, source="nhomthu")
        assert report.format == "mdf"
        assert (report.created, report.unchanged) == (created, unchanged)
    with app.app_context(), get_db().Session() as s:
        homographs = s.execute(select(Entry.source_key, Entry.homograph)
                               .order_by(Entry.source_key)).all()
    assert homographs == [("nhomthu:bơ̆nxa", None), ("nhomthu:zatok#1", 1),
                          ("nhomthu:zatok#2", 2)]
