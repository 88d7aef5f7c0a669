"""The entries an import creates, written in bulk as rows (``entry_rows``), not ORM objects.

Where it sits: ``import_plan.apply_plan`` hands each step of new rows here, inside the
importer's one transaction. For each entry it does what the ORM path does for a new
``Entry``: ``revisions.assign_state`` (here: the columns and child rows of
``parsed_state``, matched to the model by name), then the flush hooks of ``indexing`` (text
in storage form and the derived keys, ``derive``; a public id from the language's counter
unless the file's is restored; one ``index_queue`` row per entry). Each entry's revision
snapshot is ``revisions.entry_snapshot`` of the rows as written, so it is what reloading
the entry would give; ``revision_writer`` writes them. A state the model cannot take by
name (a key that is neither a column nor a child relationship) is refused by
``NewEntries.add``, and ``apply_plan`` writes that entry through the ORM instead.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .. import derive, signals
from ..entry_rows import Shape, as_row, insert_tree, session_parents, shape
from ..indexing import language_rules, next_public_ids, queue_entries
from ..models import Entry, Language, Revision, Source
from ..revisions import EntryState, announce, entry_snapshot


class Created(NamedTuple):
    """A new entry written in bulk: what the importer needs of it afterwards."""

    id: int
    public_id: str
    source_key: str


def _copy(key: str, value: Any) -> Any:
    """The value ``assign_state`` stores: its own copy of lists and dicts, ``extra`` never
    None."""
    if key == "extra":
        return dict(value or {})
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return [dict(x) if isinstance(x, dict) else x for x in value]
    return value


def _values(tree: Shape, state: dict[str, Any]) -> dict[str, Any] | None:
    """Attribute values (children under their relationship keys) of one state, or None
    when a key is neither a column nor a child relationship of the model."""
    values: dict[str, Any] = {}
    for key, value in state.items():
        if key in tree.columns and key != tree.pk:
            values[key] = _copy(key, value)
            continue
        child = tree.children.get(key)
        if child is None or not isinstance(value, list):
            return None
        kids = []
        for i, item in enumerate(value):
            kid = _values(child.shape, item) if isinstance(item, dict) else None
            if kid is None:
                return None
            for name in child.order:  # the place in the list (Sense.position)
                if name != child.shape.pk and name not in item:
                    kid[name] = i
            kids.append(kid)
        values[key] = kids
    return values


def _finish(tree: Shape, values: dict[str, Any]) -> dict[str, Any]:
    """What the flush hook and the INSERT make of an object's values: free text in
    storage form (``derive.clean_values``), then every column (``Shape.insert_values``)."""
    derive.clean_values(tree.model, values)
    out = tree.insert_values(values)
    for child in tree.children.values():
        out[child.key] = [_finish(child.shape, kid) for kid in values.get(child.key, ())]
    return out


class NewEntries:
    """Builds and writes the new entries of one import (one language)."""

    def __init__(self, session: Session, language: Language, sources: dict[str, Source]
                 ) -> None:
        self.session, self.language, self.sources = session, language, sources
        self.tree = shape(Entry)
        self.rules = language_rules(session, language.code)
        self.pending: list[dict[str, Any]] = []

    def add(self, state: EntryState, *, source_key: str, status: str, public_id: str | None,
            homograph: int | None) -> bool:
        """Queue one new entry for ``write``; False (nothing queued) when its state does not
        fit the model by name (the caller uses the ORM)."""
        content = dict(state)
        source = self.sources[content.pop("source")] if "source" in content else None
        values = _values(self.tree, content)
        if values is None:
            return False
        values.update(language_id=self.language.id, source_id=source.id if source else None,
                      source_key=source_key, status=status, public_id=public_id,
                      reviewed=False, homograph=homograph)
        values.update(derive.entry_keys(values.get("headword"), self.rules))
        self.pending.append(_finish(self.tree, values))
        return True

    def write(self) -> list[tuple[Created, dict[str, Any]]]:
        """INSERT the queued entries (public ids handed out in the order they were added),
        queue them for the index; each with its revision snapshot."""
        rows, self.pending = self.pending, []
        if not rows:
            return []
        fresh = [row for row in rows if not row["public_id"]]
        for row, public_id in zip(fresh, next_public_ids(self.session, self.language.code,
                                                         len(fresh))):
            row["public_id"] = public_id
        insert_tree(self.session.connection(), self.tree, rows)
        queue_entries(self.session, sorted(row["public_id"] for row in rows))
        parents = session_parents(self.session)
        return [(Created(row["id"], row["public_id"], row["source_key"]),
                 entry_snapshot(as_row(self.tree, row, parents))) for row in rows]


def insert_revisions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT revisions (attribute dicts of ``Revision``) in one executemany, in order."""
    if rows:
        tree = shape(Revision)
        session.connection().execute(insert(Revision.__table__), [
            {tree.columns[key].name: value for key, value in tree.insert_values(r).items()}
            for r in rows])


def revision_writer(session: Session, batch_id: int, user, author: str):
    """``apply_plan``'s ``record``: one revision per written entry, signed with the batch
    (what ``revisions.record`` does for one entry), one executemany per step. An ORM entry's
    snapshot is taken now, after the step's flush; a bulk one came with its rows."""
    def record(done: list[tuple[Entry | Created, str, dict | None]]) -> None:
        insert_revisions(session, [
            {"entry_public_id": entry.public_id, "summary": summary,
             "user_id": getattr(user, "id", None), "author": author, "batch_id": batch_id,
             "snapshot": entry_snapshot(entry) if snapshot is None else snapshot}
            for entry, summary, snapshot in done])
    return record


def announce_written(session: Session, written: Sequence[tuple[Entry | Created, str]],
                     user, step: int = 500) -> None:
    """``revisions.announce`` every written entry, in order, a step at a time as one
    ``signals.announcing`` run: receivers get the ``Entry``, so the ones written as rows are
    loaded (their columns only; the session lets go of each once nothing holds it)."""
    for i in range(0, len(written), step):
        chunk = written[i:i + step]
        ids = [entry.id for entry, _ in chunk if isinstance(entry, Created)]
        loaded = {e.id: e for e in session.scalars(select(Entry).where(Entry.id.in_(ids)))} \
            if ids else {}
        with signals.announcing(session, [entry.public_id for entry, _ in chunk]):
            for entry, summary in chunk:
                announce(session, loaded[entry.id] if isinstance(entry, Created) else entry,
                         summary, user)
