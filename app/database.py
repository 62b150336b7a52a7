"""Database engine setup: SQLite pragmas, URL checks and write transactions.

SQLite needs two things PostgreSQL does not: pragmas on every connection, and write
transactions that take the write lock up front (``BEGIN IMMEDIATE``), because a deferred
transaction that reads and then writes fails at once with "database is locked" when another
writer committed meanwhile, whatever the busy timeout.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, event, text
from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine, Result, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

from app.extensions import db

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)
# Set inside write_transaction / write_connection: their commit leaves the WAL's sync to after the writer's turn.
_sync_after_turn: contextvars.ContextVar[bool] = contextvars.ContextVar("sync_after_turn", default=False)


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


def protect_sqlite_file(path: str | None) -> None:
    """Create the SQLite database file readable by its owner only (0600) before SQLite opens it, and tighten an
    existing one and its -wal/-shm files: they hold customers' contacts and password hashes. SQLite gives the
    WAL and shared-memory files it creates later the database file's permissions."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        return  # a missing folder: SQLite reports it with its own message
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        try:
            if os.stat(name).st_uid == os.getuid():
                os.chmod(name, 0o600)
        except OSError:
            continue  # absent, or not ours to change


def configure_sqlite(engine: Engine, busy_timeout_ms: int, journal_size_limit: int) -> None:
    """Install the per-connection pragmas and the BEGIN / BEGIN IMMEDIATE switch."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself so that we can choose IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        _record.info["synchronous"] = "FULL"
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA journal_size_limit = {int(journal_size_limit)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Straight to the driver: a statement through SQLAlchemy costs more than the BEGIN itself.
        driver = connection.connection.driver_connection
        # A transaction of the write helpers commits without syncing the WAL (synchronous=NORMAL) and the
        # helper syncs it once the next writer may go (sync_wal_after_turn); every other one syncs in its
        # commit (FULL). The pragma is sent only when the connection's setting changes.
        synchronous = "NORMAL" if _sync_after_turn.get() else "FULL"
        record = connection.connection.info
        if record.get("synchronous") != synchronous:
            driver.execute(f"PRAGMA synchronous = {synchronous}")
            record["synchronous"] = synchronous
        driver.execute("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def is_sqlite(engine: Engine | None = None) -> bool:
    engine = engine or db.engine
    return engine.dialect.name == "sqlite"


def table_of(model: type[Any]) -> Table:
    """The Table of a mapped class, for Core statements (``__table__`` is typed as any FromClause)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def driver_connection(connection: Connection) -> Any:
    """The DBAPI driver's own connection (sqlite3 or psycopg) under a SQLAlchemy connection."""
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the connection is closed")
    return driver


