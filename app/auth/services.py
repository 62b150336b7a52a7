"""Authentication and user management rules."""

from __future__ import annotations

import logging
import math
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import audit
from app.auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from app.database import write_transaction
from app.extensions import db
from app.models import LoginThrottle, Organisation, Role, User, utcnow

security_log = logging.getLogger("otklik.security")

# Verifying against a dummy hash keeps the timing of "unknown e-mail" like "wrong password".
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class AuthError(ValueError):
    """A refusal with a message for the user (Russian)."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


GENERIC_REFUSAL = "Неверный адрес электронной почты или пароль."
ACCOUNT_ADDRESS = "*"  # the throttle row of the account as a whole


def _wait_text(until: datetime, now: datetime) -> str:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return f"{seconds} с" if seconds < 60 else f"{math.ceil(seconds / 60)} мин"


def _throttle_rows(email: str, address: str) -> tuple[LoginThrottle | None, LoginThrottle | None]:
    rows = db.session.scalars(
        select(LoginThrottle).where(LoginThrottle.email == email, LoginThrottle.address.in_((address, ACCOUNT_ADDRESS)))
    ).all()
    by_address = {row.address: row for row in rows}
    return by_address.get(address), by_address.get(ACCOUNT_ADDRESS)


def throttle_refusal(email: str, address: str, now: datetime) -> str | None:
    """The Russian refusal while this (e-mail, address) waits out a delay or the account is locked, else None.

    The same for e-mails with and without an account."""
    pair, account = _throttle_rows(email, address)
    if pair and pair.blocked_until and pair.blocked_until > now:
        return (
            "Слишком много неудачных попыток входа с этого адреса. "
            f"Повторите попытку через {_wait_text(pair.blocked_until, now)}."
        )
    known = pair is not None and pair.succeeded_at is not None
    if account and account.blocked_until and account.blocked_until > now and not known:
        return (
            "Вход в эту учетную запись временно закрыт: пароль подбирали с разных адресов. "
            f"Повторите попытку через {_wait_text(account.blocked_until, now)} "
            "или обратитесь к администратору."
        )
    return None


def _locked_row(email: str, address: str) -> LoginThrottle:
    """The throttle row of (email, address), created if missing and locked for this transaction."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(LoginThrottle)
        .values(email=email, address=address, failures=0, window_failures=0)
        .on_conflict_do_nothing(index_elements=["email", "address"])
    )
    return db.session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.email == email, LoginThrottle.address == address)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _record_failure(email: str, address: str, user: User | None, now: datetime) -> None:
    """Count a failure of (email, address): growing delay for the pair, account lock on a wide attack."""
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_ACCOUNT_LOCK_WINDOW_MINUTES"])
    pair = _locked_row(email, address)
    if pair.window_started_at is None or pair.window_started_at <= now - window:
        pair.window_started_at, pair.window_failures = now, 0
    pair.failures += 1
    pair.window_failures += 1
    pair.last_failure_at = now
    beyond = pair.failures - config["LOGIN_MAX_FAILURES"]
    if beyond >= 0:
        delay = min(config["LOGIN_DELAY_BASE_SECONDS"] * 2 ** min(beyond, 20), config["LOGIN_DELAY_MAX_SECONDS"])
        pair.blocked_until = now + timedelta(seconds=delay)
    db.session.flush()
    total, addresses = db.session.execute(
        select(func.coalesce(func.sum(LoginThrottle.window_failures), 0), func.count()).where(
            LoginThrottle.email == email,
            LoginThrottle.address != ACCOUNT_ADDRESS,
            LoginThrottle.window_started_at > now - window,
            LoginThrottle.window_failures > 0,
        )
    ).one()
    if total >= config["LOGIN_ACCOUNT_LOCK_FAILURES"] and addresses >= config["LOGIN_ACCOUNT_LOCK_ADDRESSES"]:
        account = _locked_row(email, ACCOUNT_ADDRESS)
        if not (account.blocked_until and account.blocked_until > now):
            account.blocked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
            account.last_failure_at = now
            if user is not None:
                audit.record("auth.lockout", user, user_id=None, addresses=int(addresses))
                security_log.warning("account %s locked: %s failures from %s addresses", user.id, total, addresses)
    _prune_throttle(now)


def _prune_throttle(now: datetime) -> None:
    """Forget failures older than a day and known addresses unused for LOGIN_KNOWN_ADDRESS_DAYS."""
    day_ago = now - timedelta(days=1)
    known_days = timedelta(days=current_app.config["LOGIN_KNOWN_ADDRESS_DAYS"])
    quiet = or_(LoginThrottle.last_failure_at.is_(None), LoginThrottle.last_failure_at < day_ago)
    unblocked = or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now)
    db.session.execute(
        delete(LoginThrottle).where(
            quiet, unblocked, or_(LoginThrottle.succeeded_at.is_(None), LoginThrottle.succeeded_at < now - known_days)
        )
    )


def clear_throttle(email: str) -> int:
    """End every delay and the account lock of ``email`` (the caller's transaction); known addresses stay known.

    Returns how many delays or locks were active."""
    email = normalise_email(email)
    now = utcnow()
    active = (
        db.session.scalar(
            select(func.count())
            .select_from(LoginThrottle)
            .where(LoginThrottle.email == email, LoginThrottle.blocked_until > now)
        )
        or 0
    )
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.email == email, LoginThrottle.succeeded_at.is_(None)))
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.email == email)
        .values(failures=0, window_failures=0, window_started_at=None, blocked_until=None)
    )
    return active


