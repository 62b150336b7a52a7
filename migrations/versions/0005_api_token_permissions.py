"""api tokens: permissions and expiry

Revision ID: 0005_api_token_permissions
Revises: 0005_aggregate_channel_version
Create Date: 2026-12-02 09:00:00

Tokens get a space-separated permission list (read:responses, read:reports, write:responses) and an
optional expiry. Tokens made before keep what they could do (read:responses read:reports) and never
expire. The survey channel `phone` needs no schema change: channels are not constrained in the database.
"""
import sqlalchemy as sa
from alembic import op


revision = '0005_api_token_permissions'
down_revision = '0005_aggregate_channel_version'
branch_labels = None
depends_on = None

LEGACY = 'read:responses read:reports'


def upgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('permissions', sa.String(length=200), nullable=False,
                                      server_default=LEGACY))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
    # The default served the existing rows only: new tokens always name their permissions.
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('permissions', existing_type=sa.String(length=200), server_default=None)


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('permissions')
