"""drop the media table: recordings live in the audio tables

The ``media`` table of the baseline schema was never written by any release (no form or
import made rows in it); recordings, their speakers and consent now live in the tables of
``dictionary.audio`` (0004). A database that somehow holds rows there is refused rather than
losing them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 03:28:49.655811
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dictionary.schema import SchemaError

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    rows = op.get_bind().execute(sa.text("SELECT count(*) FROM media")).scalar()
    if rows:
        raise SchemaError(f"The media table holds {rows} row(s): move them to the audio "
                          "tables (dictionary.audio) before upgrading. Nothing was changed.")
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_entry_id'))

    op.drop_table('media')


def downgrade() -> None:
    op.create_table('media',
    sa.Column('id', sa.INTEGER(), nullable=False),
    sa.Column('entry_id', sa.INTEGER(), nullable=False),
    sa.Column('kind', sa.VARCHAR(length=16), nullable=False),
    sa.Column('path', sa.VARCHAR(length=300), nullable=False),
    sa.Column('speaker', sa.VARCHAR(length=120), nullable=True),
    sa.Column('consent', sa.BOOLEAN(), nullable=False),
    sa.Column('status', sa.VARCHAR(length=16), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_entry_id'), ['entry_id'], unique=False)
