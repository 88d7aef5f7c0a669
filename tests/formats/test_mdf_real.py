r"""Real Toolbox/MDF files import as linguists have them (issue 14): ``MDFSampl.db`` (SIL's
MDF sample, Selaru, Windows-1252 with CRLF, ``\gn`` in Indonesian, ``\se`` subentries,
several ``\ps`` per record, empty template fields) and ``iu_mien_samp.db`` (MDF's alternate
hierarchy, ``\ps`` under ``\sn``, Chinese ``\gn``), read in place from
``../shared/data/realdata/`` (never copied into the project), plus the one-record
reproductions of the problems they had; and the marker mapping and its files.

These files are test data only, imported into a throw-away database under the language
code ``hre`` because the importer needs one of ours; none of it is Hrê.
"""
from __future__ import annotations

import re

import pytest
from conftest import make_data_dir
from realdata import REALDATA
from sqlalchemy import func, select

from dictionary import REPO_ROOT
from dictionary.curation.importer import import_lexicon
from dictionary.db import get_db
from dictionary.formats import parse_lexicon
from dictionary.formats.mdf_in import parse_mdf
from dictionary.formats.mdf_markers import DEFAULT_MARKERS, MEANINGS, load_marker_file
from dictionary.formats.records import ImportFailed, ImportMapping
from dictionary.formats.text import decode_lexicon
from dictionary.models import DRAFT, Entry, Example, Sense, Variant
from dictionary.parts_of_speech import load_parts_of_speech

POS = load_parts_of_speech(REPO_ROOT / "data")
SOURCE = "mdfsample"
INDONESIAN = ImportMapping(markers={"gn": "gloss:id"})
CHINESE = ImportMapping(markers={"gn": "gloss:zh", "dn": "definition:zh",
                                 "xn": "translation:zh"})


@pytest.fixture
def data_dir(tmp_path):
    """The real catalog with the MDF sample's source declared, as a linguist would."""
    d = make_data_dir(tmp_path)
    with (d / "languages.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[[source]]\nkey = "{SOURCE}"\nlicense = "Apache-2.0"\n'
                'citation = "SIL MDF sample data, via the NLTK Toolbox corpus."\n')
    return d


def run(app, data_dir, name: str, **options):
    with app.app_context(), get_db().Session() as s:
        return import_lexicon(s, REALDATA / name, "hre", data_dir=data_dir, source=SOURCE,
                              **options)


def stored(app) -> tuple[int, int, int, int]:
    with app.app_context(), get_db().Session() as s:
        return tuple(s.scalar(select(func.count(model.id)))
                     for model in (Entry, Sense, Example, Variant))


def in_source(name: str) -> tuple[int, int, int]:
    r"""Records, ``\se`` subentries and filled ``\xv`` examples, counted on the file's
    lines (the file is read as Latin-1: only ASCII markers are counted)."""
    text = (REALDATA / name).read_bytes().decode("latin-1")
    count = [len(re.findall(pattern, text, re.M))
             for pattern in (r"^\\lx ", r"^\\se ", r"^\\xv[ \t]*\S")]
    return count[0], count[1], count[2]


def by_headword(app) -> dict[str, Entry]:
    with app.app_context(), get_db().Session() as s:
        entries = s.scalars(select(Entry)).all()
        for e in entries:  # loaded while the session is open
            _ = [(x.examples, x.extra) for x in e.senses], e.variants
        s.expunge_all()
    return {e.source_key.removeprefix(f"{SOURCE}:"): e for e in entries}


def test_the_mdf_sample_imports_with_its_subentries_senses_and_examples(app, data_dir):
    records, subentries, examples = in_source("MDFSampl.db")
    assert (records, subentries, examples) == (57, 7, 88)
    report = run(app, data_dir, "MDFSampl.db", mapping=INDONESIAN)
    assert (report.format, report.encoding, report.created) == ("mdf", "cp1252", 64)
    # 57 records with 68 senses (9 records have two or three) and 7 subentries of one sense
    assert stored(app) == (records + subentries, 75, examples, 7)
    entries = by_headword(app)
    assert {e.status for e in entries.values()} == {DRAFT}  # no Vietnamese gloss in it
    # Windows-1252 text came out right: "±" in a note, "Ø" (no plural) kept as it was
    assert "it is ʼ±-aʼ, but" in entries["-a#2"].note  # (apostrophes made canonical)
    assert ["pdv", "Ø"] in entries["ahw"].extra["mdf"]
    encoding = report.warnings[0]
    assert encoding.line == 65 and "read as Windows-1252 (cp1252)" in encoding.message
    assert report.samples[0] == (
        65, "\\nt It was explained that if the OBJ is there it is '\ufffd-a', but if the "
        "OBJ is not", "\\nt It was explained that if the OBJ is there it is '±-a', but if "
        "the OBJ is not")


