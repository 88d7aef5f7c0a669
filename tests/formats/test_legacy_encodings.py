"""Legacy Vietnamese font encodings (TCVN3/ABC, VNI-Windows) → Unicode, and their detection
on import (``dictionary.formats.legacy_encodings`` wired into ``formats.text.decode_lexicon``).

Hrê/Co-like tokens here (``zatok``, ``bimlu``, ``ʼbŏk kơ̆ng``) are made up, not real words.
"""
from __future__ import annotations

import codecs
import unicodedata

import pytest

from dictionary import REPO_ROOT
from dictionary.formats.legacy_encodings import (
    LETTERS,
    TCVN3,
    VNI,
    convert,
    decode_legacy_bytes,
    detect,
    encode,
    fix_legacy_text,
)
from dictionary.formats.text import ImportFailed, decode_lexicon, read_table

TONED = frozenset("\u0300\u0301\u0303\u0309\u0323")


def cp1252(text: str) -> bytes:
    return text.encode("cp1252")


# ---- the tables ------------------------------------------------------------------------------
def test_letters_are_the_134_precomposed_vietnamese_letters():
    assert len(LETTERS) == len(set(LETTERS)) == 134
    assert all(unicodedata.normalize("NFC", ch) == ch and len(ch) == 1 for ch in LETTERS)
    lower = [ch for ch in LETTERS if ch.islower()]
    assert len(lower) == 67 and set(LETTERS) == set(lower) | {ch.upper() for ch in lower}
    assert set(TCVN3) == set(LETTERS)
    assert set(VNI) == set(LETTERS) - set("ìíÌÍ")  # VNI writes these as themselves


@pytest.mark.parametrize("letter", LETTERS)
def test_every_letter_round_trips_through_vni(letter):
    legacy = encode(letter, "vni")
    assert legacy.encode("cp1252")  # a Windows-1252 string, i.e. legacy bytes
    assert convert(legacy, "vni") == letter
    assert convert("X" + legacy + "Y", "vni") == "X" + letter + "Y"


@pytest.mark.parametrize("letter", LETTERS)
def test_every_letter_round_trips_through_tcvn3(letter):
    legacy = encode(letter, "tcvn3")
    assert len(legacy) == 1 and 0xA1 <= ord(legacy) <= 0xFE
    toned_upper = letter.isupper() and bool(TONED & set(unicodedata.normalize("NFD", letter)))
    # TCVN3 (VN3) has no code for an uppercase toned letter: .VnTimeH draws the lowercase
    # code in capitals. Alone it reads as lowercase; in an all-caps word as uppercase.
    assert convert(legacy, "tcvn3") == (letter.lower() if toned_upper else letter)
    assert convert("TH" + legacy + "NG", "tcvn3") == "TH" + letter.upper() + "NG"
    if not toned_upper:
        assert convert("x" + legacy + "y", "tcvn3") == "x" + letter + "y"


def test_tcvn3_codes_are_distinct():
    lowercase_codes = [TCVN3[ch] for ch in LETTERS if ch.islower()]
    assert len(set(lowercase_codes)) == 67
    assert {TCVN3[ch] for ch in "ĂÂÊÔƠƯĐ"} == {chr(b) for b in range(0xA1, 0xA8)}


# Byte values hard-coded from published tables, not from our own:
# * TCVN3: BoGo engine, github.com/cmpitg/bogoengine src/charset.hpp (``utf8ToTCVN3``), and
#   UniKey VnConv, github.com/vn-input/ibus-unikey ukengine/data.cpp (``SingleByteTables``,
#   TCVN3 row) — the two agree.
TCVN3_PUBLISHED = {
    "à": 0xB5, "á": 0xB8, "ả": 0xB6, "ã": 0xB7, "ạ": 0xB9, "ă": 0xA8, "ắ": 0xBE, "ặ": 0xC6,
    "â": 0xA9, "ấ": 0xCA, "ậ": 0xCB, "é": 0xD0, "ẹ": 0xD1, "ê": 0xAA, "ế": 0xD5, "ệ": 0xD6,
    "ì": 0xD7, "í": 0xDD, "ị": 0xDE, "ó": 0xE3, "ọ": 0xE4, "ô": 0xAB, "ố": 0xE8, "ộ": 0xE9,
    "ơ": 0xAC, "ớ": 0xED, "ợ": 0xEE, "ú": 0xF3, "ụ": 0xF4, "ư": 0xAD, "ứ": 0xF8, "ự": 0xF9,
    "ý": 0xFD, "ỵ": 0xFE, "đ": 0xAE, "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5,
    "Ư": 0xA6, "Đ": 0xA7, "Ấ": 0xCA,  # uppercase toned: the lowercase code (BoGo, UniKey)
}
# * VNI-Windows: UniKey VnConv ukengine/data.cpp (``DoubleByteTables``, VNI-WIN row; each
#   entry is a 16-bit word, low byte = base letter, high byte = mark), cross-checked with
#   xvnkb, github.com/lamdao/xvnkb vni.h.
VNI_PUBLISHED = {
    "á": 0xF961, "à": 0xF861, "ả": 0xFB61, "ã": 0xF561, "ạ": 0xEF61, "â": 0xE261,
    "ấ": 0xE161, "ậ": 0xE461, "ă": 0xEA61, "ắ": 0xE961, "ẵ": 0xFC61, "ặ": 0xEB61,
    "ệ": 0xE465, "ỉ": 0x00E6, "ĩ": 0x00F3, "ị": 0x00F2, "ơ": 0x00F4, "ợ": 0xEFF4,
    "ư": 0x00F6, "ự": 0xEFF6, "Ự": 0xCFD6, "ỷ": 0xFB79, "ỵ": 0x00EE, "Ỵ": 0x00CE,
    "đ": 0x00F1, "Đ": 0x00D1, "Ă": 0xCA41, "Ớ": 0xD9D4, "Ễ": 0xC345,
}


