"""Login, roles, lockout, sessions, user administration and the audit log."""

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, LoginThrottle, User, utcnow


def test_login_page_is_russian(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Вход для сотрудников" in page and 'lang="ru"' in page


def test_wrong_password_gives_russian_message_and_counts(client, make_user):
    user = make_user("manager")
    response = client.post("/login", data={"email": user.email, "password": "wrong-password-1"})
    assert response.status_code == 200
    assert "Неверный адрес электронной почты или пароль" in response.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.email == user.email))
    assert row.failures == 1 and row.address == "127.0.0.1"


def test_address_throttled_after_repeated_failures(client, make_user, app):
    user = make_user("manager")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"email": user.email, "password": "wrong-password-1"})
    response = client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
    assert "Слишком много неудачных попыток" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # still anonymous


def test_login_logout_and_next_parameter(client, make_user):
    user = make_user("admin")
    response = client.post("/login?next=/admin/users", data={"email": user.email, "password": "correct-horse-battery"})
    assert response.headers["Location"] == "/admin/users"
    assert client.get("/admin/users").status_code == 200
    client.post("/logout")
    assert client.get("/admin/users").status_code == 302


def test_login_refuses_foreign_next(client, make_user):
    user = make_user("admin")
    response = client.post(
        "/login?next=//evil.example/x", data={"email": user.email, "password": "correct-horse-battery"}
    )
    assert response.headers["Location"] == "/dashboard"


def test_roles_reach_only_their_pages(client, make_user, login):
    operator = make_user("operator")
    login(operator)
    assert client.get("/dashboard").status_code == 200
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/org/").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_deactivation_ends_session(client, make_user, login):
    from app.auth.services import update_user

    user = make_user("manager")
    login(user)
    assert client.get("/dashboard").status_code == 200
    update_user(db.session.get(User, user.id), role="manager", scope_code=None, name="", active=False)
    assert client.get("/dashboard").status_code == 302


def test_password_change_ends_other_sessions(app, make_user):
    user = make_user("manager")
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
    response = first.post(
        "/account/password",
        data={"current": "correct-horse-battery", "new": "new-strong-passphrase", "confirm": "new-strong-passphrase"},
    )
    assert response.status_code == 302
    assert first.get("/dashboard").status_code == 200
    assert second.get("/dashboard").status_code == 302


def test_absolute_session_lifetime(client, make_user, login, app):
    user = make_user("manager")
    login(user)
    with client.session_transaction() as sess:
        sess["login_at"] = (utcnow() - app.config["SESSION_ABSOLUTE_LIFETIME"] - timedelta(minutes=1)).isoformat()
    assert client.get("/dashboard").status_code == 302


def test_admin_creates_user_and_audit_records_it(client, make_user, login):
    admin = make_user("admin")
    login(admin)
    response = client.post(
        "/admin/users/new",
        data={
            "email": "new.operator@example.test",
            "name": "Оператор",
            "role": "operator",
            "scope": "LGV",
            "password": "another-good-passphrase",
        },
    )
    assert response.status_code == 302
    created = db.session.scalar(select(User).where(User.email == "new.operator@example.test"))
    assert created.scope.code == "LGV"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create")).all()
    assert any(e.object_id == str(created.id) for e in events)
    assert "user.create" in client.get("/admin/audit").get_data(as_text=True)


def test_weak_password_refused_and_nothing_saved(client, make_user, login):
    login(make_user("admin"))
    response = client.post(
        "/admin/users/new",
        data={"email": "weak@example.test", "role": "manager", "scope": "", "password": "qwerty12345"},
    )
    assert "слишком распространен" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "weak@example.test")) is None


def test_cli_users_create(runner, org):
    result = runner.invoke(args=["users", "create", "cli@example.test", "--role", "operator", "--scope", "KUR"])
    assert result.exit_code == 0, result.output
    assert "Пароль:" in result.output
    bad = runner.invoke(args=["users", "create", "x@example.test", "--role", "operator"])
    assert bad.exit_code != 0 and "--scope" in bad.output
