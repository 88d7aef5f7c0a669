"""Read a query as Telex or VNI typing (``tieengs``/``tie6ng1`` → ``tiếng``).

Where it sits in the data flow: every query passes ``normalize.clean`` and is then also
tried through ``typing_candidates``; each extra reading is searched as well, so a user
on a phone without a Vietnamese keyboard still finds ``tiếng``.  A reading is offered
only if every word that the decoder changed is a well-formed Vietnamese syllable
(``normalize.parse_syllable``), which keeps Hrê/Co words and English out of it.
"""
from __future__ import annotations

from collections.abc import Callable

from .memo import memo
from .chars import ACUTE, DOT, GRAVE, HOOK, TILDE, spans
from .normalize import clean, is_syllable, place_tone

__all__ = ["decode_telex", "decode_vni", "typing_candidates"]

_VOWELS = frozenset("aăâeêioôơuưy")
_TELEX_TONES = {"s": ACUTE, "f": GRAVE, "r": HOOK, "x": TILDE, "j": DOT}
_VNI_TONES = {"1": ACUTE, "2": GRAVE, "3": HOOK, "4": TILDE, "5": DOT}
_CIRCUMFLEX = {"a": "â", "e": "ê", "o": "ô"}
_HORN = {"o": "ơ", "u": "ư"}
_MAX_TYPED = 10  # nghieengx, dduwowngf: no syllable takes more keystrokes than this
_UNCHANGED = object()  # sentinel: the word has no typing keys at all


def _vowel_run(out: list[str]) -> range:
    """Positions of the last run of vowel letters, skipping the u of qu- (quơ, not qươ)."""
    start = 2 if out[:2] == ["q", "u"] else 0
    end = None
    for i in range(len(out) - 1, start - 1, -1):
        if out[i] in _VOWELS:
            end = i + 1
            break
    if end is None:
        return range(0)
    begin = end - 1
    while begin > start and out[begin - 1] in _VOWELS:
        begin -= 1
    return range(begin, end)


def _horn(out: list[str]) -> bool:
    """Telex w / VNI 7: uo → ươ together, else the last o/u; works after a final too."""
    run = _vowel_run(out)
    for i in run:
        if i + 1 in run and out[i] in "uư" and out[i + 1] == "o":
            out[i], out[i + 1] = "ư", "ơ"
            return True
    for i in reversed(run):
        if out[i] in _HORN:
            out[i] = _HORN[out[i]]
            return True
    return False


def _mark(out: list[str], table: dict[str, str]) -> bool:
    for i in reversed(_vowel_run(out)):
        if out[i] in table:
            out[i] = table[out[i]]
            return True
    return False


def _finish(out: list[str], tone: str | None) -> str | None:
    syllable = "".join(out)
    for form in (syllable, syllable.replace("ươ", "uơ")):  # thuowr: ươ cannot end a syllable, uơ can
        if tone is not None:
            result = place_tone(form, tone)
            if result is not None:
                return result
        elif is_syllable(form):
            return form
    return None


# Query words repeat (a language has a few thousand syllables), so each is decoded once.
@memo(max_bytes=2 << 20)
def _telex_word(word: str) -> object:
    out: list[str] = []
    tone, changed = None, False
    has_vowel = False
    for ch in word:
        has_vowel = has_vowel or bool(out) and out[-1] in _VOWELS
        if has_vowel and ch in _TELEX_TONES:  # s f r x j after a vowel: no final is spelt so
            if tone is not None:
                return None  # two tone keys (or ss = undo): not a clean syllable
            tone, changed = _TELEX_TONES[ch], True
        elif ch == "w":
            if not has_vowel:
                out.append("ư")  # Telex: a bare w types ư (tw → tư)
            elif not _horn(out) and not _mark(out, {"a": "ă"}):
                return None
            changed = True
        elif ch in _CIRCUMFLEX and out and out[-1] == ch:
            out[-1], changed = _CIRCUMFLEX[ch], True
        elif ch == "d" and out == ["d"]:
            out[-1], changed = "đ", True
        else:
            out.append(ch)
    return _finish(out, tone) if changed else _UNCHANGED


