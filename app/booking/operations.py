"""The centre's side of booking: the operators' day list, arrived / no-show marks, closing a day or a window.

Every change here is a staff action: one transaction with its audit event. Closing cancels the active
bookings on the closed day or window (their units are deleted, the reason kept for the customer) and then
tells each customer by the configured channels; the page lists them for calls either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select

from app import audit
from app.booking.hours import local_now
from app.booking.models import Booking, BookingClosure, BookingUnit, CentreWindow
from app.booking.notify import Delivery, cancellation_text, mail_configured, sms_configured, tell
from app.booking.services import BookingError, closures_on, hold_centre, reread_locked
from app.database import write_transaction
from app.errors import Conflict
from app.extensions import db
from app.models import Contact, Organisation, User, utcnow
from app.urls import public_url

OUTCOMES = {"arrived": "Пришел", "no_show": "Не пришел"}
REASON_MAX = 300


@dataclass(frozen=True)
class DayEntry:
    """One booking on the operators' list, with the contact only staff see."""

    booking: Booking
    name: str
    phone: str


@dataclass(frozen=True)
class WindowDay:
    window: CentreWindow
    closed: bool
    entries: list[DayEntry]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    return datetime.combine(day, time.min), datetime.combine(day + timedelta(days=1), time.min)


def centre_today(centre: Organisation, now_utc: datetime | None = None) -> date:
    return local_now(centre.timezone, now_utc or utcnow()).date()


def day_list(centre: Organisation, day: date) -> list[WindowDay]:
    """The day's bookings per window in time order (cancelled ones too, so a call can be explained)."""
    start, end = _day_bounds(day)
    rows = db.session.execute(
        select(Booking, Contact)
        .outerjoin(Contact, Contact.id == Booking.contact_id)
        .where(Booking.center_id == centre.id, Booking.start_at >= start, Booking.start_at < end)
        .order_by(Booking.start_at, Booking.id)
    ).all()
    whole_day, closed = closures_on(centre.id, day)
    windows = db.session.scalars(
        select(CentreWindow).where(CentreWindow.center_id == centre.id).order_by(CentreWindow.number)
    ).all()
    by_window: dict[int, list[DayEntry]] = {w.id: [] for w in windows}
    for booking, contact in rows:
        entry = DayEntry(booking, contact.name if contact else "", contact.phone if contact else "")
        by_window.setdefault(booking.window_id, []).append(entry)
    return [WindowDay(w, whole_day or w.id in closed, by_window[w.id]) for w in windows]


def mark(booking: Booking, outcome: str, user: User, now_utc: datetime | None = None) -> None:
    """Mark a booking of the centre's today as arrived or no-show (a mistaken mark can be switched)."""
    if outcome not in OUTCOMES:
        raise BookingError("Неизвестная отметка.")
    if booking.status not in ("booked", *OUTCOMES):
        raise Conflict("Запись отменена: отмечать ее нельзя.")
    now = local_now(booking.center.timezone, now_utc or utcnow())
    if booking.start_at.date() != now.date():
        raise BookingError("Отмечать можно только записи сегодняшнего дня.")
    if outcome == "no_show" and now < booking.start_at:
        raise BookingError("Отметить неявку можно только после начала времени приема.")
    with write_transaction():
        reread_locked(booking)
        if booking.status not in ("booked", *OUTCOMES):  # cancelled by a closure since it was read
            raise Conflict("Запись отменена: отмечать ее нельзя.")
        previous = booking.status
        booking.status = outcome
        booking.marked_at = utcnow()
        audit.record(
            f"booking.{outcome}",
            booking,
            summary=OUTCOMES[outcome],
            registration_number=booking.registration_number,
            center=booking.center.code,
            previous=previous,
        )


@dataclass(frozen=True)
class Cancelled:
    """A booking a closure cancelled: what the caller needs on the phone, and whether a message reached it."""

    registration_number: str
    start_at: datetime
    window: int
    service: str
    name: str
    phone: str
    mailed: bool = False
    texted: bool = False


