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
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

entry_saved = _signals.signal("entry-saved")
entry_deleted = _signals.signal("entry-deleted")
entries_merged = _signals.signal("entries-merged")
batch_reverted = _signals.signal("batch-reverted")