@memo(max_bytes=2 << 20)
def _vni_word(word: str) -> object:
    if not any(c.isalpha() for c in word):
        return _UNCHANGED  # a plain number such as 2024
    out: list[str] = []
    tone, changed, has_vowel = None, False, False
    for ch in word:
        has_vowel = has_vowel or bool(out) and out[-1] in _VOWELS
        if not ch.isdigit():
            out.append(ch)
            continue
        changed = True
        if ch in _VNI_TONES and has_vowel:
            if tone is not None:
                return None
            tone = _VNI_TONES[ch]
        elif ch == "9" and "d" in out:
            out[out.index("d")] = "đ"
        elif not ((ch == "6" and _mark(out, _CIRCUMFLEX)) or (ch == "7" and _horn(out))
                  or (ch == "8" and _mark(out, {"a": "ă"}))):
            return None  # a digit that is not a key here (covid19, 2024abc)
    return _finish(out, tone) if changed else _UNCHANGED


def _decode(text: str, word_decoder: Callable[[str], object], alphabet: str,
            is_clean: bool = False) -> str | None:
    if not is_clean:
        text = clean(text)
    # Words never span a space, so each chunk between spaces is decoded on its own (cached).
    parts = [_decode_chunk(chunk, word_decoder, alphabet) for chunk in text.split(" ")]
    if None in parts:
        return None
    decoded = " ".join(parts)
    return clean(decoded) if decoded != text else text


@memo(max_bytes=4 << 20)
def _decode_chunk(chunk: str, word_decoder: Callable[[str], object], alphabet: str) -> str | None:
    """One chunk of clean text without spaces, decoded word by word (None: not syllables)."""
    parts, last = [], 0
    for start, end in spans(chunk):
        word = chunk[start:end]
        parts.append(chunk[last:start])
        last = end
        if len(word) > _MAX_TYPED or not (word.isascii() and all(c in alphabet for c in word.lower())):
            parts.append(word)  # already has Vietnamese letters, is Hrê/Co/IPA, or is too long
            continue
        decoded = word_decoder(word.lower())
        if decoded is _UNCHANGED:
            parts.append(word)
            continue
        if decoded is None:
            return None
        if word.isupper() and len(word) > 1:
            decoded = decoded.upper()
        elif word[0].isupper():
            decoded = decoded[0].upper() + decoded[1:]
        parts.append(decoded)
    parts.append(chunk[last:])
    return "".join(parts)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def decode_telex(s: str) -> str | None:
    """Decode Telex typing word by word; None if a changed word is not a syllable.

    Words without Telex keys (and words with non-ASCII letters) are kept as they are.

    >>> decode_telex("Vieetj Nam"), decode_telex("dduwowngf"), decode_telex("xyzzyw")
    ('Việt Nam', 'đường', None)
    """
    return _decode(s, _telex_word, _LETTERS)


def decode_vni(s: str) -> str | None:
    """Decode VNI typing (1–5 tones, 6 ^, 7 horn, 8 breve, 9 đ); None if not syllables.

    >>> decode_vni("tie6ng1 Vie65t"), decode_vni("d9u7o7ng2"), decode_vni("covid19")
    ('tiếng Việt', 'đường', None)
    """
    return _decode(s, _vni_word, _LETTERS + "0123456789")


def typing_candidates(query: str, *, is_clean: bool = False) -> list[str]:
    """Distinct Telex then VNI readings of ``query`` that differ from its clean form
    (``is_clean=True``: ``query`` is already ``clean``).

    >>> typing_candidates("tieengs"), typing_candidates("hoaf"), typing_candidates("ban")
    (['tiếng'], ['hòa'], [])
    """
    base = query if is_clean else clean(query)
    found: list[str] = []
    for word_decoder, alphabet in ((_telex_word, _LETTERS), (_vni_word, _LETTERS + "0123456789")):
        reading = _decode(base, word_decoder, alphabet, is_clean=True)
        if reading is not None and reading != base and reading not in found:
            found.append(reading)
    return found
