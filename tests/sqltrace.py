"""Which SQL statements the database ran: the hot-path tests count them.

On SQLite the statements come from the driver's trace callback, which also sees what the hot paths
send past SQLAlchemy (``app.database.DriverStatement``); on PostgreSQL from the engine's cursor events.
"""

from __future__ import annotations

from sqlalchemy import event

from app.extensions import db


class Statements:
    """Statements run while active, transaction control and pragmas excluded (``seen``: full text)."""

    SKIPPED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")

    def __init__(self) -> None:
        self.seen: list[str] = []

    @property
    def verbs(self) -> list[str]:
        return [statement.lstrip().split()[0].upper() for statement in self.seen]

    def __enter__(self) -> Statements:
        self.sqlite = db.engine.dialect.name == "sqlite"
        self.held = None
        if self.sqlite:
            event.listen(db.engine, "checkout", self._trace)
            event.listen(db.engine, "checkin", self._untrace)
            if db.session().in_transaction():  # the session's connection was checked out before the block
                self.held = db.session.connection().connection.driver_connection
                self.held.set_trace_callback(self._record)
        else:
            event.listen(db.engine, "before_cursor_execute", self._record_cursor)
        return self

    def __exit__(self, *_exc) -> None:
        if self.held is not None:
            self.held.set_trace_callback(None)
        if self.sqlite:
            event.remove(db.engine, "checkout", self._trace)
            event.remove(db.engine, "checkin", self._untrace)
        else:
            event.remove(db.engine, "before_cursor_execute", self._record_cursor)

    def _trace(self, dbapi_connection, _record, _proxy) -> None:
        dbapi_connection.set_trace_callback(self._record)

    def _untrace(self, dbapi_connection, _record) -> None:
        if dbapi_connection is not None:
            dbapi_connection.set_trace_callback(None)

    def _record_cursor(self, _conn, _cursor, statement, *_args) -> None:
        self._record(statement)

    def _record(self, statement: str) -> None:
        if statement.lstrip().split()[0].upper() not in self.SKIPPED:
            self.seen.append(statement)
