"""SQLite writers of this app queue on a flock beside the database (app.database.WriterQueue).

The queue only changes who waits where; these tests pin that it is really held for the whole write
transaction, released after it (also on error), re-entrant, and absent on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from app.database import write_connection, write_transaction, writer_turn
from app.extensions import db

# Another process tries to take the same lock without waiting: exit 0 when it got it, 1 when busy.
PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
sys.exit(0)
"""


def lock_is_free(path: Path) -> bool:
    return subprocess.run([sys.executable, "-c", PROBE, str(path)], check=False).returncode == 0


@pytest.fixture
def lock_path(app) -> Path:
    with app.app_context():
        assert db.engine.dialect.name == "sqlite", "a test of the writer queue is marked sqlite_only"
        return Path(db.engine.url.database).resolve().with_name(Path(db.engine.url.database).name + ".writers")


@pytest.mark.sqlite_only(reason="the writer queue exists for SQLite only")
def test_write_transaction_holds_the_queue_until_it_has_committed(app, lock_path):
    with app.app_context():
        assert lock_is_free(lock_path)
        with write_transaction():
            db.session.execute(text("CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY)"))
            assert not lock_is_free(lock_path)
        assert lock_is_free(lock_path)


@pytest.mark.sqlite_only(reason="the writer queue exists for SQLite only")
def test_write_connection_holds_the_queue_and_releases_it_on_error(app, lock_path):
    with app.app_context():
        with pytest.raises(RuntimeError), write_connection() as connection:
            connection.execute(text("SELECT 1"))
            assert not lock_is_free(lock_path)
            raise RuntimeError("rolled back")
        assert lock_is_free(lock_path)


@pytest.mark.sqlite_only(reason="the writer queue exists for SQLite only")
def test_nested_turns_release_only_at_the_outermost(app, lock_path):
    with app.app_context():
        with writer_turn():
            with writer_turn():
                assert not lock_is_free(lock_path)
            assert not lock_is_free(lock_path)
        assert lock_is_free(lock_path)


def test_no_queue_on_postgresql(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("PostgreSQL queues its writers itself")
        assert isinstance(writer_turn(), contextlib.nullcontext)


def _synchronous(connection) -> int:
    return connection.exec_driver_sql("PRAGMA synchronous").scalar_one()


@pytest.mark.sqlite_only(reason="the writer queue exists for SQLite only")
def test_the_write_helpers_sync_the_wal_after_the_turn_and_before_returning(app, lock_path, monkeypatch):
    """The write helpers commit without syncing (NORMAL = 1) and sync the WAL file themselves once the queue is
    free, before they return: the next writer does not wait for this one's disk, and nothing is acknowledged
    before it is on disk."""
    import app.database as database

    synced: list[tuple[str, bool]] = []
    real_fdatasync = database.os.fdatasync

    def recording_fdatasync(descriptor: int) -> None:
        synced.append((database.os.readlink(f"/proc/self/fd/{descriptor}"), lock_is_free(lock_path)))
        real_fdatasync(descriptor)

    monkeypatch.setattr(database.os, "fdatasync", recording_fdatasync)
    wal = str(lock_path.with_name(lock_path.name.removesuffix(".writers") + "-wal"))
    with app.app_context():
        with write_connection() as connection:
            assert _synchronous(connection) == 1
            connection.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
        assert synced == [(wal, True)]
        with write_transaction():
            assert _synchronous(db.session.connection()) == 1
            db.session.execute(text("INSERT INTO probe DEFAULT VALUES"))
        assert synced == [(wal, True), (wal, True)]
        with pytest.raises(RuntimeError), write_transaction():
            db.session.execute(text("INSERT INTO probe DEFAULT VALUES"))
            raise RuntimeError("rolled back: nothing to sync")
        assert len(synced) == 2
        db.session.remove()


@pytest.mark.sqlite_only(reason="the writer queue exists for SQLite only")
def test_other_transactions_keep_the_commit_that_syncs(app, lock_path):
    """A transaction outside the helpers (a plain session commit) syncs in its own commit (FULL = 2), also on a
    pooled connection the helpers used before."""
    with app.app_context():
        with write_connection() as connection:
            connection.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
        db.session.execute(text("INSERT INTO probe DEFAULT VALUES"))
        assert _synchronous(db.session.connection()) == 2
        db.session.commit()
        with db.engine.connect() as connection:
            assert _synchronous(connection) == 2
