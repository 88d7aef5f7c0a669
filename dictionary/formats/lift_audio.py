"""The sound files a LIFT entry names, read beside the rest of ``lift_in``.

Where it sits: ``lift_in`` hands each ``<entry>`` (and each ``<example>``) here; the
references go into ``ParsedEntry.audio`` and ``dictionary.audio.bulk`` matches them with the
files of the audio archive imported with the lexicon. LIFT names recordings in two ways:
``<pronunciation><media href="…"/>`` (LIFT 0.13, WeSay, our own export) and forms in an
audio writing system (FieldWorks: ``<form lang="hre-Zxxx-x-audio"><text>file.wav</text>``)
in the lexical unit or in an example. The elements themselves stay in the kept XML.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .lift_xml import is_audio, text_of
from .records import AudioRef

MAX_HREF = 300  # characters; a longer "file name" is not one


def _hrefs(elements) -> list[tuple[str, int | None]]:
    found = []
    for el in elements:
        href = (el.get("href") if el.tag == "media" else text_of(el)) or ""
        href = href.strip()
        if href and len(href) <= MAX_HREF and "\n" not in href:
            found.append((href, getattr(el, "line", None)))
    return found


def entry_audio(entry: ET.Element) -> list[AudioRef]:
    """The recordings of the entry's word: pronunciation media, then audio forms of the
    lexical unit."""
    media = [m for p in entry.findall("pronunciation") for m in p.findall("media")]
    unit = entry.find("lexical-unit")
    forms = [f for f in unit.findall("form") if is_audio(f)] if unit is not None else []
    return [AudioRef(line, href) for href, line in _hrefs(media + forms)]


def example_audio(example: ET.Element, sense: int, number: int) -> list[AudioRef]:
    """The recordings of an example (``sense``-th sense, ``number``-th example, 1-based)."""
    forms = [f for f in example.findall("form") if is_audio(f)]
    return [AudioRef(line, href, (sense, number)) for href, line in _hrefs(forms)]
