"""Knowledge-base tables: sections, articles (question + Markdown answer), synonyms, and the events
(searches, views, votes) the monitoring report counts by period.

Each article stores its lemmas in two columns (``search_title``, ``search_answer``: space-separated,
ё = е) written by the service. The full-text index over them is the database's own: on SQLite an FTS5
table ``kb_article_fts`` kept in step by triggers (external content, so no second copy of the text),
on PostgreSQL a generated ``search_vector`` column (``setweight(to_tsvector('simple', …))``) under a GIN
index. Both are created here for
``create_all`` (tests) and by migration 0013_knowledge_base for real databases; the DDL text is shared.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Column, ForeignKey, Index, String, Table, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models import Organisation, Topic, utcnow

FTS_TABLE = "kb_article_fts"
PG_SEARCH_INDEX = "ix_kb_article_search_gin"
PG_VECTOR_COLUMN = "search_vector"
# The weighted document of an article on PostgreSQL, stored as a generated column (ranking reads it
# instead of rebuilding the vector of every matching row) under a GIN index.
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
    f"ALTER TABLE kb_article ADD COLUMN {PG_VECTOR_COLUMN} tsvector GENERATED ALWAYS AS ({PG_DOCUMENT}) STORED",
    f"CREATE INDEX {PG_SEARCH_INDEX} ON kb_article USING gin ({PG_VECTOR_COLUMN})",
)
PG_DROP = (
    f"DROP INDEX IF EXISTS {PG_SEARCH_INDEX}",
    f"ALTER TABLE kb_article DROP COLUMN IF EXISTS {PG_VECTOR_COLUMN}",
)


def is_search_index_object(name: str | None) -> bool:
    """The FTS5 table, its shadow tables, the tsvector column and its GIN index: kept out of the models on
    purpose, so the schema comparison of tests/integration/test_migrations.py leaves them aside."""
    return bool(name) and (str(name).startswith(FTS_TABLE) or name in (PG_SEARCH_INDEX, PG_VECTOR_COLUMN))


kb_article_center = Table(
    "kb_article_center",
    Model.metadata,
    Column("article_id", ForeignKey("kb_article.id", ondelete="CASCADE"), primary_key=True),
    Column("center_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
)


class KbSection(Model):
    """A section of the base's own tree («Подключение» → «Документы»), independent of appeal topics."""

    __tablename__ = "kb_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("kb_section.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    parent: Mapped[KbSection | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[KbSection]] = relationship(
        back_populates="parent", order_by="(KbSection.sort_order, KbSection.title)"
    )


class KbArticle(Model):
    """A question (title) with its Markdown answer; customers see it only once published."""

    __tablename__ = "kb_article"
    __table_args__ = (Index("ix_kb_article_section", "section_id", "published"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300), unique=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="SET NULL"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("kb_section.id", ondelete="SET NULL"))
    published: Mapped[bool] = mapped_column(default=False)
    views: Mapped[int] = mapped_column(default=0)
    helpful_yes: Mapped[int] = mapped_column(default=0)
    helpful_no: Mapped[int] = mapped_column(default=0)
    search_title: Mapped[str] = mapped_column(Text, default="")
    search_answer: Mapped[str] = mapped_column(Text, default="")
    source_appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeal.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    topic: Mapped[Topic | None] = relationship()
    section: Mapped[KbSection | None] = relationship()
    centers: Mapped[list[Organisation]] = relationship(secondary=kb_article_center, order_by="Organisation.code")

    @property
    def helpful_share(self) -> float | None:
        """Share of «Да» among the votes; None before the first vote."""
        votes = self.helpful_yes + self.helpful_no
        return self.helpful_yes / votes if votes else None


class KbSynonym(Model):
    """Two phrases a customer may use for one thing («подключение» ↔ «технологическое присоединение»);
    a search for either finds articles with the other."""

    __tablename__ = "kb_synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(200))
    synonym: Mapped[str] = mapped_column(String(200))


class KbSearch(Model):
    """One search on the public page. The query text is kept only when nothing was found, normalised and
    masked (no personal data), for the staff list «Вопросы без ответа»."""

    __tablename__ = "kb_search"
    __table_args__ = (Index("ix_kb_search_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    results: Mapped[int] = mapped_column(default=0)
    query: Mapped[str] = mapped_column(String(300), default="")


class KbView(Model):
    """An article opened on the public page (once per browser session)."""

    __tablename__ = "kb_view"
    __table_args__ = (Index("ix_kb_view_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class KbVote(Model):
    """An answer to «Помог ли ответ?» (once per article per browser session)."""

    __tablename__ = "kb_vote"
    __table_args__ = (Index("ix_kb_vote_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    helpful: Mapped[bool] = mapped_column()


def _install_search_ddl() -> None:
    """The index objects for ``create_all`` / ``drop_all`` (the migration runs the same statements)."""
    table = KbArticle.__table__
    for statement in SQLITE_CREATE:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in PG_CREATE:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    for statement in SQLITE_DROP:
        event.listen(table, "before_drop", DDL(statement).execute_if(dialect="sqlite"))


_install_search_ddl()
