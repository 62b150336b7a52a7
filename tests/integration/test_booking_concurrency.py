"""Never double-booked: 50 concurrent clients at one slot against gunicorn with several workers get exactly
as many bookings as the centre has free windows; the rest are told the time is gone (409).

Runs on SQLite and, with OTKLIK_TEST_DATABASE_URL, on PostgreSQL (a fresh database of its own).
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import create_engine, func, select

from app import create_app
from app.booking.hours import is_holiday
from app.booking.models import Booking, BookingUnit
from tests.conftest import BASE_CONFIG
from tests.integration.test_durability import prepare
from tests.serverutil import GunicornServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
CLIENTS = 50


def bookable_day() -> date:
    day = date.today() + timedelta(days=7)
    while day.weekday() >= 5 or is_holiday(day):
        day += timedelta(days=1)
    return day


def seed_centres(database_url: str) -> None:
    prepare(database_url)  # migrated, with the tree
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        from app.booking.services import seed_centre_data
        from app.extensions import db

        seed_centre_data()
        db.engine.dispose()


def test_fifty_clients_at_one_slot_get_exactly_the_free_windows(fresh_database_url, tmp_path):
    seed_centres(fresh_database_url)
    server = GunicornServer(fresh_database_url, workers=4, log_path=tmp_path / "gunicorn.log").start()
    start = f"{bookable_day().isoformat()}T10:00"
    barrier = threading.Barrier(CLIENTS)

    def client(index: int) -> tuple[int, dict]:
        body = {
            "service": "connection",
            "start": start,
            "name": f"Клиент {index}",
            "phone": f"+7 900 000-{index:04d}",
            "consent": True,
            "client_request_id": str(uuid.uuid4()),
        }
        barrier.wait()
        reply = requests.post(f"{server.url}/api/v1/centers/KUR/bookings", json=body, timeout=60)
        return reply.status_code, reply.json()

    try:
        began = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(client, range(CLIENTS)))
        print(f"{CLIENTS} concurrent bookings of one slot answered in {time.monotonic() - began:.2f} s")
        slots = requests.get(
            f"{server.url}/api/v1/centers/KUR/slots",
            params={"service": "connection", "date": start[:10]},
            timeout=30,
        ).json()
    finally:
        server.stop()
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 201] + [409] * (CLIENTS - 2), statuses
    assert sorted(body["window"] for status, body in results if status == 201) == [1, 2]
    assert all("занято" in body["message"] for status, body in results if status == 409)
    assert start not in {slot["start"] for slot in slots}
    engine = create_engine(fresh_database_url)
    with engine.connect() as connection:
        bookings = connection.execute(select(func.count()).select_from(Booking)).scalar()
        units = connection.execute(select(func.count()).select_from(BookingUnit)).scalar()
        numbers = connection.execute(select(func.count(func.distinct(Booking.registration_number)))).scalar()
    engine.dispose()
    assert bookings == 2 and numbers == 2 and units == 2 * 6  # 30 minutes = six 5-minute units each
