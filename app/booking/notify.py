"""Telling booked customers by e-mail and SMS: the day-before reminder and the cancellation of a closed day.

E-mail goes by SMTP when ``MAIL_HOST`` is set and the contact left an e-mail; SMS goes through an HTTP
gateway when ``SMS_GATEWAY_URL`` (a URL template with ``{phone}`` and ``{text}``) is set. Failures are
logged by booking id and error type only: no phone, name or address ever reaches the log.
"""

from __future__ import annotations

import logging
import re
import smtplib
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from urllib.error import URLError
from urllib.parse import quote, urlsplit

from flask import current_app
from sqlalchemy import select, update

from app.booking.hours import local_now
from app.booking.models import Booking
from app.database import rows_changed, write_transaction
from app.extensions import db
from app.models import Contact, Organisation, utcnow
from app.urls import public_url

log = logging.getLogger("otklik.booking")


@dataclass(frozen=True)
class Delivery:
    """How one message reached a customer."""

    mailed: bool = False
    texted: bool = False

    @property
    def delivered(self) -> bool:
        return self.mailed or self.texted


def sms_configured() -> bool:
    return bool(current_app.config.get("SMS_GATEWAY_URL"))


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_HOST"))


def gateway_phone(phone: str) -> str:
    """A Russian phone in the international form gateways expect: «8 (916) 123-45-67» → «+79161234567»."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    elif len(digits) == 10:
        digits = "7" + digits
    return "+" + digits


def send_sms(phone: str, text: str, booking_id: int) -> bool:
    """Request the gateway's URL with the phone and text filled in; True on a 2xx reply."""
    template = current_app.config.get("SMS_GATEWAY_URL") or ""
    if not template or not phone:
        return False
    url = template.replace("{phone}", quote(gateway_phone(phone), safe="")).replace("{text}", quote(text, safe=""))
    if urlsplit(url).scheme not in ("http", "https"):
        log.warning("SMS_GATEWAY_URL is not an http(s) address: no SMS sent")
        return False
    request = urllib.request.Request(url, method="GET")  # noqa: S310 - the scheme is checked above
    token = current_app.config.get("SMS_GATEWAY_TOKEN") or ""
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        timeout = float(current_app.config["SMS_GATEWAY_TIMEOUT"])
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - http(s) only, checked above
            ok = 200 <= reply.status < 300
    except (URLError, OSError, ValueError) as exc:
        log.warning("SMS for booking %s not sent: %s", booking_id, type(exc).__name__)
        return False
    if not ok:
        log.warning("SMS for booking %s refused by the gateway", booking_id)
    return ok


def send_mail(address: str, subject: str, text: str, booking_id: int) -> bool:
    """One plain-text letter by SMTP; True when the server took it."""
    config = current_app.config
    if not config.get("MAIL_HOST") or not address:
        return False
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = address
    message.set_content(text + f"\n\n{config.get('COMPANY_NAME', '')}\n")
    try:
        port, timeout = int(config.get("MAIL_PORT") or 25), float(config["MAIL_TIMEOUT"])
        with smtplib.SMTP(config["MAIL_HOST"], port, timeout=timeout) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("letter for booking %s not sent: %s", booking_id, type(exc).__name__)
        return False
    return True


def tell(contact: Contact | None, subject: str, text: str, booking_id: int) -> Delivery:
    """Send ``text`` by every configured channel the contact left."""
    if contact is None:
        return Delivery()
    return Delivery(
        mailed=send_mail(contact.email, subject, text, booking_id),
        texted=send_sms(contact.phone, text, booking_id),
    )


def _when(booking: Booking) -> str:
    return booking.start_at.strftime("%d.%m.%Y в %H:%M")


def reminder_text(booking: Booking) -> str:
    return (
        f"Напоминаем: вы записаны на прием {_when(booking)}, {booking.center.name}, "
        f"окно {booking.window.number}, «{booking.service.name}». Запись {booking.registration_number}. "
        f"Отменить или перенести: {public_url('reviews.status')}"
    )


def cancellation_text(booking: Booking, reason: str, book_url: str) -> str:
    return (
        f"Ваша запись {booking.registration_number} на прием {_when(booking)} ({booking.center.name}) "
        f"отменена: {reason}. Приносим извинения. Записаться на другое время: {book_url}"
    )


@dataclass(frozen=True)
class ReminderRun:
    """What ``flask booking remind`` did."""

    due: int = 0
    reminded: int = 0
    mailed: int = 0
    texted: int = 0


def _due(day: date | None, now_utc: datetime) -> list[Booking]:
    """Active, not yet reminded bookings of ``day``, or of each centre's local tomorrow when None."""
    days: dict[int | None, date]
    if day is not None:
        days = {None: day}
    else:
        centres = db.session.scalars(select(Organisation).where(Organisation.kind == "center")).all()
        days = {c.id: local_now(c.timezone, now_utc).date() + timedelta(days=1) for c in centres}
    found: list[Booking] = []
    for wanted in sorted(set(days.values())):
        query = select(Booking).where(
            Booking.status == "booked",
            Booking.reminded_at.is_(None),
            Booking.contact_id.is_not(None),
            Booking.start_at >= datetime.combine(wanted, datetime.min.time()),
            Booking.start_at < datetime.combine(wanted + timedelta(days=1), datetime.min.time()),
        )
        if day is None:
            query = query.where(Booking.center_id.in_([cid for cid, d in days.items() if d == wanted]))
        found.extend(db.session.scalars(query.order_by(Booking.start_at, Booking.id)))
    return found


def remind(day: date | None = None, now_utc: datetime | None = None) -> ReminderRun:
    """Send one reminder per active booking of the day. Each booking is claimed (``reminded_at`` set only
    where it is still empty) before sending, so two runs never remind twice; when no channel reached the
    customer the claim is released and a later run tries again."""
    now_utc = now_utc or utcnow()
    if not (mail_configured() or sms_configured()):
        return ReminderRun(due=len(_due(day, now_utc)))
    due = _due(day, now_utc)
    if due:
        public_url("reviews.status")  # a missing public address stops the run before any booking is claimed
    reminded = mailed = texted = 0
    for booking in due:
        with write_transaction():
            claimed = rows_changed(
                db.session.execute(
                    update(Booking)
                    .where(Booking.id == booking.id, Booking.reminded_at.is_(None), Booking.status == "booked")
                    .values(reminded_at=now_utc)
                    .execution_options(synchronize_session=False)
                )
            )
        if not claimed:
            continue
        contact = db.session.get(Contact, booking.contact_id) if booking.contact_id else None
        sent = tell(contact, f"Напоминание о записи {booking.registration_number}", reminder_text(booking), booking.id)
        if not sent.delivered:
            with write_transaction():
                db.session.execute(
                    update(Booking)
                    .where(Booking.id == booking.id)
                    .values(reminded_at=None)
                    .execution_options(synchronize_session=False)
                )
            continue
        reminded += 1
        mailed += sent.mailed
        texted += sent.texted
    return ReminderRun(due=len(due), reminded=reminded, mailed=mailed, texted=texted)
