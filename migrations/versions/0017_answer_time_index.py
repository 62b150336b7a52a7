"""answer period indexes: (survey, time, question), and the same for texts alone

Revision ID: 0017_answer_time_index
Revises: 0016_text_theme_links
Create Date: 2026-12-03 19:40:00

With the question second, the ten answers of one submission were ten inserts on ten different leaves of the
index; with the time second they go to the same (last) leaf. Each submission writes about 13 instead of 22 pages to
SQLite's WAL (a 10-question form), and the reads of a period filter the question inside the index. The texts of
a period (samples on the analysis page, quotes in the PDF) get a partial index of their own, so reading them
does not walk every answer of the period.
"""
import sqlalchemy as sa
from alembic import op


revision = '0017_answer_time_index'
down_revision = "0016_text_theme_links"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_survey_question_time')
        batch_op.create_index(
            'ix_answer_survey_time_question', ['survey_id', 'submitted_at', 'question_code'], unique=False
        )
        batch_op.create_index(
            'ix_answer_text_time',
            ['survey_id', 'submitted_at', 'question_code'],
            unique=False,
            sqlite_where=sa.text('text IS NOT NULL'),
            postgresql_where=sa.text('text IS NOT NULL'),
        )


def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_text_time')
        batch_op.drop_index('ix_answer_survey_time_question')
        batch_op.create_index(
            'ix_answer_survey_question_time', ['survey_id', 'question_code', 'submitted_at'], unique=False
        )
