r"""The markers a Toolbox/MDF file uses: how often, where first, a sample value, and the
meaning each got and from where, for the dry run to show and the linguist to map.

Where it sits: ``mdf_in.parse_mdf`` passes every field it reads through ``MarkerTally``
and hands the table out (``ParsedLexicon.markers``, or ``ImportFailed.markers`` when the
file cannot be imported as it was read, so the import page can still offer the mapping).
Like ``lift_ws`` for a LIFT file's writing systems. Pure, no I/O.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .mdf_markers import (
    DEFAULT_MARKERS, KEEP, KEPT, Meaning, marker_name, parse_meaning)
from .records import ImportFailed, ImportMapping

SAMPLE = 60  # characters of a sample value
# Where a marker's meaning comes from.
DEFAULT, UNKNOWN, CHOSEN = "default", "kept", "chosen"  # also "file", "source" (ImportMapping)


class MarkerTally:
    """The markers of one file as it is read (header markers, ``\\_sh``…, left out)."""

    def __init__(self, mapping: ImportMapping | None = None) -> None:
        self.mapping = mapping or ImportMapping()
        self.meanings: Mapping[str, Meaning] | None = None  # as the parse used them
        self.found: dict[str, dict[str, Any]] = {}

    def watch(self, fields: Iterable) -> Iterator:
        """The fields, unchanged, each counted on its way."""
        for f in fields:
            if not f.marker.startswith("_"):
                seen = self.found.get(f.marker)
                if seen is None:
                    seen = self.found[f.marker] = {"count": 0, "filled": 0, "line": f.line,
                                                   "sample": ""}
                seen["count"] += 1
                if f.value.strip():
                    seen["filled"] += 1
                    if not seen["sample"]:
                        seen["sample"] = _sample(f.value)
            yield f

    @contextmanager
    def told(self, fields: Iterable):
        """Put the table on any ``ImportFailed`` raised inside; ``fields`` are read for it
        when the failure came before any was counted (a mapping that cannot be used)."""
        try:
            yield self
        except ImportFailed as failed:
            if not self.found:
                for _ in self.watch(fields):
                    pass
            failed.markers = failed.markers or self.table()
            raise

    def table(self) -> list[dict[str, Any]]:
        """One row per marker in order of appearance: ``marker`` (no backslash), ``count``,
        ``filled`` (with a value), ``line`` (the first), ``sample``, ``meaning`` (as a marker
        file writes it) and ``origin`` (``default``: standard MDF; ``kept``: not standard,
        kept as it is; ``chosen``, ``file``, ``source``: the mapping's)."""
        meanings = self.meanings if self.meanings is not None else self._as_mapped()
        mapped = {}
        for marker in self.mapping.markers:
            try:
                mapped[marker_name(marker)] = marker
            except ValueError:
                continue
        rows = []
        for marker, seen in self.found.items():
            meaning = meanings.get(marker, KEPT)
            default = DEFAULT_MARKERS.get(marker, KEEP)
            if str(meaning) == default:
                origin = DEFAULT if marker in DEFAULT_MARKERS else UNKNOWN
            elif marker in mapped:
                origin = self.mapping.origins.get(mapped[marker], CHOSEN)
            else:  # (``\lx`` kept because another marker starts the records)
                origin = CHOSEN
            rows.append({"marker": marker, **seen, "meaning": str(meaning), "origin": origin})
        return rows

    def _as_mapped(self) -> dict[str, Meaning]:
        """The meanings the mapping asks for, where they are meanings (the mapping could
        not be used: two headwords, say), over the defaults."""
        found = {m: parse_meaning(v) for m, v in DEFAULT_MARKERS.items()}
        for marker, text in self.mapping.markers.items():
            try:
                found[marker_name(marker)] = parse_meaning(text)
            except ValueError:
                continue
        return found


def _sample(value: str) -> str:
    """A value as the page shows it: printable characters, spaces folded, cut short.

    >>> _sample("a\\x07b   c" + "x" * 80)[:8], len(_sample("y" * 99))
    ('ab cxxxx', 61)
    """
    text = " ".join("".join(ch for ch in value if ch.isprintable() or ch.isspace()).split())
    return text if len(text) <= SAMPLE else text[:SAMPLE] + "…"