def test_the_mdf_sample_subentries_are_entries_and_glosses_stay_where_they_are(app, data_dir):
    run(app, data_dir, "MDFSampl.db", mapping=INDONESIAN)
    entries = by_headword(app)
    sima = entries["sima"]
    assert sima.extra["subentries"] == ["simake kekewanke", "simake klarake",
                                        "simake lema narnarw", "simake nelnyely", "simake eras"]
    assert [(x.gloss_en, x.extra["glosses"]) for x in sima.senses] == [
        ("hand; arm", {"id": "tangan"}), ("souvenir; gift", {"id": "oleh-oleh; buat_tangan"})]
    wrist = entries["sima/se:simake kekewanke"]
    assert (wrist.headword, wrist.extra["subentry_of"], wrist.extra["dt"]) == (
        "simake kekewanke", "sima", sima.extra["dt"])
    assert [(x.gloss_en, x.extra["glosses"]) for x in wrist.senses] == [
        ("wrist", {"id": "pergelangan tangan"})]
    phrase = entries["ahwahw/se:mata ahwahw"]
    assert phrase.part_of_speech is None and phrase.extra["ps"] == "ph"
    # several \ps in one record: the entry takes the first, the other sense keeps its own
    adar = entries["adar"]
    assert adar.part_of_speech == "noun"
    assert [(x.gloss_en, x.extra.get("ps")) for x in adar.senses] == [
        ("statue", None), ("pray", "verb")]
    assert adar.variants and adar.variants[0].form == "mwadar"
    again = run(app, data_dir, "MDFSampl.db", mapping=INDONESIAN)  # the keys are stable
    assert (again.created, again.unchanged) == (0, 64)


def test_the_subentry_merge_reproduction_gives_three_entries(app, data_dir):
    report = run(app, data_dir, "repro/subentry_merge.db")
    assert report.created == 3
    entries = by_headword(app)
    assert sorted(entries) == ["sima", "sima/se:simake kekewanke", "sima/se:simake klarake"]
    assert [(x.gloss_en, x.gloss_vi) for x in entries["sima"].senses] == [
        ("hand", "tangan"), ("souvenir", "oleh-oleh")]
    assert [(x.gloss_en, x.gloss_vi) for x in entries["sima/se:simake klarake"].senses] == [
        ("palm", "telapak tangan")]


def test_the_empty_template_sense_reproduction_gives_one_sense(app, data_dir):
    report = run(app, data_dir, "repro/empty_template_sense.db")
    assert report.created == 1 and stored(app)[:2] == (1, 1)
    assert [w.line for w in report.warnings] == [7]
    assert "1 empty sense" in report.warnings[0].message
    (zatok,) = by_headword(app).values()
    assert [(x.gloss_en, x.gloss_vi) for x in zatok.senses] == [("house", "nhà")]


def test_the_alternate_hierarchy_imports_with_a_part_of_speech_per_sense(app, data_dir):
    report = run(app, data_dir, "iu_mien_samp.db", mapping=CHINESE)
    assert (report.created, report.encoding) == (5, "utf-8")
    records, _, examples = in_source("iu_mien_samp.db")
    assert (records, examples) == (5, 8)
    assert stored(app)[:3] == (records, 8, examples)  # a \sn each, all with something in it
    entries = by_headword(app)
    caangv = entries["caangv"]
    assert caangv.part_of_speech == "verb"
    first = caangv.senses[0]
    assert (first.gloss_en, first.definition, first.extra["glosses"], first.extra["definitions"],
            first.extra["translations"]) == (
        None, "two parties fight each other", {"zh": "抢"}, {"zh": "双方争夺"},
        {"zh": [["~ jouh", "抢球"]]})
    assert [(x.text, x.translation_vi) for x in first.examples] == [("~ jouh", "")]
    ceuv = entries["ceuv"]  # sense 1 has an empty \ps, sense 2 \ps vobj (not in our list)
    assert (ceuv.part_of_speech, ceuv.extra["ps"]) == (None, "vobj")
    unknown = next(w for w in report.warnings if w.column == "\\ps")
    assert '"vobj" (2 times, first on line 98)' in unknown.message


