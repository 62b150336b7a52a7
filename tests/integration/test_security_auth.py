"""Authentication: hashing strength, password policy, lockout, session fixation, timeouts, logout, open redirect.

Every login here goes through the real form (argon2 verification), so the module keeps logins few.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import itsdangerous.timed
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.auth.routes import safe_next
from app.auth.services import AuthError, create_user, update_user
from app.extensions import db
from app.models import User, utcnow

PASSWORD = "correct-horse-battery"


@pytest.fixture
def app_config():
    return {"LOGIN_MAX_FAILURES": 2, "LOGIN_LOCKOUT_MINUTES": 15}


def cookie(client) -> str | None:
    found = client.get_cookie("session")
    return found.value if found else None


def logged_in(client) -> bool:
    response = client.get("/dashboard")
    return response.status_code == 200


# --------------------------------------------------------------------------- hashing and policy


@pytest.mark.production_password_hashing
def test_password_hash_is_argon2id_with_strong_parameters(make_user):
    user = make_user("admin")
    algorithm, version, params, *_ = user.password_hash.lstrip("$").split("$")
    values = dict(part.split("=") for part in params.split(","))
    assert algorithm == "argon2id" and version == "v=19"
    assert int(values["m"]) >= 19456 and int(values["t"]) >= 2 and int(values["p"]) >= 1  # OWASP minimum
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    "password", ["short1", "password123", "qwertyuiop", "1234567890", "aaaaaaaaaaaa", "operator-kur"]
)
def test_weak_passwords_are_refused(org, password):
    with pytest.raises(AuthError):
        create_user("operator-kur@example.test", "operator", password, "KUR")


# --------------------------------------------------------------------------- login, lockout, fixation


def test_throttled_after_failures_even_for_the_right_password(client, make_user, caplog):
    user = make_user("marketing")
    caplog.set_level(logging.INFO, logger="otklik.security")
    for _ in range(2):
        response = client.post("/login", data={"email": user.email, "password": "wrong-password-1"})
        assert response.status_code == 200 and not logged_in(client)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "Слишком много неудачных попыток" in response.get_data(as_text=True)
    assert not logged_in(client)
    messages = [r.getMessage() for r in caplog.records if r.name == "otklik.security"]
    assert any("throttled" in m for m in messages)
    assert all(user.email not in m and "wrong-password" not in m and PASSWORD not in m for m in messages)


def test_login_issues_a_new_session_and_a_planted_cookie_stays_anonymous(client, make_user):
    user = make_user("manager")
    with client.session_transaction() as session:
        session["planted"] = "by-attacker"
    planted = cookie(client)
    response = client.post("/login?next=/appeals/", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    fresh = cookie(client)
    assert fresh and fresh != planted
    with client.session_transaction() as session:
        assert "planted" not in session
    client.set_cookie("session", planted)
    assert not logged_in(client)


def test_idle_timeout_and_absolute_timeout(client, make_user, monkeypatch, app):
    user = make_user("manager")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert logged_in(client)
    idle = app.config["PERMANENT_SESSION_LIFETIME"]
    assert idle <= timedelta(hours=1)
    real = itsdangerous.timed.TimestampSigner.get_timestamp

    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) + int(idle.total_seconds()) - 60
    )
    assert logged_in(client), "activity inside the idle period keeps the session"
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner,
        "get_timestamp",
        lambda self: real(self) + 2 * int(idle.total_seconds()) + 60,
    )
    assert not logged_in(client), "an idle session ends"
    monkeypatch.undo()

    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert logged_in(client)
    with client.session_transaction() as session:
        session["login_at"] = (utcnow() - app.config["SESSION_ABSOLUTE_LIFETIME"] - timedelta(minutes=1)).isoformat()
    assert not logged_in(client), "a session older than the absolute lifetime ends however active"


def test_logout_ends_the_session_for_a_copied_cookie(client, make_user):
    user = make_user("manager")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    stolen = cookie(client)
    assert client.post("/logout").status_code == 302
    assert not logged_in(client)
    client.set_cookie("session", stolen)
    assert not logged_in(client)


def test_deactivation_and_password_reset_end_open_sessions(client, make_user):
    user = make_user("operator")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert logged_in(client)
    update_user(db.session.get(User, user.id), role="operator", scope_code="KUR", name="", active=False)
    assert not logged_in(client)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "отключена" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- open redirect

HOSTILE_NEXT = [
    "//evil.test",
    "/\\evil.test",
    "\\\\evil.test",
    "%2F%2Fevil.test",
    "/%2F/evil.test",
    "%5C%5Cevil.test",
    "/%5Cevil.test",
    "https:evil.test",
    "https://evil.test",
    "http:/evil.test",
    "\t//evil.test",
    "/\t/evil.test",
    "/\n/evil.test",
    "/\r\n/evil.test",
    "%09//evil.test",
    "%252F%252Fevil.test",
    "javascript:alert(1)",
    "/ /evil.test",
    "//evil.test/%2F..",
    "///evil.test",
    "\u3002/evil.test",
    "/\u2215evil.test",
    " //evil.test",
    "data:text/html,x",
]


def is_local(location: str) -> bool:
    resolved = urlsplit(urljoin("https://otklik.test/login", location))
    return resolved.netloc == "otklik.test" and resolved.scheme == "https"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_safe_next_refuses_or_keeps_it_local(target):
    result = safe_next(target)
    assert result is None or (
        is_local(result) and result.startswith("/") and not result.startswith("//") and "\\" not in result
    ), result


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.from_regex(r"\A[/\\%2FfC5cE\t\n:.a-z@]{0,20}\Z"),
        st.builds(
            lambda a, b: a + "evil.test" + b,
            st.sampled_from(["//", "/\\", "\\/", "/%2F", "%2F/"]),
            st.text(max_size=10),
        ),
    )
)
def test_safe_next_property(target):
    result = safe_next(target)
    if result is not None:
        assert is_local(result), result
        assert result.startswith("/") and not result.startswith("//") and "\\" not in result
        assert all(ord(ch) >= 32 and ch != "\x7f" for ch in result)


def test_login_redirects_only_locally(client, make_user):
    user = make_user("manager")
    for target in ("//evil.test", "/\\evil.test"):
        response = client.post(f"/login?next={target}", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302 and is_local(response.headers["Location"]), response.headers["Location"]
        client.post("/logout")
    response = client.post("/login?next=/appeals/%3Fpage%3D2", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].startswith("/appeals/")
