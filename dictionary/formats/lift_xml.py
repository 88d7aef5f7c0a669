"""Safe reading of LIFT XML: the parse under ``lift_in`` and the kept-XML helpers
``lift_out`` shares with it.

Where it sits: LIFT bytes → ``lift_xml`` (safe parse, line numbers, kept fragments) →
``lift_in`` (entries); ``lift_out`` writes them back. The parse is defusedxml's SAX
reader: no DTD, no entity, no external reference, no nesting deeper than ``MAX_DEPTH``; every
element carries the line it starts on, and what stopped the parse comes back as an
``ImportProblem``. The same reader loads the XML kept in ``extra["lift"]`` with its
``<?slot KIND?>`` instructions (``load_kept``); ``value_of`` and the variant-label helpers
read slot elements the same way on import and on export, so both compare alike.
"""
from __future__ import annotations

import codecs
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from xml.sax import SAXParseException, handler

from defusedxml import EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.expatreader import DefusedExpatParser

from search_index import normalize

from .records import ImportProblem

SLOT = "slot"  # target of the processing instructions that mark modelled elements
MAX_DEPTH = 64  # LIFT nests about 10 deep; a deeper file is hostile or broken
DIALECT_NAMES, PLACE_NAMES = ("dialect", "dialect-labels"), ("location", "place")
_NO_DTD = ("; a LIFT file needs no DTD or entities (FieldWorks writes none): remove the "
           "<!DOCTYPE …> declaration")
# How a slot's elements become the stored value (``value_of``, shared with lift_out so
# both compare alike): traits give their value; glosses are "a; b"; free text and IPA are
# kept as typed (NFC, trimmed, as the curated format keeps notes); the rest is clean().
TRAIT_KINDS = frozenset({"semantic_field", "concept_id", "concept_gloss", "variety"})
RAW_KINDS = frozenset({"note", "gloss_note", "pronunciation", "concept_id", "concept_gloss",
                       "variety"})


def text_of(form: ET.Element) -> str:
    """The plain text of a form or gloss: its ``<text>``, spans included."""
    text = form.find("text")
    return "".join(text.itertext()) if text is not None else ""


def join_glosses(texts: list[str]) -> str:
    """Glosses of one language, several elements or ``;`` inside one, as CSV stores them.

    >>> join_glosses(["nhà ;căn  nhà", " mái nhà "])
    'nhà; căn nhà; mái nhà'
    """
    return "; ".join(g for g in (normalize.clean(p) for t in texts for p in t.split(";")) if g)


def value_of(kind: str, elements: list[ET.Element]) -> str:
    """What the model stores for the slot elements of ``kind``."""
    raw = [(e.get("value") or "") if kind in TRAIT_KINDS else text_of(e) for e in elements]
    if kind in ("gloss_vi", "gloss_en"):
        return join_glosses(raw)
    if kind in RAW_KINDS:
        return unicodedata.normalize("NFC", "\n".join(raw)).strip()
    return normalize.clean(" ".join(raw))


def is_lang(el: ET.Element, code: str) -> bool:
    """Whether a form is in language ``code`` (any script, region or variant, or the
    private-use ``x-code``)."""
    tags = (el.get("lang") or "").casefold().split("-")
    return tags[0] == code or tags[:2] == ["x", code]


def is_audio(el: ET.Element) -> bool:
    """A form in an audio writing system (FieldWorks: ``hre-Zxxx-x-audio``), whose text is
    the name of a sound file, not text of the language."""
    tags = (el.get("lang") or "").casefold().split("-")
    return "zxxx" in tags and "audio" in tags


def is_ipa(el: ET.Element) -> bool:
    return "fonipa" in (el.get("lang") or "").casefold().split("-")


def choose(forms: list[ET.Element], langs: tuple[str, ...], fallback: bool = False):
    """The first form in the first of ``langs`` found; else the first form if ``fallback``."""
    found = next((f for code in langs for f in forms if is_lang(f, code)), None)
    return found if found is not None or not fallback or not forms else forms[0]



def is_label(el: ET.Element) -> bool:
    """A trait or field of a ``<variant>`` that ``variant_kind_label`` reads."""
    name = el.get("name") if el.tag == "trait" else el.get("type") if el.tag == "field" else None
    return name in DIALECT_NAMES + PLACE_NAMES or (el.tag == "trait" and name == "variant-type")


