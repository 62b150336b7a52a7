"""Database engine setup: SQLite pragmas, URL checks and write transactions.

SQLite needs two things PostgreSQL does not: pragmas on every connection, and write
transactions that take the write lock up front (``BEGIN IMMEDIATE``), because a deferred
transaction that reads and then writes fails at once with "database is locked" when another
writer committed meanwhile, whatever the busy timeout.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError

from app.extensions import db

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


class ConfigError(RuntimeError):
    """A configuration problem that must stop start-up with one clear message."""


def normalise_database_url(url: str) -> str:
    """Return a SQLAlchemy URL for a supported database or raise :class:`ConfigError`."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"Неверный адрес базы данных DATABASE_URL: {exc}") from None
    driver = parsed.drivername
    if driver in ("postgres", "postgresql", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if driver in ("sqlite", "sqlite+pysqlite"):
        return url
    raise ConfigError(
        f"Неподдерживаемая база данных «{driver}» в DATABASE_URL. "
        "Используйте sqlite:///путь/к/файлу.db или postgresql+psycopg://пользователь:пароль@хост/база."
    )


def configure_sqlite(engine: Engine, busy_timeout_ms: int, journal_size_limit: int) -> None:
    """Install the per-connection pragmas and the BEGIN / BEGIN IMMEDIATE switch."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        # Let SQLAlchemy emit BEGIN itself so that we can choose IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA journal_size_limit = {int(journal_size_limit)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # noqa: ANN001
        # Straight to the driver: a statement through SQLAlchemy costs more than the BEGIN itself.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def is_sqlite(engine: Engine | None = None) -> bool:
    engine = engine or db.engine
    return engine.dialect.name == "sqlite"


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run a block as one write transaction and commit it; roll back on any error.

    On SQLite the transaction starts with BEGIN IMMEDIATE. Any read transaction the session
    already has open is ended first, so the write lock is taken before the first read of the block.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    token = _write_intent.set(True)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _write_intent.reset(token)


@contextmanager
def write_connection() -> Iterator[Connection]:
    """One write transaction on a pooled Core connection, outside the ORM session; committed on exit.

    For hot paths that write with Core statements only (a new survey response): the session's
    transaction bookkeeping is about a third of such a request's time. Like :func:`write_transaction`
    it ends the session's open transaction first and starts with BEGIN IMMEDIATE on SQLite.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    token = _write_intent.set(True)
    try:
        with db.engine.begin() as connection:
            yield connection
    finally:
        _write_intent.reset(token)


def check_database(engine: Engine) -> None:
    """Connect once so that an unreachable database stops start-up with a clear message."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            connection.rollback()
    except Exception as exc:  # noqa: BLE001 - any driver error means "cannot start"
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"Не удалось подключиться к базе данных ({engine.url.render_as_string(hide_password=True)}): "
            f"{reason}"
        ) from None


def wal_checkpoint() -> None:
    """Truncate the SQLite WAL; harmless no-op elsewhere. Called periodically by the CLI / cron."""
    if is_sqlite():
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


__all__ = [
    "ConfigError",
    "check_database",
    "configure_sqlite",
    "is_sqlite",
    "normalise_database_url",
    "wal_checkpoint",
    "write_transaction",
]
