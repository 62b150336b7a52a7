"""review book: index for the duplicate-text check

Revision ID: 0004_review_duplicate_index
Revises: 0003_tokens_aggregates
Create Date: 2026-11-26 19:05:00

The check asks whether the same text reached the same centre in the last minutes; with only the
(centre, created) index it read every entry of the centre in the window, which under load is
thousands of rows per new entry.
"""
from alembic import op


revision = '0004_review_duplicate_index'
down_revision = '0003_tokens_aggregates'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review_entry', schema=None) as batch_op:
        batch_op.create_index('ix_review_entry_center_body', ['center_id', 'body_hash', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('review_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_review_entry_center_body')
