"""Creating, checking and revoking staff API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from app import audit
from app.api.models import ApiToken
from app.database import write_transaction
from app.extensions import db
from app.models import User, utcnow

TOKEN_PREFIX = "otk_"  # noqa: S105 - a public prefix, not a secret


class TokenError(ValueError):
    """A domain error with a Russian message."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(email: str, name: str) -> str:
    """Create a token for an active staff account; returns the secret (shown once, stored hashed)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        user = db.session.scalar(select(User).where(User.email == email.strip()))
    if user is None or not user.active:
        raise TokenError(f"Нет активного пользователя с почтой «{email}»")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction():
        token = ApiToken(user_id=user.id, token_hash=token_hash(secret), name=name[:100])
        db.session.add(token)
        db.session.flush()
        audit.record("api.token_create", token, summary=name[:100], user_id=user.id)
    return secret


def revoke_token(token_id: int) -> None:
    with write_transaction():
        token = db.session.get(ApiToken, token_id)
        if token is None:
            raise TokenError("Токен не найден")
        token.revoked_at = utcnow()
        audit.record("api.token_revoke", token)


def user_for_token(secret: str) -> User | None:
    """The active user of a valid token; ``last_used_at`` is refreshed at most once a minute."""
    if not secret:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        with write_transaction():
            token.last_used_at = now
    return token.user
