"""Sign-in that cannot be used to lock people out: throttling per (account, address) with
growing delays that are refusals, an account-wide lock only for guessing from many addresses (never
against a known address), unlocking by the admin, the CLI and a password reset, the same page and one
hash verification whether the e-mail exists, the password is wrong or the pair is throttled, and the
password policy's examples.

Logins go through the real form (argon2), so the thresholds are configured low to keep them few.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import app.auth.services as services
from app.auth.passwords import common_passwords
from app.auth.services import AuthError, create_user
from app.extensions import db
from app.models import AuditEvent, LoginThrottle, User, utcnow
from tests.integration.test_security_support import as_user, quick_user

PASSWORD = "correct-horse-battery"
WRONG = "wrong-password-1"
LIMITS = {
    "LOGIN_MAX_FAILURES": 3,
    "LOGIN_DELAY_BASE_SECONDS": 30,
    "LOGIN_DELAY_MAX_SECONDS": 900,
    "LOGIN_ACCOUNT_LOCK_FAILURES": 10,
    "LOGIN_ACCOUNT_LOCK_ADDRESSES": 5,
    "LOGIN_LOCKOUT_MINUTES": 15,
}


@pytest.fixture
def app_config(request):
    return {**LIMITS, "WTF_CSRF_ENABLED": "csrf" in request.node.name}


@pytest.fixture
def clock(monkeypatch):
    """The services' clock, moved by the test; ``time.sleep`` fails the test if anything waits."""
    now = [utcnow()]
    monkeypatch.setattr(services, "utcnow", lambda: now[0])

    def no_sleep(_seconds: float) -> None:
        raise AssertionError("a delay must be a refusal, never a sleep")

    monkeypatch.setattr(time, "sleep", no_sleep)
    return now


def attempt(client, email: str, password: str, address: str):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def text(response) -> str:
    return response.get_data(as_text=True)


def signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


def lock_account(email: str, minutes: int = 15) -> None:
    """An account-wide lock as the throttle stores it (how it is reached is tested below)."""
    with services.write_transaction():
        db.session.add(
            LoginThrottle(
                email=email, address="*", blocked_until=utcnow() + timedelta(minutes=minutes), last_failure_at=utcnow()
            )
        )


# --------------------------------------------------------------------------- throttling per (account, address)


def test_failures_from_one_address_do_not_lock_out_another(app, client, make_user, clock):
    user = make_user("admin")
    for _ in range(6):
        response = attempt(client, user.email, WRONG, "203.0.113.7")
    assert "Повторите попытку через" in text(response)
    assert "Повторите попытку через" in text(attempt(client, user.email, PASSWORD, "203.0.113.7"))
    assert not signed_in(client), "the throttled address is refused even with the right password"
    response = attempt(client, user.email, PASSWORD, "198.51.100.20")
    assert response.status_code == 302 and signed_in(client), "another address signs in"


def test_delays_grow_and_are_refusals_with_a_russian_message(app, client, make_user, clock):
    user = make_user("manager")
    address = "203.0.113.8"
    for _ in range(LIMITS["LOGIN_MAX_FAILURES"] - 1):
        assert "Неверный адрес электронной почты или пароль" in text(attempt(client, user.email, WRONG, address))
    delays = []
    for _ in range(3):
        attempt(client, user.email, WRONG, address)  # a counted failure that starts the next delay
        row = db.session.scalar(
            select(LoginThrottle).where(LoginThrottle.email == user.email, LoginThrottle.address == address)
        )
        db.session.refresh(row)
        delays.append((row.blocked_until - clock[0]).total_seconds())
        refusal = text(attempt(client, user.email, PASSWORD, address))
        assert "Слишком много неудачных попыток входа с этого адреса" in refusal
        assert "Повторите попытку через" in refusal
        clock[0] = row.blocked_until + timedelta(seconds=1)
    assert delays == [30, 60, 120]
    assert attempt(client, user.email, PASSWORD, address).status_code == 302, "after the delay the right password works"
    row = db.session.scalar(
        select(LoginThrottle).where(LoginThrottle.email == user.email, LoginThrottle.address == address)
    )
    db.session.refresh(row)
    assert row.failures == 0 and row.blocked_until is None and row.succeeded_at is not None


def test_account_lock_only_after_many_failures_from_many_addresses_and_never_for_a_known_address(app, make_user, clock):
    user = make_user("admin")
    known = app.test_client()
    assert attempt(known, user.email, PASSWORD, "192.0.2.1").status_code == 302
    attacker = app.test_client()
    for n in range(4):  # 12 failures, but from 4 addresses: no account lock
        for _ in range(3):
            attempt(attacker, user.email, WRONG, f"198.51.100.{n}")
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle).where(LoginThrottle.address == "*")) == 0
    fresh = app.test_client()
    assert attempt(fresh, user.email, PASSWORD, "198.18.0.1").status_code == 302, "no lock yet"
    attempt(attacker, user.email, WRONG, "198.51.100.99")  # the fifth address
    stranger = app.test_client()
    refusal = text(attempt(stranger, user.email, PASSWORD, "198.18.0.2"))
    assert "Вход в эту учетную запись временно закрыт" in refusal and not signed_in(stranger)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "auth.lockout", AuditEvent.object_id == str(user.id))
        )
        == 1
    )
    known.post("/logout")
    assert attempt(known, user.email, PASSWORD, "192.0.2.1").status_code == 302, "a known address is never locked"
    assert attempt(fresh, user.email, PASSWORD, "198.18.0.1").status_code == 302, "nor one that signed in meanwhile"


