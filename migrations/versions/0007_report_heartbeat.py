"""reports: build heartbeat and owner on archive rows

Revision ID: 0007_report_heartbeat
Revises: 0007_review_check
Create Date: 2026-12-02 09:40:00

Report builds ran as daemon threads in web workers; a restart left their archive rows "running"
forever. The process that builds a row now writes ``heartbeat_at`` every few seconds and names itself
in ``owner``; a sweep marks failed only rows whose heartbeat stopped.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_report_heartbeat'
down_revision = '0007_review_check'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_archive', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('owner', sa.String(length=120), nullable=False, server_default=''))
    # Rows left pending or running by the old in-process threads died with their process: give them a
    # heartbeat of their creation time so that the first sweep marks them failed and offers a rebuild.
    op.execute("UPDATE report_archive SET heartbeat_at = created_at WHERE status IN ('pending', 'running')")


def downgrade():
    with op.batch_alter_table('report_archive', schema=None) as batch_op:
        batch_op.drop_column('owner')
        batch_op.drop_column('heartbeat_at')
