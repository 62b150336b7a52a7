"""Creating, checking and revoking staff API tokens (permissions and expiry)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select

from app import audit
from app.api.models import PERMISSIONS, ApiToken
from app.database import write_transaction
from app.errors import DomainError
from app.extensions import db
from app.models import User, utcnow

TOKEN_PREFIX = "otk_"  # noqa: S105 - a public prefix, not a secret
DEFAULT_EXPIRES_DAYS = 365
MAX_EXPIRES_DAYS = 3650
DEFAULT_PERMISSIONS = ("read:responses", "read:reports")


class TokenError(DomainError):
    """A domain error with a Russian message."""


class TokenRefused(TokenError):
    """The presented token does not authenticate (unknown, revoked, expired, inactive owner)."""

    status, code = 401, "unauthorized"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_permissions(permissions: Iterable[str]) -> list[str]:
    """The distinct permissions in the canonical order; TokenError (Russian) on none or an unknown one."""
    wanted = [p.strip() for p in permissions if p and p.strip()]
    if not wanted:
        raise TokenError("Укажите хотя бы одно право: " + ", ".join(PERMISSIONS))
    if bad := [p for p in wanted if p not in PERMISSIONS]:
        raise TokenError(f"Неизвестное право: {', '.join(bad)} (допустимы: {', '.join(PERMISSIONS)})")
    return [p for p in PERMISSIONS if p in wanted]


def create_token(
    email: str,
    name: str,
    permissions: Iterable[str] = DEFAULT_PERMISSIONS,
    expires_days: int | None = DEFAULT_EXPIRES_DAYS,
) -> str:
    """Create a token for an active staff account; returns the secret (shown once, stored hashed).

    ``expires_days`` None makes a token without expiry (only for callers that mean it; the CLI always
    sets one).
    """
    granted = check_permissions(permissions)
    if expires_days is not None and (isinstance(expires_days, bool) or not 1 <= expires_days <= MAX_EXPIRES_DAYS):
        raise TokenError(f"Срок действия — от 1 до {MAX_EXPIRES_DAYS} дней")
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        user = db.session.scalar(select(User).where(User.email == email.strip()))
    if user is None or not user.active:
        raise TokenError(f"Нет активного пользователя с почтой «{email}»")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = now + timedelta(days=expires_days) if expires_days is not None else None
    with write_transaction():
        token = ApiToken(
            user_id=user.id,
            token_hash=token_hash(secret),
            name=name[:100],
            created_at=now,
            permissions=" ".join(granted),
            expires_at=expires_at,
        )
        db.session.add(token)
        db.session.flush()
        audit.record(
            "api.token_create",
            token,
            summary=name[:100],
            user_id=user.id,
            permissions=granted,
            expires_at=expires_at.isoformat() if expires_at else None,
        )
    return secret


def revoke_token(token_id: int) -> None:
    with write_transaction():
        token = db.session.get(ApiToken, token_id)
        if token is None:
            raise TokenError("Токен не найден")
        token.revoked_at = utcnow()
        audit.record("api.token_revoke", token)


def authenticate(secret: str) -> ApiToken:
    """The valid token of ``secret``; ``last_used_at`` is refreshed at most once a minute.

    Raises :class:`TokenRefused` (Russian message) for an unknown or revoked token, an expired one or
    an inactive owner.
    """
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret))) if secret else None
    if token is None or token.revoked_at is not None or not token.user.active:
        raise TokenRefused("Токен API не найден или отозван.")
    now = utcnow()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused("Срок действия токена API истек: создайте новый.")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        with write_transaction():
            token.last_used_at = now
    return token


def user_for_token(secret: str) -> User | None:
    """The active user of a valid token (any permission), or None."""
    try:
        return authenticate(secret).user
    except TokenRefused:
        return None
