"""surveys: the time of answering and the time of arrival; kiosks: refused queued posts

Revision ID: 0007_answered_at
Revises: 0007_report_heartbeat
Create Date: 2026-12-02 09:40:00

An offline kiosk sends its queue when the connection returns; the responses were stamped with that
moment, so a day's answers could land in the next day or quarter. ``response.submitted_at`` now holds
the time the customer answered (as sent by the kiosk and checked), ``received_at`` the arrival, and
``time_replaced`` marks a sent time that was refused. Existing rows arrived when they were answered:
``received_at`` is filled from ``submitted_at``. A held submission keeps its checked answering time
too. ``kiosk.refused_count`` is what the kiosk's heartbeat reports about posts the server refused.
"""
import sqlalchemy as sa
from alembic import op


revision = '0007_answered_at'
down_revision = '0007_report_heartbeat'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('time_replaced', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE response SET received_at = submitted_at")
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.alter_column('received_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('time_replaced', existing_type=sa.Boolean(), server_default=None)

    with op.batch_alter_table('held_submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('time_replaced', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('held_submission', schema=None) as batch_op:
        batch_op.alter_column('time_replaced', existing_type=sa.Boolean(), server_default=None)

    with op.batch_alter_table('kiosk', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refused_count', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('kiosk', schema=None) as batch_op:
        batch_op.alter_column('refused_count', existing_type=sa.Integer(), server_default=None)


def downgrade():
    with op.batch_alter_table('kiosk', schema=None) as batch_op:
        batch_op.drop_column('refused_count')
    with op.batch_alter_table('held_submission', schema=None) as batch_op:
        batch_op.drop_column('time_replaced')
        batch_op.drop_column('answered_at')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('time_replaced')
        batch_op.drop_column('received_at')