def rows_changed(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched (a session's ``execute`` is typed as returning any Result)."""
    return cast(CursorResult[Any], result).rowcount


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
        with sync_wal_after_turn():
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
        with sync_wal_after_turn(), db.engine.begin() as connection:
            yield connection
    finally:
        _write_intent.reset(token)


@dataclass(frozen=True)
class _DriverPlan:
    sql: str
    names: tuple[str, ...]  # the positional parameters, in order
    processors: tuple[Callable[[Any], Any] | None, ...]
    fills: dict[str, Callable[[], Any]]  # values of parameters the caller leaves out: defaults and literals
    results: tuple[Callable[[Any], Any] | None, ...]


def _default_value(default: Any) -> Callable[[], Any]:
    """A column default's value when called (a callable default gets no execution context here)."""
    if default.is_callable:
        return lambda: default.arg(None)
    return lambda: default.arg


def _bind_value(bind: Any) -> Callable[[], Any]:
    return lambda: bind.effective_value


class DriverStatement:
    """A Core statement that on SQLite runs straight on the driver's cursor; Core elsewhere.

    For the hot write paths (a survey response, a review entry): SQLAlchemy's work per execution
    (~0.1 ms on the bench machine) is more than SQLite's own for a one-row insert. The statement is
    compiled once per set of parameter names, and values go through the column types' own bind
    processors and Python-side defaults, so the rows are the ones Core would write (tests compare them).
    Driver errors are raised as SQLAlchemy's (``IntegrityError`` …), as Core would raise them.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[tuple[Dialect, tuple[str, ...]], _DriverPlan] = {}

    def _plan(self, dialect: Dialect, keys: tuple[str, ...]) -> _DriverPlan:
        plan = self._plans.get((dialect, keys))
        if plan is None:
            compiled = cast(
                SQLCompiler, cast(ClauseElement, self.statement).compile(dialect=dialect, column_keys=list(keys))
            )
            if "POSTCOMPILE" in compiled.string:
                raise ValueError("expanding parameters are not supported on the driver path")
            names = tuple(compiled.positiontup or ())
            table = getattr(self.statement, "table", None)
            fills: dict[str, Callable[[], Any]] = {}
            for name in (n for n in names if n not in keys):
                column = table.c.get(name) if table is not None else None
                default = (column.onupdate if compiled.isupdate else column.default) if column is not None else None
                if default is not None:  # a column's Python-side default, as Core's execution would apply it
                    fills[name] = _default_value(default)
                elif not compiled.binds[name].required:  # a literal in the statement (LIMIT 1, + 1, IS 1)
                    fills[name] = _bind_value(compiled.binds[name])
            processors = tuple(
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
            )
            results = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in getattr(self.statement, "exported_columns", ())
            )
            plan = self._plans[(dialect, keys)] = _DriverPlan(compiled.string, names, processors, fills, results)
        return plan

    def _values(self, plan: _DriverPlan, params: dict[str, Any]) -> list[Any]:
        values = []
        for name, processor in zip(plan.names, plan.processors, strict=True):
            value = params[name] if name in params else plan.fills[name]()
            values.append(processor(value) if processor is not None else value)
        return values

    def _run(self, connection: Connection, params: Sequence[dict[str, Any]], many: bool) -> Any:
        plan = self._plan(connection.dialect, tuple(params[0]))
        rows = [self._values(plan, row) for row in params]
        if many:
            self._execute_many(connection, plan, rows)
            return None
        cursor = driver_connection(connection).cursor()
        try:
            cursor.execute(plan.sql, rows[0])
            row = cursor.fetchone() if cursor.description else None
            if row is not None:
                row = tuple(
                    result(value) if result is not None else value
                    for result, value in zip(plan.results, row, strict=True)
                )
            return cursor.lastrowid, row
        except sqlite3.Error as exc:
            raise DBAPIError.instance(plan.sql, rows[0], exc, sqlite3.Error) from exc
        finally:
            cursor.close()

    def insert(self, connection: Connection, params: dict[str, Any]) -> int:
        """Insert one row; its new primary key."""
        if connection.dialect.name != "sqlite":
            primary_key = connection.execute(self.statement, params).inserted_primary_key
            assert primary_key is not None  # an INSERT's result has one
            return primary_key[0]
        return self._run(connection, [params], many=False)[0]

    def insert_many(
        self, connection: Connection, rows: list[dict[str, Any]], common: dict[str, Any] | None = None
    ) -> None:
        """Insert rows that all have the same keys (one executemany); ``common``: values every row shares.

        On SQLite the shared values go through their bind processors once, not once per row (a survey
        response's answers share the response, survey, centre and time).
        """
        if not rows:
            return
        if connection.dialect.name != "sqlite":
            connection.execute(self.statement, [{**row, **common} for row in rows] if common else rows)
            return
        if not common:
            self._run(connection, rows, many=True)
            return
        plan = self._plan(connection.dialect, (*rows[0], *common))
        shared = self._values(plan, {**rows[0], **common})
        varying = [
            (index, name, processor)
            for index, (name, processor) in enumerate(zip(plan.names, plan.processors, strict=True))
            if name not in common
        ]
        values = []
        for row in rows:
            line = list(shared)
            for index, name, processor in varying:
                value = row[name] if name in row else plan.fills[name]()
                line[index] = processor(value) if processor is not None else value
            values.append(line)
        self._execute_many(connection, plan, values)

    @staticmethod
    def _execute_many(connection: Connection, plan: _DriverPlan, rows: list[list[Any]]) -> None:
        cursor = driver_connection(connection).cursor()
        try:
            cursor.executemany(plan.sql, rows)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(plan.sql, rows[0], exc, sqlite3.Error) from exc
        finally:
            cursor.close()

    def first(self, connection: Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row of a SELECT or of a statement with RETURNING, or None."""
        if connection.dialect.name != "sqlite":
            row = connection.execute(self.statement, params).first()
            return tuple(row) if row is not None else None
        return self._run(connection, [params], many=False)[1]


class WriterQueue:
    """Queue this app's SQLite writers in the kernel instead of in SQLite's busy handler.

    SQLite lets one writer in at a time. A second BEGIN IMMEDIATE sleeps in SQLite's busy handler
    (1 ms, then 2, 5, 10 … ms) and tries again, so under load writers wait far longer than the
    ~0.5 ms a durable commit holds the lock, and latency grows in steps. An exclusive ``flock`` on a
    file beside the database, held from before BEGIN IMMEDIATE until COMMIT has returned, wakes the
    next writer the moment the lock is free, and the kernel drops it if a process dies. It only
    orders this app's processes and threads (re-entrant per thread); SQLite's own locking stays
    the authority for every other writer.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid: int | None = None

    def _descriptor(self) -> int:
        # A descriptor inherited across fork shares the parent's lock: each process opens its own.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth == 0:
                fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._descriptor(), fcntl.LOCK_UN)


_writer_queues: dict[str, WriterQueue] = {}


def writer_turn() -> contextlib.AbstractContextManager[None]:
    """The turn of this writer in the SQLite database's :class:`WriterQueue`; nothing elsewhere."""
    database = _sqlite_file(db.engine)
    if database is None:
        return contextlib.nullcontext()
    path = database + ".writers"
    queue = _writer_queues.get(path)
    if queue is None:
        queue = _writer_queues.setdefault(path, WriterQueue(path))
    return queue.turn()


def _sqlite_file(engine: Engine) -> str | None:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database)


@contextmanager
def sync_wal_after_turn() -> Iterator[None]:
    """This writer's turn, its commit made durable after the turn: the next writer need not wait for our disk.

    A durable SQLite commit (``synchronous=FULL``) syncs the WAL while it holds the write lock, so with
    two workers one waits for the other's ``fdatasync`` (about 2 ms on the bench disk) as well as for its
    own. Inside this block transactions commit with ``synchronous=NORMAL`` (the frames are written to
    the WAL, not synced); after the turn is released the WAL file is synced, and only then does the block
    return, so nothing is acknowledged before it is on disk, as with FULL. A WAL restart or checkpoint in
    between is safe: SQLite syncs the WAL before a checkpoint copies it and the database file after.
    """
    database = _sqlite_file(db.engine)
    if database is None:
        with writer_turn():
            yield
        return
    token = _sync_after_turn.set(True)
    try:
        with writer_turn():
            yield
    finally:
        _sync_after_turn.reset(token)
    _sync_wal(database + "-wal")


def _sync_wal(path: str) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return  # not in WAL mode, or checkpointed and removed: the commit is in the synced database file
    try:
        os.fdatasync(descriptor)
    finally:
        os.close(descriptor)


def check_database(engine: Engine) -> None:
    """Connect once so that an unreachable database stops start-up with a clear message."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            connection.rollback()
    except Exception as exc:  # any driver error means "cannot start"
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"Не удалось подключиться к базе данных ({engine.url.render_as_string(hide_password=True)}): {reason}"
        ) from None


def wal_checkpoint() -> None:
    """Truncate the SQLite WAL; harmless no-op elsewhere. Called periodically by the CLI / cron."""
    if is_sqlite():
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


__all__ = [
    "ConfigError",
    "DriverStatement",
    "check_database",
    "configure_sqlite",
    "is_sqlite",
    "normalise_database_url",
    "wal_checkpoint",
    "write_transaction",
]
