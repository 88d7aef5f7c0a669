"""Baseline: the schema of release 49924c5, the last one before Alembic.

A database made by that release (``init-db``/``make run``) has exactly these tables but no
``alembic_version``: ``dictionary.schema.upgrade`` stamps it at this revision instead of
running it. Generated with ``alembic.autogenerate`` from that commit's ``dictionary/models.py``.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('index_queue',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_public_id', sa.String(length=16), nullable=False),
        sa.Column('queued_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('index_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_queue_entry_public_id'),
                              ['entry_public_id'], unique=False)

    op.create_table('language',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=8), nullable=False),
        sa.Column('name_vi', sa.String(length=80), nullable=False),
        sa.Column('name_en', sa.String(length=80), nullable=False),
        sa.Column('glottocode', sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code')
    )
    op.create_table('login_throttle',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('first_failure_at', sa.DateTime(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key')
    )
    op.create_table('public_id_counter',
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('lang')
    )
    op.create_table('source',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('citation', sa.Text(), nullable=False),
        sa.Column('license', sa.String(length=64), nullable=False),
        sa.Column('url', sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key')
    )
    op.create_table('user_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('session_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_login_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email'),
        sa.UniqueConstraint('session_token')
    )
    op.create_table('zero_result_query',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('query', sa.String(length=200), nullable=False),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('last_seen', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('query', 'lang', name='uq_zero_query')
    )
    op.create_table('entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=16), nullable=False),
        sa.Column('language_id', sa.Integer(), nullable=False),
        sa.Column('headword', sa.String(length=200), nullable=False),
        sa.Column('headword_key', sa.String(length=200), nullable=False),
        sa.Column('sort_key', sa.LargeBinary(), nullable=False),
        sa.Column('first_letter', sa.String(length=8), nullable=False),
        sa.Column('homograph', sa.Integer(), nullable=True),
        sa.Column('part_of_speech', sa.String(length=32), nullable=True),
        sa.Column('form_kind', sa.String(length=16), nullable=False),
        sa.Column('pronunciation', sa.String(length=300), nullable=True),
        sa.Column('variety', sa.String(length=120), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reviewed', sa.Boolean(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=True),
        sa.Column('source_key', sa.String(length=120), nullable=True),
        sa.Column('license', sa.String(length=64), nullable=False),
        sa.Column('extra', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('review_comment', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['language_id'], ['language.id']),
        sa.ForeignKeyConstraint(['source_id'], ['source.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('language_id', 'source_key', name='uq_entry_source_row'),
        sa.UniqueConstraint('public_id')
    )
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entry_first_letter'), ['first_letter'], unique=False)
        batch_op.create_index(batch_op.f('ix_entry_headword_key'), ['headword_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_entry_language_id'), ['language_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entry_sort_key'), ['sort_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_entry_status'), ['status'], unique=False)

    op.create_table('import_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('author', sa.String(length=254), nullable=False),
        sa.Column('file_name', sa.String(length=300), nullable=False),
        sa.Column('format', sa.String(length=16), nullable=False),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('encoding', sa.String(length=32), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('reverted_at', sa.DateTime(), nullable=True),
        sa.Column('reverted_by', sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_table('media',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('speaker', sa.String(length=120), nullable=True),
        sa.Column('consent', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['entry.id']),
        sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_entry_id'), ['entry_id'], unique=False)

    op.create_table('revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_public_id', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('author', sa.String(length=120), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('summary', sa.String(length=300), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('batch_id', sa.Integer(), nullable=True),
        sa.Column('snapshot', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revision_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_revision_entry_public_id'),
                              ['entry_public_id'], unique=False)

    op.create_table('sense',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('gloss_vi', sa.Text(), nullable=False),
        sa.Column('gloss_en', sa.Text(), nullable=True),
        sa.Column('definition', sa.Text(), nullable=True),
        sa.Column('semantic_field', sa.String(length=80), nullable=True),
        sa.Column('concept_id', sa.String(length=16), nullable=True),
        sa.Column('concept_gloss', sa.String(length=120), nullable=True),
        sa.Column('gloss_note', sa.Text(), nullable=True),
        sa.Column('extra', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['entry.id']),
        sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sense', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sense_concept_id'), ['concept_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sense_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sense_semantic_field'),
                              ['semantic_field'], unique=False)

    op.create_table('variant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('form', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('label', sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(['entry_id'], ['entry.id']),
        sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_variant_entry_id'), ['entry_id'], unique=False)

    op.create_table('example',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sense_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('translation_vi', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['sense_id'], ['sense.id']),
        sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('example', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_example_sense_id'), ['sense_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('example', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_example_sense_id'))

    op.drop_table('example')
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_variant_entry_id'))

    op.drop_table('variant')
    with op.batch_alter_table('sense', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sense_semantic_field'))
        batch_op.drop_index(batch_op.f('ix_sense_entry_id'))
        batch_op.drop_index(batch_op.f('ix_sense_concept_id'))

    op.drop_table('sense')
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revision_entry_public_id'))
        batch_op.drop_index(batch_op.f('ix_revision_batch_id'))

    op.drop_table('revision')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_entry_id'))

    op.drop_table('media')
    op.drop_table('import_batch')
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entry_status'))
        batch_op.drop_index(batch_op.f('ix_entry_sort_key'))
        batch_op.drop_index(batch_op.f('ix_entry_language_id'))
        batch_op.drop_index(batch_op.f('ix_entry_headword_key'))
        batch_op.drop_index(batch_op.f('ix_entry_first_letter'))

    op.drop_table('entry')
    op.drop_table('zero_result_query')
    op.drop_table('user_account')
    op.drop_table('source')
    op.drop_table('public_id_counter')
    op.drop_table('login_throttle')
    op.drop_table('language')
    with op.batch_alter_table('index_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_queue_entry_public_id'))

    op.drop_table('index_queue')
