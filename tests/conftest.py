"""Shared fixtures: a fresh app and a real database per test.

SQLite (default): the schema is built once per session into a template file, then copied for each
test. PostgreSQL: set ``OTKLIK_TEST_DATABASE_URL`` (the test script starts a throwaway cluster); each
pytest-xdist worker gets a database of its own on that cluster, the schema is built once and every
table is emptied between tests. The schema comes from the models; ``tests/integration/test_migrations.py``
proves that the Alembic migrations build the same schema from empty on both databases.

Heavy seeded data (thousands of responses) is built once per session into a template of its own (a
file, or ``CREATE DATABASE ... TEMPLATE``) and copied for each test that asks for it: see
:class:`DatabaseSeed` and :func:`register_seed`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import flask_babel
import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from tests import statement_cover

PG_URL = os.environ.get("OTKLIK_TEST_DATABASE_URL")
ROOT = Path(__file__).resolve().parent.parent


def _share_url_builders() -> None:
    """Every test builds a new app, and werkzeug compiles Python source for each of its ~150 URL rules (twice):
    97 % of ``create_app``, 0.1–0.2 s of CPU in each of ~2 400 in-process tests. The compiled builder depends
    only on the rule's parsed parts, its defaults and its converters (looked up on the rule when called), so
    the apps of one test process share it; a new rule or a changed one compiles as before."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def shared_builder(self: Rule, append_unknown: bool = True):
        key = (
            self.rule,
            tuple(self._trace),
            tuple((name, type(converter).__qualname__) for name, converter in self._converters.items()),
            tuple(sorted((name, repr(value)) for name, value in (self.defaults or {}).items())),
            append_unknown,
        )
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = shared_builder  # type: ignore[method-assign]


_share_url_builders()


def pytest_configure(config):
    config.pluginmanager.register(statement_cover, "otklik_statement_cover")
    config.addinivalue_line(
        "markers",
        "production_password_hashing: keep argon2id at the production parameters (tests of the hashing itself)",
    )
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): a test of SQLite's own behaviour, skipped in the PostgreSQL pass (and not counted "
        "as covering any statement there: tests/statement_cover.py)",
    )


def pytest_collection_modifyitems(config, items):
    """Integration tests that use the database also run in the PostgreSQL pass, except those of SQLite's own
    behaviour (``sqlite_only``), which it skips."""
    for item in items:
        if "integration" in item.path.parts and "app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
        marker = item.get_closest_marker("sqlite_only")
        if PG_URL and marker is not None:
            item.add_marker(pytest.mark.skip(reason=marker.kwargs.get("reason", "SQLite only")))


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


@dataclass(frozen=True)
class DatabaseSeed:
    """Data built once per session into a template database and copied for every test that asks for it.

    ``build`` runs inside an app context on an empty schema; it must be deterministic (seeded random
    numbers), since each test sees the same copy whatever ran before it.
    """

    name: str
    build: Callable[[], object]
    includes: frozenset[str] = frozenset()  # names of smaller seeds whose data ``build`` creates as well


SEED_BY_FIXTURE: dict[str, DatabaseSeed] = {}


def register_seed(fixture_name: str, seed: DatabaseSeed) -> None:
    """A test that uses the fixture ``fixture_name`` (directly or through another fixture) starts on a
    copy of ``seed``'s template instead of an empty database; the fixture then only looks its data up.
    The name holds for the whole run, whichever file registers it: use one no other file gives a fixture."""
    SEED_BY_FIXTURE[fixture_name] = seed


def _requested_seed(request) -> DatabaseSeed | None:
    seeds = {SEED_BY_FIXTURE[name] for name in request.fixturenames if name in SEED_BY_FIXTURE}
    covered = {name for seed in seeds for name in seed.includes}
    seeds = {seed for seed in seeds if seed.name not in covered}
    if len(seeds) > 1:
        raise RuntimeError(f"one test asks for two seeded databases: {sorted(s.name for s in seeds)}")
    return seeds.pop() if seeds else None


