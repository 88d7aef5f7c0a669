"""The Whoosh index on disk: schema, the single writer, rebuild-and-swap, reused searchers.

Layout of the index directory::

    index/CURRENT        name of the live generation directory (replaced atomically)
    index/gen-<stamp>/   a Whoosh index, with the lookup tables and fuzzy maps of each large
                         segment saved beside it (``snapshot``)
    index/write.lock     our writer lock (fcntl: released by the kernel if a process dies)
    index/NODE           this index's name among those following one database (``node``)
    index/gen-<stamp>/APPLIED  the last outbox id this generation holds and the database
                               epoch it was built from (``applied``, ``epoch``)

Whoosh allows one writer at a time; a second gets ``LockError`` at once. Writers here wait on
``write.lock`` with a timeout instead, and the lock also covers ``rebuild``, so a queue worker
can never write into a generation that is about to be swapped out. A rebuild builds a new
generation beside the live one and then switches ``CURRENT``; searchers notice the switch
(one small file read) and reopen. The previous generation is kept one round so that a
searcher in another process that is still reading it does not lose its files.
"""
from __future__ import annotations

import fcntl
import os
import secrets
import socket
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from whoosh import columns, fields, index, writing
from whoosh.searching import Searcher

from . import snapshot
from .documents import SIDES
from .rules import Rules
from .query import PREFIX_SLOTS, Results, search
from .tables import TableCache, TableView
from .vocabulary import Vocabulary

CURRENT = "CURRENT"
# How often (seconds) a thread looks on disk for writes by other processes; writes made in
# this process are seen at once. The look (CURRENT plus Whoosh's table of contents) costs
# more than a lookup, so it is not repeated per query.
CHECK_INTERVAL = 0.25
_writes: dict[str, int] = {}  # index path → writes made through this process
_writes_lock = threading.Lock()
LOCK = "write.lock"
# Written into each generation; a generation without it (or with another number) is rebuilt.
# 2: postings are no longer stored inline in the term dictionary — whoosh3 3.54.0 writes
# inline postings but cannot merge them (``PostingPool.add`` asserts bytes and gets "")
# once five small segments are merged, which stopped the index after a few edits.
# 3: the lookup column holds one block of keys per (strictness, slot) and no word lists.
FORMAT = "3"
FORMAT_FILE = "FORMAT"
# Segments this large are never merged by an edit (only a rebuild replaces them): a merged
# large segment would make every server process read its tables again, each its own copy
# (``snapshot``); small segments merge among themselves as Whoosh's MERGE_SMALL has them.
KEEP_SEGMENT_DOCS = 10_000


def merge_small_keep_large(writer, segments):
    """Whoosh's merge policy ``MERGE_SMALL`` over the segments under KEEP_SEGMENT_DOCS;
    larger ones are kept as they are, first (the base segment keeps document offset 0)."""
    large = [seg for seg in segments if seg.doc_count_all() >= KEEP_SEGMENT_DOCS]
    small = [seg for seg in segments if seg.doc_count_all() < KEEP_SEGMENT_DOCS]
    return large + list(writing.MERGE_SMALL(writer, small))
APPLIED = "APPLIED"
NODE = "NODE"


class IndexBusy(RuntimeError):
    """Another process holds the writer lock longer than our timeout."""


class IndexMissing(RuntimeError):
    """No index has been built yet (run `flask --app dictionary search rebuild`)."""


def schema() -> fields.Schema:
    # Few fields: Whoosh's per-document cost grows with each one (a 100,000-entry build).
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        updated=fields.STORED(),  # for the diff repair (search update/check)
        texts=fields.STORED(),  # (headword, variants, glosses) as written, for suggestions
        # What the lookup tables need of a document (documents.encode_lookup).
        lookup=fields.COLUMN(columns.VarBytesColumn()),
    )


