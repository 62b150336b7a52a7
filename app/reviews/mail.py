"""Sending official answers to customers who left an e-mail with their consent.

No ``MAIL_HOST`` means nothing is sent: the answer waits on the status page. Sending is polled
(``flask reviews send-answers``, and after an operator's POST in the appeals registry), because the
appeals package owns the answer itself.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from app.appeals.models import Appeal
from app.database import write_transaction
from app.extensions import db
from app.models import Contact, utcnow
from app.nav import local_time
from app.reviews.models import ReviewEntry
from app.urls import public_url

log = logging.getLogger("otklik.reviews")


def pending_answers(limit: int = 100) -> list[tuple[ReviewEntry, Appeal, Contact]]:
    """Answered entries whose author left an e-mail and has not been sent the answer yet."""
    rows = db.session.execute(
        select(ReviewEntry, Appeal, Contact)
        .join(Appeal, Appeal.id == ReviewEntry.appeal_id)
        .join(Contact, Contact.id == ReviewEntry.contact_id)
        .where(
            ReviewEntry.answer_sent_at.is_(None),
            Appeal.answered_at.is_not(None),
            Appeal.answer_summary != "",
            Contact.email != "",
        )
        .order_by(ReviewEntry.id)
        .limit(limit)
    )
    return [(entry, appeal, contact) for entry, appeal, contact in rows]


def build_message(entry: ReviewEntry, appeal: Appeal, contact: Contact, status_url: str) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    asked = entry.origin is not None  # a question to a specialist, not a review-book entry
    what = "ваш вопрос" if asked else "вашу запись"
    message["Subject"] = (
        f"Ответ на ваш вопрос {entry.registration_number}"
        if asked
        else f"Ответ на вашу запись {entry.registration_number} в книге отзывов"
    )
    message["From"] = config["MAIL_FROM"]
    message["To"] = contact.email
    greeting = f"Здравствуйте, {contact.name}!" if contact.name else "Здравствуйте!"
    message.set_content(
        f"{greeting}\n\n"
        f"Ответ на {what} {entry.registration_number} от {local_time(entry.created_at, fmt='%d.%m.%Y')} "
        f"({entry.center.name}):\n\n{appeal.answer_summary}\n\n"
        f"Дата ответа: {local_time(appeal.answered_at, fmt='%d.%m.%Y')}.\n"
        f"Статус записи можно проверить по номеру и коду проверки: {status_url}\n\n"
        f"{config.get('COMPANY_NAME', '')}\n"
    )
    return message


def send_pending_answers(limit: int = 100) -> int:
    """Send every waiting answer by SMTP; returns how many were sent. Failures stay waiting."""
    host = current_app.config.get("MAIL_HOST")
    if not host:
        return 0
    port = int(current_app.config.get("MAIL_PORT") or 25)
    sent = 0
    batch = pending_answers(limit)
    if not batch:
        return 0
    status_url = public_url("reviews.status")  # before connecting: a missing setting stops the run, not a mail
    try:
        with smtplib.SMTP(host, port, timeout=float(current_app.config["MAIL_TIMEOUT"])) as smtp:
            for entry, appeal, contact in batch:
                smtp.send_message(build_message(entry, appeal, contact, status_url))
                with write_transaction():
                    entry.answer_sent_at = utcnow()
                sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("answer mail not sent (%s sent before the failure): %s", sent, type(exc).__name__)
    return sent
