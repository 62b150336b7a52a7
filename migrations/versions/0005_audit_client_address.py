"""audit: the client address of each event

Revision ID: 0005_audit_client_address
Revises: 0005_api_token_permissions
Create Date: 2026-12-02 09:20:00

A security review needs to know from where a change was made, not only by whom: a stolen session is
visible as an unusual address. Events recorded before have none (NULL); CLI events have none either.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_audit_client_address'
down_revision = '0005_api_token_permissions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_address', sa.String(length=45), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('client_address')
