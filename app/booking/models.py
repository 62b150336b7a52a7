"""Structured centre data (services, windows, hours) and bookings stored as occupied time units.

A booking never overlaps another in one window because every time unit it occupies is a row of
``booking_unit`` under a unique index (window, unit start): the database refuses the second booking,
whatever the concurrency, instead of a check before the insert that two requests could both pass.
Cancelling deletes the booking's units, so the index only ever holds active bookings.
"""

from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models import Organisation, utcnow

BOOKING_STATES = {
    "booked": _l("Записан"),
    "cancelled": _l("Запись отменена"),
    "arrived": _l("Пришел"),
    "no_show": _l("Не пришел"),
}


class Service(Model):
    """A service a customer can book, with the time a window spends on it."""

    __tablename__ = "booking_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column()
    sort_order: Mapped[int] = mapped_column(default=0)


class CentreService(Model):
    """Which centre offers which service."""

    __tablename__ = "centre_service"
    __table_args__ = (UniqueConstraint("center_id", "service_id", name="uq_centre_service"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("booking_service.id", ondelete="CASCADE"))

    service: Mapped[Service] = relationship()


class CentreWindow(Model):
    """A customer window (operator's desk) of a centre, by its number in the hall."""

    __tablename__ = "centre_window"
    __table_args__ = (UniqueConstraint("center_id", "number", name="uq_centre_window_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)


class WorkingHours(Model):
    """A centre's hours on one weekday (0 = Monday), with an optional break; no row = closed that day."""

    __tablename__ = "centre_hours"
    __table_args__ = (UniqueConstraint("center_id", "weekday", name="uq_centre_hours_weekday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column()
    opens: Mapped[time] = mapped_column()
    closes: Mapped[time] = mapped_column()
    break_start: Mapped[time | None] = mapped_column()
    break_end: Mapped[time | None] = mapped_column()


class Booking(Model):
    """One appointment: a service at a centre's window from ``start_at`` (the centre's local time)."""

    __tablename__ = "booking"
    __table_args__ = (Index("ix_booking_center_start", "center_id", "start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Taken from the review book's per-centre counter after the units are in, so the same number series.
    registration_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    check_code_hash: Mapped[str] = mapped_column(String(128), default="")
    client_request_id: Mapped[str] = mapped_column(String(64), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("booking_service.id"))
    window_id: Mapped[int] = mapped_column(ForeignKey("centre_window.id"))
    start_at: Mapped[datetime] = mapped_column()  # naive, the centre's local time
    duration_minutes: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="booked")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancelled_by: Mapped[str] = mapped_column(String(16), default="")  # customer | centre (a closure)
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")  # the closure's reason, for the customer
    marked_at: Mapped[datetime | None] = mapped_column()  # when an operator marked it arrived or no-show
    reminded_at: Mapped[datetime | None] = mapped_column()  # the reminder was sent (once per booking)

    center: Mapped[Organisation] = relationship()
    service: Mapped[Service] = relationship()
    window: Mapped[CentreWindow] = relationship()


class BookingUnit(Model):
    """One occupied time unit of a window; the unique constraint is what forbids overlaps."""

    __tablename__ = "booking_unit"
    __table_args__ = (UniqueConstraint("window_id", "unit_start", name="uq_booking_unit_window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("centre_window.id"))
    unit_start: Mapped[datetime] = mapped_column()  # naive, the centre's local time


class BookingClosure(Model):
    """A day (``window_id`` None) or one window's day on which a centre takes no bookings.

    Slots read these rows, so a closed day or window gives no free time afterwards; the bookings that
    were on it are cancelled when the closure is made (``app.booking.operations.close``).
    """

    __tablename__ = "booking_closure"
    __table_args__ = (Index("ix_booking_closure_center_day", "center_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column()  # the centre's local date
    window_id: Mapped[int | None] = mapped_column(ForeignKey("centre_window.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    center: Mapped[Organisation] = relationship()
    window: Mapped[CentreWindow | None] = relationship()
