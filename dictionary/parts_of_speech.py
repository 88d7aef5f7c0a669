"""The controlled list of parts of speech, from data/parts_of_speech.toml.

The importer checks ``part_of_speech`` cells against it and stores the ``key``; pages can
show the Vietnamese or English label. Linguists extend the list in the data file, not here.
"""
from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PartOfSpeech:
    key: str  # what Entry.part_of_speech stores, e.g. "noun"
    vi: str  # "danh từ"
    en: str  # "noun"
    aliases: tuple[str, ...] = ()  # other accepted spellings in import files: "n", "dt"


def load_parts_of_speech(data_dir: str | Path) -> list[PartOfSpeech]:
    """The list in file order; empty when the data directory has no such file."""
    path = Path(data_dir) / "parts_of_speech.toml"
    if not path.exists():
        return []
    with open(path, "rb") as f:
        items = tomllib.load(f).get("pos", [])
    return [PartOfSpeech(i["key"], i["vi"], i["en"], tuple(i.get("aliases", ()))) for i in items]


def fold_label(label: str) -> str:
    """How a cell is matched against keys, labels and aliases: case, spacing and a final
    full stop do not matter.

    >>> fold_label("  Danh  Từ. ")
    'danh từ'
    """
    return " ".join(unicodedata.normalize("NFC", label).casefold().strip().rstrip(".").split())
