"""recordings remember the import they came with

A recording imported with a lexicon file (an audio archive beside a LIFT file) names its
``import_batch``, so reverting that import takes the recording off too.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 03:55:40.229065
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recording', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_recording_import_batch_id'), ['import_batch_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_recording_import_batch', 'import_batch',
                                    ['import_batch_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('recording', schema=None) as batch_op:
        batch_op.drop_constraint('fk_recording_import_batch', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_recording_import_batch_id'))
        batch_op.drop_column('import_batch_id')
