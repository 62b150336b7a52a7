"""kiosk: the survey a kiosk shows when its centre has several on the kiosk channel

Revision ID: 0009_kiosk_survey
Revises: 0008_assignment_deactivated_at
Create Date: 2026-12-02 12:45:00

Empty means "the most recently assigned", which is what every existing kiosk gets.
"""
import sqlalchemy as sa
from alembic import op


revision = '0009_kiosk_survey'
down_revision = '0008_assignment_deactivated_at'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('kiosk', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survey_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_kiosk_survey_id_survey', 'survey', ['survey_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('kiosk', schema=None) as batch_op:
        batch_op.drop_constraint('fk_kiosk_survey_id_survey', type_='foreignkey')
        batch_op.drop_column('survey_id')
