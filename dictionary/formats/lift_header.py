"""The sources of an exported LIFT file, in its header, so the file restores them.

Where it sits: ``lift_out`` writes a ``<header>`` with one inline range, ``tudien-sources``,
holding a range element per source the export's entries come from (its key, citation,
licence and address); ``lift_in`` reads it back, so our own export imported into an empty
dictionary declares its sources itself instead of stopping at "unknown source". LIFT ranges
may be given inline in the header, and their elements carry traits like any extensible
element. Plain data in, plain data out: sources are dicts (``key``, ``citation``,
``license``, ``url``).

>>> el = sources_header([{"key": "peiros2004", "citation": "Peiros 2004", "license": "CC-BY-4.0"}])
>>> read_sources(el)
[{'key': 'peiros2004', 'citation': 'Peiros 2004', 'license': 'CC-BY-4.0', 'url': None}]
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from .lift_xml import text_of

RANGE = "tudien-sources"


def sources_header(sources: Iterable[dict]) -> ET.Element:
    """``<header><ranges><range id="tudien-sources">`` with one element per source."""
    header = ET.Element("header")
    ranges = ET.SubElement(header, "ranges")
    found = ET.SubElement(ranges, "range", id=RANGE)
    for source in sources:
        element = ET.SubElement(found, "range-element", id=source["key"])
        form = ET.SubElement(ET.SubElement(element, "label"), "form", lang="en")
        ET.SubElement(form, "text").text = source.get("citation") or source["key"]
        for name in ("license", "url"):
            if source.get(name):
                ET.SubElement(element, "trait", name=name, value=source[name])
    return header


def read_sources(header: ET.Element) -> list[dict]:
    """The sources a header declares (none: a header FieldWorks wrote)."""
    found = []
    for element in header.iterfind(f"ranges/range[@id='{RANGE}']/range-element"):
        key = (element.get("id") or "").strip()
        if not key:
            continue
        label = element.find("label/form")
        traits = {t.get("name"): t.get("value") for t in element.findall("trait")}
        found.append({"key": key, "citation": text_of(label).strip() if label is not None
                      else "", "license": traits.get("license") or "",
                      "url": traits.get("url") or None})
    return found
