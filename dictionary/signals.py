"""What happens to entries, announced to packages that follow them (blinker signals).

Where it sits: the dictionary's operations send these; packages built on the dictionary
(``lessons`` points at senses, ``dictionary.audio`` at entries) connect receivers in their
``init_app``, so ``dictionary`` never imports them. Every signal is sent *inside* the
transaction that makes the change, before the caller commits, with that ``session``: a
receiver changes rows through it (never commits), and its changes are committed or rolled
back together with the entry's. Receivers must be quick; an exception in one aborts the
change.

- ``entry_saved``: sender the ``Entry``; ``session``, ``summary`` (the revision summary:
  created, updated, submitted, published, rejected, reviewed, restored, or an import's
  created/updated), ``user`` (None for imports and reverts run from the command line).
- ``entry_deleted``: sender the ``Entry`` (soft-deleted: the row stays); ``session``, ``user``.
- ``entries_merged``: sender the ``Entry`` kept; ``session``, ``merged`` (the entries merged
  into it, now deleted, each after its own ``entry_deleted``), ``senses`` (a dict: id of each
  sense that moved → the entry it came from), ``refs`` (a dict: public id of each sense and
  example of the merged entries that moved or was folded into a kept one → its public id now,
  see ``sense_ids``), ``user``.
- ``batch_reverted``: sender the batch id; ``session``, ``public_ids`` (the entries the
  revert changed or deleted; each also had its ``entry_saved``/``entry_deleted``), ``user``.

A bulk write (an import) announces its entries one after another inside ``announcing``:
a receiver that reads the database for each entry may then read it once for all of them
(``run(session)``: the public ids about to be announced, and a scratch dict that lives as
long as the run). Receivers that do not look behave as for any save.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from blinker import Namespace

_signals = Namespace()

entry_saved = _signals.signal("entry-saved")
entry_deleted = _signals.signal("entry-deleted")
entries_merged = _signals.signal("entries-merged")
batch_reverted = _signals.signal("batch-reverted")


@dataclass
class Run:
    public_ids: frozenset[str]
    scratch: dict[str, Any] = field(default_factory=dict)


@contextmanager
def announcing(session, public_ids: Collection[str]) -> Iterator[Run]:
    """Mark the signals sent inside as one run over ``public_ids`` (see the module doc)."""
    session.info["announcing"] = current = Run(frozenset(public_ids))
    try:
        yield current
    finally:
        session.info.pop("announcing", None)


def run(session) -> Run | None:
    """The run of announcements under way in ``session``, if any."""
    return session.info.get("announcing")