@pytest.mark.parametrize("letter, code", TCVN3_PUBLISHED.items())
def test_tcvn3_matches_published_table(letter, code):
    assert encode(letter, "tcvn3").encode("cp1252") == bytes([code])
    expected = letter.lower() if letter == "Ấ" else letter
    data = b"C\xe9ng \xae\xe5ng d\xa9n t\xe9c v\xb5 " + bytes([code])
    assert decode_legacy_bytes(data) == (f"Cộng đồng dân tộc và {expected}", "tcvn3")


@pytest.mark.parametrize("letter, word", VNI_PUBLISHED.items())
def test_vni_matches_published_table(letter, word):
    low, high = word & 0xFF, word >> 8
    legacy = bytes([low, high]) if high else bytes([low])
    assert encode(letter, "vni").encode("cp1252") == legacy
    assert convert(legacy.decode("cp1252"), "vni") == letter


def test_vni_marks_in_either_case_and_lenient_y_dot():
    assert convert("VIEÄT NAM, Vieät, VIEäT", "vni") == "VIỆT NAM, Việt, VIỆT"
    assert convert("yï", "vni") == "ỵ"


def test_convert_keeps_punctuation_and_unicode_words():
    # 0x93/0x94 (curly quotes) are not TCVN3 letters and keep their Windows-1252 meaning
    text = decode_legacy_bytes(b"\x93C\xe9ng \xae\xe5ng\x94 - d\xa9n t\xe9c, 12 n\xa8m")
    assert text == ("“Cộng đồng” - dân tộc, 12 năm", "tcvn3")
    # a word with a character outside Windows-1252 is genuine Unicode: untouched
    assert convert("Céng ®ång ʼb¸ kơ̆ng ŋæ", "tcvn3") == "Cộng đồng ʼb¸ kơ̆ng ŋæ"
    assert convert("Coäng ñoàng ʼboä", "vni") == "Cộng đồng ʼboä"


def test_unknown_encoding():
    with pytest.raises(ValueError, match="unknown legacy encoding"):
        convert("x", "viscii")


# ---- detection -------------------------------------------------------------------------------
PARAGRAPH = ("Người Hrê sống chủ yếu ở huyện Ba Tơ, Minh Long, Sơn Hà và Sơn Tây của tỉnh "
             "Quảng Ngãi. Từ điển này giúp cán bộ, công chức học tiếng nói của đồng bào.")


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_detects_legacy_bytes(encoding):
    data = cp1252(encode(PARAGRAPH, encoding))
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert decode_legacy_bytes(data) == (PARAGRAPH, encoding)


@pytest.mark.parametrize("mojibake, encoding, text", [
    ("Céng ®ång d©n téc", "tcvn3", "Cộng đồng dân tộc"),
    ("Coäng ñoàng daân toäc", "vni", "Cộng đồng dân tộc"),
    ("Ng\xadêi Hrª sèng ë huyÖn Ba T¬", "tcvn3", "Người Hrê sống ở huyện Ba Tơ"),
    ("Ngöôøi Hreâ soáng ôû huyeän Ba Tô", "vni", "Người Hrê sống ở huyện Ba Tơ"),
    ("TH¸NG M¦êI, n¨m häc", "tcvn3", "THÁNG MƯỜI, năm học"),
    ("THAÙNG MÖÔØI, naêm hoïc", "vni", "THÁNG MƯỜI, năm học"),
])
def test_detects_utf8_mojibake(mojibake, encoding, text):
    assert detect(mojibake) == encoding
    assert fix_legacy_text(mojibake) == (text, encoding)
    # the same text arriving as bytes
    assert decode_legacy_bytes(cp1252(mojibake)) == (text, encoding)


