"""Survey tables: definitions and immutable published versions, assignments, responses, tidy answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sa_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.i18n import N_
from app.models import Organisation, utcnow

ANONYMOUS_CHANNELS = ("online", "qr", "sms", "email")
"""Channels anyone may post on, for an active assignment (survey × centre × channel) only."""
ASSIGNABLE_CHANNELS = ("kiosk", *ANONYMOUS_CHANNELS)
"""Channels a survey is assigned to (short link, QR code, poster; the kiosk's survey)."""
STAFF_CHANNELS = ("phone",)
"""Channels posted by staff only: call-centre surveys, with an API token allowed to write responses."""
CHANNELS = (*ASSIGNABLE_CHANNELS, *STAFF_CHANNELS)
# Plain Russian (N_): written into close-the-loop appeals and report models; pages translate them.
CHANNEL_LABELS = {
    "kiosk": N_("Киоск в ЦОК"),
    "online": N_("Сайт"),
    "qr": N_("QR-код"),
    "sms": N_("Ссылка в SMS"),
    "email": N_("Ссылка в письме"),
    "phone": N_("Телефон"),
}


class Survey(Model):
    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))  # Russian title of the latest version, for lists
    is_main: Mapped[bool] = mapped_column(default=False)  # the company's main satisfaction survey
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number", cascade="all, delete-orphan"
    )


class SurveyVersion(Model):
    """draft → published → closed; the definition is frozen once published."""

    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_id", "number", name="uq_survey_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="draft")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()

    survey: Mapped[Survey] = relationship(back_populates="versions")


class SurveyAssignment(Model):
    """A survey offered at a centre on a channel; its short code is the distribution link (/s/<code>)."""

    __tablename__ = "survey_assignment"
    __table_args__ = (UniqueConstraint("survey_id", "center_id", "channel", name="uq_survey_assignment_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    short_code: Mapped[str] = mapped_column(String(16), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it was last switched off: an offline kiosk answer given before that still counts.
    deactivated_at: Mapped[datetime | None] = mapped_column()

    survey: Mapped[Survey] = relationship()
    center: Mapped[Organisation] = relationship()


class Response(Model):
    """One submission. ``client_submission_id`` makes retries idempotent."""

    __tablename__ = "response"
    __table_args__ = (
        Index("ix_response_survey_submitted", "survey_id", "submitted_at"),
        Index("ix_response_center_submitted", "center_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    body_hash: Mapped[str] = mapped_column(String(64))  # same id + other body → 409
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    channel: Mapped[str] = mapped_column(String(16))
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk.id", ondelete="SET NULL"))
    # When the customer answered (a kiosk's offline queue sends it later): periods, counts and charts use it.
    # Fixed at insert: the incremental counts assume a stored response never changes.
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the post reached the server; ``time_replaced``: the sent answering time was refused (in the
    # future, older than the accepted age or unreadable) and the arrival time stands in for it.
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    time_replaced: Mapped[bool] = mapped_column(default=False)
    duration_seconds: Mapped[int | None] = mapped_column()
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeal.id", ondelete="SET NULL"))

    version: Mapped[SurveyVersion] = relationship()
    center: Mapped[Organisation] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")


class HeldSubmission(Model):
    """An anonymous submission that arrived in a burst: acknowledged, kept whole, outside every count.

    A marketer releases it (it becomes a normal :class:`Response`, counted from then on) or discards it
    (the row stays, marked). ``address_hash`` is a keyed hash of the client address: it shows that many
    submissions came from one address without storing the address.
    """

    __tablename__ = "held_submission"
    __table_args__ = (Index("ix_held_submission_center_received", "center_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"))
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    channel: Mapped[str] = mapped_column(String(16))
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk.id", ondelete="SET NULL"))
    duration_seconds: Mapped[int | None] = mapped_column()
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    address_hash: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The checked answering time (see Response.submitted_at); a release stores the response at it.
    answered_at: Mapped[datetime | None] = mapped_column()
    time_replaced: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="held", index=True)  # held | released | discarded
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column()
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id", ondelete="SET NULL"))

    survey: Mapped[Survey] = relationship()
    center: Mapped[Organisation] = relationship()


class Answer(Model):
    """A tidy answer row: one per question (per selected option for multi-choice, per row for matrix).

    ``survey_id``, ``center_id`` and ``submitted_at`` repeat the response's so that the database can
    aggregate answers of a period without a join. The period indexes lead with the time, not the question:
    the answers of one response then land on one leaf instead of one leaf per question, which halves what
    each submission writes (22 → 13 WAL pages for a 10-question form); the texts of a period, read for the
    samples and quotes, have their own (partial) index.
    """

    __tablename__ = "answer"
    __table_args__ = (
        Index("ix_answer_survey_time_question", "survey_id", "submitted_at", "question_code"),
        Index(
            "ix_answer_text_time",
            "survey_id",
            "submitted_at",
            "question_code",
            sqlite_where=sa_text("text IS NOT NULL"),
            postgresql_where=sa_text("text IS NOT NULL"),
        ),
        Index("ix_answer_response", "response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"))
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    submitted_at: Mapped[datetime] = mapped_column()
    question_code: Mapped[str] = mapped_column(String(64))
    value_num: Mapped[float | None] = mapped_column()
    option_code: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")
