"""channel and survey version as key columns of the analysis aggregate tables

Revision ID: 0005_aggregate_channel_version
Revises: 0006_held_submissions
Create Date: 2026-12-02 09:00:00

The daily/monthly counts are derived data: the tables are dropped and created again with ``channel`` and
``version_id`` in their primary keys, and every survey's watermark is removed, so the next
``refresh_aggregates`` (``build_report`` runs one; ``flask analysis refresh`` for cron) rebuilds the
counts from the stored responses. Reads stay exact meanwhile (without a watermark they read the answers).
Hand-written; the same statements run on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_aggregate_channel_version'
down_revision = '0006_held_submissions'
branch_labels = None
depends_on = None

VALUE_KEYS = ['question_code', 'has_value', 'value_num', 'option_code']


def _answer_table(name: str, when: str, split: bool) -> None:
    columns = [sa.Column('survey_id', sa.Integer(), nullable=False),
               sa.Column(when, sa.Date(), nullable=False),
               sa.Column('center_id', sa.Integer(), nullable=False)]
    if split:
        columns += [sa.Column('channel', sa.String(length=16), nullable=False),
                    sa.Column('version_id', sa.Integer(), nullable=False)]
    columns += [sa.Column('question_code', sa.String(length=64), nullable=False),
                sa.Column('has_value', sa.Boolean(), nullable=False),
                sa.Column('value_num', sa.Double(), nullable=False),
                sa.Column('option_code', sa.String(length=64), nullable=False),
                sa.Column('count', sa.Integer(), nullable=False)]
    keys = ['survey_id', when, 'center_id', *(['channel', 'version_id'] if split else []), *VALUE_KEYS]
    op.create_table(name, *columns, *_constraints(name, split), sa.PrimaryKeyConstraint(*keys, name=f'pk_{name}'))


def _response_table(split: bool) -> None:
    name = 'response_daily_count'
    columns = [sa.Column('survey_id', sa.Integer(), nullable=False),
               sa.Column('day', sa.Date(), nullable=False),
               sa.Column('center_id', sa.Integer(), nullable=False)]
    if split:
        columns += [sa.Column('channel', sa.String(length=16), nullable=False),
                    sa.Column('version_id', sa.Integer(), nullable=False)]
    columns += [sa.Column('question_code', sa.String(length=64), nullable=False),
                sa.Column('count', sa.Integer(), nullable=False)]
    keys = ['survey_id', 'day', 'center_id', *(['channel', 'version_id'] if split else []), 'question_code']
    op.create_table(name, *columns, *_constraints(name, split), sa.PrimaryKeyConstraint(*keys, name=f'pk_{name}'))


def _constraints(name: str, split: bool) -> list:
    out = [sa.ForeignKeyConstraint(['center_id'], ['organisation.id'],
                                   name=op.f(f'fk_{name}_center_id_organisation')),
           sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f(f'fk_{name}_survey_id_survey'),
                                   ondelete='CASCADE')]
    if split:
        out.append(sa.ForeignKeyConstraint(['version_id'], ['survey_version.id'],
                                           name=op.f(f'fk_{name}_version_id_survey_version'), ondelete='CASCADE'))
    return out


def _rebuild(split: bool) -> None:
    op.execute(sa.text('DELETE FROM aggregate_watermark'))
    op.drop_table('response_daily_count')
    op.drop_table('answer_monthly_count')
    op.drop_table('answer_daily_count')
    _answer_table('answer_daily_count', 'day', split)
    _answer_table('answer_monthly_count', 'month', split)
    _response_table(split)


def upgrade():
    _rebuild(split=True)


def downgrade():
    _rebuild(split=False)
