"""Archive of generated PDF reports (kept in the database: no state on local disk)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models import User, utcnow


class ReportArchive(Model):
    __tablename__ = "report_archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_type: Mapped[str] = mapped_column(String(32))  # satisfaction | appeals | center
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | running | done | failed
    progress: Mapped[int] = mapped_column(default=0)  # percent
    error: Mapped[str] = mapped_column(String(500), default="")
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    # The build's owner (``host:pid:token``) writes ``heartbeat_at`` every REPORT_HEARTBEAT_SECONDS while it
    # runs; a row whose heartbeat stopped belongs to a dead process and is swept to "failed".
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    owner: Mapped[str] = mapped_column(String(120), default="")

    created_by: Mapped[User | None] = relationship()
