"""Centre data for the public pages and the booking rules: free slots, booking, look-up and cancelling.

Time is kept in 5-minute units: the greatest common divisor of the service durations (30, 20 and 15
minutes), so every booking covers whole units and any two overlapping bookings share at least one unit
row — which the unique constraint on (window, unit start) refuses.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.booking.hours import hours_text, is_open, local_now, working_periods
from app.booking.models import (
    Booking,
    BookingClosure,
    BookingUnit,
    CentreService,
    CentreWindow,
    Service,
    WorkingHours,
)
from app.database import write_transaction
from app.errors import DomainError
from app.extensions import db
from app.models import Contact, Organisation, utcnow
from app.reviews.services import (
    PHONE_RE,
    _local_year,
    check_code_for,
    find_by_check_code,
    format_number,
    hash_check_code,
    next_sequence,
)

DEMO_SERVICES = (
    ("connection", "Технологическое присоединение", 30),
    ("metering", "Учет электроэнергии", 20),
    ("consultation", "Консультация", 15),
)
DEMO_WINDOWS = 2
# Mon–Fri 9:00–18:00 with a 13:00–14:00 break: the usual hours of a customer hall; weekends closed.
DEMO_HOURS = (time(9, 0), time(18, 0), time(13, 0), time(14, 0))
UNIT_MINUTES = math.gcd(*(minutes for _code, _name, minutes in DEMO_SERVICES))
BOOKING_DAYS_AHEAD = 60
CONSENT_VERSION = "booking-2026-12"
CONSENT_PURPOSE = "booking"


class BookingError(DomainError):
    """A refusal with a Russian message (422 unless a subclass says otherwise)."""

    status = 422


class SlotGone(BookingError):
    status = 409


class RequestReused(BookingError):
    status = 409


class UnknownCentre(BookingError):
    status = 404


# --- structured centre data -----------------------------------------------------------------------


def seed_centre_data(centres: list[Organisation] | None = None) -> int:
    """Give centres without structured data the demo services, two windows and Mon–Fri hours; their
    free-text hours are generated from those. Idempotent; returns the centres completed."""
    done = 0
    with write_transaction():
        services = {s.code: s for s in db.session.scalars(select(Service))}
        for order, (code, name, minutes) in enumerate(DEMO_SERVICES):
            if code not in services:
                services[code] = Service(code=code, name=name, duration_minutes=minutes, sort_order=order)
                db.session.add(services[code])
        db.session.flush()
        if centres is None:
            centres = list(db.session.scalars(select(Organisation).where(Organisation.kind == "center")))
        with_hours = set(db.session.scalars(select(WorkingHours.center_id).distinct()))
        opens, closes, break_start, break_end = DEMO_HOURS
        for centre in centres:
            if centre.id in with_hours:
                continue
            rows = [
                WorkingHours(
                    center_id=centre.id,
                    weekday=weekday,
                    opens=opens,
                    closes=closes,
                    break_start=break_start,
                    break_end=break_end,
                )
                for weekday in range(5)
            ]
            db.session.add_all(rows)
            db.session.add_all(CentreService(center_id=centre.id, service_id=s.id) for s in services.values())
            db.session.add_all(CentreWindow(center_id=centre.id, number=n) for n in range(1, DEMO_WINDOWS + 1))
            centre.opening_hours = hours_text(rows)
            done += 1
    return done


@dataclass(frozen=True)
class CentreDetails:
    """What the public pages show about one centre besides its name and address."""

    hours: str
    open_now: bool
    services: list[Service]


def centre_services(center_id: int) -> list[Service]:
    return list(
        db.session.scalars(
            select(Service)
            .join(CentreService, CentreService.service_id == Service.id)
            .where(CentreService.center_id == center_id)
            .order_by(Service.sort_order, Service.name)
        )
    )


def centre_details(centres: list[Organisation], now_utc: datetime | None = None) -> dict[int, CentreDetails]:
    """Hours, «open now» (in each centre's timezone) and services of the given centres, in three queries."""
    ids = [c.id for c in centres]
    now_utc = now_utc or utcnow()
    hours: dict[int, list[WorkingHours]] = {}
    for row in db.session.scalars(select(WorkingHours).where(WorkingHours.center_id.in_(ids))):
        hours.setdefault(row.center_id, []).append(row)
    offered: dict[int, list[Service]] = {}
    for center_id, service in db.session.execute(
        select(CentreService.center_id, Service)
        .join(Service, CentreService.service_id == Service.id)
        .where(CentreService.center_id.in_(ids))
        .order_by(Service.sort_order, Service.name)
    ).all():
        offered.setdefault(center_id, []).append(service)
    return {
        c.id: CentreDetails(
            hours=hours_text(hours[c.id]) if c.id in hours else c.opening_hours,
            open_now=is_open(hours.get(c.id, []), local_now(c.timezone, now_utc)),
            services=offered.get(c.id, []),
        )
        for c in centres
    }


# --- slots ---------------------------------------------------------------------------------------------


def _service_at(centre: Organisation, code: str) -> Service:
    service = db.session.scalar(
        select(Service)
        .join(CentreService, CentreService.service_id == Service.id)
        .where(CentreService.center_id == centre.id, Service.code == (code or "").strip())
    )
    if service is None:
        raise BookingError("Этот центр не оказывает такую услугу.")
    return service


def _units(start: datetime, minutes: int) -> list[datetime]:
    return [start + timedelta(minutes=UNIT_MINUTES * i) for i in range(math.ceil(minutes / UNIT_MINUTES))]


def _starts(centre: Organisation, service: Service, day: date) -> list[datetime]:
    """Every unit-aligned start of the day whose whole service time fits in one open period."""
    row = db.session.scalar(
        select(WorkingHours).where(WorkingHours.center_id == centre.id, WorkingHours.weekday == day.weekday())
    )
    starts = []
    length = timedelta(minutes=service.duration_minutes)
    for period_start, period_end in working_periods(row, day):
        moment, end = datetime.combine(day, period_start), datetime.combine(day, period_end)
        while moment + length <= end:
            starts.append(moment)
            moment += timedelta(minutes=UNIT_MINUTES)
    return starts


def closures_on(center_id: int, day: date) -> tuple[bool, set[int]]:
    """Whether the whole day is closed, and which windows are closed that day."""
    rows = db.session.scalars(
        select(BookingClosure).where(BookingClosure.center_id == center_id, BookingClosure.day == day)
    ).all()
    return any(r.window_id is None for r in rows), {r.window_id for r in rows if r.window_id is not None}


def _windows(center_id: int, day: date) -> list[CentreWindow]:
    """The active windows that take bookings on ``day``: none when the day is closed."""
    whole_day, closed = closures_on(center_id, day)
    if whole_day:
        return []
    windows = db.session.scalars(
        select(CentreWindow)
        .where(CentreWindow.center_id == center_id, CentreWindow.active.is_(True))
        .order_by(CentreWindow.number)
    )
    return [w for w in windows if w.id not in closed]


def hold_centre(center_id: int, exclusive: bool = False) -> None:
    """Lock the centre's row for the rest of the transaction (PostgreSQL; SQLite writers are serialised).

    Bookings and moves take a shared lock before they read the closures, closing takes an exclusive
    one: a booking that began before a closure ends before it, one that begins after sees it.
    """
    query = select(Organisation.id).where(Organisation.id == center_id).with_for_update(read=not exclusive)
    db.session.execute(query)


def _refuse_closed_day(center_id: int, day: date) -> None:
    if closures_on(center_id, day)[0]:
        raise SlotGone("В этот день центр не ведет прием по записи. Выберите другой день.")


def free_slots(
    centre: Organisation,
    service_code: str,
    day: date,
    now_utc: datetime | None = None,
    ignore_booking_id: int | None = None,
) -> list[dict[str, Any]]:
    """``[{"start": "2026-12-10T09:00", "windows_free": n}, …]``: starts in the centre's local time with at
    least one window free for the whole service; none in the past, on holidays, in breaks or on closed
    days and windows. ``ignore_booking_id``: a booking being moved counts its own time as free."""
    service = _service_at(centre, service_code)
    now = local_now(centre.timezone, now_utc or utcnow())
    if day > now.date() + timedelta(days=BOOKING_DAYS_AHEAD):
        return []  # booking refuses it too
    starts = [s for s in _starts(centre, service, day) if s > now]
    windows = _windows(centre.id, day)
    if not starts or not windows:
        return []
    query = select(BookingUnit.window_id, BookingUnit.unit_start).where(
        BookingUnit.window_id.in_([w.id for w in windows]),
        BookingUnit.unit_start >= datetime.combine(day, time.min),
        BookingUnit.unit_start < datetime.combine(day + timedelta(days=1), time.min),
    )
    if ignore_booking_id is not None:
        query = query.where(BookingUnit.booking_id != ignore_booking_id)
    taken = set(db.session.execute(query).all())
    slots = []
    for start in starts:
        units = _units(start, service.duration_minutes)
        free = sum(1 for w in windows if not any((w.id, u) in taken for u in units))
        if free:
            slots.append({"start": start.strftime("%Y-%m-%dT%H:%M"), "windows_free": free})
    return slots


# --- booking -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingRequest:
    service: str
    start: datetime  # naive, the centre's local time
    name: str
    phone: str
    client_request_id: str


@dataclass(frozen=True)
class BookingReceipt:
    registration_number: str
    check_code: str
    start: str
    window: int
    created: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "registration_number": self.registration_number,
            "check_code": self.check_code,
            "start": self.start,
            "window": self.window,
        }


