"""kiosks: one-time enrolment codes instead of device tokens in URLs

Revision ID: 0007_kiosk_enrolment
Revises: 0007_answered_at
Create Date: 2026-12-02 09:40:00

The kiosk's device token was in the URL path and so in every access log line. The admin now hands
out a one-time enrolment code (stored hashed, valid once, for KIOSK_ENROL_HOURS) that the device
exchanges for its token; the token then travels only in the X-Kiosk-Token header.
"""
import sqlalchemy as sa
from alembic import op


revision = '0007_kiosk_enrolment'
down_revision = '0007_answered_at'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('kiosk', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrol_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('enrol_expires_at', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_kiosk_enrol_code_hash'), ['enrol_code_hash'])


def downgrade():
    with op.batch_alter_table('kiosk', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_kiosk_enrol_code_hash'), type_='unique')
        batch_op.drop_column('enrol_expires_at')
        batch_op.drop_column('enrol_code_hash')