@pytest.mark.parametrize("text", [
    PARAGRAPH,
    "Tôi là người Việt Nam. Hôm nay trời đẹp quá, chúng tôi đi chơi ở công viên và ăn kem.",
    "Hoà bình, khoẻ mạnh, toà nhà, hoá học, có không, là và, ý kiến, bé nhỏ",
    unicodedata.normalize("NFD", PARAGRAPH),
    "The café served a naïve résumé of the façade; Zoë flew to São Paulo.",
    "Le dictionnaire a été créé à l'université; où est la clé? Ça dépend des élèves.",
    "plain ASCII English text with no accents at all, and some more words",
    "ʼbŏk kơ̆ng, ʼbăh ê̆t, tŏk ĕm kơ̆ ʼnŏ, zatok bimlu",
    "ŋɔː, ɲɛt, ʔəː, kaŋ.L, pʰaːp, ŋit",
    "",
])
def test_does_not_fire_on_unicode_english_or_transcription(text):
    assert detect(text) is None
    assert fix_legacy_text(text) is None
    if all(ch in "".join(map(chr, range(256))) for ch in text):
        assert decode_legacy_bytes(text.encode("latin-1")) is None


@pytest.mark.parametrize("name", ["hre_starter.csv", "cua_starter.csv", "vietnamese_concepts.csv"])
def test_does_not_fire_on_the_bundled_lexicons(name):
    text = (REPO_ROOT / "data" / name).read_text(encoding="utf-8")
    assert detect(text) is None


def test_needs_more_than_one_word():
    assert detect("Vieät") is None and detect("ViÖt Nam") is None


# ---- end to end: decode_lexicon --------------------------------------------------------------
ROWS = [("zatok", "ngôi nhà", "nhomthu"), ("bimlu", "cây lúa", "nhomthu"),
        ("kipoh", "con chó", "nhomthu"), ("tamir", "dân tộc", "nhomthu"),
        ("rungo", "đồng ruộng", "nhomthu"), ("bolat", "người Hrê", "nhomthu"),
        ("sipam", "ăn cơm", "nhomthu")]
UNICODE_CSV = "headword,vietnamese,source\n" + "".join(f"{h},{v},{s}\n" for h, v, s in ROWS)


def legacy_csv(encoding: str) -> str:
    return "headword,vietnamese,source\n" + "".join(
        f"{h},{encode(v, encoding)},{s}\n" for h, v, s in ROWS)


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_decode_lexicon_legacy_bytes(encoding):
    legacy = legacy_csv(encoding)
    decoded = decode_lexicon(cp1252(legacy).replace(b"\n", b"\r\n"))
    assert decoded.encoding == encoding
    assert decoded.text.replace("\r\n", "\n") == UNICODE_CSV
    original, converted = legacy.splitlines(), UNICODE_CSV.splitlines()
    assert decoded.samples == [(n, original[n - 1], converted[n - 1]) for n in range(2, 7)]
    assert decoded.samples[0] == (2, f"zatok,{encode('ngôi nhà', encoding)},nhomthu",
                                  "zatok,ngôi nhà,nhomthu")
    table = read_table(decoded.text, lambda name: name in {"headword", "vietnamese", "source"})
    assert [row.cells[1] for row in table.rows] == [v for _, v, _ in ROWS]


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
@pytest.mark.parametrize("codec, name", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                         ("utf-16", "utf-16")])
def test_decode_lexicon_unicode_mojibake(encoding, codec, name):
    decoded = decode_lexicon(legacy_csv(encoding).encode(codec))
    assert decoded.encoding == f"{name}+{encoding}"
    assert decoded.text == UNICODE_CSV
    assert [n for n, _, _ in decoded.samples] == [2, 3, 4, 5, 6]
    assert decoded.samples[-1] == (6, f"rungo,{encode('đồng ruộng', encoding)},nhomthu",
                                   "rungo,đồng ruộng,nhomthu")


def test_decode_lexicon_leaves_unicode_alone():
    decoded = decode_lexicon(UNICODE_CSV.encode("utf-8"))
    assert (decoded.text, decoded.encoding, decoded.samples) == (UNICODE_CSV, "utf-8", [])
    bom = decode_lexicon(codecs.BOM_UTF8 + UNICODE_CSV.encode("utf-8"))
    assert (bom.text, bom.encoding, bom.samples) == (UNICODE_CSV, "utf-8-sig", [])


def test_decode_lexicon_still_refuses_other_single_byte_text():
    data = cp1252("headword,vietnamese,source\nzatok,été créé à côté,nhomthu\n")
    with pytest.raises(ImportFailed) as info:
        decode_lexicon(data)
    assert str(info.value).startswith("line 2: not valid UTF-8 (byte 0xE9 at column 7")