def request_hash(center_code: str, data: BookingRequest) -> str:
    """What a retry must repeat exactly: centre, service, start, name and phone."""
    canonical = json.dumps(
        [center_code, data.service, data.start.isoformat(), data.name, data.phone], ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _receipt(booking: Booking, window_number: int, created: bool) -> BookingReceipt:
    return BookingReceipt(
        registration_number=booking.registration_number or "",
        check_code=check_code_for(f"booking:{booking.client_request_id}"),
        start=booking.start_at.strftime("%Y-%m-%dT%H:%M"),
        window=window_number,
        created=created,
    )


def _earlier(centre: Organisation, data: BookingRequest, digest: str) -> BookingReceipt | None:
    """The receipt of an earlier booking with this request id (a retry), or 409 for another body."""
    booking = db.session.scalar(select(Booking).where(Booking.client_request_id == data.client_request_id))
    if booking is None:
        return None
    if booking.request_hash != digest or booking.center_id != centre.id:
        raise RequestReused("Этот идентификатор запроса уже использован для другой записи.")
    return _receipt(booking, booking.window.number, created=False)


def _check_start(centre: Organisation, service: Service, start: datetime, now_utc: datetime) -> None:
    now = local_now(centre.timezone, now_utc)
    if start <= now:
        raise BookingError("Это время уже прошло.")
    if start.date() > now.date() + timedelta(days=BOOKING_DAYS_AHEAD):
        raise BookingError(f"Записаться можно не более чем на {BOOKING_DAYS_AHEAD} дней вперед.")
    if start not in _starts(centre, service, start.date()):
        raise BookingError("В это время центр не ведет прием по этой услуге.")


def book(centre: Organisation, data: BookingRequest, now_utc: datetime | None = None) -> BookingReceipt:
    """Book the first window whose units are all free, in one transaction; a retry gets the same receipt.

    Each window is tried in a savepoint: the unique constraint refuses any unit another booking holds
    (committed, or committed meanwhile by a concurrent transaction), and the next window is tried. The
    registration number is taken last, so a refused booking consumes none.
    """
    now_utc = now_utc or utcnow()
    if not data.name.strip() or len(data.name) > 200:
        raise BookingError("Укажите имя (до 200 символов).")
    if not PHONE_RE.fullmatch(data.phone.strip()):
        raise BookingError("Укажите номер телефона (цифры, пробелы, скобки, дефис, + в начале).")
    service = _service_at(centre, data.service)
    _check_start(centre, service, data.start, now_utc)
    digest = request_hash(centre.code, data)
    with write_transaction():
        earlier = _earlier(centre, data, digest)
        if earlier is not None:
            return earlier
        hold_centre(centre.id)
        _refuse_closed_day(centre.id, data.start.date())
        booking = _occupy(centre, service, data, digest)
        if booking is None:
            earlier = _earlier(centre, data, digest)  # a concurrent retry of this very request won
            if earlier is not None:
                return earlier
            raise SlotGone("Это время уже занято. Выберите другое время.")
        contact = Contact(name=data.name, phone=data.phone, purpose=CONSENT_PURPOSE, consent_version=CONSENT_VERSION)
        db.session.add(contact)
        db.session.flush()
        booking.contact_id = contact.id
        year = _local_year(centre.timezone, now_utc)
        booking.registration_number = format_number(centre.code, year, next_sequence(centre.id, year))
        code = check_code_for(f"booking:{data.client_request_id}")
        booking.check_code_hash = hash_check_code(booking.registration_number, code)
        db.session.flush()
        return _receipt(booking, booking.window.number, created=True)


def _occupy(centre: Organisation, service: Service, data: BookingRequest, digest: str) -> Booking | None:
    units = _units(data.start, service.duration_minutes)
    for window in _windows(centre.id, data.start.date()):
        savepoint = db.session.begin_nested()
        try:
            booking = Booking(
                client_request_id=data.client_request_id,
                request_hash=digest,
                center_id=centre.id,
                service_id=service.id,
                window_id=window.id,
                window=window,
                start_at=data.start,
                duration_minutes=service.duration_minutes,
            )
            db.session.add(booking)
            db.session.flush()
            db.session.add_all(BookingUnit(booking_id=booking.id, window_id=window.id, unit_start=u) for u in units)
            db.session.flush()
        except IntegrityError:
            savepoint.rollback()
            continue
        savepoint.commit()
        return booking
    return None


# --- look-up and cancelling ----------------------------------------------------------------------------


def lookup_booking(registration_number: str, check_code: str) -> Booking | None:
    """The booking for a number + check code pair, or None for any wrong pair (no hint which part)."""
    return find_by_check_code(Booking, registration_number, check_code)


def reread_locked(booking: Booking) -> None:
    """Read the booking again inside the write transaction, its row locked on PostgreSQL (SQLite holds the
    whole write lock already): what the caller read before may have been changed since by a closure, a
    move or a mark in another request, and a decision on the stale copy would resurrect or double it."""
    db.session.refresh(booking, with_for_update=True)


def cancel(booking: Booking) -> bool:
    """Cancel a booked appointment and free its time units; False when it was not booked any more."""
    with write_transaction():
        reread_locked(booking)
        if booking.status != "booked":
            return False
        booking.status = "cancelled"
        booking.cancelled_at = utcnow()
        booking.cancelled_by = "customer"
        db.session.execute(delete(BookingUnit).where(BookingUnit.booking_id == booking.id))
    return True


# --- moving --------------------------------------------------------------------------------------------


def move(booking: Booking, new_start: datetime, now_utc: datetime | None = None) -> Booking:
    """Move a booked appointment to another free start of the same service and centre, in one transaction.

    The old units are deleted and the new ones inserted window by window in savepoints, so the unique
    constraint still decides; when no window takes the new time, the transaction is rolled back and the
    booking keeps its old time and units. The number and check code stay; a reminder is sent again.
    """
    now_utc = now_utc or utcnow()
    centre, service = booking.center, booking.service
    if booking.status != "booked":
        raise BookingError("Эта запись на прием уже не действует.")
    if booking.start_at <= local_now(centre.timezone, now_utc):
        raise BookingError("Время этой записи уже прошло, перенести ее нельзя.")
    if new_start == booking.start_at:
        raise BookingError("Запись уже назначена на это время.")
    _check_start(centre, service, new_start, now_utc)
    units = _units(new_start, service.duration_minutes)
    with write_transaction():
        hold_centre(centre.id)
        reread_locked(booking)
        if booking.status != "booked":  # a closure or a second move got there first
            raise BookingError("Эта запись на прием уже не действует.")
        _refuse_closed_day(centre.id, new_start.date())
        db.session.execute(delete(BookingUnit).where(BookingUnit.booking_id == booking.id))
        for window in _windows(centre.id, new_start.date()):
            savepoint = db.session.begin_nested()
            try:
                db.session.add_all(BookingUnit(booking_id=booking.id, window_id=window.id, unit_start=u) for u in units)
                db.session.flush()
            except IntegrityError:
                savepoint.rollback()
                continue
            savepoint.commit()
            booking.window_id, booking.window = window.id, window
            booking.start_at = new_start
            booking.reminded_at = None
            return booking
        raise SlotGone("Это время уже занято. Выберите другое время — ваша запись осталась прежней.")
