"""Knowledge base («Вопросы и ответы»): articles with Markdown answers, sections, synonyms and a Russian
full-text search by lemmas (FTS5 on SQLite, GIN tsvector on PostgreSQL)."""
