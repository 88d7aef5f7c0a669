"""Languages and sources, from data/languages.toml into the database (idempotent)."""
from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Language, PublicIdCounter, Source


def semantic_fields(data_dir: Path) -> dict[str, dict[str, str]]:
    """``data/semantic_fields.toml``: field name → its label per interface language. Read
    again only when the file changes. ``OSError`` or ``tomllib.TOMLDecodeError`` (a
    ``ValueError``) when it cannot be read."""
    path = data_dir / "semantic_fields.toml"
    return _semantic_fields(str(path), path.stat().st_mtime)


@functools.lru_cache(maxsize=4)
def _semantic_fields(path: str, mtime: float) -> dict[str, dict[str, str]]:
    with open(path, "rb") as f:
        return tomllib.load(f).get("fields", {})


def load_catalog(data_dir: Path) -> dict:
    with open(data_dir / "languages.toml", "rb") as f:
        return tomllib.load(f)


def ensure_catalog(session: Session, data_dir: Path) -> None:
    """Insert or update the languages and sources listed in data/languages.toml."""
    catalog = load_catalog(data_dir)
    for item in catalog.get("language", []):
        lang = session.scalar(select(Language).where(Language.code == item["code"]))
        if lang is None:
            lang = Language(code=item["code"])
            session.add(lang)
        lang.name_vi, lang.name_en = item["name_vi"], item["name_en"]
        lang.glottocode = item.get("glottocode")
        if session.get(PublicIdCounter, item["code"]) is None:
            from .indexing import last_public_number

            last = last_public_number(session.connection(), item["code"])
            session.add(PublicIdCounter(lang=item["code"], last=last))
    for item in catalog.get("source", []):
        src = session.scalar(select(Source).where(Source.key == item["key"]))
        if src is None:
            src = Source(key=item["key"])
            session.add(src)
        src.citation, src.license, src.url = item["citation"], item["license"], item.get("url")


def ordered_languages(session: Session) -> list[Language]:
    return list(session.scalars(select(Language).order_by(Language.id)))
