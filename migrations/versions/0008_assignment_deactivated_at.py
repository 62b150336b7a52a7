"""surveys: when an assignment was switched off

Revision ID: 0008_assignment_deactivated_at
Revises: 0007_kiosk_enrolment
Create Date: 2026-12-02 10:05:00

A kiosk answer that waited offline is checked against the assignment as it was when the customer
answered: switched off after that moment, it still counts. Existing inactive rows get no time (their
answers must arrive while the assignment is on, as before).
"""
import sqlalchemy as sa
from alembic import op


revision = '0008_assignment_deactivated_at'
down_revision = '0007_kiosk_enrolment'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('survey_assignment', schema=None) as batch_op:
        batch_op.drop_column('deactivated_at')
