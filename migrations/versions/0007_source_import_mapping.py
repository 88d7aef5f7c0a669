"""sources remember the mapping of their files

``source.import_mapping``: how the writing systems (LIFT) and markers (Toolbox) of a
source's files are read, remembered from an import that asked for it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 04:35:36.274496
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_mapping', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.drop_column('import_mapping')