@dataclass(frozen=True)
class ClosureResult:
    closure_id: int
    cancelled: list[Cancelled]


def _window_of(centre: Organisation, number: int | None) -> CentreWindow | None:
    if number is None:
        return None
    window = db.session.scalar(
        select(CentreWindow).where(CentreWindow.center_id == centre.id, CentreWindow.number == number)
    )
    if window is None:
        raise BookingError("В этом центре нет такого окна.")
    return window


def close(
    centre: Organisation,
    day: date,
    window_number: int | None,
    reason: str,
    user: User,
    now_utc: datetime | None = None,
) -> ClosureResult:
    """Close a day (or one window on it) for bookings and cancel the active bookings on it, all in one
    transaction with its audit event; then tell each customer by e-mail / SMS where configured."""
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > REASON_MAX:
        raise BookingError(f"Укажите причину закрытия (до {REASON_MAX} символов): ее увидят клиенты.")
    if day < centre_today(centre, now_utc):
        raise BookingError("Закрыть можно только сегодняшний или будущий день.")
    window = _window_of(centre, window_number)
    start, end = _day_bounds(day)
    notifying = mail_configured() or sms_configured()
    # Before any change: a missing public address (outside a request) stops here, not after the commit.
    book_url = public_url("main.book", code=centre.code) if notifying else ""
    with write_transaction():
        hold_centre(centre.id, exclusive=True)
        whole_day, closed = closures_on(centre.id, day)
        if whole_day:
            raise Conflict("Этот день уже закрыт для записи.")
        if window is not None and window.id in closed:
            raise Conflict("Это окно в этот день уже закрыто для записи.")
        query = select(Booking).where(
            Booking.center_id == centre.id,
            Booking.status == "booked",
            Booking.start_at >= start,
            Booking.start_at < end,
        )
        if window is not None:
            query = query.where(Booking.window_id == window.id)
        bookings = list(db.session.scalars(query.order_by(Booking.start_at, Booking.id)))
        closure = BookingClosure(
            center_id=centre.id,
            day=day,
            window_id=window.id if window else None,
            reason=reason,
            created_by_id=user.id,
        )
        db.session.add(closure)
        now = utcnow()
        for booking in bookings:
            booking.status = "cancelled"
            booking.cancelled_at = now
            booking.cancelled_by = "centre"
            booking.cancel_reason = reason
        if bookings:
            db.session.execute(delete(BookingUnit).where(BookingUnit.booking_id.in_([b.id for b in bookings])))
        db.session.flush()
        audit.record(
            "booking.close",
            closure,
            summary=f"{day:%d.%m.%Y}{f', окно {window.number}' if window else ''}: отменено записей {len(bookings)}",
            center=centre.code,
            day=day.isoformat(),
            window=window.number if window else None,
            cancelled=len(bookings),
        )
        contacts = {
            c.id: c
            for c in db.session.scalars(
                select(Contact).where(Contact.id.in_([b.contact_id for b in bookings if b.contact_id]))
            )
        }
        closure_id = closure.id
    cancelled = []
    for booking in bookings:
        contact = contacts.get(booking.contact_id) if booking.contact_id else None
        sent = Delivery()
        if notifying:
            subject = f"Запись {booking.registration_number} на прием отменена"
            sent = tell(contact, subject, cancellation_text(booking, reason, book_url), booking.id)
        cancelled.append(
            Cancelled(
                registration_number=booking.registration_number or "",
                start_at=booking.start_at,
                window=booking.window.number,
                service=booking.service.name,
                name=contact.name if contact else "",
                phone=contact.phone if contact else "",
                mailed=sent.mailed,
                texted=sent.texted,
            )
        )
    return ClosureResult(closure_id, cancelled)


def upcoming_closures(centre_ids: set[int], today: date) -> list[BookingClosure]:
    """Closures from today on in the user's centres, for the closing page."""
    return list(
        db.session.scalars(
            select(BookingClosure)
            .where(BookingClosure.center_id.in_(centre_ids), BookingClosure.day >= today)
            .order_by(BookingClosure.day, BookingClosure.center_id)
        )
    )
