"""text themes: the theme dictionary (seeded) and the processed customer texts

Revision ID: 0010_text_themes
Revises: 0010_booking
Create Date: 2026-12-02 16:00:00

The seed is a frozen copy of app/analysis/theme_dictionary.py as of this revision (staff edit the
table afterwards); tests/unit/test_text_themes.py keeps the two equal.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


revision = '0010_text_themes'
down_revision = '0010_booking'
branch_labels = None
depends_on = None

SEED_THEMES = [
    ('queue', 'Очередь и ожидание', ['очередь', 'ожидание', 'ждать', 'подождать', 'прождать', 'талон', 'долго', 'электронный очередь']),
    ('politeness', 'Вежливость', ['вежливость', 'вежливый', 'невежливый', 'грубо', 'грубость', 'грубый', 'нагрубить', 'хамить', 'хамский', 'хамство', 'доброжелательный', 'приветливый', 'внимательный', 'внимательно', 'равнодушие']),
    ('competence', 'Компетентность', ['компетентность', 'компетентный', 'некомпетентный', 'профессионализм', 'профессиональный', 'грамотно', 'грамотный', 'разбираться', 'консультация', 'объяснить', 'не знать']),
    ('connection_terms', 'Сроки технологического присоединения', ['присоединение', 'техприсоединение', 'технологический присоединение', 'подключение', 'подключить', 'технический условие', 'срок подключение', 'срок присоединение']),
    ('billing', 'Счета и оплата', ['счет', 'лицевой счет', 'оплата', 'оплатить', 'платеж', 'квитанция', 'начисление', 'начислить', 'переплата', 'перерасчет', 'задолженность', 'пени', 'тариф']),
    ('metering', 'Приборы учета', ['счетчик', 'прибор учет', 'замена счетчик', 'показание', 'пломба', 'опломбировать', 'поверка']),
    ('outages', 'Отключения', ['отключение', 'отключить', 'отключать', 'свет отключить', 'нет свет', 'без свет', 'авария', 'аварийный', 'обесточить']),
    ('voltage', 'Качество напряжения', ['напряжение', 'низкий напряжение', 'скачки напряжения', 'перепад', 'мигать', 'моргать', 'качество электроэнергия', 'качество электроснабжение']),
    ('website', 'Сайт и запись', ['сайт', 'личный кабинет', 'портал', 'приложение', 'онлайн', 'запись', 'записаться', 'предварительный запись']),
    ('documents', 'Документы', ['документ', 'пакет документ', 'справка', 'заявление', 'копия', 'паспорт', 'доверенность', 'бумага', 'акт']),
]


def upgrade():
    theme = op.create_table(
        'text_theme',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('terms', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_text_theme')),
        sa.UniqueConstraint('code', name=op.f('uq_text_theme_code')),
    )
    op.create_table(
        'processed_text',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_kind', sa.String(length=16), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=True),
        sa.Column('response_id', sa.Integer(), nullable=True),
        sa.Column('center_id', sa.Integer(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=True),
        sa.Column('occurred_at', sa.DateTime(), nullable=False),
        sa.Column('lemmas', sa.Text(), nullable=False),
        sa.Column('masked_text', sa.Text(), nullable=False),
        sa.Column('themes', sa.JSON(), nullable=False),
        sa.Column('dictionary_version', sa.String(length=16), nullable=False),
        sa.Column('processed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['center_id'], ['organisation.id'], name=op.f('fk_processed_text_center_id_organisation')),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_processed_text_response_id_response'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_processed_text_survey_id_survey'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], name=op.f('fk_processed_text_topic_id_topic')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_processed_text')),
        sa.UniqueConstraint('source_kind', 'source_id', name='uq_processed_text_source'),
    )
    with op.batch_alter_table('processed_text', schema=None) as batch_op:
        batch_op.create_index('ix_processed_text_survey_time', ['survey_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_processed_text_kind_time', ['source_kind', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_processed_text_response_id'), ['response_id'], unique=False)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.bulk_insert(
        theme,
        [dict(code=code, label=label, terms=terms, active=True, created_at=now) for code, label, terms in SEED_THEMES],
    )


def downgrade():
    op.drop_table('processed_text')
    op.drop_table('text_theme')