# --------------------------------------------------------------------------- unlocking


def test_admin_unlock_button_lifts_the_lock_and_is_admin_only_and_audited(app, client, make_user):
    user = make_user("manager")
    lock_account(user.email)
    assert "временно закрыт" in text(attempt(app.test_client(), user.email, PASSWORD, "192.0.2.50"))
    admin = quick_user("admin")
    as_user(client, admin)
    page = text(client.get("/admin/users"))
    assert "Разблокировать" in page and f"/admin/users/{user.id}/unlock" in page
    manager = as_user(app.test_client(), quick_user("manager"))
    assert manager.post(f"/admin/users/{user.id}/unlock").status_code == 403
    assert services.throttle_refusal(user.email, "192.0.2.50", utcnow()) is not None
    response = client.post(f"/admin/users/{user.id}/unlock")
    assert response.status_code == 302
    assert "разблокирован" in text(client.get("/admin/users"))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.unlock"))
    assert event.object_id == str(user.id) and event.user_id == admin.id
    assert "Разблокировать" not in text(client.get("/admin/users"))
    assert attempt(app.test_client(), user.email, PASSWORD, "192.0.2.50").status_code == 302


def test_csrf_unlock_needs_the_token(app, client, make_user):
    user = make_user("manager")
    lock_account(user.email)
    as_user(client, quick_user("admin"))
    assert client.post(f"/admin/users/{user.id}/unlock").status_code == 400
    assert services.throttle_refusal(user.email, "192.0.2.51", utcnow()) is not None


def test_cli_unlock(app, runner, make_user):
    user = make_user("manager")
    lock_account(user.email)
    result = runner.invoke(args=["users", "unlock", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert "разблокирован" in result.output
    assert services.throttle_refusal(user.email, "192.0.2.52", utcnow()) is None
    unlocks = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.unlock")
    assert db.session.scalar(unlocks) == 1
    missing = runner.invoke(args=["users", "unlock", "nobody@example.test"])
    assert missing.exit_code != 0 and "не найден" in missing.output


def test_password_reset_by_the_admin_clears_the_lock(app, client, make_user):
    user = make_user("manager")
    lock_account(user.email)
    as_user(client, quick_user("admin"))
    response = client.post(
        f"/admin/users/{user.id}",
        data={"name": "", "role": "manager", "scope": "", "active": "y", "new_password": "a-fresh-long-passphrase"},
    )
    assert response.status_code == 302, text(response)[:300]
    assert services.throttle_refusal(user.email, "192.0.2.53", utcnow()) is None
    assert attempt(app.test_client(), user.email, "a-fresh-long-passphrase", "192.0.2.53").status_code == 302


# --------------------------------------------------------------------------- nothing tells whether the account exists


@pytest.fixture
def verifications(monkeypatch):
    calls = []
    real = services.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(services, "verify_password", counting)
    return calls


def test_unknown_email_wrong_password_and_throttled_give_the_same_page_and_one_verification(
    app, client, make_user, verifications, clock
):
    user = make_user("manager")
    ghost = "no-such-person@example.test"

    def page(email: str, address: str) -> str:
        verifications.clear()
        body = text(attempt(client, email, WRONG, address)).replace(email, "EMAIL")
        assert len(verifications) == 1, f"{email}: {len(verifications)} hash verifications"
        return body

    assert page(user.email, "192.0.2.60") == page(ghost, "192.0.2.61")
    assert "Неверный адрес электронной почты или пароль" in page(ghost, "192.0.2.61")
    for _ in range(LIMITS["LOGIN_MAX_FAILURES"]):
        page(user.email, "192.0.2.70")
        page(ghost, "192.0.2.71")
    throttled_known, throttled_ghost = page(user.email, "192.0.2.70"), page(ghost, "192.0.2.71")
    assert "Повторите попытку через" in throttled_known
    assert throttled_known == throttled_ghost
    lock_account(user.email)
    lock_account(ghost)
    locked_known, locked_ghost = page(user.email, "192.0.2.80"), page(ghost, "192.0.2.81")
    assert "временно закрыт" in locked_known and locked_known == locked_ghost


# --------------------------------------------------------------------------- password policy


def test_common_password_list_has_ten_thousand_entries():
    assert len(common_passwords()) >= 10_000


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("0123456789", "рядом клавиш"),
        ("йцукенгшщз", "рядом клавиш"),
        ("фывапролджэ", "рядом клавиш"),
        ("Admin12345", "распространен"),
        ("otklik2026", "названии компании"),
        ("ОТКЛИК-МРСК-2026", "названии компании"),
        ("ivan.petrov@example.test", "адресе почты"),
        ("Иван Петров 1990", "имени сотрудника"),
        ("Password2026!", "распространен"),
        ("gfhjkm2026", "распространен"),
    ],
)
def test_weak_passwords_are_refused_with_a_russian_reason(client, org, password, reason):
    as_user(client, quick_user("admin"))
    response = client.post(
        "/admin/users/new",
        data={
            "email": "ivan.petrov@example.test",
            "name": "Иван Петров",
            "role": "manager",
            "scope": "",
            "password": password,
        },
    )
    assert response.status_code == 200 and reason in text(response), text(response)[:2000]
    assert db.session.scalar(select(User).where(User.email == "ivan.petrov@example.test")) is None


def test_a_decent_passphrase_is_accepted(org):
    user = create_user("ivan.petrov@example.test", "manager", "Тихо падал снег на крышу", name="Иван Петров")
    assert user.id
    with pytest.raises(AuthError, match="адресе почты"):
        create_user("anna@example.test", "manager", "anna@example.test")