def login_blocks(emails: list[str]) -> dict[str, str]:
    """For the users page: e-mail → "account" (locked as a whole) or "address" (delays from some address)."""
    now = utcnow()
    rows = db.session.execute(
        select(LoginThrottle.email, LoginThrottle.address).where(
            LoginThrottle.email.in_([normalise_email(e) for e in emails]), LoginThrottle.blocked_until > now
        )
    ).all()
    blocks: dict[str, str] = {}
    for email, address in rows:
        if address == ACCOUNT_ADDRESS or email not in blocks:
            blocks[email] = "account" if address == ACCOUNT_ADDRESS else "address"
    return blocks


def authenticate(email: str, password: str, address: str | None = None) -> User:
    """Return the user for valid credentials; refuse with a Russian message otherwise.

    Every path runs exactly one argon2 verification (against a dummy hash when the e-mail has no account or
    the (e-mail, address) pair is throttled), so the time taken does not tell which case it was. A
    throttled pair is refused without looking at the password: a delay is a refusal until a time, never a
    sleep. Failures are committed before the refusal is raised.
    """
    email = normalise_email(email)
    address = (address or "unknown")[:64]
    now = utcnow()
    refusal = throttle_refusal(email, address, now)
    user = user_by_email(email)
    if refusal is not None:
        verify_password(_DUMMY_HASH, password)
        security_log.warning("login refused: throttled %s", f"account {user.id}" if user else "unknown account")
        raise AuthError(refusal)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    if not ok:
        with write_transaction():
            _record_failure(email, address, user, now)
        security_log.warning("login failed: %s", f"account {user.id}" if user else "unknown account")
        raise AuthError(GENERIC_REFUSAL)
    assert user is not None  # without a user ok is False
    if not user.active:
        security_log.warning("login refused: account %s deactivated", user.id)
        raise AuthError("Учетная запись отключена. Обратитесь к администратору.")
    with write_transaction():
        pair = _locked_row(email, address)
        pair.failures, pair.blocked_until, pair.succeeded_at = 0, None, now
        user.last_login_at = now
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
    security_log.info("login ok: account %s", user.id)
    return user


def check_password_policy(password: str, email: str = "", name: str = "") -> None:
    problems = password_problems(
        password, current_app.config["PASSWORD_MIN_LENGTH"], email, name, current_app.config["COMPANY_NAME"]
    )
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
        raise AuthError("Для оператора укажите ЦОК или филиал, обращения которого он ведет.")
    return company()


def create_user(email: str, role: str, password: str, scope_code: str | None = None, name: str = "") -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AuthError("Укажите корректный адрес электронной почты.")
    if role not in {r.value for r in Role}:
        raise AuthError(f"Неизвестная роль «{role}». Допустимо: admin, marketing, operator, manager.")
    check_password_policy(password, email, name)
    scope = resolve_scope(role, scope_code)
    with write_transaction():
        if user_by_email(email) is not None:
            raise AuthError(f"Пользователь {email} уже существует.")
        user = User(
            email=email,
            name=name,
            role=role,
            scope_id=scope.id if scope else None,
            password_hash=hash_password(password),
        )
        db.session.add(user)
        db.session.flush()
        audit.record("user.create", user, summary=f"role={role}")
    return user


def update_user(user: User, *, role: str, scope_code: str | None, name: str, active: bool) -> None:
    if role not in {r.value for r in Role}:
        raise AuthError("Неизвестная роль.")
    scope = resolve_scope(role, scope_code)
    with write_transaction():
        changed_access = (
            user.role != role or user.scope_id != (scope.id if scope else None) or (user.active and not active)
        )
        if user.role != role:
            audit.record("user.role", user, summary=f"{user.role}→{role}")
        user.role, user.scope_id, user.name = role, scope.id if scope else None, name
        if user.active != active:
            audit.record("user.activate" if active else "user.deactivate", user)
        user.active = active
        if changed_access:
            user.session_version += 1  # ends the user's open sessions


def end_sessions(user: User) -> None:
    """Log out: moving the session version on ends this session and every copy of its cookie."""
    with write_transaction():
        user.session_version += 1


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AuthError("Текущий пароль введен неверно.")
    check_password_policy(new, user.email, user.name)
    with write_transaction():
        user.password_hash = hash_password(new)
        user.password_changed_at = utcnow()
        user.session_version += 1
        clear_throttle(user.email)
        audit.record("user.password", user)


def set_password(user: User, new: str) -> None:
    """Admin reset: policy applies, other sessions end, delays and the account lock are lifted."""
    check_password_policy(new, user.email, user.name)
    with write_transaction():
        user.password_hash = hash_password(new)
        user.password_changed_at = utcnow()
        user.session_version += 1
        clear_throttle(user.email)
        audit.record("user.password_reset", user)


def unlock_user(user: User) -> int:
    """Admin «Разблокировать» and ``flask users unlock``: lift every delay and the account lock (audited)."""
    with write_transaction():
        lifted = clear_throttle(user.email)
        audit.record("user.unlock", user, lifted=lifted)
    security_log.info("account %s unlocked (%s locks lifted)", user.id, lifted)
    return lifted


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
