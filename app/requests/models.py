"""Service requests and their attachments (stored in the database, never served publicly).

A request's structured answers (power, voltage, meter number…) are in ``details``; the applicant's name,
phone and e-mail are a :class:`app.models.Contact` (with consent). The object's address is personal data
too: it is blanked with the contact when the customer is erased or the retention period ends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.i18n import N_
from app.models import Organisation, utcnow

# code → (Russian name, topic code of its appeal)
REQUEST_TYPES: dict[str, tuple[str, str]] = {
    "connection": (N_("Технологическое присоединение"), "connection"),
    "meter_acceptance": (N_("Приемка прибора учета в эксплуатацию"), "meter_acceptance"),
    "meter_check": (N_("Проверка прибора учета"), "meter_check"),
}
CHECK_STATES = {
    "checking": N_("На проверке"),
    "accepted": N_("Принята после проверки"),
    "rejected": N_("Отклонена как спам"),
}


class ServiceRequest(Model):
    """One request from the public form; ``appeal_id`` is its appeal (None while held for a burst check)."""

    __tablename__ = "service_request"
    __table_args__ = (Index("ix_service_request_center_created", "center_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_number: Mapped[str] = mapped_column(String(40), unique=True)
    check_code_hash: Mapped[str] = mapped_column(String(128))
    client_submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    request_type: Mapped[str] = mapped_column(String(32))
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeal.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"), index=True)
    object_address: Mapped[str] = mapped_column(String(500), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    check_state: Mapped[str | None] = mapped_column(String(16))
    check_reasons: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    checked_at: Mapped[datetime | None] = mapped_column()
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    center: Mapped[Organisation] = relationship()
    attachments: Mapped[list[RequestAttachment]] = relationship(
        back_populates="request", order_by="RequestAttachment.id", cascade="all, delete-orphan"
    )

    @property
    def type_name(self) -> str:
        return REQUEST_TYPES.get(self.request_type, (self.request_type, ""))[0]


class RequestAttachment(Model):
    """A file sent with a request: its bytes, the type found from its content, size and SHA-256."""

    __tablename__ = "service_request_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[ServiceRequest] = relationship(back_populates="attachments")
