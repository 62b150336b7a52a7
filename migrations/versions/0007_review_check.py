"""reviews: burst check of anonymous review-book entries («на проверке») before they become appeals

Revision ID: 0007_review_check
Revises: 0005_audit_client_address
Create Date: 2026-12-02 09:30:00

Thirty anonymous entries with distinct texts made thirty registered complaints with deadlines in one
centre's queue. Entries without contact details that arrive far above the centre's usual rate now wait
in a check state, with no appeal, until an operator accepts them (the appeal is registered with the
original receipt time) or rejects them as spam (kept, marked).
"""
import sqlalchemy as sa
from alembic import op


revision = '0007_review_check'
down_revision = '0005_audit_client_address'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('check_reasons', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('check_address_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('checked_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_review_entry_checked_by_id_user'), 'user', ['checked_by_id'],
                                    ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_review_entry_check_state', ['check_state', 'center_id'], unique=False)


def downgrade():
    with op.batch_alter_table('review_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_review_entry_check_state')
        batch_op.drop_constraint(batch_op.f('fk_review_entry_checked_by_id_user'), type_='foreignkey')
        batch_op.drop_column('checked_by_id')
        batch_op.drop_column('checked_at')
        batch_op.drop_column('check_address_hash')
        batch_op.drop_column('check_reasons')
        batch_op.drop_column('check_state')
