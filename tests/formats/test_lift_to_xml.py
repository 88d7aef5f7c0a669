"""``lift_xml.to_xml`` writes what ``ET.tostring(el, encoding="unicode")`` writes (the XML an
import keeps of every entry and sense), for every entry of the real LIFT files and for the
corners of XML escaping; a namespaced tree is left to ElementTree."""
from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET

import pytest

from dictionary.formats import lift_xml
from dictionary.formats.lift_xml import SLOT, Tree, to_xml
from realdata import REALDATA

FILES = sorted(p.name for p in REALDATA.glob("*.lift*"))


def entries(name: str) -> list[ET.Element]:
    data = (REALDATA / name).read_bytes()
    data = gzip.decompress(data) if name.endswith(".gz") else data
    found: list[ET.Element] = []
    lift_xml._read(data, Tree(lambda el, _root: found.append(el)))
    return found


@pytest.mark.parametrize("name", FILES)
def test_every_entry_of_a_real_file_is_written_as_elementtree_writes_it(name):
    found = entries(name)
    assert found
    for el in found:
        el.insert(0, ET.PI(SLOT, "pos noun"))  # as the parse marks what the model holds
        for sense in el.findall("sense"):
            assert to_xml(sense) == ET.tostring(sense, encoding="unicode")
        assert to_xml(el) == ET.tostring(el, encoding="unicode")


def test_escaping_empty_elements_tails_comments_and_namespaces():
    root = ET.Element("entry", {"id": 'a "b" & <c>\n\t\r', "xml:lang": "vi"})
    root.text = "x & y < z > w \" '"
    ET.SubElement(root, "empty")
    child = ET.SubElement(root, "form", {"lang": "hre"})
    child.text, child.tail = "ʼbơ̆k", " tail & more "
    root.append(ET.Comment(" a comment "))
    root.append(ET.PI(SLOT, "gloss_vi"))
    assert to_xml(root) == ET.tostring(root, encoding="unicode")
    spaced = ET.Element("{http://example.org/ns}entry", {"{http://example.org/ns}a": "1"})
    assert to_xml(spaced) == ET.tostring(spaced, encoding="unicode")
