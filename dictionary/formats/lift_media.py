"""Recordings in LIFT, written: the elements ``lift_out`` adds when an export carries them.

Where it sits: ``lift_out.entry_element`` asks here when it is handed recordings (the
``lift-media`` export, ``lift_media_out``, whose zip holds the files). An entry's recordings
become ``<media href="audio/<uuid>.mp3">`` in its ``<pronunciation>`` (LIFT 0.13), labelled
with the speaker and the licence; an example's become forms in the FieldWorks audio writing
system (``<form lang="hre-Zxxx-x-audio"><text>audio/<uuid>.mp3</text></form>``), which is
how FieldWorks stores the audio of an example. ``lift_audio`` reads both shapes back.

References to sound files kept from an imported LIFT file (``lift_in`` leaves them in
``extra["lift"]``) name files that such an archive does not hold: they are taken out, and
the recordings the dictionary published take their place (the files of an import's audio
archive became recordings themselves, and are exported only when their consent allows it).

>>> from pathlib import Path
>>> from .media import MediaFile
>>> clip = MediaFile(id="0b6e3f1c-5d2a-4c1e-9f00-1a2b3c4d5e01", target="hre-000123/1/1",
...                  path=Path("x.mp3"), speaker="Y Bình", speaker_id="spk-0001",
...                  license="CC-BY-4.0")
>>> ET.tostring(audio_form(clip, "hre"), encoding="unicode")
'<form lang="hre-Zxxx-x-audio"><text>audio/0b6e3f1c-5d2a-4c1e-9f00-1a2b3c4d5e01.mp3</text></form>'
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .lift_xml import SLOT, is_audio
from .media import MediaFile

LABEL_LANG = "vi"  # the speaker's display name and the licence, as the entry page shows them


def audio_lang(code: str) -> str:
    """FieldWorks' audio writing system of a language: ``hre-Zxxx-x-audio``."""
    return f"{code}-Zxxx-x-audio"


def media_element(file: MediaFile, clean=str) -> ET.Element:
    """``<media href="audio/<uuid>.mp3">`` labelled "speaker · licence"; ``clean`` takes out
    what XML cannot carry (``lift_out`` passes its own)."""
    media = ET.Element("media", href=file.archive_name())
    form = ET.SubElement(ET.SubElement(media, "label"), "form", lang=LABEL_LANG)
    ET.SubElement(form, "text").text = clean(file.label)
    return media


def audio_form(file: MediaFile, code: str) -> ET.Element:
    """An example's recording: a form whose text is the file's name in the archive."""
    form = ET.Element("form", lang=audio_lang(code))
    ET.SubElement(form, "text").text = file.archive_name()
    return form


def drop_entry_refs(entry: ET.Element) -> None:
    """Take kept references to sound files out of an entry: ``<media>`` in its
    pronunciations (a pronunciation left with nothing goes too) and audio forms of its
    lexical unit."""
    for box in entry.findall("pronunciation"):
        for media in box.findall("media"):
            box.remove(media)
        if not len(box) and not (box.text or "").strip():
            entry.remove(box)
    unit = entry.find("lexical-unit")
    if unit is not None:
        _drop_audio_forms(unit)


def drop_example_refs(example: ET.Element) -> None:
    """Take kept audio forms out of an example."""
    _drop_audio_forms(example)


def _drop_audio_forms(parent: ET.Element) -> None:
    for form in [f for f in parent if f.tag == "form" and is_audio(f)]:
        parent.remove(form)


def pronunciation_box(entry: ET.Element) -> ET.Element | None:
    """The ``<pronunciation>`` the recordings join: the one holding the IPA slot, else the
    first without a type (where ``lift_out`` puts a new IPA form too), else none."""
    boxes = entry.findall("pronunciation")
    for box in boxes:
        if any(c.tag is ET.PI and c.text.split()[:2] == [SLOT, "pronunciation"] for c in box):
            return box
    return next((box for box in boxes if box.get("type") is None), None)
