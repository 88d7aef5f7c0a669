"""Whole entries as plain rows, read and written with Core statements: no ORM objects.

Where it sits: under the bulk paths. ``curation.import_bulk`` writes the entries an import
creates with ``insert_tree``; ``indexing`` reads the entries its queue names with
``load_tree``. An ORM ``Entry`` with its senses, examples and variants costs about 0.1 ms to
make and as much again to flush, and the session holds them all (a 20,000-entry import
grew by 340 MB); here an entry is a ``Row``: an object with every column of its model as
an attribute, each one-to-many
relationship as a list of ``Row``s in the relationship's order, each many-to-one as its
target (the ORM ``Language`` and ``Source``, a handful, or the parent ``Row``), and the
model's plain properties (``Sense.glosses_vi``). The functions written for ORM entries
(``revisions.entry_snapshot``, ``indexing.entry_doc``) read a ``Row`` unchanged.

What is a column, a default and a child relationship is read from the mappers
(``shape``), so a column or a child table the model gains is written and read without a
change here. A ``None`` is written as the ORM writes it: a column with a Python default
takes the default, a JSON column stores JSON ``null``, any other column ``NULL``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Column, Integer, func, insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import MANYTOONE, ONETOMANY

CHUNK = 500  # parent ids per IN (…) when loading children


class Row:
    """One row of a model as plain attributes (see the module doc)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'id', None)}>"


@dataclass(frozen=True)
class Child:
    key: str  # the relationship's attribute on the parent (``senses``)
    shape: Shape
    fk: str  # the child's attribute holding the parent's id (``entry_id``)
    back: str | None  # the child's relationship back to the parent (``entry``), if any
    order: tuple[str, ...]  # the child's attributes the relationship orders by


@dataclass(frozen=True)
class Parent:
    key: str  # the relationship's attribute (``language``)
    model: type
    fk: str  # this model's attribute holding the target's id (``language_id``)


