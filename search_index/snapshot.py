"""Lookup tables and fuzzy maps saved beside each large Whoosh segment, loaded in seconds.

Building the tables (``tables``) and the fuzzy maps (``vocabulary``) of a 100,000-entry
segment takes 12–35 s of Python; loading the same objects with ``marshal`` takes 2–4 s.
A segment never changes once written (only its deletion set does), so whatever a process
builds for a segment of ``SAVE_MIN_DOCS`` documents or more is written once into its
generation directory, named after the segment::

    index/gen-<stamp>/MAIN_<segment id>.tables   SegmentTables.state()
    index/gen-<stamp>/MAIN_<segment id>.fuzzy    the fuzzy maps of its words (Vocabulary.state())

Whoosh deletes these files with the segment's own when a merge or a new generation drops
it (its clean-up takes every ``<segment id>.*``). One process builds a missing file while
the others wait on ``<segment id>.tables.lock`` and then load it. A file that is missing,
unreadable or of another ``FORMAT`` is built again; a directory that cannot be written
(read-only media) only costs the build. Files are read back only by this code, from the
index directory the application owns: ``marshal`` is not meant for untrusted input.
"""
from __future__ import annotations

import fcntl
import gc
import logging
import marshal
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh.reading import IndexReader

from .tables import SegmentTables
from .vocabulary import Vocabulary

log = logging.getLogger(__name__)

#: Smaller segments (edits, small imports) are built from Whoosh: quicker than a file.
SAVE_MIN_DOCS = 2000
#: Written first in each file; another number (another layout) means "build again".
FORMAT = 1


@contextmanager
def _no_gc() -> Iterator[None]:
    """Millions of new containers would set off the cyclic collector again and again,
    scanning everything built so far: off while building or loading (nothing here makes
    cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(path: Path) -> tuple | None:
    try:
        data = path.read_bytes()  # marshal.load(file) reads item by item: 8 times slower
        with _no_gc():
            found = marshal.loads(data)
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError, TypeError):
        log.warning("unreadable search snapshot %s: built again", path)
        return None
    if not isinstance(found, tuple) or len(found) != 2 or found[0] != FORMAT:
        return None
    return found[1]


def _save(path: Path, state: object) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # Whoosh's clean-up skips dot files
    try:
        tmp.write_bytes(marshal.dumps((FORMAT, state)))
        os.replace(tmp, path)
    except OSError as exc:
        log.info("search snapshot %s not written (%s): built again by the next process",
                 path, exc)
        tmp.unlink(missing_ok=True)


@contextmanager
def _building(path: Path) -> Iterator[bool]:
    """Hold ``path``'s build lock (yields True), or yield False where it cannot be taken
    (a read-only directory)."""
    try:
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield False
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield True
    finally:
        os.close(fd)  # releases the lock


def _load_or_build(path: Path, build: Callable[[], object]) -> object:
    state = _load(path)
    if state is not None:
        return state
    with _building(path):
        state = _load(path)  # another process may have built it while we waited
        if state is None:
            with _no_gc():
                state = build()
            _save(path, state)
    return state


def segment_tables(directory: Path | None, reader: IndexReader, segment_id: str) -> SegmentTables:
    """The lookup tables of one segment: loaded from its file, or built (and saved when
    the segment is large)."""
    if directory is None or reader.doc_count_all() < SAVE_MIN_DOCS:
        return SegmentTables(reader)
    state = _load_or_build(directory / f"{segment_id}.tables",
                           lambda: SegmentTables(reader).state())
    return SegmentTables.from_state(state)


def segment_vocabularies(directory: Path | None, tables: SegmentTables, segment_id: str,
                         fieldnames: list[str], docs: int) -> dict[str, Vocabulary]:
    """The fuzzy maps of one segment's words (``fieldname`` → map), loaded or built."""
    def build() -> dict:  # without the words: they come from the tables (one set, not two)
        return {name: Vocabulary.of_words(name, tables.single_words(name[:2])).state()[1:]
                for name in fieldnames}

    if directory is None or docs < SAVE_MIN_DOCS:
        states = build()
    else:
        states = _load_or_build(directory / f"{segment_id}.fuzzy", build)
    return {name: Vocabulary.from_state(name, (tables.single_words(name[:2]), *states[name]))
            for name in fieldnames}
