"""Shared entities: the organisation tree, staff users and roles, topics and the audit log."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.config import setting
from app.extensions import Model
from app.i18n import N_


def utcnow() -> datetime:
    """Naive UTC now: every timestamp is stored in UTC without an offset."""
    return datetime.now(UTC).replace(tzinfo=None)


class OrgKind(enum.StrEnum):
    COMPANY = "company"  # МРСК
    BRANCH = "branch"  # РСК / филиал
    CENTER = "center"  # ЦОК


class Role(enum.StrEnum):
    ADMIN = "admin"
    MARKETING = "marketing"
    OPERATOR = "operator"
    MANAGER = "manager"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: _l("Администратор"),
    Role.MARKETING: _l("Маркетинг"),
    Role.OPERATOR: _l("Оператор ЦОК"),
    Role.MANAGER: _l("Руководитель"),
}


class Organisation(Model):
    """A node of the tree МРСК → РСК (branch) → ЦОК (centre)."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    # Generated from the centre's working hours (app.booking.hours) once it has them; free text before.
    opening_hours: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    timezone: Mapped[str] = mapped_column(String(64), default=lambda: setting("DEFAULT_CENTER_TIMEZONE"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Organisation]] = relationship(back_populates="parent", order_by="Organisation.name")

    @property
    def is_center(self) -> bool:
        return self.kind == OrgKind.CENTER

    @property
    def kind_label(self) -> str:
        return {"company": N_("МРСК"), "branch": N_("Филиал (РСК)"), "center": N_("ЦОК")}.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"


class User(UserMixin, Model):
    """A staff account. Customers never have accounts."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Unused since migration 0005 (sign-in throttling lives in login_throttle). Kept: dropping a column
    # rebuilds the table on SQLite, and dropping ``user`` there fires the ON DELETE actions of its references.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    session_version: Mapped[int] = mapped_column(default=1)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    scope: Mapped[Organisation | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return self.active

    def get_id(self) -> str:
        # The session version makes logout-everywhere, deactivation and password change end sessions.
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        return self.role == Role.ADMIN or self.role in roles

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(Role(self.role), self.role)


class LoginThrottle(Model):
    """Failed sign-ins per (typed e-mail, client address); the address ``*`` is the account as a whole.

    Keyed by the typed e-mail, not by the user, so that an e-mail without an account is throttled exactly
    like one with an account: the refusals tell an attacker nothing about which accounts exist. A row
    with ``succeeded_at`` marks an address the account signed in from; the account-wide lock never
    refuses such an address.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (
        UniqueConstraint("email", "address", name="uq_login_throttle_email_address"),
        Index("ix_login_throttle_last_failure_at", "last_failure_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)  # in a row from this address since its last success
    window_started_at: Mapped[datetime | None] = mapped_column()
    window_failures: Mapped[int] = mapped_column(default=0)  # since window_started_at (account-wide count)
    blocked_until: Mapped[datetime | None] = mapped_column()
    last_failure_at: Mapped[datetime | None] = mapped_column()
    succeeded_at: Mapped[datetime | None] = mapped_column()


class Topic(Model):
    """The shared topic list of appeals and review-book entries (editable by admins)."""

    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class AuditEvent(Model):
    """Who changed what and when. Details hold identifiers, never personal data."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client_address: Mapped[str | None] = mapped_column(String(45))  # IPv6 at most; None outside a request

    user: Mapped[User | None] = relationship()


class Setting(Model):
    """Small admin-editable settings (key → JSON value), e.g. the channel → regulator-row map."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Contact(Model):
    """A customer's personal data (152-ФЗ), kept apart from answers and texts.

    Stored only with an explicit consent: the consent text's version and time are kept with it.
    Withdrawing the consent or the retention job deletes the row; references are set to NULL.
    """

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    purpose: Mapped[str] = mapped_column(String(32))  # survey_callback | review_answer | appeal
    consent_version: Mapped[str] = mapped_column(String(32))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
