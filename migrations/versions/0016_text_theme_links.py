"""text theme links: one row per theme of a processed text, for GROUP BY counts

Revision ID: 0016_text_theme_links
Revises: 0015_site_pages
Create Date: 2026-12-03 06:40:00

The themes report counted themes by loading every processed text and decoding its JSON list; this
table normalises the list so the database counts. The upgrade fills it from the stored rows; the
``quote_order`` formula is a frozen copy of app/analysis/texts.py:quote_order (tests keep them equal).
"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op


revision = '0016_text_theme_links'
down_revision = "0015_site_pages"
branch_labels = None
depends_on = None


def _quote_order(kind, source_id, response_id):
    key = f"response:{response_id}" if response_id is not None else f"{kind}:{source_id}"
    return int(hashlib.sha256(key.encode()).hexdigest()[:15], 16)


def upgrade():
    links = op.create_table(
        'processed_text_theme',
        sa.Column('processed_text_id', sa.Integer(), nullable=False),
        sa.Column('theme', sa.String(length=64), nullable=False),
        sa.Column('quote_order', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ['processed_text_id'], ['processed_text.id'],
            name=op.f('fk_processed_text_theme_processed_text_id_processed_text'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('processed_text_id', 'theme', name=op.f('pk_processed_text_theme')),
    )
    with op.batch_alter_table('processed_text_theme', schema=None) as batch_op:
        batch_op.create_index('ix_processed_text_theme_theme', ['theme', 'quote_order'], unique=False)
    with op.batch_alter_table('processed_text', schema=None) as batch_op:
        batch_op.create_index(
            'ix_processed_text_units',
            ['survey_id', 'occurred_at', 'source_kind', 'response_id', 'center_id'],
            unique=False,
        )
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, source_kind, source_id, response_id, themes FROM processed_text"
                " WHERE id > :after ORDER BY id LIMIT 2000"
            ),
            {"after": after},
        ).all()
        if not rows:
            break
        values = []
        for row_id, kind, source_id, response_id, themes in rows:
            codes = json.loads(themes) if isinstance(themes, str) else (themes or [])
            order = _quote_order(kind, source_id, response_id)
            values.extend(
                {"processed_text_id": row_id, "theme": code, "quote_order": order} for code in dict.fromkeys(codes)
            )
        if values:
            op.bulk_insert(links, values)
        after = rows[-1][0]


def downgrade():
    with op.batch_alter_table('processed_text', schema=None) as batch_op:
        batch_op.drop_index('ix_processed_text_units')
    op.drop_table('processed_text_theme')
