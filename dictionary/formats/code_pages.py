r"""Toolbox databases in a Windows code page: telling them by their first bytes, and reading
the lines that are not UTF-8 as Windows-1252.

Where it sits: part of the first step of an import, ``text.decode_lexicon``. Toolbox writes
the text of each marker in the encoding of its language: UTF-8 for a Unicode language,
otherwise a code page, for Latin text usually Windows-1252 (SIL's MDF sample is in it). So a
Toolbox file that is not UTF-8, and not Vietnamese in TCVN3/VNI either (``legacy_encodings``
looks first), is read line by line: UTF-8 where a line is UTF-8, Windows-1252 where it is
not. Tables keep their own rules (``text``). Pure functions, no I/O.
"""
from __future__ import annotations

import re

from .legacy_encodings import cp1252_text

#: What a Toolbox user is told when the file cannot be read as text at all.
TOOLBOX_ADVICE = ("a Toolbox database must be plain text in UTF-8 or in a Windows code page: "
                  "convert it to Unicode (UTF-8), for example with SIL Converters, and import "
                  "the converted file")

# The first line of a Toolbox/MDF database (``mdf_in.looks_like_mdf`` on the text), in bytes
# (after a byte-order mark; UTF-16 with its NUL bytes taken out).
_TOOLBOX = re.compile(rb"(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)?[ \t\r\n]*\\(?:_sh|lx)(?:[ \t\r\n]|$)")
_BREAKS = re.compile(rb"\r\n|\r|\n")


def looks_like_toolbox(data: bytes) -> bool:
    r"""Whether the bytes open a Toolbox/MDF database (``\_sh`` or ``\lx`` first).

    >>> looks_like_toolbox(b"\r\n\\_sh v3.0"), looks_like_toolbox("\\lx a".encode("utf-16"))
    (True, True)
    >>> looks_like_toolbox(b"headword,vietnamese\n\\lx,x")
    False
    """
    return bool(_TOOLBOX.match(data[:256].replace(b"\x00", b"")))


def decode_lines(data: bytes, start: int = 0,
                 most: int = 5) -> tuple[str, str, list[tuple[int, str, str]]]:
    r"""``data`` from byte ``start`` as text, every line that is not UTF-8 read as
    Windows-1252; the encoding ("cp1252", or "utf-8+cp1252" when some lines are UTF-8
    beyond ASCII) and the first ``most`` lines read as Windows-1252 as (line, as found: read
    as UTF-8 with U+FFFD for what is not, as read).

    >>> data = "\\lx café\r\n\\gn 吵\n\\nt é".encode("utf-8").replace(b"\xc3\xa9", b"\xe9")
    >>> text, encoding, samples = decode_lines(data)
    >>> text == "\\lx café\r\n\\gn 吵\n\\nt é", encoding, [line for line, _, _ in samples]
    (True, 'utf-8+cp1252', [1, 3])
    >>> samples[0] == (1, "\\lx caf\ufffd", "\\lx café")
    True
    """
    parts: list[str] = []
    samples: list[tuple[int, str, str]] = []
    beyond_ascii = False  # a UTF-8 line with more than ASCII
    view = memoryview(data)
    pos, line = start, 1
    while pos < len(data):
        try:
            rest = str(view[pos:], "utf-8")  # (decodes up to the next line that is not)
        except UnicodeDecodeError as exc:
            bad = pos + exc.start
            begin = max(pos, data.rfind(b"\n", pos, bad) + 1, data.rfind(b"\r", pos, bad) + 1)
            brk = _BREAKS.search(data, bad)
            end = brk.start() if brk else len(data)
            good, found = data[pos:begin], data[begin:end]
            beyond_ascii = beyond_ascii or not good.isascii()
            converted = cp1252_text(found)
            parts += [good.decode("utf-8"), converted]
            if len(samples) < most:
                line += len(_BREAKS.findall(data, pos, begin))
                samples.append((line, found.decode("utf-8", errors="replace"), converted))
            pos = end
            continue
        beyond_ascii = beyond_ascii or not rest.isascii()
        parts.append(rest)
        break
    return "".join(parts), "utf-8+cp1252" if beyond_ascii else "cp1252", samples
