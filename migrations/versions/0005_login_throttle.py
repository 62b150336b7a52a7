"""sign-in throttle per (e-mail, address) instead of the per-user lockout counter

Revision ID: 0005_login_throttle
Revises: 0004_review_duplicate_index
Create Date: 2026-12-02 09:00:00

Five wrong passwords from anywhere used to lock any account (the admin's too) and nothing unlocked it.
Failures now count per (typed e-mail, client address), with an account-wide row (address ``*``) for
guessing from many addresses. The user's old counter and lock columns stay unused: dropping a column
of ``user`` on SQLite rebuilds the table, and dropping the old one fires its references' ON DELETE
actions (audit events would lose their user).
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_login_throttle'
down_revision = '0004_review_duplicate_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(), nullable=True),
    sa.Column('window_failures', sa.Integer(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(), nullable=True),
    sa.Column('succeeded_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttle')),
    sa.UniqueConstraint('email', 'address', name='uq_login_throttle_email_address')
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index('ix_login_throttle_last_failure_at', ['last_failure_at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index('ix_login_throttle_last_failure_at')
    op.drop_table('login_throttle')
