"""Retention purge, export and erasure of customers' contact data.

Personal data lives only in :class:`app.models.Contact`. Appeals, review entries, survey responses and
held submissions point to it with ``contact_id``; their free texts are kept when a contact is erased, with the
link removed and personal data in them masked (the one masker, the person's own name included).
Every run writes an audit event with counts, never the
data itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from app import audit
from app.appeals.models import Appeal
from app.booking.models import Booking
from app.database import rows_changed, table_of, write_transaction
from app.extensions import db
from app.models import Contact, Organisation, utcnow
from app.requests.models import RequestAttachment, ServiceRequest
from app.reviews.models import ReviewEntry
from app.surveys.models import Answer, HeldSubmission, Response, Survey

# Appeals in these states are finished; their contact is no longer needed once the retention period ends.
FINAL_APPEAL_STATUSES = ("closed", "rejected", "duplicate")


class PrivacyError(ValueError):
    """A refusal with a Russian message."""


@dataclass
class PurgeResult:
    contacts: int = 0
    appeals: int = 0
    review_entries: int = 0
    responses: int = 0
    bookings: int = 0
    service_requests: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "contacts": self.contacts,
            "appeals": self.appeals,
            "review_entries": self.review_entries,
            "responses": self.responses,
            "bookings": self.bookings,
            "service_requests": self.service_requests,
        }


@dataclass
class Subject:
    """The contact rows of one customer found by e-mail or phone."""

    contacts: list[Contact] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [c.id for c in self.contacts]


def _digits(phone: str) -> str:
    """Phone digits with the Russian trunk prefix dropped (8 916… and +7 916… are the same number)."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 10 else digits