def test_marker_files_are_read_and_their_mistakes_named_by_line():
    assert load_marker_file('# Selaru\n[markers]\ngn = "gloss:id"\n"\\\\ph" = "Phonetic"\n'
                            "xp = 'ignore'\nw = \"headword\"\n") == {
        "gn": "gloss:id", "ph": "phonetic", "xp": "ignore", "w": "headword"}
    cases = {
        '[markers]\ngn = "gloss:id"\ngn2 = gloss\n':
            ["the marker file is not valid TOML: Invalid value (at line 3, column 7); write "
             'one line per marker under [markers], such as gn = "gloss:id"'],
        '[markers]\ngn = "gloss:id"\nxp = "glossary"\nge = "gloss"\nsd = 3\n': [
            'line 3: marker "xp": unknown meaning "glossary"; a marker can hold: '
            + ", ".join(MEANINGS),
            'line 4: marker "ge": "gloss" needs a language: gloss:vi, gloss:en or '
            "gloss:<code> (such as gloss:id)",
            'line 5: marker "sd": the meaning must be text in quotes, such as "gloss:id"; '
            "found 3"],
        '[markers]\ngn = "gloss:Bahasa Indonesia"\n': [
            'line 2: marker "gn": "Bahasa Indonesia" in "gloss:Bahasa Indonesia" is not a '
            "language code (such as vi, en, id, zh, qaa-x-hre)"],
        'gn = "gloss:id"\n': [
            'line 1: "gn" is not part of a marker file; it holds one table, [markers], with '
            'one line per marker such as gn = "gloss:id"',
            "the marker file has no [markers] table; write [markers] on its first line, then "
            'one line per marker such as gn = "gloss:id"'],
        '[markers]\nw = "headword"\nlex = "headword"\n': [
            "line 3: \\w, \\lex are all mapped to headword; only one marker starts the records"],
        '[markers]\nlx = "keep"\n': [
            'no marker holds the headword: map the marker that starts each record to '
            '"headword" (in MDF, lx)'],
    }
    for text, expected in cases.items():
        with pytest.raises(ImportFailed) as failed:
            load_marker_file(text)
        assert [str(e) for e in failed.value.errors] == expected, text


def test_a_mapping_moves_markers_and_a_bad_one_is_refused():
    text = ("\\_sh v3.0  400  MDF 4.0\n\\w kelop\n\\ph kə.lop\n\\gr cantik\n\\gn đẹp\n"
            "\\xp x\n\\se kelop kelop\n\\gn rất đẹp\n")
    mapping = ImportMapping(markers={"w": "headword", "gr": "gloss:id", "xp": "ignore",
                                     "se": "keep"})
    (entry,) = parse_mdf(text, source="s", sources={"s": {}}, parts_of_speech=POS,
                         mapping=mapping)
    assert (entry.headword, entry.pronunciation, entry.source_key) == ("kelop", "kə.lop",
                                                                       "s:kelop")
    assert entry.senses[0].extra == {"glosses": {"id": "cantik"}}
    assert entry.senses[0].gloss_vi == "đẹp; rất đẹp"
    assert entry.extra == {"mdf": [["se", "kelop kelop"]]}
    assert DEFAULT_MARKERS["ph"] == "phonetic" and DEFAULT_MARKERS["se"] == "subentry"
    with pytest.raises(ImportFailed) as failed:
        parse_mdf(text, source="s", sources={"s": {}}, parts_of_speech=POS,
                  mapping=ImportMapping(markers={"gr": "gloss", "w": "headword",
                                                 "lx": "headword"}))
    assert [str(e) for e in failed.value.errors] == [
        "marker mapping gr = 'gloss': \"gloss\" needs a language: gloss:vi, gloss:en or "
        "gloss:<code> (such as gloss:id)",
        "\\lx, \\w are all mapped to headword; only one marker starts the records"]


def test_toolbox_files_get_toolbox_advice_and_tables_keep_theirs():
    # a UTF-8 file with one line in Windows-1252: that line alone is converted
    data = "\\lx caf\u00e9\n\\gn 吵\n".encode("utf-8").replace(b"\xc3\xa9", b"\xe9")
    decoded = decode_lexicon(data)
    assert (decoded.text, decoded.encoding) == ("\\lx café\n\\gn 吵\n", "utf-8+cp1252")
    parsed = parse_lexicon(data, sources={"s": {}}, parts_of_speech=POS, source="s")
    assert parsed.encoding == "utf-8+cp1252" and "(the other lines are UTF-8)" in str(
        parsed.warnings[0])
    # a BOM does not stop it either
    assert decode_lexicon(b"\xef\xbb\xbf" + data).text == "\\lx café\n\\gn 吵\n"
    utf16 = "\\_sh v3.0\n\\lx zatok\n".encode("utf-16-le")
    with pytest.raises(ImportFailed) as failed:
        decode_lexicon(utf16)
    assert "CSV UTF-8" not in str(failed.value)
    assert "a Toolbox database must be plain text in UTF-8" in str(failed.value)
    with pytest.raises(ImportFailed) as failed:
        decode_lexicon(b"headword,vietnamese\nzatok,nh\xe0\n")
    assert "CSV UTF-8" in str(failed.value)