def variant_kind_label(variant: ET.Element) -> tuple[str, str | None]:
    """(kind, label) of a ``<variant>``: "dialect" when a dialect trait or field or a
    variant-type naming a dialect says so, else "spelling"; the label joins the dialect and
    place values."""
    labels, dialect = [], False
    for el in filter(is_label, variant):
        name = el.get("name") or el.get("type")
        if name == "variant-type":
            dialect = dialect or "dialect" in (el.get("value") or "").casefold()
            continue
        dialect = dialect or name in DIALECT_NAMES
        form = choose(el.findall("form"), (), fallback=True)
        labels.append(normalize.clean(el.get("value") or "" if el.tag == "trait"
                                      else text_of(form) if form is not None else ""))
    return ("dialect" if dialect else "spelling"), "; ".join(x for x in labels if x) or None


def mark(parent: ET.Element, child: ET.Element, kind: str) -> None:
    parent.insert(list(parent).index(child), ET.PI(SLOT, kind))


# ---- the XML parse ---------------------------------------------------------------------------
class LineElement(ET.Element):
    line: int | None = None


class Refused(Exception):
    """The parse stops here: ``args`` are the line and the message."""


class Tree(handler.ContentHandler, handler.LexicalHandler):
    """Builds elements with their lines, names as written (no namespace processing, so
    nothing is renamed). With ``on_child`` it reads a LIFT file: each child of ``<lift>`` is
    handed over, then dropped (memory stays flat); without, it keeps one tree with its slot
    instructions (XML kept in ``extra``). White space between elements is dropped, text
    inside ``<text>`` (mixed content) kept. DTDs are refused here; defusedxml has refused
    entity declarations and external references before."""

    def __init__(self, on_child=None) -> None:
        super().__init__()
        self.on_child = on_child
        self.root: LineElement | None = None
        self.stack: list[LineElement] = []
        self.chunks: list[str] = []
        self.in_text = 0
        self.locator = None
        self.dtd_line: int | None = None

    def setDocumentLocator(self, locator) -> None:
        self.locator = locator

    def line(self) -> int | None:
        return self.locator.getLineNumber() if self.locator is not None else None

    def _flush(self) -> None:
        text, self.chunks = "".join(self.chunks), []
        if self.stack and (text.strip() or (text and self.in_text)):
            text, parent = unicodedata.normalize("NFC", text), self.stack[-1]
            if len(parent):
                parent[-1].tail = (parent[-1].tail or "") + text
            else:
                parent.text = (parent.text or "") + text

    def startElement(self, name, attrs) -> None:
        self._flush()
        if len(self.stack) >= MAX_DEPTH:
            raise Refused(self.line(), f"elements are nested more than {MAX_DEPTH} deep; "
                                        "this is not a LIFT lexicon")
        el = LineElement(name, {k: unicodedata.normalize("NFC", attrs[k])
                                for k in sorted(attrs.getNames())})
        el.line = self.line()
        if self.stack:
            self.stack[-1].append(el)
        elif self.on_child is not None and name != "lift":
            raise Refused(el.line, f"the root element is <{name}>, not <lift>: this is not a "
                                    "LIFT lexicon")
        else:
            self.root = el
        self.stack.append(el)
        self.in_text += name == "text"

    def endElement(self, name) -> None:
        self._flush()
        el = self.stack.pop()
        self.in_text -= name == "text"
        if self.on_child is not None and len(self.stack) == 1:
            self.on_child(el, self.stack[0])
            self.stack[0].remove(el)

    def characters(self, content) -> None:
        self.chunks.append(content)

    def processingInstruction(self, target, data) -> None:
        if self.on_child is None and target == SLOT and self.stack:
            self._flush()
            self.stack[-1].append(ET.PI(target, data))

    def startDTD(self, name, public_id, system_id) -> None:
        if public_id or system_id:
            raise Refused(self.line(), f"the file refers to an external DTD "
                                        f"({system_id or public_id}), which is refused" + _NO_DTD)
        self.dtd_line = self.line()

    def endDTD(self) -> None:
        raise Refused(self.dtd_line, "the file declares a DTD, which is refused" + _NO_DTD)