def worker_name(request) -> str:
    """``gw0``, ``gw1``... under pytest-xdist, ``main`` without it: names what one worker owns."""
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


def _pg_url(database: str) -> str:
    assert PG_URL is not None  # only called in the PostgreSQL pass
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


def _pg_admin(statement: str) -> None:
    assert PG_URL is not None  # only called in the PostgreSQL pass
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def _build_schema(url: str) -> None:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context(), statement_cover.paused():
        db.create_all()
        db.engine.dispose()


def _run_seed(url: str, seed: DatabaseSeed) -> None:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context(), statement_cover.paused():
        seed.build()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("template")  # per xdist worker: each builds its own
    path = folder / "template.db"
    _build_schema(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database(request) -> Iterator[str | None]:
    """This worker's own database on the throwaway cluster, with the schema built once."""
    if not PG_URL:
        yield None
        return
    name = f"otklik_test_{worker_name(request)}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(f'CREATE DATABASE "{name}"')
    url = _pg_url(name)
    _build_schema(url)
    yield url
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_worker_database(pg_database) -> PgWorkerDatabase:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": pg_database})
    worker_database = PgWorkerDatabase(app)
    with app.app_context():
        db.engine.dispose()
    return worker_database


@pytest.fixture(scope="session")
def seeded_templates(request, tmp_path_factory) -> Iterator[Callable[[DatabaseSeed], str]]:
    """Builds each requested seed's template once per session (per worker); returns its file path
    (SQLite) or database name (PostgreSQL)."""
    built: dict[str, str] = {}

    def template_of(seed: DatabaseSeed) -> str:
        if seed.name in built:
            return built[seed.name]
        if PG_URL:
            name = f"otklik_tpl_{worker_name(request)}_{seed.name}".replace("-", "_")
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _pg_admin(f'CREATE DATABASE "{name}"')
            _build_schema(_pg_url(name))
            _run_seed(_pg_url(name), seed)
            built[seed.name] = name
        else:
            path = tmp_path_factory.mktemp(f"seed-{seed.name}") / "template.db"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            _run_seed(f"sqlite:///{path}", seed)
            built[seed.name] = str(path)
        return built[seed.name]

    yield template_of
    if PG_URL:
        for name in built.values():
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PgWorkerDatabase:
    """Puts the worker's PostgreSQL database back to empty (or to the org tree) between tests, cheaply.

    TRUNCATE of every table cost about 0.4 s per test (new files for each of ~50 tables and their indexes)
    and seeding the org tree through the ORM another 0.3 s, in each of ~900 tests. A test writes to a few
    tables: one query finds the tables that hold rows, those are emptied with DELETE (children first), every
    sequence starts again at 1 as after ``TRUNCATE ... RESTART IDENTITY``, and the org tree, captured once,
    is inserted back in one batch per table with its sequences set past it.
    """

    def __init__(self, app) -> None:
        with app.app_context():
            self.tables = list(db.metadata.sorted_tables)  # parents first
            names = [t.name for t in self.tables]
            self.probe = text(
                " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in names)
            )
            with db.engine.connect() as connection:
                found = connection.execute(
                    text(
                        "SELECT t, pg_get_serial_sequence(quote_ident(t), 'id') FROM unnest(CAST(:names AS text[])) t"
                    ),
                    {"names": [t.name for t in self.tables if "id" in t.c]},
                )
                self.sequences = {table: sequence for table, sequence in found if sequence}
            self.empty(app)
            seed_org()
            db.session.commit()
            with db.engine.connect() as connection:
                full = {row[0] for row in connection.execute(self.probe)}
                self.org_rows = [
                    (
                        table,
                        [dict(row._mapping) for row in connection.execute(table.select().order_by(*table.primary_key))],
                    )
                    for table in self.tables
                    if table.name in full
                ]
            db.session.remove()

    def empty(self, app, with_org: bool = False) -> None:
        with app.app_context(), db.engine.begin() as connection:
            full = {row[0] for row in connection.execute(self.probe)}
            for table in reversed(self.tables):  # children before the rows they refer to
                if table.name in full:
                    connection.execute(table.delete())
            next_ids = dict.fromkeys(self.sequences, 1)
            if with_org:
                for table, rows in self.org_rows:
                    connection.execute(table.insert(), rows)
                    if table.name in next_ids:
                        next_ids[table.name] = max(row["id"] for row in rows) + 1
            connection.execute(
                text("SELECT " + ", ".join(f"setval('{self.sequences[t]}', {n}, false)" for t, n in next_ids.items()))
            )


@pytest.fixture
def database_url(request, tmp_path) -> Iterator[str]:
    seed = _requested_seed(request)
    if seed is not None:
        statement_cover.seed_used(seed.name)
    if PG_URL:
        if seed is None:
            yield request.getfixturevalue("pg_database")  # the app fixture empties it
            return
        template = request.getfixturevalue("seeded_templates")(seed)
        name = f"otklik_test_{worker_name(request)}_copy"
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield _pg_url(name)
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    if seed is None:
        template = request.getfixturevalue("sqlite_template")
    else:
        template = request.getfixturevalue("seeded_templates")(seed)
    target = tmp_path / "otklik.db"
    shutil.copy(template, target)
    yield f"sqlite:///{target}"


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change configuration."""
    return {}


# argon2id at the production parameters (64 MiB, 3 passes, 4 lanes) costs about 0.2 s of CPU per hash and per
# check; a test that creates a user and logs in pays it twice, hundreds of tests do. In-process tests hash
# with the smallest parameters instead: the same argon2id code paths, a different cost. Servers started as
# subprocesses, and tests marked ``production_password_hashing`` (the strength checks), keep the real ones.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def cheap_password_hashing(request) -> Iterator[None]:
    """Swaps the module's hasher and the dummy hash that unknown e-mails are checked against (why: above)."""
    if request.node.get_closest_marker("production_password_hashing"):
        yield
        return
    from app.auth import passwords, services

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", CHEAP_HASHER)
        patch.setattr(services, "_DUMMY_HASH", CHEAP_HASHER.hash("dummy-password-for-timing"))
        yield


@pytest.fixture
def app(request, database_url, app_config, tmp_path, cheap_password_hashing):
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    application = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **app_config})
    # The test keeps one app context across requests; Flask-Babel caches the locale in it.
    application.before_request(flask_babel.refresh)
    if PG_URL and _requested_seed(request) is None:  # the worker's shared database; a seeded copy is fresh
        request.getfixturevalue("pg_worker_database").empty(application, with_org="org" in request.fixturenames)
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


def seed_org() -> object:
    """The demo organisation tree, topics, services, windows and hours (no users, no data)."""
    from app.demo import seed

    seed(org_only=True, log=lambda _msg: None)
    return None


# On SQLite every test copies a template file anyway, so a template that already holds the org tree costs
# nothing and saves seeding it (about 0.07 s of CPU) in each of the ~1 000 tests that use ``org``. On
# PostgreSQL it would turn emptying the worker's database into a CREATE DATABASE ... TEMPLATE per test;
# there the fixture seeds as before.
if not PG_URL:
    register_seed("org", DatabaseSeed("org", seed_org))


@pytest.fixture
def org(request, app):
    """The demo organisation tree and topics (no users, no data)."""
    if PG_URL and _requested_seed(request) is None:
        return app  # put back with the emptied database by the ``app`` fixture
    if "org" not in SEED_BY_FIXTURE:
        seed_org()
    return app


@pytest.fixture
def make_user(org):
    from app.auth.services import create_user

    counter = {"n": 0}

    def factory(role: str = "admin", scope: str | None = None, password: str = "correct-horse-battery", **overrides):
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
    _pg_admin(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
