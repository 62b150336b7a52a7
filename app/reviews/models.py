"""The digital review book: entries and their registration-number counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.i18n import N_
from app.models import Organisation, Topic, utcnow

ENTRY_TYPES = {
    "complaint": _l("Жалоба"),
    "suggestion": _l("Предложение"),
    "gratitude": _l("Благодарность"),
    "question": _l("Вопрос"),
}
MODERATION = {"pending": _l("На модерации"), "published": _l("Опубликовано"), "hidden": _l("Не публикуется")}
# A burst check, separate from the publication moderation: NULL for an entry that was never held.
CHECK_STATES = {
    "checking": N_("На проверке"),
    "accepted": N_("Принята после проверки"),
    "rejected": N_("Отклонена как спам"),
}


class ReviewEntry(Model):
    """An entry in a centre's review book; each becomes an appeal so its deadline is tracked (an entry
    held for a burst check becomes one only when an operator accepts it)."""

    __tablename__ = "review_entry"
    __table_args__ = (
        Index("ix_review_entry_center_created", "center_id", "created_at"),
        # The duplicate-text check looks up one text of one centre in a recent window.
        Index("ix_review_entry_center_body", "center_id", "body_hash", "created_at"),
        # The page of entries on check lists one state of the user's centres.
        Index("ix_review_entry_check_state", "check_state", "center_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_number: Mapped[str] = mapped_column(String(32), unique=True)  # KUR-2026-000123
    check_code_hash: Mapped[str] = mapped_column(String(128))
    client_submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    entry_type: Mapped[str] = mapped_column(String(16))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"))
    text: Mapped[str] = mapped_column(Text)
    wants_answer: Mapped[bool] = mapped_column(default=False)
    publish_consent: Mapped[bool] = mapped_column(default=False)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    moderation: Mapped[str] = mapped_column(String(16), default="pending")
    published_at: Mapped[datetime | None] = mapped_column()
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeal.id", ondelete="SET NULL"), index=True)
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk.id", ondelete="SET NULL"))
    answer_sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where the entry came from: None for the review book (and its kiosks), "ask" for a question sent with
    # the public form «Задать вопрос специалисту» (app/ask): not a review, never in the book's moderation.
    origin: Mapped[str | None] = mapped_column(String(16))
    # Burst check («на проверке»): an anonymous entry that arrived far above its centre's usual rate
    # waits here without an appeal until an operator accepts it (the appeal is registered with
    # received_at = created_at) or rejects it as spam (kept, marked). ``check_address_hash`` is a keyed
    # hash of the client address of a held entry, never the address itself.
    check_state: Mapped[str | None] = mapped_column(String(16))
    check_reasons: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    check_address_hash: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime | None] = mapped_column()
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    center: Mapped[Organisation] = relationship()
    topic: Mapped[Topic] = relationship()


class RegistrationCounter(Model):
    """Per centre and year sequence behind registration numbers (taken under the write lock)."""

    __tablename__ = "registration_counter"
    __table_args__ = (UniqueConstraint("center_id", "year", name="uq_registration_counter_center_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    year: Mapped[int] = mapped_column()
    last_value: Mapped[int] = mapped_column(default=0)
