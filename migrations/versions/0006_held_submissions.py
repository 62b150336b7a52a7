"""surveys: held submissions (bursts of anonymous answers kept apart until a marketer decides)

Revision ID: 0006_held_submissions
Revises: 0005_login_throttle
Create Date: 2026-12-02 09:20:00

A burst of anonymous posts moved a centre's share from 59 % to 36 % in seconds. Submissions that
arrive far above the assignment's usual rate are acknowledged but stored here, outside the response
table, so analysis, counts and exports never see them until they are released.
"""
import sqlalchemy as sa
from alembic import op


revision = '0006_held_submissions'
down_revision = '0005_login_throttle'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'held_submission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_submission_id', sa.String(length=64), nullable=False),
        sa.Column('body_hash', sa.String(length=64), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('center_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('kiosk_id', sa.Integer(), nullable=True),
        sa.Column('duration_seconds', sa.Integer(), nullable=True),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('address_hash', sa.String(length=64), nullable=True),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('response_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['center_id'], ['organisation.id'], name=op.f('fk_held_submission_center_id_organisation')),
        sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_held_submission_contact_id_contact'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_held_submission_decided_by_id_user'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['kiosk_id'], ['kiosk.id'], name=op.f('fk_held_submission_kiosk_id_kiosk'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_held_submission_response_id_response'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_held_submission_survey_id_survey'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['survey_version.id'], name=op.f('fk_held_submission_version_id_survey_version')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_held_submission')),
        sa.UniqueConstraint('client_submission_id', name=op.f('uq_held_submission_client_submission_id')),
    )
    with op.batch_alter_table('held_submission', schema=None) as batch_op:
        batch_op.create_index('ix_held_submission_center_received', ['center_id', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_held_submission_survey_id'), ['survey_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_held_submission_status'), ['status'], unique=False)


def downgrade():
    op.drop_table('held_submission')
