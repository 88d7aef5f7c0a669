"""Legacy Vietnamese font encodings (TCVN3/ABC and VNI-Windows) → Unicode, for lexicon imports.

Where it sits in the data flow: the first step of an import, ``text.decode_lexicon``,
hands this module (1) bytes that are not UTF-8, decoded here as Windows-1252 (a document in
a legacy font saved as "Text, Windows/ANSI"), or (2) text that decoded fine as UTF-8/UTF-16
but whose characters are the Windows-1252 reading of legacy-font bytes (a Word "Unicode
text" export of such a document: ``Céng ®ång``, ``Coäng ñoàng`` for "Cộng đồng"). When
the text is recognised as TCVN3 or VNI it is converted to NFC Unicode before the table is
read; everything after that only ever sees Unicode. Pure functions, no I/O.

The two encodings:

* **TCVN3** (TCVN 5712:1993 "VN3", the ABC keyboard's ``.VnTime`` fonts): one byte per
  letter, 0xA1–0xFE. It has distinct uppercase codes only for Ă Â Ê Ô Ơ Ư Đ; an uppercase
  toned letter is typed with the *lowercase* code in an uppercase font (``.VnTimeH``), so
  the case is lost in the text. We convert those codes to lowercase letters, except inside
  a word whose ASCII letters are all uppercase (at least two of them): there the whole word
  is upper-cased (.VnTimeH ``TH¸NG`` gives "THÁNG", .VnTime ``C¸`` gives "Cá"). Bytes 0x80–0x9F
  are not letters in VN3 and keep their Windows-1252 meaning (curly quotes, dashes).
* **VNI-Windows** (``VNI-Times``): a base letter followed by a mark byte (``aù`` = á,
  ``eä`` = ệ, ``aê`` = ă), plus single bytes for đ ơ ư, the toned i and ỵ (``ñ ô ö í ì æ ó
  ò î``). Marks come in both cases (``AÙ`` = Á); the case of the result is the base's.

Tables: UniKey's VnConv library (``ukengine/data.cpp``: ``SingleByteTables`` TCVN3 row,
``DoubleByteTables`` VNI-WIN row), cross-checked against the BoGo engine
(``src/charset.hpp``, ``utf8ToTCVN3``) and xvnkb (``tcvn.h``, ``vni.h``); all agree.

Detection (``detect``) converts the text both ways and counts the distinct words that were
*not* Vietnamese syllables before and *are* after (``normalize.is_syllable`` plus the rule
that a syllable ending in p/t/c/ch carries sắc or nặng). Genuine Unicode Vietnamese,
English, Hrê/Co orthography and phonetic transcription gain (almost) nothing; mojibake
gains most of its words. A word containing a character that no legacy text read as
Windows-1252 can contain (ơ ư đ ộ ŏ ʼ ŋ ɔ, combining marks ...) is never touched, so in a
mixed file the genuinely Unicode words survive.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from search_index import chars, normalize

__all__ = ["ENCODINGS", "TCVN3", "VNI", "LETTERS", "encode", "convert", "detect",
           "decode_legacy_bytes", "fix_legacy_text", "cp1252_text"]

ENCODINGS = ("tcvn3", "vni")
_TONES = ("", chars.GRAVE, chars.ACUTE, chars.HOOK, chars.TILDE, chars.DOT)


# ---- tables (data) ---------------------------------------------------------------------------
# TCVN3: byte of each lowercase letter; columns: no tone, huyền, sắc, hỏi, ngã, nặng
# (None: the plain ASCII letter). Source: UniKey vnconv data.cpp, BoGo utf8ToTCVN3.
_TCVN3_ROWS = (
    ("a", None, 0xB5, 0xB8, 0xB6, 0xB7, 0xB9),
    ("ă", 0xA8, 0xBB, 0xBE, 0xBC, 0xBD, 0xC6),
    ("â", 0xA9, 0xC7, 0xCA, 0xC8, 0xC9, 0xCB),
    ("e", None, 0xCC, 0xD0, 0xCE, 0xCF, 0xD1),
    ("ê", 0xAA, 0xD2, 0xD5, 0xD3, 0xD4, 0xD6),
    ("i", None, 0xD7, 0xDD, 0xD8, 0xDC, 0xDE),
    ("o", None, 0xDF, 0xE3, 0xE1, 0xE2, 0xE4),
    ("ô", 0xAB, 0xE5, 0xE8, 0xE6, 0xE7, 0xE9),
    ("ơ", 0xAC, 0xEA, 0xED, 0xEB, 0xEC, 0xEE),
    ("u", None, 0xEF, 0xF3, 0xF1, 0xF2, 0xF4),
    ("ư", 0xAD, 0xF5, 0xF8, 0xF6, 0xF7, 0xF9),
    ("y", None, 0xFA, 0xFD, 0xFB, 0xFC, 0xFE),
)
_TCVN3_OTHER = {"đ": 0xAE, "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6,
                "Đ": 0xA7}

# VNI-Windows (lowercase forms; uppercase = the same characters upper-cased), as the
# Windows-1252 characters of the bytes. Source: UniKey vnconv data.cpp (VNI-WIN), xvnkb vni.h.
_VNI_TONE = ("", "ø", "ù", "û", "õ", "ï")        # after a e o u y ơ ư (0xF8 F9 FB F5 EF)
_VNI_CIRCUMFLEX = ("â", "à", "á", "å", "ã", "ä")  # â ê ô, toned: after a e o (0xE2 E0 E1 E5 E3 E4)
_VNI_BREVE = ("ê", "è", "é", "ú", "ü", "ë")       # ă, toned: after a (0xEA E8 E9 FA FC EB)
_VNI_SINGLE = {"đ": "ñ", "ơ": "ô", "ư": "ö", "ì": "ì", "í": "í", "ỉ": "æ", "ĩ": "ó", "ị": "ò",
               "ỵ": "î"}
_VNI_LENIENT = {"yï": "ỵ"}  # seen in the wild; the table writes ỵ as the single byte î


def _letter(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


def _tcvn3_table() -> dict[str, str]:
    table = {}
    for base, *codes in _TCVN3_ROWS:
        for tone, code in zip(_TONES, codes):
            if code is not None:
                table[_letter(base, tone)] = chr(code)
    for letter, code in _TCVN3_OTHER.items():
        table[letter] = chr(code)
    for letter, code in list(table.items()):  # no distinct uppercase: same code as lowercase
        table.setdefault(letter.upper(), code)
    return table


def _vni_table() -> dict[str, str]:
    table = {}
    for base, marks in (("a", _VNI_TONE), ("e", _VNI_TONE), ("o", _VNI_TONE), ("u", _VNI_TONE),
                        ("y", _VNI_TONE), ("ơ", _VNI_TONE), ("ư", _VNI_TONE),
                        ("â", _VNI_CIRCUMFLEX), ("ê", _VNI_CIRCUMFLEX), ("ô", _VNI_CIRCUMFLEX),
                        ("ă", _VNI_BREVE)):
        plain = unicodedata.normalize("NFD", base)[0]
        first = _VNI_SINGLE.get(base, plain)
        for tone, mark in zip(_TONES, marks):
            table[_letter(base, tone)] = (first if base in "ơư" else plain) + mark
    table.update(_VNI_SINGLE)  # also ỵ: the single byte î, not y + ï
    table.update({k.upper(): v.upper() for k, v in list(table.items())})
    return {k: v for k, v in table.items() if k != v}  # plain a e o u y; ì í are themselves


#: Unicode letter → its legacy form (as Windows-1252 characters), for every letter that has
#: one: the 134 precomposed Vietnamese letters (toned, â ă ê ô ơ ư đ, both cases).
TCVN3: dict[str, str] = _tcvn3_table()
VNI: dict[str, str] = _vni_table()
_LOWER = tuple(_letter(base, tone) for base, *codes in _TCVN3_ROWS
               for tone, code in zip(_TONES, codes) if code is not None) + ("đ",)
#: The 134 precomposed Vietnamese letters (67 lowercase, then their uppercase).
LETTERS: tuple[str, ...] = _LOWER + tuple(x.upper() for x in _LOWER)

_TCVN3_DECODE = {ord(v): k for k, v in TCVN3.items() if k.islower() or k in _TCVN3_OTHER}
_VNI_DECODE = {v: k for k, v in VNI.items() if k != v}
for _k, _v in list(_VNI_DECODE.items()):
    if len(_k) == 2:  # marks in either case: "aÙ" is read like "aù"
        for _m in {_k[1].lower(), _k[1].upper()}:
            _VNI_DECODE.setdefault(_k[0] + _m, _v)
_VNI_DECODE.update(_VNI_LENIENT)
_VNI_DECODE.update({k.upper(): v.upper() for k, v in _VNI_LENIENT.items()})
_VNI_RE = re.compile("|".join(sorted(map(re.escape, _VNI_DECODE), key=len, reverse=True)))

# Windows-1252 as Word writes it; the five bytes it leaves undefined read as Latin-1.
_CP1252 = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256))
_CP1252_CHARS = frozenset(_CP1252)
_CP1252_TRANSLATE = {b: ch for b, ch in enumerate(_CP1252) if chr(b) != ch}
_TCVN3_KEYS = "".join(chr(c) for c in _TCVN3_DECODE)
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# A word: letters, combining marks and the TCVN3 codes that are symbols in Windows-1252 (¸ µ ®).
_WORD = re.compile(rf"(?:[^\W\d_]|[{_MARKS}{re.escape(_TCVN3_KEYS)}])+")
_ALL_CAPS = re.compile(r"(?=(?:[^A-Z]*[A-Z]){2})[^a-z]*")  # 2+ ASCII capitals, no small ones
_STOP_FINALS = ("p", "t", "c", "ch")


# ---- conversion ------------------------------------------------------------------------------
def encode(text: str, encoding: str) -> str:
    """``text`` written in a legacy encoding, as Windows-1252 characters (for tests and
    samples); letters with no legacy form are left as they are.

    >>> encode("Cộng đồng", "tcvn3"), encode("Cộng đồng", "vni")
    ('Céng ®ång', 'Coäng ñoàng')
    """
    table = _table(encoding)
    return "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


def convert(text: str, encoding: str) -> str:
    """``text`` (legacy bytes read as Windows-1252) converted to NFC Unicode.

    Words holding a character that legacy text cannot contain (anything outside
    Windows-1252: ơ, ŏ, ʼ, ŋ, combining marks ...) are genuine Unicode and left alone.

    >>> convert("Céng ®ång", "tcvn3"), convert("Coäng ñoàng, Vieät Nam", "vni")
    ('Cộng đồng', 'Cộng đồng, Việt Nam')
    >>> convert("TH¸NG C¸ vµ ʼb¸", "tcvn3")  # an all-caps word; a Unicode word stays
    'THÁNG Cá và ʼb¸'
    """
    _table(encoding)  # ValueError for an unknown name
    convert_word = _convert_tcvn3_word if encoding == "tcvn3" else _convert_vni_word
    out = _WORD.sub(lambda m: convert_word(m.group()) if _legacy_possible(m.group())
                    else m.group(), text)
    return unicodedata.normalize("NFC", out)


def _table(encoding: str) -> dict[str, str]:
    if encoding == "tcvn3":
        return TCVN3
    if encoding == "vni":
        return VNI
    raise ValueError(f"unknown legacy encoding {encoding!r}; expected one of {ENCODINGS}")


def _legacy_possible(word: str) -> bool:
    return all(ch in _CP1252_CHARS for ch in word)


def _convert_tcvn3_word(word: str) -> str:
    if word.isascii():
        return word
    out = word.translate(_TCVN3_DECODE)
    if _ALL_CAPS.fullmatch(word) and any(ord(ch) in _TCVN3_DECODE for ch in word):
        return out.upper()  # typed in an uppercase .VnTimeH font
    return out


def _convert_vni_word(word: str) -> str:
    if word.isascii():
        return word
    return _VNI_RE.sub(lambda m: _VNI_DECODE[m.group()], word)


# ---- detection -------------------------------------------------------------------------------
def _is_vietnamese(word: str) -> bool:
    """A well-formed Vietnamese syllable with at most one tone, sắc/nặng on p/t/c/ch."""
    if not normalize.is_syllable(word):
        return False
    nfd = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in nfd if c in normalize.TONE_MARKS]
    if len(tones) > 1:
        return False
    return not (nfd.endswith(_STOP_FINALS) and tones[:1] not in ([chars.ACUTE],
                                                                [chars.DOT]))


def _candidate_words(text: str, limit: int = 5000) -> tuple[list[str], int]:
    """The distinct non-ASCII words that legacy text could contain (at most ``limit``), and
    how many distinct non-ASCII words were seen meanwhile."""
    seen: dict[str, bool] = {}
    candidates = 0
    for m in _WORD.finditer(text):
        word = m.group()
        if word.isascii() or word in seen:
            continue
        seen[word] = possible = _legacy_possible(word)
        candidates += possible
        if candidates >= limit:
            break
    return [w for w, possible in seen.items() if possible], len(seen)


def _score(words: Iterable[str], encoding: str) -> tuple[int, int, int, int, int]:
    """Of the distinct words the conversion changes: how many it makes Vietnamese syllables
    that were none (gained), unmakes (lost), their number, and how many are syllables after
    and before it."""
    gained = lost = changed = after_ok = before_ok = 0
    convert_word = _convert_tcvn3_word if encoding == "tcvn3" else _convert_vni_word
    for word in words:
        after = convert_word(word)
        if after == word:
            continue
        changed += 1
        was, now = _is_vietnamese(word), _is_vietnamese(after)
        gained += now and not was
        lost += was and not now
        after_ok += now
        before_ok += was
    return gained, lost, changed, after_ok, before_ok


def detect(text: str) -> str | None:
    """The legacy encoding ``text`` (read as Windows-1252, or UTF-8 mojibake) is clearly
    Vietnamese in: "tcvn3" or "vni"; None when it is not.

    A candidate must turn at least 3 distinct words (and a quarter of all distinct non-ASCII
    words) into Vietnamese syllables that were none before, leave most of the words it
    changes as syllables, twice as many as were syllables before, unmake few, and gain twice
    as many words as the other candidate.

    >>> detect("Céng ®ång d©n téc"), detect("Coäng ñoàng daân toäc")
    ('tcvn3', 'vni')
    >>> [detect(t) for t in ("Cộng đồng dân tộc", "hoà bình, có không", "ʼbŏk kơ̆ng", "ŋɔː")]
    [None, None, None, None]
    """
    words, distinct = _candidate_words(text)
    if not words:
        return None
    scores = {enc: _score(words, enc) for enc in ENCODINGS}
    best, other = sorted(ENCODINGS, key=lambda e: scores[e][0], reverse=True)
    gained, lost, changed, after_ok, before_ok = scores[best]
    ok = (gained >= 3 and gained * 4 >= distinct and after_ok * 2 > changed
          and after_ok >= 2 * before_ok and lost * 3 <= gained
          and gained >= 2 * scores[other][0])
    return best if ok else None


def decode_legacy_bytes(data: bytes) -> tuple[str, str] | None:
    """For bytes that are not UTF-8: (Unicode text, "tcvn3" | "vni") when they are
    recognisably Vietnamese in a legacy font encoding, else None.

    >>> decode_legacy_bytes("Céng ®ång d©n téc".encode("cp1252"))
    ('Cộng đồng dân tộc', 'tcvn3')
    >>> decode_legacy_bytes("café crème".encode("cp1252")) is None
    True
    """
    text = cp1252_text(data)
    encoding = detect(text)
    return None if encoding is None else (convert(text, encoding), encoding)


def fix_legacy_text(text: str) -> tuple[str, str] | None:
    """For text that decoded as UTF-8/UTF-16 but is legacy-font mojibake: (converted text,
    "tcvn3" | "vni"), else None (the text is left to the caller as it is).

    >>> fix_legacy_text("Vieät Nam, ñaát nöôùc")
    ('Việt Nam, đất nước', 'vni')
    >>> fix_legacy_text("Việt Nam, đất nước") is None
    True
    """
    encoding = detect(text)
    return None if encoding is None else (convert(text, encoding), encoding)


def cp1252_text(data: bytes) -> str:
    """``data`` read as Windows-1252 (undefined bytes as Latin-1): what the legacy text looks
    like before conversion.

    >>> cp1252_text(b"\\x93C\\xe9ng\\x94")
    '“Céng”'
    """
    return data.decode("latin-1").translate(_CP1252_TRANSLATE)