def _read(data: bytes, tree: Tree) -> None:
    parser = DefusedExpatParser()  # refuses entity declarations and external references
    parser.setContentHandler(tree)
    parser.setProperty(handler.property_lexical_handler, tree)
    parser.parse(io.BytesIO(data))


class _Namespaced(Exception):
    pass


def to_xml(el: ET.Element) -> str:
    """``ET.tostring(el, encoding="unicode")``, the same text, in half the time: the parse
    keeps every entry and sense this way (``extra["lift"]``). The trees here have names as
    written, no ``{uri}`` names; a tree that has one is left to ``ET.tostring``."""
    out: list[str] = []
    try:
        _write_xml(el, out.append)
    except _Namespaced:
        return ET.tostring(el, encoding="unicode")
    return "".join(out)


def _write_xml(el: ET.Element, write) -> None:
    tag = el.tag
    if tag is ET.ProcessingInstruction:
        write(f"<?{el.text}?>")
    elif tag is ET.Comment:
        write(f"<!--{el.text}-->")
    else:
        if not isinstance(tag, str) or tag[:1] == "{":
            raise _Namespaced
        write("<" + tag)
        for key, value in el.items():
            if not isinstance(key, str) or key[:1] == "{":
                raise _Namespaced
            write(f' {key}="{ET._escape_attrib(value)}"')  # (ElementTree's own escaping)
        text = el.text
        if text or len(el):
            write(">")
            if text:
                write(ET._escape_cdata(text))
            for child in el:
                _write_xml(child, write)
            write(f"</{tag}>")
        else:
            write(" />")
    if el.tail:
        write(ET._escape_cdata(el.tail))


def load_kept(xml: str) -> ET.Element:
    """An element kept in ``extra["lift"]``, slot instructions included, read as files are."""
    tree = Tree()
    _read(xml.encode(), tree)
    assert tree.root is not None
    return tree.root


def read_lift(data: bytes, tree: Tree) -> list[ImportProblem]:
    """Parse a LIFT file into ``tree``; what stopped the parse (not well-formed, an
    entity, an external reference, a DTD, too deep, not ``<lift>``) as problems."""
    problems: list[ImportProblem] = []
    try:
        _read(data, tree)
    except SAXParseException as exc:
        problems.append(ImportProblem(exc.getLineNumber(), None, (
            f"not well-formed XML: {exc.getMessage()} (column {exc.getColumnNumber() + 1}); "
            "the rest of the file was not read")))
    except EntitiesForbidden as exc:
        what = (f'an external entity "{exc.name}" ({exc.sysid or exc.pubid}), which could read '
                "files on the server (XXE)" if exc.sysid or exc.pubid else
                f'an entity "{exc.name}"; entities can expand without limit ("billion laughs")')
        problems.append(ImportProblem(tree.line(), None, f"the file declares {what}; refused"
                                                         + _NO_DTD))
    except ExternalReferenceForbidden as exc:
        problems.append(ImportProblem(tree.line(), None, "the file refers to an external "
                                      f"resource ({exc.sysid}); refused" + _NO_DTD))
    except Refused as exc:
        problems.append(ImportProblem(exc.args[0], None, exc.args[1]))
    return problems


def like_headword(forms: list[ET.Element], lang: str | None):
    """An example's or variant's vernacular form: the headword's writing system, else the
    first form that is neither Vietnamese nor English (nor the name of a sound file)."""
    forms = [f for f in forms if not is_audio(f)]
    return (next((f for f in forms if f.get("lang") == lang), None)
            or next((f for f in forms if not (is_lang(f, "vi") or is_lang(f, "en"))), None))


def looks_like_lift(data: bytes) -> bool:
    """Whether the bytes are an XML document whose root is ``<lift>``.

    >>> looks_like_lift(b'<?xml version="1.0"?>\\n<lift version="0.13">'), looks_like_lift(b"a,b")
    (True, False)
    """
    head = data[:8192]
    utf16 = head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    text = head.decode("utf-16" if utf16 else "utf-8", "ignore").lstrip("\ufeff \t\r\n")
    return text.startswith("<") and re.search(r"<lift[\s/>]", text) is not None


def integer(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
