"""One language's orthography rules as a value, and the error for a rule file that cannot be used.

Where it sits: a leaf. ``orthography`` reads ``data/orthography/<lang>.toml`` into ``Rules``;
``normalize`` (search keys), ``collation`` (sort order) and everything above take ``Rules``
from here, so the modules form a chain (rules ← normalize ← collation ← orthography), not a
circle.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

__all__ = ["OrthographyError", "Rules", "unique"]


class OrthographyError(ValueError):
    """A rule file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Rules:
    """One language's rules.  Frozen and hashable: compiled forms are cached per value."""

    lang: str
    name: str
    equivalences: tuple[tuple[str, str], ...] = ()  # search-only, never spellings
    ignorable: tuple[str, ...] = ()
    tone_marks: tuple[str, ...] = ()
    tailoring: str = ""
    letters: tuple[str, ...] = ()

    def __hash__(self) -> int:
        # Rules key the per-word caches, hit several times per query word: hash the fields
        # once (kept out of pickles: str hashes differ between processes).
        h = self.__dict__.get("_hash")
        if h is None:
            h = self.__dict__["_hash"] = hash(tuple(getattr(self, f.name) for f in fields(self)))
        return h

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    @classmethod
    def union(cls, rules: Iterable[Rules]) -> Rules:
        """Rules for a query run against several languages at once.

        Languages are taken in code order and the first equivalence for a letter wins,
        so the result does not depend on the order of the argument.  The tailoring is
        left empty: there is no meaningful merge of two sort orders.

        >>> a = Rules("hre", "Hrê", (("ŋ", "ng"),), ("ː",), (".L",), "", ("ŋ",))
        >>> b = Rules("cua", "Co", (("ŋ", "n"), ("ɨ", "ư")), ("ʔ",), (), "", ("ɨ", "ŋ"))
        >>> u = Rules.union([a, b])
        >>> u.lang, u.equivalences, u.ignorable, u.letters
        ('cua+hre', (('ŋ', 'n'), ('ɨ', 'ư')), ('ʔ', 'ː'), ('ɨ', 'ŋ'))
        """
        items = sorted(rules, key=lambda r: r.lang)
        seen: dict[str, str] = {}
        for r in items:
            for src, dst in r.equivalences:
                seen.setdefault(src, dst)
        return cls(
            lang="+".join(r.lang for r in items),
            name=", ".join(r.name for r in items),
            equivalences=tuple(seen.items()),
            ignorable=unique(x for r in items for x in r.ignorable),
            tone_marks=unique(x for r in items for x in r.tone_marks),
            tailoring="",
            letters=unique(x for r in items for x in r.letters),
        )


def unique(items: Iterable[str]) -> tuple[str, ...]:
    """The items in first-seen order, each once."""
    return tuple(dict.fromkeys(items))
