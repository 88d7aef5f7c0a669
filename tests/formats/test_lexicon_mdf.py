r"""Reading Toolbox/MDF lexicons: records, senses, examples, variants, homographs, the
markers kept in ``extra``, and every problem with its line.

Hrê/Co tokens in the fixtures (``zatok``, ``bơ̆nxa``, ``kelop``) are made up.
"""
from __future__ import annotations

import re

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


def test_senses_without_vietnamese_gloss_are_one_warning_not_problems():
    text = "\\lx zatok\n\\ge house\n\n\\lx kelop\n\\sn 1\n\\gn đẹp\n\\sn 2\n\\ge pretty\n"
    warnings: list = []
    zatok, kelop = parse_mdf(text, source="nhomthu", sources=SOURCES, parts_of_speech=POS,
                             warnings=warnings)
    assert [s.gloss_vi for s in zatok.senses + kelop.senses] == ["", "đẹp", ""]
    assert [str(w) for w in warnings] == [
        'line 1, column "\\gn": 2 senses have no Vietnamese gloss (no \\gn field; on lines '
        "1, 7): their entries are imported as drafts, listed under Quality → without a "
        "Vietnamese gloss, and can be published once they have a sense with a Vietnamese "
        "gloss"]


def test_every_problem_is_listed_with_line_and_marker():
    text = "\n".join([
        "\\ge stray",                 # 1 before any record
        "\\lx zatok",                 # 2
        "\\ps thing",                 # 3 unknown part of speech: a warning, not a problem
        "\\gn nhà",                   # 4
        "\\xn không có ví dụ",        # 5 translation without example
        "\\hm one",                   # 6 bad homograph number
        "\\lx zatok",                 # 7 duplicate key
        "\\ps n",                     # 8
        "\\ps v",                     # 9 a second part of speech: accepted
        "\\gn nh\ue000à",             # 10 private-use character (a legacy font)
        "\\va " + "z" * 201,          # 11 too long
        "\\lx",                       # 12 empty headword
        "\\gn x",                     # 13
        "\\xv z\x1atok\u200b",        # 14 stray control and invisible characters: removed
    ])
    found = problems(text)
    assert found[0] == 'line 1, column "\\ge": a \\ge field before the first \\lx record; ' \
                       "every entry starts with a \\lx line"
    assert [f.split(":")[0] for f in found] == [
        'line 1, column "\\ge"', 'line 5, column "\\xn"', 'line 6, column "\\hm"',
        'line 7, column "\\lx"', 'line 10, column "\\gn"', 'line 11, column "\\va"',
        'line 12, column "\\lx"']
    assert found[3].endswith('duplicate record: "zatok" is also on line 2; number '
                             "homographs with \\hm 1, \\hm 2, …")
    assert "contains a private-use character (U+E000)" in found[4]
    assert found[5].endswith("201 characters; at most 200 fit")
    assert found[6].endswith("empty headword")


def test_what_does_not_stop_the_import_is_told_once_per_file():
    text = "\n".join([
        "\\lx zatok", "\\ps thing", "\\gn nhà",                        # 1-3
        "\\lx kelop", "\\ps thing", "\\gn đẹp\x7f",                    # 4-6
        "\\lx bơ̆nxa", "\\ps n", "\\sn 1", "\\gn một", "\\sn 2",        # 7-11
        "\\ps v", "\\gn hai", "\\xv z\x1atok\u200b", "\\sn 3", "\\ge",  # 12-16
    ])
    warnings: list = []
    zatok, kelop, bonxa = parse_mdf(text, source="nhomthu", sources=SOURCES,
                                    parts_of_speech=POS, warnings=warnings)
    assert (zatok.part_of_speech, zatok.extra) == (None, {"ps": "thing"})
    assert kelop.senses[0].gloss_vi == "đẹp"
    assert bonxa.part_of_speech == "noun"
    assert [(s.gloss_vi, s.extra) for s in bonxa.senses] == [("một", {}),
                                                             ("hai", {"ps": "verb"})]
    assert bonxa.senses[1].examples == [("ztok", "")]
    assert [str(w) for w in warnings] == [
        "line 15: 1 empty sense (a \\sn with nothing filled in after it, as a Toolbox "
        "template leaves it; on line 15) not imported",
        'line 7, column "\\ps": the senses of 1 record have different parts of speech (on '
        'line 7): the entry takes the first, each other sense keeps its own in its data ("ps")',
        'line 2, column "\\ps": 1 part of speech is not in data/parts_of_speech.toml: "thing" '
        "(2 times, first on line 2). The entries keep the text as written (in their data, "
        '"ps") and have no part of speech; add these to data/parts_of_speech.toml (as aliases '
        "of a part of speech) and import again to set it",
        "line 6: 2 fields hold control or invisible characters (U+007F, U+001A, U+200B; on "
        "lines 6, 14): removed"]


def test_subentries_are_entries_of_their_own_with_stable_keys():
    long = "kelop " * 30
    text = ("\\lx zatok\n\\hm 2\n\\ps n\n\\gn nhà\n\\se zatok kelop\n\\ps v\n\\gn xây nhà\n"
            "\\xv zatok kelop tơ\n\\xn xây nhà đẹp\n\\va zatôk kelop\n\\se \n\\ge\n"
            f"\\se {long}\n\\gn nhà đẹp lắm\n\\dt 12/Mar/2024\n")
    main, first, second = parse(text)
    assert [e.line for e in (main, first, second)] == [1, 5, 13]
    assert (main.source_key, main.extra) == ("nhomthu:zatok#2", {
        "dt": "12/Mar/2024", "subentries": ["zatok kelop", long.strip()]})
    assert [(s.gloss_vi, s.gloss_en) for s in main.senses] == [("nhà", None)]
    assert (first.source_key, first.part_of_speech, first.variants) == (
        "nhomthu:zatok#2/se:zatok kelop", "verb", [("zatôk kelop", "spelling", None)])
    assert [(s.gloss_vi, s.gloss_en, s.examples) for s in first.senses] == [
        ("xây nhà", None, [("zatok kelop tơ", "xây nhà đẹp")])]  # (an empty \se: no entry)
    assert first.extra == {"subentry_of": "zatok", "dt": "12/Mar/2024"}
    assert len(second.source_key) == 120 and second.source_key.startswith(
        "nhomthu:zatok#2/se:kelop kelop") and re.search(r"~[0-9a-f]{8}$", second.source_key)


def test_a_subentry_without_a_form_does_not_give_its_fields_to_another():
    assert problems("\\lx zatok\n\\gn nhà\n\\se\n\\gn mái nhà\n") == [
        'line 3, column "\\se": a subentry with no form, but fields follow it; write the '
        "subentry's form after the marker, or delete its fields"]


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
