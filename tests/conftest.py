"""Shared fixtures: a fresh app and a real database per test.

SQLite (default): the schema is built once per session into a template file, then copied for each
test. PostgreSQL: set ``OTKLIK_TEST_DATABASE_URL`` (the test script starts a throwaway cluster); the
schema is built once and every table is emptied between tests. The schema comes from the models;
``tests/integration/test_migrations.py`` proves that the Alembic migrations build the same schema
from empty on both databases.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import flask_babel
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db

PG_URL = os.environ.get("OTKLIK_TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config, items):
    """Integration tests that use the database also run in the PostgreSQL pass."""
    for item in items:
        if "integration" in item.path.parts and "app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def migrate_to_head(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))


BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "QUARANTINE_ENABLED": False,  # load-shaped tests post far above any usual rate; its own tests enable it
    "PASSWORD_MIN_LENGTH": 10,
    "SERVER_NAME": None,
}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    engine = create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": PG_URL})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield PG_URL


def _truncate_all(app) -> None:
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as connection:
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                    + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(request, tmp_path) -> str:
    if PG_URL:
        request.getfixturevalue("pg_database")
        return PG_URL
    template = request.getfixturevalue("sqlite_template")
    target = tmp_path / "otklik.db"
    shutil.copy(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change configuration."""
    return {}


@pytest.fixture
def app(database_url, app_config, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    application = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **app_config})
    # The test keeps one app context across requests; Flask-Babel caches the locale in it.
    application.before_request(flask_babel.refresh)
    if PG_URL:
        _truncate_all(application)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def org(app):
    """The demo organisation tree and topics (no users, no data)."""
    from app.demo import seed

    seed(org_only=True, log=lambda _msg: None)
    return app


@pytest.fixture
def make_user(org):
    from app.auth.services import create_user

    counter = {"n": 0}

    def factory(role: str = "admin", scope: str | None = None, password: str = "correct-horse-battery",
                **overrides):
        counter["n"] += 1
        email = overrides.pop("email", f"{role}{counter['n']}@example.test")
        if role == "operator" and scope is None:
            scope = "KUR"
        return create_user(email, role, password, scope, **overrides)

    return factory


@pytest.fixture
def login(client):
    def do_login(user, password: str = "correct-horse-battery"):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do_login


@pytest.fixture
def fresh_database_url(tmp_path) -> Iterator[str]:
    """An EMPTY database of its own (a new SQLite file, or a new PostgreSQL database) for migration,
    durability and crash tests that run real servers against it."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"fresh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
