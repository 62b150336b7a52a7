"""knowledge base: sections, articles with their lemma columns, synonyms, searches, views, votes

Revision ID: 0013_knowledge_base
Revises: 0012_service_requests
Create Date: 2026-12-03 06:30:00

Hand-written. The full-text index is each database's own: an FTS5 table kept in step by triggers on
SQLite, a generated weighted tsvector column under a GIN index on PostgreSQL. The statements are frozen copies of
app/kb/models.py's SQLITE_CREATE / PG_CREATE as of this revision.
"""
import sqlalchemy as sa
from alembic import op


revision = '0013_knowledge_base'
down_revision = "0012_service_requests"
branch_labels = None
depends_on = None

PG_DOCUMENT = (
    "setweight(to_tsvector('simple', coalesce(search_title, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(search_answer, '')), 'B')"
)
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE kb_article_fts USING fts5(search_title, search_answer, content='kb_article', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER kb_article_fts_insert AFTER INSERT ON kb_article BEGIN "
    "INSERT INTO kb_article_fts(rowid, search_title, search_answer) "
    "VALUES (new.id, new.search_title, new.search_answer); END",
    "CREATE TRIGGER kb_article_fts_delete AFTER DELETE ON kb_article BEGIN "
    "INSERT INTO kb_article_fts(kb_article_fts, rowid, search_title, search_answer) "
    "VALUES ('delete', old.id, old.search_title, old.search_answer); END",
    "CREATE TRIGGER kb_article_fts_update AFTER UPDATE OF search_title, search_answer ON kb_article BEGIN "
    "INSERT INTO kb_article_fts(kb_article_fts, rowid, search_title, search_answer) "
    "VALUES ('delete', old.id, old.search_title, old.search_answer); "
    "INSERT INTO kb_article_fts(rowid, search_title, search_answer) "
    "VALUES (new.id, new.search_title, new.search_answer); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS kb_article_fts_update",
    "DROP TRIGGER IF EXISTS kb_article_fts_delete",
    "DROP TRIGGER IF EXISTS kb_article_fts_insert",
    "DROP TABLE IF EXISTS kb_article_fts",
)
PG_CREATE = (
    f"ALTER TABLE kb_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({PG_DOCUMENT}) STORED",
    "CREATE INDEX ix_kb_article_search_gin ON kb_article USING gin (search_vector)",
)
PG_DROP = ("DROP INDEX IF EXISTS ix_kb_article_search_gin", "ALTER TABLE kb_article DROP COLUMN IF EXISTS search_vector")


def upgrade():
    op.create_table(
        'kb_section',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['parent_id'], ['kb_section.id'], name=op.f('fk_kb_section_parent_id_kb_section'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_section')),
        sa.UniqueConstraint('title', name=op.f('uq_kb_section_title')),
    )
    with op.batch_alter_table('kb_section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_section_parent_id'), ['parent_id'], unique=False)
    op.create_table(
        'kb_article',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=True),
        sa.Column('section_id', sa.Integer(), nullable=True),
        sa.Column('published', sa.Boolean(), nullable=False),
        sa.Column('views', sa.Integer(), nullable=False),
        sa.Column('helpful_yes', sa.Integer(), nullable=False),
        sa.Column('helpful_no', sa.Integer(), nullable=False),
        sa.Column('search_title', sa.Text(), nullable=False),
        sa.Column('search_answer', sa.Text(), nullable=False),
        sa.Column('source_appeal_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['section_id'], ['kb_section.id'], name=op.f('fk_kb_article_section_id_kb_section'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['source_appeal_id'], ['appeal.id'], name=op.f('fk_kb_article_source_appeal_id_appeal'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], name=op.f('fk_kb_article_topic_id_topic'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_article')),
        sa.UniqueConstraint('title', name=op.f('uq_kb_article_title')),
    )
    with op.batch_alter_table('kb_article', schema=None) as batch_op:
        batch_op.create_index('ix_kb_article_section', ['section_id', 'published'], unique=False)
    op.create_table(
        'kb_article_center',
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('center_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['kb_article.id'], name=op.f('fk_kb_article_center_article_id_kb_article'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['center_id'], ['organisation.id'], name=op.f('fk_kb_article_center_center_id_organisation'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('article_id', 'center_id', name=op.f('pk_kb_article_center')),
    )
    op.create_table(
        'kb_synonym',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phrase', sa.String(length=200), nullable=False),
        sa.Column('synonym', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_synonym')),
    )
    op.create_table(
        'kb_search',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('results', sa.Integer(), nullable=False),
        sa.Column('query', sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_search')),
    )
    with op.batch_alter_table('kb_search', schema=None) as batch_op:
        batch_op.create_index('ix_kb_search_at', ['at'], unique=False)
    for table in ('kb_view', 'kb_vote'):
        columns = [
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('article_id', sa.Integer(), nullable=False),
            sa.Column('at', sa.DateTime(), nullable=False),
        ]
        if table == 'kb_vote':
            columns.append(sa.Column('helpful', sa.Boolean(), nullable=False))
        op.create_table(
            table,
            *columns,
            sa.ForeignKeyConstraint(['article_id'], ['kb_article.id'], name=op.f(f'fk_{table}_article_id_kb_article'), ondelete='CASCADE'),
            sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f'ix_{table}_at', ['at'], unique=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_article_id'), ['article_id'], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_CREATE if dialect == 'sqlite' else PG_CREATE if dialect == 'postgresql' else ():
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DROP if dialect == 'sqlite' else PG_DROP if dialect == 'postgresql' else ():
        op.execute(statement)
    op.drop_table('kb_vote')
    op.drop_table('kb_view')
    op.drop_table('kb_search')
    op.drop_table('kb_synonym')
    op.drop_table('kb_article_center')
    op.drop_table('kb_article')
    op.drop_table('kb_section')