def find_subject(email: str | None = None, phone: str | None = None) -> Subject:
    """Contacts matching an e-mail (case-insensitive) or a phone (digits compared)."""
    if bool(email) == bool(phone):
        raise PrivacyError("Укажите ровно одно: --email или --phone.")
    if email:
        wanted = email.strip().lower()
        if "@" not in wanted:
            raise PrivacyError("Неверный адрес электронной почты.")
        rows = db.session.scalars(select(Contact).where(Contact.email != "")).all()
        return Subject([c for c in rows if c.email.strip().lower() == wanted])
    wanted = _digits(phone or "")
    if len(wanted) < 5:
        raise PrivacyError("Неверный номер телефона.")
    rows = db.session.scalars(select(Contact).where(Contact.phone != "")).all()
    return Subject([c for c in rows if _digits(c.phone) == wanted])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def export_subject(email: str | None = None, phone: str | None = None) -> dict[str, Any]:
    """Everything stored about one customer, as a JSON-ready dict; the export is audited (counts only)."""
    subject = find_subject(email, phone)
    ids = subject.ids or [-1]
    centers = dict(db.session.execute(select(Organisation.id, Organisation.code)).all())
    entries = db.session.scalars(
        select(ReviewEntry).where(ReviewEntry.contact_id.in_(ids)).order_by(ReviewEntry.id)
    ).all()
    appeals = db.session.scalars(select(Appeal).where(Appeal.contact_id.in_(ids)).order_by(Appeal.id)).all()
    responses = db.session.scalars(select(Response).where(Response.contact_id.in_(ids)).order_by(Response.id)).all()
    slugs = dict(db.session.execute(select(Survey.id, Survey.slug)).all())
    bookings = db.session.scalars(select(Booking).where(Booking.contact_id.in_(ids)).order_by(Booking.id)).all()
    requests = db.session.scalars(
        select(ServiceRequest).where(ServiceRequest.contact_id.in_(ids)).order_by(ServiceRequest.id)
    ).all()
    texts: dict[int, list[dict[str, str]]] = {}
    if responses:
        for row in db.session.scalars(
            select(Answer)
            .where(Answer.response_id.in_([r.id for r in responses]), Answer.text.is_not(None))
            .order_by(Answer.id)
        ):
            texts.setdefault(row.response_id, []).append({"question": row.question_code, "text": row.text or ""})
    result = {
        "generated_at": _iso(utcnow()),
        "contacts": [
            {
                "id": c.id,
                "name": c.name,
                "phone": c.phone,
                "email": c.email,
                "purpose": c.purpose,
                "consent_version": c.consent_version,
                "consented_at": _iso(c.consented_at),
                "created_at": _iso(c.created_at),
            }
            for c in subject.contacts
        ],
        "review_entries": [
            {
                "registration_number": e.registration_number,
                "center": centers.get(e.center_id),
                "type": e.entry_type,
                "text": e.text,
                "created_at": _iso(e.created_at),
                "contact_id": e.contact_id,
            }
            for e in entries
        ],
        "appeals": [
            {
                "id": a.id,
                "center": centers.get(a.center_id),
                "kind": a.kind,
                "status": a.status,
                "text": a.text,
                "answer": a.answer_summary,
                "received_at": _iso(a.received_at),
                "contact_id": a.contact_id,
            }
            for a in appeals
        ],
        "survey_responses": [
            {
                "id": r.id,
                "survey": slugs.get(r.survey_id),
                "center": centers.get(r.center_id),
                "submitted_at": _iso(r.submitted_at),
                "text_answers": texts.get(r.id, []),
                "contact_id": r.contact_id,
            }
            for r in responses
        ],
        "bookings": [
            {
                "registration_number": b.registration_number,
                "center": centers.get(b.center_id),
                "start": b.start_at.strftime("%Y-%m-%dT%H:%M"),
                "status": b.status,
                "created_at": _iso(b.created_at),
                "contact_id": b.contact_id,
            }
            for b in bookings
        ],
        "service_requests": [
            {
                "registration_number": r.registration_number,
                "center": centers.get(r.center_id),
                "type": r.request_type,
                "object_address": r.object_address,
                "details": r.details,
                "attachments": [
                    {"filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
                    for a in r.attachments
                ],
                "created_at": _iso(r.created_at),
                "contact_id": r.contact_id,
            }
            for r in requests
        ],
    }
    with write_transaction():
        audit.record(
            "privacy.export",
            summary=f"contacts={len(subject.contacts)}",
            contacts=len(subject.contacts),
            review_entries=len(entries),
            appeals=len(appeals),
            responses=len(responses),
            bookings=len(bookings),
            service_requests=len(requests),
        )
    return result


def _unlink_and_delete(contact_ids: list[int]) -> PurgeResult:
    """Inside a write transaction: set every reference to NULL, then delete the contact rows."""
    result = PurgeResult()
    if not contact_ids:
        return result
    db.session.execute(
        update(HeldSubmission)
        .where(HeldSubmission.contact_id.in_(contact_ids))
        .values(contact_id=None)
        .execution_options(synchronize_session=False)
    )
    for model, attr in (
        (Appeal, "appeals"),
        (ReviewEntry, "review_entries"),
        (Response, "responses"),
        (Booking, "bookings"),
    ):
        changed = db.session.execute(
            update(model)
            .where(model.contact_id.in_(contact_ids))
            .values(contact_id=None)
            .execution_options(synchronize_session=False)
        )
        setattr(result, attr, rows_changed(changed) or 0)
    # A request's object address and documents are the customer's personal data too: they go with the contact.
    request_ids = list(db.session.scalars(select(ServiceRequest.id).where(ServiceRequest.contact_id.in_(contact_ids))))
    if request_ids:
        # The applicant's own comment may name people and numbers; the appeal keeps a masked copy of it.
        for stored in db.session.scalars(select(ServiceRequest).where(ServiceRequest.id.in_(request_ids))):
            if "comment" in (stored.details or {}):
                stored.details = {key: value for key, value in stored.details.items() if key != "comment"}
        db.session.flush()
        db.session.execute(table_of(RequestAttachment).delete().where(RequestAttachment.request_id.in_(request_ids)))
        changed = db.session.execute(
            update(ServiceRequest)
            .where(ServiceRequest.id.in_(request_ids))
            .values(contact_id=None, object_address="")
            .execution_options(synchronize_session=False)
        )
        result.service_requests = rows_changed(changed) or 0
    deleted = db.session.execute(table_of(Contact).delete().where(Contact.id.in_(contact_ids)))
    result.contacts = rows_changed(deleted) or 0
    db.session.expire_all()
    return result


def _mask_subject_texts(contacts: list[Contact], raw: bool = True) -> None:
    """Inside a write transaction: mask personal data (the person's own name parts included) in the texts
    of their appeals, review entries and survey answers (unless ``raw`` is False), and in the stored
    copies and lemmas of those (the text job's masked copies, which reports quote)."""
    from app.analysis.texts import remask_processed
    from app.text.masking import mask_personal

    ids = [c.id for c in contacts]
    names = [c.name for c in contacts if c.name]
    if not ids:
        return
    touched: dict[str, list[int]] = {}
    answers = select(Answer.id, Answer.text).join(Response, Response.id == Answer.response_id)
    for kind, model, query in (
        ("appeal", Appeal, select(Appeal.id, Appeal.text).where(Appeal.contact_id.in_(ids))),
        ("review", ReviewEntry, select(ReviewEntry.id, ReviewEntry.text).where(ReviewEntry.contact_id.in_(ids))),
        ("answer", Answer, answers.where(Response.contact_id.in_(ids), Answer.text.is_not(None))),
    ):
        for row_id, text in db.session.execute(query).all():
            masked = mask_personal(text or "", names)
            if raw and masked != text:
                db.session.execute(
                    update(model)
                    .where(model.id == row_id)
                    .values(text=masked)
                    .execution_options(synchronize_session=False)
                )
            touched.setdefault(kind, []).append(row_id)
    touched["other"] = touched.get("answer", [])
    remask_processed(touched, names)


def erase_subject(email: str | None = None, phone: str | None = None) -> PurgeResult:
    """Delete one customer's contact rows; their texts stay, without the link and with personal data masked
    (names, phones, e-mails, addresses, numbers; audited, counts only)."""
    subject = find_subject(email, phone)
    ids = subject.ids
    with write_transaction():
        _mask_subject_texts(subject.contacts)
        result = _unlink_and_delete(ids)
        audit.record("privacy.erase", summary=f"contacts={result.contacts}", **result.as_dict())
    return result


def expired_contact_ids(older_than_days: int, now: datetime | None = None) -> list[int]:
    """Contacts whose every referring record is past the retention period.

    A record still needs its contact while it is inside the period or its appeal is not finished
    (registered, in progress, answered): such a contact is kept even when another record is old.
    """
    if older_than_days < 0:
        raise PrivacyError("Срок хранения не может быть отрицательным.")
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    final = Appeal.status.in_(FINAL_APPEAL_STATUSES)
    appeal_done = final & (db.func.coalesce(Appeal.closed_at, Appeal.received_at) < cutoff)

    referenced: set[int] = set(db.session.scalars(select(Appeal.contact_id).where(Appeal.contact_id.is_not(None))))
    referenced |= set(db.session.scalars(select(ReviewEntry.contact_id).where(ReviewEntry.contact_id.is_not(None))))
    referenced |= set(db.session.scalars(select(Response.contact_id).where(Response.contact_id.is_not(None))))
    referenced |= set(
        db.session.scalars(select(HeldSubmission.contact_id).where(HeldSubmission.contact_id.is_not(None)))
    )

    keep: set[int] = set(
        db.session.scalars(select(Appeal.contact_id).where(Appeal.contact_id.is_not(None), ~appeal_done))
    )
    keep |= set(
        db.session.scalars(
            select(ReviewEntry.contact_id)
            .outerjoin(Appeal, Appeal.id == ReviewEntry.appeal_id)
            .where(
                ReviewEntry.contact_id.is_not(None),
                or_(ReviewEntry.created_at >= cutoff, (ReviewEntry.appeal_id.is_not(None) & ~appeal_done)),
            )
        )
    )
    keep |= set(
        db.session.scalars(
            select(Response.contact_id)
            .outerjoin(Appeal, Appeal.id == Response.appeal_id)
            .where(
                Response.contact_id.is_not(None),
                or_(Response.submitted_at >= cutoff, (Response.appeal_id.is_not(None) & ~appeal_done)),
            )
        )
    )
    keep |= set(
        db.session.scalars(
            select(HeldSubmission.contact_id).where(
                HeldSubmission.contact_id.is_not(None),
                or_(HeldSubmission.received_at >= cutoff, HeldSubmission.status == "held"),
            )
        )
    )
    referenced |= set(db.session.scalars(select(Booking.contact_id).where(Booking.contact_id.is_not(None))))
    referenced |= set(
        db.session.scalars(select(ServiceRequest.contact_id).where(ServiceRequest.contact_id.is_not(None)))
    )
    # A request's contact is needed while it is recent, held for check or its appeal is not finished.
    keep |= set(
        db.session.scalars(
            select(ServiceRequest.contact_id)
            .outerjoin(Appeal, Appeal.id == ServiceRequest.appeal_id)
            .where(
                ServiceRequest.contact_id.is_not(None),
                or_(
                    ServiceRequest.created_at >= cutoff,
                    ServiceRequest.check_state == "checking",
                    (ServiceRequest.appeal_id.is_not(None) & ~appeal_done),
                ),
            )
        )
    )
    # A booking's contact is needed until the appointment is past the retention period (start_at is the
    # centre's local time: hours off at most, against a period of days).
    keep |= set(
        db.session.scalars(
            select(Booking.contact_id).where(
                Booking.contact_id.is_not(None), or_(Booking.created_at >= cutoff, Booking.start_at >= cutoff)
            )
        )
    )
    # Orphan contacts (nothing refers to them any more) expire with their own creation time.
    orphans = set(db.session.scalars(select(Contact.id).where(Contact.created_at < cutoff))) - referenced
    return sorted((referenced - keep) | orphans)


def purge(older_than_days: int, dry_run: bool = False, now: datetime | None = None) -> PurgeResult:
    """Delete the contacts past retention (see :func:`expired_contact_ids`); audited with counts."""
    ids = expired_contact_ids(older_than_days, now)
    if dry_run:
        return PurgeResult(contacts=len(ids))
    with write_transaction():
        # The name goes with the contact, so mask it in the processed copies first (the job masked them
        # with it; a later change of the masker must not find it unmasked there).
        expired = list(db.session.scalars(select(Contact).where(Contact.id.in_(ids)))) if ids else []
        _mask_subject_texts(expired, raw=False)
        result = _unlink_and_delete(ids)
        audit.record(
            "privacy.purge",
            summary=f"days={older_than_days} contacts={result.contacts}",
            days=older_than_days,
            **result.as_dict(),
        )
    return result
