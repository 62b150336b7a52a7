"""The digital review book: entries and their registration-number counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import Organisation, Topic, utcnow

ENTRY_TYPES = {"complaint": "Жалоба", "suggestion": "Предложение", "gratitude": "Благодарность",
               "question": "Вопрос"}
MODERATION = {"pending": "На модерации", "published": "Опубликовано", "hidden": "Не публикуется"}


class ReviewEntry(db.Model):
    """An entry in a centre's review book; each becomes an appeal so its deadline is tracked."""

    __tablename__ = "review_entry"
    __table_args__ = (
        Index("ix_review_entry_center_created", "center_id", "created_at"),
        # The duplicate-text check looks up one text of one centre in a recent window.
        Index("ix_review_entry_center_body", "center_id", "body_hash", "created_at"),
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

    center: Mapped[Organisation] = relationship()
    topic: Mapped[Topic] = relationship()


class RegistrationCounter(db.Model):
    """Per centre and year sequence behind registration numbers (taken under the write lock)."""

    __tablename__ = "registration_counter"
    __table_args__ = (UniqueConstraint("center_id", "year", name="uq_registration_counter_center_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    year: Mapped[int] = mapped_column()
    last_value: Mapped[int] = mapped_column(default=0)
