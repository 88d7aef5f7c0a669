"""Text rules: storage form, search keys, Telex/VNI, orthography files, ICU collation."""
from __future__ import annotations

import csv
import random
import unicodedata
from pathlib import Path

import pytest

from dictionary import REPO_ROOT
from search_index import collation, normalize
from search_index.normalize import APOSTROPHE, Keys, clean, exact_key, keys, loose_key, toneless_key, words
from search_index.orthography import OrthographyError, Rules, load_rules
from search_index.typing_decode import decode_telex, decode_vni, typing_candidates

REPO = REPO_ROOT
RULES = load_rules(REPO / "data" / "orthography")
HRE, CUA, VI = RULES["hre"], RULES["cua"], RULES["vi"]
NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731


# --- clean ----------------------------------------------------------------------------
@pytest.mark.parametrize("raw, stored", [
    ("  Hà   Nội \n", "Hà Nội"),
    ("a\tb\r\nc\x0bd\u00a0e\u2028f", "a b c d e f"),
    ("nư\x00ớc\x07", "nước"),
    ("\ufeffđường\u200b", "đường"),               # BOM and zero-width space dropped
    ("e\u0301\u0302", "ế"),                        # tone typed before circumflex
    ("e\u0302\u0301", "ế"),
    ("a\u0301\u0306", "ắ"),
    ("o\u0300\u0306", "ŏ̀"),                       # no precomposed form: ŏ + grave
    ("o\u0306\u0300", "ŏ̀"),
    ("e\u0306\u0302", "ê̆"),                       # circumflex always inside the breve
    ("o\u0306\u031b", "ơ̆"),
    ("u\u031b\u0306", "ư̆"),
    ("diʔ.L  dɔŋ", "diʔ.L dɔŋ"),                   # IPA: only whitespace changes
    ("pʰaːp", "pʰaːp"),
    ("\u0301", ""),                                # lone combining mark
    ("\u0301\u0301abc \u0301x", "abc x"),
    ("", ""),
    ("   ", ""),
])
def test_clean(raw, stored):
    assert clean(raw) == stored


