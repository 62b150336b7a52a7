"""Alembic migrations build, from an empty database, exactly the schema of the models (SQLite and PostgreSQL)."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests.conftest import BASE_CONFIG, PG_URL, migrate_to_head

pytestmark = pytest.mark.postgres


@pytest.fixture
def empty_database_url(tmp_path):
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    name = f"migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_empty_to_head_matches_models(empty_database_url):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    migrate_to_head(app)
    with app.app_context():
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
            head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.engine.dispose()
    assert head
    assert diff == [], diff
