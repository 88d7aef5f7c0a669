"""Since release 49924c5: login_throttle.last_attempt_at, zero_result_query.first_seen (indexed),
the import_job table.

Databases made by the commits between that release and Alembic were brought up to their
code by the old additive upgrade (``ALTER TABLE ... ADD COLUMN`` without the index, and
``import_jobs`` creating its table), so they are stamped at the baseline yet may already
hold some of this: each step is skipped when what it adds is there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = sa.inspect(op.get_bind())  # read before anything changes (it caches)
    job_indexes = _indexes(have, 'import_job')
    throttle_columns = _columns(have, 'login_throttle')
    zero_columns, zero_indexes = _columns(have, 'zero_result_query'), \
        _indexes(have, 'zero_result_query')
    if not have.has_table('import_job'):
        op.create_table('import_job',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('kind', sa.String(length=16), nullable=False),
            sa.Column('state', sa.String(length=16), nullable=False),
            sa.Column('user_id', sa.Integer(), nullable=True),
            sa.Column('upload_token', sa.String(length=64), nullable=False),
            sa.Column('file_name', sa.String(length=300), nullable=False),
            sa.Column('lang', sa.String(length=8), nullable=False),
            sa.Column('worker', sa.String(length=64), nullable=False),
            sa.Column('phase', sa.String(length=16), nullable=False),
            sa.Column('done', sa.Integer(), nullable=False),
            sa.Column('total', sa.Integer(), nullable=False),
            sa.Column('result', sa.JSON(), nullable=False),
            sa.Column('error', sa.JSON(), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('started_at', sa.DateTime(), nullable=True),
            sa.Column('finished_at', sa.DateTime(), nullable=True),
            sa.ForeignKeyConstraint(['user_id'], ['user_account.id']),
            sa.PrimaryKeyConstraint('id')
        )
    if 'ix_import_job_state' not in job_indexes:
        with op.batch_alter_table('import_job', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_import_job_state'), ['state'], unique=False)

    if 'last_attempt_at' not in throttle_columns:
        with op.batch_alter_table('login_throttle', schema=None) as batch_op:
            batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('zero_result_query', schema=None) as batch_op:
        if 'first_seen' not in zero_columns:
            batch_op.add_column(sa.Column('first_seen', sa.DateTime(), nullable=True))
        if 'ix_zero_result_query_first_seen' not in zero_indexes:
            batch_op.create_index(batch_op.f('ix_zero_result_query_first_seen'), ['first_seen'],
                                  unique=False)


def downgrade() -> None:
    with op.batch_alter_table('zero_result_query', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zero_result_query_first_seen'))
        batch_op.drop_column('first_seen')

    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_column('last_attempt_at')

    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_job_state'))

    op.drop_table('import_job')


def _columns(inspector: sa.Inspector, table: str) -> set[str]:
    return {c['name'] for c in inspector.get_columns(table)}


def _indexes(inspector: sa.Inspector, table: str) -> set[str]:
    return {i['name'] for i in inspector.get_indexes(table)} \
        if inspector.has_table(table) else set()