@pytest.mark.parametrize("old, new", [
    ("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("HOÀ BÌNH", "HÒA BÌNH"),
    ("Thuỷ", "Thủy"), ("uỷ ban", "ủy ban"), ("hoạ", "họa"), ("xoè", "xòe"), ("tuỳ", "tùy"),
    ("qúy", "quý"), ("gìa", "già"), ("hòa", "hòa"), ("thủy", "thủy"),
])
def test_tone_placement_canonical(old, new):
    assert clean(old) == new
    assert clean(NFD(old)) == new


@pytest.mark.parametrize("word", [
    "hoàng", "thuyền", "quý", "giữa", "khuỷu", "người", "thuyết", "ngoẻo", "gìn", "giếng",
    "thuở", "mía", "múa", "của", "quả", "hoặc", "tuần", "huỳnh", "khuya", "Nguyễn",
])
def test_tone_placement_leaves_correct_words(word):
    assert clean(word) == word
    assert clean(NFD(word)) == word


@pytest.mark.parametrize("word", [
    "ʔãm", "məhĩm", "túək", "ʔahnɛ̃ʔ", "ŏ̀k", "bơ̆̀", "ʼbà", "hoà2", "kh̀oa", "Hadròih", "gìà",
])
def test_non_vietnamese_marks_stay_where_typed(word):
    assert clean(word) == unicodedata.normalize("NFC", word)


@pytest.mark.parametrize("text", ["Tiếng Việt", "người Hrê", "ơ̆ ê̆ ŏ̀ ư̆", "khuỷu tay", "Đặng Thị Ý"])
def test_nfd_input_equals_nfc(text):
    assert clean(NFD(text)) == clean(text) == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("variant", ["'", "\u2019", "\u2018", "\u02bc", "\u2032", "`", "\u00b4", "\uff07"])
def test_apostrophes_unified(variant):
    assert clean(f"{variant}bơ̆k") == "\u02bcbơ̆k"
    assert APOSTROPHE == "\u02bc" and unicodedata.category(APOSTROPHE) == "Lm"


def test_combining_acute_is_not_an_apostrophe():
    assert clean("a\u0301") == "á"


def test_clean_is_idempotent_on_random_text():
    rng = random.Random(7)
    pool = "aeoud đơư\u0300\u0301\u0302\u0303\u0306\u0309\u0323\u031b'’ʼ ŋɔʔː.L\t\x00"
    for _ in range(500):
        s = "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))
        assert clean(clean(s)) == clean(s)


# --- keys -----------------------------------------------------------------------------
@pytest.mark.parametrize("text, key", [
    ("Hoà BÌNH", "hòa bình"), ("ĐƯỜNG", "đường"), ("Ŏ̀k", "ŏ̀k"), ("ʼBăh", "ʼbăh"),
])
def test_exact_key(text, key):
    assert exact_key(text) == key


@pytest.mark.parametrize("text, rules, key", [
    ("Người Việt", None, "ngươi viêt"),
    ("ắ ầ ễ ộ ợ ữ đà", None, "ă â ê ô ơ ư đa"),
    ("ŏ̀ ĕ́ ơ̆̀", None, "ŏ ĕ ơ̆"),
    ("kan.L", HRE, "kan"),
    ("deak.T", HRE, "deak"),
    ("pli.L nojh.L", HRE, "pli nojh"),
    ("kan.L", None, "kan.l"),                      # register marks are per language
    ("hoà", None, "hoa"),
])
def test_toneless_key(text, rules, key):
    assert toneless_key(text, rules) == key


def test_toneless_equal_for_old_and_new_placement():
    assert toneless_key("thuỷ") == toneless_key("thủy") == "thuy"
    assert exact_key("hoà") == exact_key("hòa")


@pytest.mark.parametrize("text, rules, key", [
    ("Đường", None, "duong"),
    ("ʼBăh", None, "bah"),
    ("nước Việt", None, "nuoc viet"),
    ("ŏ̀ ơ̆ ê̆", None, "o o e"),
    ("ŋit", HRE, "ngit"),
    ("pʰaːp", CUA, "phap"),
    ("rʌŋ", CUA, "rong"),
    ("ɟuːʔ", CUA, "ju"),
    ("ɗat ɓak", CUA, "dat bak"),
    ("kaʔnɔŋ.L", HRE, "kanong"),
    ("ɲoj", HRE, "nhoj"),
    ("sanɨm", CUA, "sanum"),
    ("ʔahnɛ̃ʔ", CUA, "ahne"),
    ("ŋit", None, "ŋit"),                         # IPA letters need the language's rules
])
def test_loose_key(text, rules, key):
    assert loose_key(text, rules) == key


@pytest.mark.parametrize("a, b, rules", [
    ("ŋit", "ngit", HRE),
    ("pʰaːp", "phap", CUA),
    ("kʰliək", "khliək", CUA),                    # Sidwell vs Peiros, same word
    ("pʌl", "pəl", CUA),
    ("hlʌʔ", "hlɔʔ", CUA),
    ("ɟuːʔ", "ʒuʔ", CUA),
    ("jəːt", "ʒət", CUA),
    ("đa", "da", None),
    ("ʼbăh", "băh", None),
])
def test_loose_keys_meet(a, b, rules):
    assert loose_key(a, rules) == loose_key(b, rules)


def test_kan_l_toneless_equals_kan():
    assert toneless_key("kan.L", HRE) == toneless_key("kan", HRE) == "kan"


def test_rule_replacement_longest_first_and_single_pass():
    rules = Rules("xx", "Test", (("a", "b"), ("b", "c"), ("ŋ", "n"), ("ŋʷ", "w")))
    assert loose_key("ab", rules) == "bc"          # output is never rescanned
    assert loose_key("ŋʷa ŋa", rules) == "wb nb"   # longest key wins whatever the order


def test_union_rules_are_order_independent():
    u1, u2 = Rules.union([HRE, CUA, VI]), Rules.union([VI, CUA, HRE])
    assert u1 == u2 and u1.lang == "cua+hre+vi"
    assert loose_key("pʰaːp ŋit kan.L", u1) == "phap ngit kan"


def test_keys_namedtuple():
    assert keys("Hoà", None) == Keys("hòa", "hoa", "hoa")
    assert keys("diʔ.L dɔŋ", HRE) == Keys(exact="diʔ.l dɔŋ", toneless="diʔ dɔŋ", loose="di dong")


# --- words ----------------------------------------------------------------------------
@pytest.mark.parametrize("text, tokens", [
    ("bơ̆k ŏ̀t ê̆ ư̆", ["bơ̆k", "ŏ̀t", "ê̆", "ư̆"]),
    ("'băh ’bơ̆", ["ʼbăh", "ʼbơ̆"]),
    # No query language: operators are plain text, punctuation separates words.
    ('nước AND (lửa OR "đất")* -gió ^2 ~ :x?', ["nước", "AND", "lửa", "OR", "đất", "gió", "2", "x"]),
    ("ramuːt pʰaːp ʔaŋuj", ["ramuːt", "pʰaːp", "ʔaŋuj"]),
    ("kan.L", ["kan", "L"]),
    ("AND OR ( ) * ? \" : ^ ~ -", ["AND", "OR"]),
    ("' ’ ‘", []),
    ("(\u0301a", ["a"]),
    ("", []),
])
def test_words(text, tokens):
    assert words(text) == tokens


def test_words_with_rules_drop_register_marks():
    assert words("pli.L nojh.L", HRE) == ["pli", "nojh"]


# --- hostile input --------------------------------------------------------------------
HOSTILE = [
    "", " ", "\u0301", "\u0301abc", "\u0301" * 2000, "a" * 2000, ("hoà ơ̆ " * 400)[:2000],
    "\x00\x01\x1f\x7f\x85", "\ud800", "\U0010ffff\ue000", "AND OR NOT ( ) * ? \" : ^ ~ -",
    "İstanbul ß ﬁ", "𝔸𝔹ℂ", "‮evil‬", "a\u200db", "x" * 2000, "tieengs " * 250, "9" * 2000,
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("rules", [None, HRE])
def test_hostile_input_never_raises(text, rules):
    assert isinstance(clean(text), str)
    assert clean(clean(text)) == clean(text)
    k = keys(text, rules)
    assert all(isinstance(x, str) for x in k)
    assert isinstance(words(text, rules), list)
    assert isinstance(typing_candidates(text), list)
    assert isinstance(collation.sort_key(text, rules), bytes)
    assert isinstance(collation.first_letter(text, rules), str)


def test_surrogates_and_controls_are_removed():
    assert clean("a\ud800b\x00c\u200dd") == "abcd"


# --- syllables, Telex, VNI ------------------------------------------------------------
@pytest.mark.parametrize("word, ok", [
    ("nghiêng", True), ("người", True), ("khuỷu", True), ("quý", True), ("giữa", True),
    ("gìn", True), ("xoong", True), ("kan", False), ("ci", False), ("ge", False),
    ("ngi", False), ("ă", False), ("ươ", False), ("xyzzy", False), ("ʼba", False), ("", False),
])
def test_is_syllable(word, ok):
    assert normalize.is_syllable(word) is ok


@pytest.mark.parametrize("typed, decoded", [
    ("tieengs", "tiếng"), ("dduwowngf", "đường"), ("nuwowcs", "nước"), ("vieetj nam", "việt nam"),
    ("hoaf", "hòa"), ("thuyr", "thủy"), ("khoer", "khỏe"), ("quys", "quý"), ("giuwax", "giữa"),
    ("nguoiwf", "người"), ("thuowr", "thuở"), ("nguyeenx", "nguyễn"), ("Hoaf Binhf", "Hòa Bình"),
    ("VIEETJ", "VIỆT"), ("tw", "tư"), ("muaw", "mưa"), ("an", "an"), ("2024", "2024"),
    ("xyzzyw", None), ("glaj", None), ("tieengss", None),
])
def test_decode_telex(typed, decoded):
    assert decode_telex(typed) == decoded


@pytest.mark.parametrize("typed, decoded", [
    ("tie6ng1", "tiếng"), ("d9u7o7ng2", "đường"), ("d9uo7ng2", "đường"), ("nu7o71c", "nước"),
    ("vie65t nam", "việt nam"), ("hoa2", "hòa"), ("thuy3", "thủy"), ("a8n", "ăn"),
    ("Tie6ng1 Vie65t", "Tiếng Việt"), ("tro", "tro"), ("covid19", None), ("a9", None),
])
def test_decode_vni(typed, decoded):
    assert decode_vni(typed) == decoded


@pytest.mark.parametrize("query, candidates", [
    ("tieengs", ["tiếng"]), ("tie6ng1", ["tiếng"]), ("dduwowngf", ["đường"]), ("nuwowcs", ["nước"]),
    ("vieetj nam", ["việt nam"]), ("hoaf", ["hòa"]), ("Hà Nooij", ["Hà Nội"]),
    ("an", []), ("ban", []), ("cha", []), ("tro", []), ("xyzzyw", []), ("kanhah", []),
    ("tiếng", []), ("ʼbaf", []), ("", []),
])
def test_typing_candidates(query, candidates):
    assert typing_candidates(query) == candidates


# --- collation ------------------------------------------------------------------------
VI_ORDER = ("a à á ă ắ â b c ch d đ e ê g gi h i k kh l m n ng nh o ô ơ p ph q qu r s t th "
            "tr u ư v x y").split()


def test_vietnamese_collation_order():
    shuffled = VI_ORDER[:]
    random.Random(3).shuffle(shuffled)
    assert sorted(shuffled, key=collation.sort_key_func(None)) == VI_ORDER
    assert sorted(shuffled) != VI_ORDER            # code point order is wrong (đ after z)


def test_tone_order():
    tones = "ma mà mả mã má mạ".split()
    assert sorted(reversed(tones), key=collation.sort_key_func(VI)) == tones


def test_sort_key_uses_storage_form():
    assert collation.sort_key("hoà") == collation.sort_key("hòa") == collation.sort_key(NFD("hòa"))


def test_ipa_letters_sort_next_to_their_base():
    assert collation.sorted_letters(["ŋ", "o", "ɔ", "n", "p", "e", "ɛ", "f", "ŋ"], HRE) == \
        ["e", "ɛ", "f", "n", "ŋ", "o", "ɔ", "p"]


@pytest.mark.parametrize("headword, rules, letter", [
    ("Ắt", None, "ă"), ("đường", None, "đ"), ("chó", None, "c"), ("ŏ̀k", None, "ŏ"),
    ("ŋit", HRE, "ŋ"), ("ɔk", HRE, "ɔ"), ("ʔaŋuj", CUA, "ʔ"), ("pʰaːp", CUA, "p"),
    ("ɛ̃ʔ", CUA, "ɛ"), ("«Ơ̆k»", None, "ơ̆"), ("", None, ""), ("…", None, ""),  # tilde = ngã, dropped
])
def test_first_letter(headword, rules, letter):
    assert collation.first_letter(headword, rules) == letter


def test_tailoring_contraction_makes_a_browse_letter_and_orders():
    rules = Rules("xx", "Test", tailoring="&b < ʼb <<< ʼB")
    assert collation.first_letter("ʼBăh", rules) == "ʼb"
    assert collation.first_letter("ʼBăh", None) == "ʼ"
    assert sorted(["c", "ʼbăh", "bơ", "a"], key=collation.sort_key_func(rules)) == ["a", "bơ", "ʼbăh", "c"]


def test_invalid_tailoring_is_an_orthography_error():
    with pytest.raises(OrthographyError, match="xx: collation.tailoring"):
        collation.sort_key("a", Rules("xx", "Test", tailoring="&a <<<< "))


# --- orthography files ----------------------------------------------------------------
def test_bundled_rule_files():
    assert sorted(RULES) == ["cua", "hre", "vi"]
    assert HRE.tone_marks == (".L", ".T") and set(HRE.ignorable) == {"ʔ", "ː"}
    assert ("ŋ", "ng") in HRE.equivalences and ("ʰ", "h") in CUA.equivalences
    assert HRE.tailoring == CUA.tailoring == VI.tailoring == ""
    assert VI.letters == ("ă", "â", "đ", "ê", "ô", "ơ", "ư")


@pytest.mark.parametrize("lang", ["hre", "cua"])
def test_keyboard_letters_come_from_the_data(lang):
    path = REPO / "data" / f"{lang}_starter.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        headwords = [clean(row["headword"]) for row in csv.DictReader(fh)]
    found = set()
    for hw in headwords:
        rest = hw
        while rest:
            g = collation._first_grapheme(rest)
            rest = rest[len(g):]
            if not g.isascii() and any(c.isalpha() for c in g):
                found.add(g)
    # Plus the breve letters of the practical spellings that the entry forms must offer
    # (issue #3 names them; no bundled headword uses them).
    practical = {"ŏ", "ơ̆", "ĕ", "ê̆"}
    assert not practical & found
    assert set(RULES[lang].letters) == found | {APOSTROPHE} | {clean(x) for x in practical}
    # Every IPA letter of the data has a search equivalence or is ignorable.
    assert all(loose_key(hw, RULES[lang]).isascii() for hw in headwords)


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("name, text, message", [
    ("hre.toml", 'lang = "hre"\nname = "Hrê"\n[search\n', "not valid TOML"),
    ("hre.toml", 'lang = "hre"\nname = "x"\nname = "y"\n', "not valid TOML"),
    ("hre.toml", 'lang = "cua"\nname = "Co"\n', "file is named hre.toml"),
    ("hre.toml", 'name = "Hrê"\n', "missing lang"),
    ("hre.toml", 'lang = "hre"\nname = "Hrê"\nletter = ["ŋ"]\n', "unknown key 'letter'"),
    ("hre.toml", 'lang = "hre"\nname = "Hrê"\n[search]\nignorable = "ʔ"\n', "must be a list"),
    ("hre.toml", 'lang = "hre"\nname = "Hrê"\n[search]\ntone_marks = [1]\n', "must be a string"),
    ("hre.toml", 'lang = "hre"\nname = "Hrê"\n[search.equivalences]\n"ŋ" = ""\n', "ignorable instead"),
    ("hre.toml", 'lang = "hre"\nname = "Hrê"\n[search.equivalences]\n"ŋ" = "ng"\n"ŋ́" = "n"\n',
     "clashes with equivalence 'ŋ'"),
    ("hre.toml", 'lang = "hre"\nname = "Hrê"\n[search.equivalences]\n"\'" = "x"\n', "only marks or apostrophes"),
    ("hre.toml", 'lang = "hre"\nname = "Hrê"\n[collation]\ntailoring = "&a <<<< "\n', "tailoring"),
    ("Hre.toml", 'lang = "Hre"\nname = "Hrê"\n', "not an ISO 639 code"),
])
def test_malformed_rule_file(tmp_path, name, text, message):
    write(tmp_path, name, text)
    with pytest.raises(OrthographyError, match=message) as err:
        load_rules(tmp_path)
    assert name in str(err.value)


def test_rule_file_not_utf8(tmp_path):
    (tmp_path / "hre.toml").write_bytes('lang = "hre"\nname = "Hrê"\n'.encode("cp1258"))
    with pytest.raises(OrthographyError, match="hre.toml: not UTF-8"):
        load_rules(tmp_path)


def test_rule_file_with_bom_and_minimal_content(tmp_path):
    (tmp_path / "hre.toml").write_bytes("\ufefflang = \"hre\"\nname = \"Hrê\"\n".encode("utf-8"))
    assert load_rules(tmp_path) == {"hre": Rules("hre", "Hrê")}


def test_missing_rule_directory(tmp_path):
    with pytest.raises(OrthographyError, match="not found"):
        load_rules(tmp_path / "nope")


def test_word_runs_match_the_letter_digit_mark_rule_for_every_character():
    """The two compiled tokenisers agree with the plain definition (``str.isalnum()`` or a
    combining mark) on every code point where it can matter."""
    from search_index.chars import WORD_RUN as _WORD_RUN
    from search_index.chars import WORD_RUN_BMP as _WORD_RUN_BMP
    from search_index.chars import is_word_char as _is_word_char
    for code in [*range(0x20000), *range(0xE0000, 0xE1000)]:
        ch = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue  # lone surrogates never reach the tokeniser (clean drops them)
        assert bool(_WORD_RUN.fullmatch(ch)) == _is_word_char(ch), hex(code)
        if code <= 0xFFFF and ch != "_":
            assert bool(_WORD_RUN_BMP.fullmatch(ch)) == _is_word_char(ch), hex(code)
