"""Alembic migrations build, from an empty database, exactly the schema of the models (SQLite and PostgreSQL)."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.kb.models import is_search_index_object
from tests.conftest import BASE_CONFIG, migrate_to_head

pytestmark = pytest.mark.postgres


def test_upgrade_from_empty_to_head_matches_models(fresh_database_url):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    migrate_to_head(app)
    with app.app_context():
        with db.engine.connect() as connection:
            # The knowledge base's full-text index (FTS5 table and its shadow tables, the GIN index) is
            # created by DDL outside the models on purpose.
            options = {"include_name": lambda name, _type, _parents: not is_search_index_object(name)}
            diff = compare_metadata(MigrationContext.configure(connection, opts=options), db.metadata)
            head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.engine.dispose()
    assert head
    assert diff == [], diff
