"""app.database.DriverStatement: on SQLite a Core statement run on the driver's cursor must write and read
exactly what Core does (Python-side defaults, type conversions, literals, errors); elsewhere it is Core."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.appeals.models import Appeal
from app.database import DriverStatement, write_connection
from app.extensions import db
from app.models import Topic
from app.org.services import find_center
from app.reviews.models import RegistrationCounter

pytestmark = pytest.mark.postgres
RECEIVED = datetime(2026, 5, 4, 10, 15, 30, 123456)
COMPARED = [c for c in Appeal.__table__.c if c.key not in ("id", "external_id", "created_at")]


def _fields(external_id: str) -> dict:
    return {
        "kind": "complaint",
        "form": "written",
        "channel": "web",
        "topic_id": db.session.scalar(select(Topic.id).where(Topic.code == "other")),
        "center_id": find_center("KUR").id,
        "received_at": RECEIVED,
        "due_at": RECEIVED,
        "external_source": "driver-test",
        "external_id": external_id,
    }


def test_insert_fills_python_defaults_like_core(org):
    statement = DriverStatement(insert(Appeal.__table__))
    first, second = _fields("A-1"), _fields("A-2")  # read before the write lock is taken, as the app does
    with write_connection() as connection:
        driver_id = statement.insert(connection, first)  # status, text, led_to_contract, created_at left out
        core_id = connection.execute(statement.statement, second).inserted_primary_key[0]
        rows = {
            key: connection.execute(select(*COMPARED, Appeal.created_at).where(Appeal.id == key)).one()
            for key in (driver_id, core_id)
        }
    assert driver_id != core_id
    assert rows[driver_id][:-1] == rows[core_id][:-1]
    driver_row = dict(zip([c.key for c in COMPARED], rows[driver_id], strict=False))
    assert driver_row["status"] == "registered" and driver_row["text"] == "" and driver_row["led_to_contract"] is False
    assert driver_row["received_at"] == RECEIVED  # microseconds kept by the column type's processor
    assert isinstance(rows[driver_id][-1], datetime)  # created_at from the utcnow default


def test_unique_violation_is_sqlalchemy_s_integrity_error(org):
    statement = DriverStatement(insert(Appeal.__table__))
    fields = _fields("DUP-1")
    with write_connection() as connection:
        statement.insert(connection, fields)
    with pytest.raises(IntegrityError) as raised, write_connection() as connection:
        statement.insert(connection, fields)
    assert "uq_appeal_external" in str(raised.value.orig) or "external_source" in str(raised.value.orig)
    with db.engine.connect() as connection:  # the failed transaction left nothing behind
        assert len(connection.execute(select(Appeal.id).where(Appeal.external_id == "DUP-1")).all()) == 1


def test_returning_literals_and_result_types(org):
    center_id = find_center("KUR").id
    counter_insert = DriverStatement(insert(RegistrationCounter.__table__))
    step = DriverStatement(
        update(RegistrationCounter)
        .where(RegistrationCounter.center_id == bindparam("c"), RegistrationCounter.year == 2031)
        .values(last_value=RegistrationCounter.last_value + 1)
        .returning(RegistrationCounter.last_value)
    )
    newest = DriverStatement(
        select(Appeal.received_at, Appeal.external_id)
        .where(Appeal.external_source == bindparam("source"))
        .order_by(Appeal.id.desc())
        .limit(1)
    )
    appeal = DriverStatement(insert(Appeal.__table__))
    fields = _fields("R-1")
    with write_connection() as connection:
        assert step.first(connection, {"c": center_id}) is None  # no row yet: nothing returned
        counter_insert.insert(connection, {"center_id": center_id, "year": 2031, "last_value": 1})
        assert step.first(connection, {"c": center_id}) == (2,)  # "+ 1" and "2031" are literals of the statement
        assert step.first(connection, {"c": center_id}) == (3,)
        appeal.insert(connection, fields)
        assert newest.first(connection, {"source": "driver-test"}) == (RECEIVED, "R-1")  # a datetime, as from Core
        assert newest.first(connection, {"source": "nobody"}) is None


def test_insert_many_writes_every_row(org):
    statement = DriverStatement(insert(Appeal.__table__))
    rows = [_fields(f"M-{n}") for n in range(5)]
    with write_connection() as connection:
        statement.insert_many(connection, rows)
        statement.insert_many(connection, [])
        stored = (
            connection.execute(
                select(Appeal.external_id).where(Appeal.external_source == "driver-test").order_by(Appeal.external_id)
            )
            .scalars()
            .all()
        )
    assert stored == [f"M-{n}" for n in range(5)]
