"""Where an imported file comes from: known sources, a source declared with the import, and
the writing-system mapping remembered for a source.

Where it sits: ``importer.import_lexicon`` asks here for the sources a file may name (those
of ``data/languages.toml`` and those declared by earlier imports, stored in the database)
and, for a new one, checks the declaration the linguist made with the import (key,
citation, licence: ``--source-citation``/``--source-license`` on the command line, two
fields on the import page). Declaring a source is part of the import, not an edit of
``data/languages.toml``: the ``Source`` row is written in the import's own transaction.
A source may remember the mapping of its files' writing systems and markers
(``Source.import_mapping``), used when an import of that source names none.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..formats.records import WS_ROLES, ImportFailed, ImportMapping, ImportProblem
from ..models import Source

_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{1,63}")
# An SPDX identifier: a version number in it (CC-BY-4.0, CC0-1.0, Apache-2.0), or one of the
# few without (so "free" or "open" is not taken for a licence).
_LICENSE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]{1,63}")
_UNVERSIONED = ("MIT", "ISC", "Unlicense", "0BSD", "Zlib")


@dataclass(frozen=True)
class NewSource:
    """A source declared with an import: its key, citation and licence (an SPDX id)."""

    key: str
    citation: str
    license: str


def known_sources(session: Session, catalog: dict) -> dict[str, dict]:
    """Key → source (key, license, citation) for every source a file may name: those of
    ``data/languages.toml`` (which win) and those declared by earlier imports."""
    found = {s.key: {"key": s.key, "license": s.license, "citation": s.citation}
             for s in session.scalars(select(Source))}
    found.update({s["key"]: s for s in catalog.get("source", [])})
    return found


def check_new_source(new: NewSource, known: dict[str, dict]) -> dict:
    """The declared source as the readers take it; ``ImportFailed`` with what to fix."""
    problems = []
    if not _KEY.fullmatch(new.key):
        problems.append(f'the source key "{new.key}" may hold only small letters, digits, '
                        '"-" and "_" (2 to 64 of them), e.g. "nguyen2024"')
    if new.key in known:
        problems.append(f'the source "{new.key}" exists already: name it alone (--source '
                        f"{new.key}), without a citation and a licence")
    if not new.citation.strip():
        problems.append("a new source needs its citation (who made the data, title, year)")
    license_ = new.license.strip()
    if not _LICENSE.fullmatch(license_) or not (
            any(c.isdigit() for c in license_) or license_ in _UNVERSIONED):
        problems.append(f'"{new.license}" is not a licence identifier; use an SPDX id such '
                        "as CC-BY-4.0, CC-BY-SA-4.0 or CC0-1.0")
    if problems:
        raise ImportFailed(errors=[ImportProblem(None, "source", p) for p in problems])
    return {"key": new.key, "citation": new.citation.strip(), "license": new.license.strip()}


def write_new_source(session: Session, new: dict) -> None:
    """The declared source's row, in the import's transaction."""
    session.add(Source(key=new["key"], citation=new["citation"], license=new["license"],
                       url=new.get("url")))


def saved_mapping(session: Session, key: str | None) -> ImportMapping | None:
    """The mapping the source remembers (None: none)."""
    if not key:
        return None
    stored = session.scalar(select(Source.import_mapping).where(Source.key == key))
    if not stored:
        return None
    ws = {str(k): str(v) for k, v in (stored.get("ws") or {}).items() if v in WS_ROLES}
    markers = {str(k): str(v) for k, v in (stored.get("markers") or {}).items()}
    return ImportMapping(ws=ws, markers=markers,
                         origins=dict.fromkeys(markers, "source")) or None


def save_mapping(session: Session, key: str, mapping: ImportMapping) -> None:
    """Remember ``mapping`` for the files of source ``key`` (in the caller's transaction)."""
    source = session.scalar(select(Source).where(Source.key == key))
    if source is not None:
        source.import_mapping = {"ws": dict(mapping.ws), "markers": dict(mapping.markers)}
