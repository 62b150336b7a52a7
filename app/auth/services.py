"""Authentication and user management rules."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from app import audit
from app.auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from app.database import write_transaction
from app.extensions import db
from app.models import Organisation, Role, User, utcnow

security_log = logging.getLogger("otklik.security")

# Verifying against a dummy hash keeps the timing of "unknown e-mail" like "wrong password".
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class AuthError(ValueError):
    """A refusal with a message for the user (Russian)."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def authenticate(email: str, password: str) -> User:
    """Return the user for valid credentials, counting failures and locking after too many.

    Failures are committed before the refusal is raised, so the counter survives.
    """
    generic = "Неверный адрес электронной почты или пароль."
    refusal: str | None = None
    with write_transaction():
        user = user_by_email(email)
        now = utcnow()
        if user is None:
            verify_password(_DUMMY_HASH, password)
            security_log.warning("login failed: unknown account")
            refusal = generic
        elif user.locked_until and user.locked_until > now:
            security_log.warning("login refused: account %s locked", user.id)
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            refusal = f"Слишком много неудачных попыток. Вход заблокирован на {minutes} мин."
        elif not verify_password(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
                user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
                user.failed_logins = 0
                audit.record("auth.lockout", user, user_id=None)
                security_log.warning("account %s locked after repeated failures", user.id)
            else:
                security_log.warning("login failed: account %s", user.id)
            refusal = generic
        elif not user.active:
            security_log.warning("login refused: account %s deactivated", user.id)
            refusal = "Учетная запись отключена. Обратитесь к администратору."
        else:
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            security_log.info("login ok: account %s", user.id)
    if refusal:
        raise AuthError(refusal)
    return user


def check_password_policy(password: str, email: str = "") -> None:
    problems = password_problems(password, current_app.config["PASSWORD_MIN_LENGTH"], email)
    if problems:
        raise AuthError(" ".join(problems))


def resolve_scope(role: str, scope_code: str | None) -> Organisation | None:
    """Operators need a centre or branch; others default to the whole company."""
    from app.org.services import company, find_org

    if scope_code:
        scope = find_org(scope_code)
        if scope is None:
            raise AuthError(f"Подразделение с кодом «{scope_code}» не найдено.")
        return scope
    if role == Role.OPERATOR:
        raise AuthError("Для оператора укажите ЦОК или филиал (--scope КОД).")
    return company()


def create_user(email: str, role: str, password: str, scope_code: str | None = None,
                name: str = "") -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AuthError("Укажите корректный адрес электронной почты.")
    if role not in {r.value for r in Role}:
        raise AuthError(f"Неизвестная роль «{role}». Допустимо: admin, marketing, operator, manager.")
    check_password_policy(password, email)
    scope = resolve_scope(role, scope_code)
    with write_transaction():
        if user_by_email(email) is not None:
            raise AuthError(f"Пользователь {email} уже существует.")
        user = User(email=email, name=name, role=role, scope_id=scope.id if scope else None,
                    password_hash=hash_password(password))
        db.session.add(user)
        db.session.flush()
        audit.record("user.create", user, summary=f"role={role}")
    return user


def update_user(user: User, *, role: str, scope_code: str | None, name: str, active: bool) -> None:
    if role not in {r.value for r in Role}:
        raise AuthError("Неизвестная роль.")
    scope = resolve_scope(role, scope_code)
    with write_transaction():
        changed_access = user.role != role or user.scope_id != (scope.id if scope else None) or (
            user.active and not active
        )
        if user.role != role:
            audit.record("user.role", user, summary=f"{user.role}→{role}")
        user.role, user.scope_id, user.name = role, scope.id if scope else None, name
        if user.active != active:
            audit.record("user.activate" if active else "user.deactivate", user)
        user.active = active
        if changed_access:
            user.session_version += 1  # ends the user's open sessions


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AuthError("Текущий пароль введен неверно.")
    check_password_policy(new, user.email)
    with write_transaction():
        user.password_hash = hash_password(new)
        user.password_changed_at = utcnow()
        user.session_version += 1
        audit.record("user.password", user)


def set_password(user: User, new: str) -> None:
    """Admin reset: policy applies, other sessions end."""
    check_password_policy(new, user.email)
    with write_transaction():
        user.password_hash = hash_password(new)
        user.password_changed_at = utcnow()
        user.session_version += 1
        audit.record("user.password_reset", user)


def load_user(session_id: str) -> User | None:
    """Flask-Login loader: '<id>:<session_version>'; a stale version ends the session."""
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user
