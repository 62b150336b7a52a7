"""site pages and news: «Как оплатить», «Контактная информация», «Публикации о ЦОК»

Revision ID: 0015_site_pages
Revises: 0014_appeal_subtype
Create Date: 2026-12-03 06:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0015_site_pages'
down_revision = '0014_appeal_subtype'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'site_page',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_site_page_updated_by_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_page')),
        sa.UniqueConstraint('slug', name=op.f('uq_site_page_slug')),
    )
    op.create_table(
        'news_post',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('published_on', sa.Date(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('published', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_news_post_updated_by_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_news_post')),
    )
    op.create_index('ix_news_post_published_date', 'news_post', ['published', 'published_on'], unique=False)


def downgrade():
    op.drop_index('ix_news_post_published_date', table_name='news_post')
    op.drop_table('news_post')
    op.drop_table('site_page')
