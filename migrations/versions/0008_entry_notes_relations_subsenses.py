"""what FieldWorks entries hold, modelled: notes by type, relations, subsenses, pictures

``entry.lexeme_form``, ``entry.dialects`` and ``sense.dialects`` (dialect labels),
``entry.notes``, ``entry.relations``; ``sense.level`` (subsenses),
``sense.notes``, ``sense.relations``, ``sense.pictures``; ``example.translations`` (other
languages than Vietnamese). Until now these lived only as XML in ``extra["lift"]``; existing
rows get empty lists and level 0, and keep their XML (a later import of the same file fills
the new columns).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 07:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_LISTS = {"entry": ("notes", "relations"), "sense": ("notes", "relations", "pictures"),
          "example": ("translations",)}


def upgrade() -> None:
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lexeme_form', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('dialects', sa.String(length=200), nullable=True))
    with op.batch_alter_table('sense', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('dialects', sa.String(length=200), nullable=True))
    for table, columns in _LISTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(column, sa.JSON(), server_default='[]',
                                              nullable=False))


def downgrade() -> None:
    for table, columns in _LISTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(column)
    with op.batch_alter_table('sense', schema=None) as batch_op:
        batch_op.drop_column('dialects')
        batch_op.drop_column('level')
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.drop_column('dialects')
        batch_op.drop_column('lexeme_form')
