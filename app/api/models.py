"""Staff API tokens: stored as sha256 hashes, shown once on creation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models import User, utcnow

PERMISSIONS = ("read:responses", "read:reports", "write:responses")
"""What a token may do: list responses, read the satisfaction report, post call-centre (``phone``) responses."""
LEGACY_PERMISSIONS = "read:responses read:reports"
"""What tokens made before permissions existed may do (set by migration 0005; they never expire)."""


class ApiToken(Model):
    """A staff token; ``permissions`` is a space-separated subset of :data:`PERMISSIONS`."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    permissions: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()

    @property
    def permission_set(self) -> frozenset[str]:
        return frozenset(self.permissions.split())