@dataclass(frozen=True, eq=False)  # (one per model: compared and hashed by identity)
class Shape:
    """A model as the bulk paths see it: columns, defaults, relationships."""

    model: type
    columns: dict[str, Column]  # attribute → column, primary key included
    pk: str
    children: dict[str, Child] = field(default_factory=dict)
    parents: dict[str, Parent] = field(default_factory=dict)
    row_class: type[Row] = Row

    def defaults(self) -> dict[str, Any]:
        """Attribute → the value an INSERT that leaves it out stores (Python defaults;
        ``None`` for columns without one). Callables are called: fresh lists and times."""
        fixed, called = _defaults(self)
        out = dict(fixed)
        for key, make in called:
            out[key] = make(None)  # SQLAlchemy wraps a plain callable to take a context
        return out

    def insert_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` completed to every column but the key, ``None`` written as the ORM
        writes it (the module doc)."""
        out = self.defaults()
        for key, value in values.items():
            if key not in self.columns or key == self.pk:
                continue
            col = self.columns[key]
            if value is None and col.default is not None and not isinstance(col.type, JSON):
                continue  # the ORM leaves the column out: its default is stored
            out[key] = value
        return out


@lru_cache(maxsize=None)
def _defaults(tree: Shape) -> tuple[dict[str, Any], tuple[tuple[str, Callable], ...]]:
    """The scalar defaults (``None`` where a column has none), and the callable ones."""
    fixed: dict[str, Any] = {}
    called: list[tuple[str, Callable]] = []
    for key, col in tree.columns.items():
        default = col.default
        if key == tree.pk:
            continue
        if default is not None and default.is_callable:
            called.append((key, default.arg))
        else:  # (a SQL expression default is never used by these models)
            fixed[key] = default.arg if default is not None and default.is_scalar else None
    return fixed, tuple(called)


@lru_cache(maxsize=None)
def shape(model: type, _parent: type | None = None) -> Shape:
    """The ``Shape`` of ``model``; its one-to-many relationships recursively (a child's
    many-to-one back to its parent is its ``back``, not one of its ``parents``)."""
    mapper = inspect(model)
    columns = {prop.key: prop.columns[0] for prop in mapper.column_attrs}
    pk = mapper.get_property_by_column(mapper.primary_key[0]).key
    properties = {k: v for k, v in vars(model).items() if isinstance(v, property)}
    result = Shape(model, columns, pk,
                   row_class=type(f"{model.__name__}Row", (Row,), properties))
    for rel in mapper.relationships:
        target = rel.mapper.class_
        if rel.direction is ONETOMANY and not rel.secondary:
            (_, remote), = rel.local_remote_pairs
            child_mapper = rel.mapper
            order = tuple(child_mapper.get_property_by_column(c).key
                          for c in (rel.order_by or ()))
            back = rel.back_populates or (rel.backref if isinstance(rel.backref, str) else None)
            result.children[rel.key] = Child(rel.key, shape(target, model),
                                             child_mapper.get_property_by_column(remote).key,
                                             back, order)
        elif rel.direction is MANYTOONE and target is not _parent:
            (local, _), = rel.local_remote_pairs
            result.parents[rel.key] = Parent(rel.key, target,
                                             mapper.get_property_by_column(local).key)
    return result


# ---- writing ---------------------------------------------------------------------------------
def insert_tree(conn: Connection, tree: Shape, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` of ``tree.model`` (attribute dicts, ``insert_values`` applied; each
    child relationship's rows as a list under its key), then their children, one
    executemany per table and level. Each dict gets its new id, each child its parent's."""
    if not rows:
        return
    table = tree.model.__table__
    pk = tree.columns[tree.pk]
    names = [(key, col.name) for key, col in tree.columns.items() if key != tree.pk]
    params = [{name: row[key] for key, name in names} for row in rows]
    if conn.dialect.name == "sqlite" and isinstance(pk.type, Integer):
        # SQLite numbers the rows of an INSERT max(id) + 1, + 2, … in order (an INTEGER
        # PRIMARY KEY is the rowid), and holds the database's write lock until the commit:
        # the ids are the last ones after it. (RETURNING in parameter order is sent one
        # row at a time: 3× slower.)
        conn.execute(insert(table), params)
        last = conn.execute(select(func.max(pk))).scalar()
        ids = range(last - len(params) + 1, last + 1)
    else:
        ids = conn.execute(insert(table).returning(pk, sort_by_parameter_order=True),
                           params).scalars().all()
    for row, new_id in zip(rows, ids, strict=True):
        row[tree.pk] = new_id
    for child in tree.children.values():
        kids = []
        for row in rows:
            for kid in row.get(child.key, ()):
                kid[child.fk] = row[tree.pk]
                kids.append(kid)
        insert_tree(conn, child.shape, kids)


def as_row(tree: Shape, values: dict[str, Any], parents: Callable[[Parent, Any], Any],
           up: tuple[str, Row] | None = None, skip: frozenset[str] = frozenset()) -> Row:
    """The ``Row`` of an attribute dict (children under their relationship keys, already
    ordered); ``parents(parent, id)`` gives a many-to-one target."""
    row = tree.row_class({key: values.get(key) for key in tree.columns if key not in skip})
    if up is not None:
        setattr(row, *up)
    for rel in tree.parents.values():
        fk = getattr(row, rel.fk)
        setattr(row, rel.key, None if fk is None else parents(rel, fk))
    for child in tree.children.values():
        back = (child.back, row) if child.back else None
        setattr(row, child.key, [as_row(child.shape, kid, parents, back, skip)
                                 for kid in values.get(child.key, ())])
    return row


def session_parents(session: Session) -> Callable[[Parent, Any], Any]:
    """Many-to-one targets through the session (one SELECT per target the first time:
    languages and sources are few), remembered by the function."""
    seen: dict[tuple[type, Any], Any] = {}

    def get(rel: Parent, fk: Any) -> Any:
        key = (rel.model, fk)
        if key not in seen:
            seen[key] = session.get(rel.model, fk)
        return seen[key]
    return get


# ---- reading ---------------------------------------------------------------------------------
def load_tree(session: Session, tree: Shape, where, order_by: Iterable = (),
              skip: frozenset[str] = frozenset()) -> list[Row]:
    """The rows of ``tree.model`` matching ``where`` with all their children, as ``Row``s;
    columns named in ``skip`` (of any model of the tree) are left out: reading one of them
    is an ``AttributeError``, never a wrong value."""
    conn = session.connection()
    found = [dict(r._mapping) for r in conn.execute(
        select(*_labelled(tree, skip)).where(where).order_by(*order_by))]
    _load_children(conn, tree, found, skip)
    parents = session_parents(session)
    return [as_row(tree, values, parents, skip=skip) for values in found]


def _labelled(tree: Shape, skip: frozenset[str]):
    return [col.label(key) for key, col in tree.columns.items() if key not in skip]


def _load_children(conn: Connection, tree: Shape, rows: list[dict[str, Any]],
                   skip: frozenset[str]) -> None:
    ids = [row[tree.pk] for row in rows]
    for child in tree.children.values():
        by_parent: dict[Any, list[dict]] = {i: [] for i in ids}
        kids: list[dict] = []
        fk = child.shape.columns[child.fk]
        order = [child.shape.columns[k] for k in child.order] + \
            [child.shape.columns[child.shape.pk]]
        for i in range(0, len(ids), CHUNK):
            for r in conn.execute(select(*_labelled(child.shape, skip - {child.fk}))
                                  .where(fk.in_(ids[i:i + CHUNK])).order_by(fk, *order)):
                kid = dict(r._mapping)
                by_parent[kid[child.fk]].append(kid)
                kids.append(kid)
        _load_children(conn, child.shape, kids, skip)
        for row in rows:
            row[child.key] = by_parent[row[tree.pk]]
