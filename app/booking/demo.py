"""Demo appointments: four past weeks and the coming week at two centres, so the monitoring report's
«Интернет-ЦОК» section and the page «Нагрузка ЦОК» have something to show on a fresh demo.

Bookings go through :func:`app.booking.services.book` (the real unit rows and numbers), each made a day
before its time; past ones are then marked as the operators would have: mostly arrived, some no-shows
(more at the first and last hour), a few cancelled by the customer. Idempotent: nothing is added when the
demo centres already have bookings. A fixed seed keeps the demo the same on every machine.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from app.booking.hours import local_now
from app.booking.models import Booking
from app.booking.services import BookingError, BookingRequest, book, cancel
from app.database import write_transaction
from app.extensions import db
from app.models import utcnow
from app.org.services import find_center

DEMO_CENTERS = ("KUR", "BEL")
PAST_WEEKS = 4
SEED = 18
# Bookings per working day, Monday first: Mondays and Fridays are the busy days of a grid company's hall.
PER_DAY = (9, 6, 6, 5, 8)
SERVICES = ("connection", "metering", "metering", "consultation", "consultation")
NAMES = ("Анна", "Сергей", "Ольга", "Дмитрий", "Елена", "Игорь", "Татьяна", "Павел")


def _no_show_chance(start: datetime) -> float:
    return 0.2 if start.hour in (9, 17) else 0.08


def _book_day(centre, day: date, count: int, rng: random.Random) -> list[Booking]:
    booked: list[Booking] = []
    starts = [datetime.combine(day, time(hour, minute)) for hour in range(9, 18) for minute in (0, 30)]
    for start in rng.sample(starts, min(count, len(starts))):
        request = BookingRequest(
            service=rng.choice(SERVICES),
            start=start,
            name=rng.choice(NAMES),
            phone=f"+7 900 {rng.randrange(100, 1000)}-{rng.randrange(10, 100)}-{rng.randrange(10, 100)}",
            client_request_id=f"demo-{centre.code}-{start:%Y%m%d%H%M}",
        )
        made_at = datetime.combine(day - timedelta(days=1), time(9))  # naive UTC, a day ahead
        try:
            receipt = book(centre, request, now_utc=made_at)
        except BookingError:
            continue  # a break, a holiday or a start that does not fit the service: skip it
        booking = db.session.scalar(select(Booking).where(Booking.registration_number == receipt.registration_number))
        if booking is not None:
            booked.append(booking)
    return booked


def seed(log: Callable[[str], None] = print) -> None:
    centres = [c for c in (find_center(code) for code in DEMO_CENTERS) if c is not None]
    if not centres:
        return
    ids = [c.id for c in centres]
    if db.session.scalar(select(func.count(Booking.id)).where(Booking.center_id.in_(ids))):
        return
    rng = random.Random(SEED)
    made = 0
    for centre in centres:
        today = local_now(centre.timezone, utcnow()).date()
        monday = today - timedelta(days=today.weekday()) - timedelta(weeks=PAST_WEEKS)
        day = monday
        while day <= today + timedelta(days=7):
            if day.weekday() < 5 and day != today:
                bookings = _book_day(centre, day, PER_DAY[day.weekday()], rng)
                made += len(bookings)
                if day < today:
                    _mark_past(bookings, rng)
            day += timedelta(days=1)
    log(f"Запись на прием: демо-записей {made} в {len(centres)} ЦОК.")


def _mark_past(bookings: list[Booking], rng: random.Random) -> None:
    """Cancel a few (the real service frees their units), then mark the rest in one transaction."""
    kept = []
    for booking in bookings:
        if rng.random() < 0.05:
            cancel(booking)
        else:
            kept.append(booking)
    with write_transaction():
        for booking in kept:
            booking.status = "no_show" if rng.random() < _no_show_chance(booking.start_at) else "arrived"
            booking.marked_at = booking.start_at
