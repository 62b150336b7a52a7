"""Corrective actions and the editable action catalogue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import Organisation, utcnow

ACTION_STATUSES = {"planned": "Запланировано", "in_progress": "Выполняется", "done": "Выполнено",
                   "cancelled": "Отменено"}


class ActionTemplate(db.Model):
    """Catalogue entry: a suggested corrective action for an attribute question or an appeal topic."""

    __tablename__ = "action_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(64), index=True)  # question code or "topic:<code>" or a rule key
    text_ru: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)


class CorrectiveAction(db.Model):
    """A recommendation turned into tracked work; its effect is measured before/after."""

    __tablename__ = "corrective_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    finding: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    survey_slug: Mapped[str | None] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(64))  # e.g. question code "wait" (top-2-box)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    due_date: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="planned")
    priority: Mapped[float] = mapped_column(default=0.0)
    started_on: Mapped[date | None] = mapped_column()
    done_on: Mapped[date | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[Organisation] = relationship()
