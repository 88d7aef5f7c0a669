"""search indexes follow the outbox by id: the nodes and what each has applied

The outbox (``index_queue``) was emptied by whichever process applied it, which only works
while one index (one machine) follows it. Each index now records the last queue id it
applied (in its directory and in ``index_node``), and rows are pruned once every node has
them. Rows already queued are applied by the first node that starts. Since an index skips
every id up to the last it applied, ids must never be given twice: on SQLite the queue table
is rebuilt with AUTOINCREMENT (which also remembers the ids of deleted rows).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    _autoincrement(True)
    op.create_table(
        'index_node',
        sa.Column('node', sa.String(length=64), nullable=False),
        sa.Column('applied', sa.Integer(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('node'),
    )


def downgrade() -> None:
    op.drop_table('index_node')
    _autoincrement(False)


def _autoincrement(on: bool) -> None:
    """SQLite only: PostgreSQL's sequence never gives an id twice already."""
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('index_queue', recreate='always',
                                  table_kwargs={'sqlite_autoincrement': on}):
            pass
