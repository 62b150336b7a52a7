"""Registered hall kiosks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models import Organisation, utcnow


class Kiosk(Model):
    """A touch kiosk in a centre.

    The device authenticates with a secret token sent as ``X-Kiosk-Token`` (stored hashed), which it
    obtains once by exchanging a one-time enrolment code (also stored hashed, valid until
    ``enrol_expires_at``); no URL ever holds the device token.
    """

    __tablename__ = "kiosk"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    inactivity_seconds: Mapped[int] = mapped_column(default=60)
    last_seen_at: Mapped[datetime | None] = mapped_column()
    pending_count: Mapped[int] = mapped_column(default=0)
    refused_count: Mapped[int] = mapped_column(default=0)  # queued posts the server refused (4xx), kept
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    enrol_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrol_expires_at: Mapped[datetime | None] = mapped_column()
    # The survey it shows when its centre has several on the kiosk channel; None: the most recently assigned.
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("survey.id", ondelete="SET NULL"))

    center: Mapped[Organisation] = relationship()