class SearchIndex:
    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._key = str(self.path.resolve())
        self._local = threading.local()
        self._tables = TableCache()
        self._vocabularies = {side: Vocabulary(f"{side}_l") for side in SIDES}
        self._vocab_start = threading.Lock()

    # ---- generations -------------------------------------------------------------------
    def _current_name(self) -> str | None:
        try:
            return (self.path / CURRENT).read_text().strip() or None
        except FileNotFoundError:
            return None

    def exists(self) -> bool:
        name = self._current_name()
        return bool(name) and index.exists_in(str(self.path / name))

    def is_current(self) -> bool:
        """Whether the index on disk has this code's schema and format (else it must be
        rebuilt)."""
        if not self.exists():
            return False
        name, ix = self._open()
        marker = self.path / name / FORMAT_FILE
        if not marker.exists() or marker.read_text().strip() != FORMAT:
            return False
        return sorted(ix.schema.names()) == sorted(schema().names())

    def _open(self) -> tuple[str, index.Index]:
        name = self._current_name()
        if not name or not index.exists_in(str(self.path / name)):
            raise IndexMissing(str(self.path))
        return name, index.open_dir(str(self.path / name))

    # ---- following the outbox ---------------------------------------------------------
    def applied(self) -> int:
        """The last outbox id the live generation holds (0: none recorded yet)."""
        return self._applied()[0]

    def epoch(self) -> int | None:
        """The database epoch the live generation was built from (``outbox.epoch``)."""
        return self._applied()[1]

    def _applied(self) -> tuple[int, int | None]:
        name = self._current_name()
        try:
            words = (self.path / name / APPLIED).read_text().split() if name else []
            return int(words[0]), (int(words[1]) if len(words) > 1 else None)
        except (FileNotFoundError, ValueError, IndexError):
            return 0, None

    def mark_applied(self, last: int) -> None:
        """Record that the live generation holds the outbox up to ``last`` (written after
        the documents are committed: a crash in between applies the rows again, which
        changes nothing). The caller holds ``write_lock``."""
        name = self._current_name()
        if name:
            _write_atomically(self.path / name / APPLIED, _applied_text(last, self.epoch()))

    def node(self) -> str:
        """This index's name among the indexes that follow one database (one per machine).
        Kept in the index directory with the host it was made on: a directory copied to
        another machine gets a new name there, so the two are never taken for one."""
        host = socket.gethostname()
        try:
            name, made_on = (self.path / NODE).read_text().split()
            if made_on == host:
                return name
        except (FileNotFoundError, ValueError):
            pass
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"{host[:40]}-{secrets.token_hex(6)}"
        _write_atomically(self.path / NODE, f"{name} {host}")
        return name

    # ---- writing ------------------------------------------------------------------------
    @contextmanager
    def write_lock(self, timeout: float) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / LOCK, "a+") as f:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusy(f"index writer lock held longer than {timeout}s") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def write(self, upserts: Iterable[dict], deletes: Iterable[str]) -> None:
        """Write documents (made by ``documents.make_document``) and delete ids.

        The caller holds ``write_lock`` and has read the source data under it: otherwise an
        older read could overwrite a newer write from another process.
        """
        upserts, deletes = list(upserts), list(deletes)
        if not upserts and not deletes:
            return
        _, ix = self._open()
        try:
            w = ix.writer()
            try:
                # One searcher for the batch: ``update_document`` opens one per document,
                # which grows with the index (a 100,000-entry import's queue took 24 s
                # instead of 6). The ids of a batch are distinct, so delete-then-add is
                # what ``update_document`` does.
                with w.searcher() as s:
                    for doc_id in [*deletes, *(doc["id"] for doc in upserts)]:
                        w.delete_by_term("id", doc_id, searcher=s)
                for doc in upserts:
                    w.add_document(**doc)
            except BaseException:
                w.cancel()
                raise
            w.commit(mergetype=merge_small_keep_large)
        finally:
            self._written()

    def _written(self) -> None:
        with _writes_lock:
            _writes[self._key] = _writes.get(self._key, 0) + 1

    def build(self, documents: Iterable[dict], applied: int = 0,
              epoch: int | None = None) -> int:
        """Build a fresh generation from ``documents`` (in display order) and swap it in;
        it holds the outbox up to ``applied`` of the database's ``epoch``.

        The caller holds ``write_lock``. Nothing changes for readers until the swap. Before
        it, the lookup tables and fuzzy maps of the new generation are saved beside it
        (``snapshot``), so that no server process has to build them.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        name = f"gen-{time.time_ns()}"
        target = self.path / name
        target.mkdir()
        try:
            ix = index.create_in(str(target), schema())
            (target / FORMAT_FILE).write_text(FORMAT)
            (target / APPLIED).write_text(_applied_text(applied, epoch))
            count = 0
            with ix.writer(limitmb=256) as w:
                for doc in documents:
                    w.add_document(**doc)
                    count += 1
            self._save_tables(target)
            tmp = self.path / f"{CURRENT}.tmp"
            tmp.write_text(name)
            os.replace(tmp, self.path / CURRENT)
            self._written()
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        self._drop_old_generations(keep={name, self._previous_name(name)})
        return count

    def _save_tables(self, directory: Path) -> None:
        with index.open_dir(str(directory)).reader() as reader:
            leaves = [(leaf, leaf.segment()) for leaf, _ in reader.leaf_readers() if leaf.segment()]
            for i, (leaf, segment) in enumerate(leaves):
                tables = snapshot.segment_tables(directory, leaf, segment.segment_id())
                if i == 0:  # the fuzzy maps start from the first segment's (``vocabularies``)
                    snapshot.segment_vocabularies(
                        directory, tables, segment.segment_id(),
                        [v.fieldname for v in self._vocabularies.values()], leaf.doc_count_all())

    def _previous_name(self, name: str) -> str | None:
        gens = sorted(p.name for p in self.path.glob("gen-*") if p.name != name)
        return gens[-1] if gens else None

    def _drop_old_generations(self, keep: set[str | None]) -> None:
        for p in self.path.glob("gen-*"):
            if p.name not in keep:
                shutil.rmtree(p, ignore_errors=True)

    # ---- reading ------------------------------------------------------------------------
    def searcher(self) -> Searcher:
        """This thread's searcher, reopened only when the index has changed.

        Opening a searcher costs more than a lookup, so it is kept between requests. Writes
        through this process are noticed at once; writes by other processes at the next
        check on disk (one small file read plus Whoosh's generation check), made at most
        every CHECK_INTERVAL seconds. On change we reopen
        rather than ``refresh()``: whoosh's refresh reuses a segment's reader when only its
        deletions changed, and deleted entries would stay visible.
        """
        local = self._local
        s: Searcher | None = getattr(local, "searcher", None)
        writes, now = _writes.get(self._key, 0), time.monotonic()
        if s is not None and local.writes == writes and now < local.checked + CHECK_INTERVAL:
            return s
        local.writes, local.checked = writes, now
        name = self._current_name()
        if s is not None and getattr(local, "name", None) == name and s.up_to_date():
            return s
        if s is not None:
            s.close()
            local.searcher = None
        local.name, ix = self._open()
        local.searcher = s = ix.searcher()
        local.view = None
        return s

    def view(self) -> TableView:
        """This thread's lookup tables, in step with its searcher (``tables``)."""
        s = self.searcher()
        local = self._local
        if getattr(local, "view", None) is None:
            directory = self.path / local.name
            local.view = self._tables.view(
                local.name, s.reader(), s,
                lambda leaf, segment_id: snapshot.segment_tables(directory, leaf, segment_id))
        return local.view

    def on_tables_read(self, callback: Callable[[int], None] | None) -> None:
        """Call ``callback(documents)`` whenever this process reads the tables of a segment
        (a new one, or a new generation's) instead of having them already."""
        self._tables.on_read = callback

    def vocabularies(self) -> dict[str, Vocabulary]:
        """The fuzzy maps of the current index, shared by all threads of this process and
        updated (incrementally) when the index changed. The first fill starts from the
        first segment's maps (``snapshot``: loaded, or built and saved)."""
        view = self.view()
        reader = self._local.searcher.reader()
        generation = (self._local.name, reader.generation())
        if view.leaves and not any(v.words for v in self._vocabularies.values()):
            self._start_vocabularies(view, reader)
        for vocab in self._vocabularies.values():
            vocab.refresh(view, generation)
        return self._vocabularies

    def _start_vocabularies(self, view: TableView, reader) -> None:
        with self._vocab_start:
            if any(v.words for v in self._vocabularies.values()):
                return
            leaf = next((leaf for leaf, _ in reader.leaf_readers() if leaf.segment()), None)
            if leaf is None:
                return
            names = [v.fieldname for v in self._vocabularies.values()]
            bases = snapshot.segment_vocabularies(
                self.path / self._local.name, view.leaves[0][0], leaf.segment().segment_id(),
                names, leaf.doc_count_all())
            for vocab in self._vocabularies.values():
                vocab.start_from(bases[vocab.fieldname])

    def warm_up(self) -> None:
        """Build everything a first query would otherwise wait for: the lookup tables, the
        sorted keys prefix walks use, the fuzzy maps."""
        view = self.view()
        for tables, _, _ in view.leaves:
            for slot in PREFIX_SLOTS:
                tables.sorted_keys(slot)
        self.vocabularies()

    def search(self, query: str, langs: Sequence[str], rules: dict[str, Rules],
               limit: int = 20) -> Results:
        """Tiered lookup with this thread's tables and the shared fuzzy maps."""
        return search(self.view(), query, langs, rules, limit, self.vocabularies)

    def close(self) -> None:
        s = getattr(self._local, "searcher", None)
        if s is not None:
            s.close()
            self._local.searcher = self._local.view = None

    def doc_count(self) -> int:
        return self.searcher().doc_count()

    def stored_versions(self) -> dict[str, str]:
        """id → updated stamp of every document, for the diff repair."""
        s = self.searcher()
        return {f["id"]: f.get("updated", "") for f in s.reader().all_stored_fields()}

    def size_bytes(self) -> int:
        name = self._current_name()
        if not name:
            return 0
        return sum(p.stat().st_size for p in (self.path / name).iterdir() if p.is_file())


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _applied_text(last: int, epoch: int | None) -> str:
    return f"{last} {epoch}" if epoch is not None else str(last)
