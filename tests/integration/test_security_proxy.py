"""Behind a proxy: ``OTKLIK_TRUSTED_PROXIES`` = N enables Werkzeug's ProxyFix, and rate limits and
sign-in throttling then see the client address N hops back in X-Forwarded-For; without it the header is
ignored (any client can send one)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import ConfigError, create_app
from app.extensions import db
from app.models import LoginThrottle
from tests.conftest import BASE_CONFIG

LIMITED = {"RATELIMIT_ENABLED": True, "REVIEW_STATUS_RATELIMIT": "3 per minute"}
PROXY = "10.0.0.2"  # the socket address every request arrives from


def statuses(client, forwarded_for: str, n: int) -> list[int]:
    return [
        client.get(
            "/reviews/status", headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": PROXY}
        ).status_code
        for _ in range(n)
    ]


def failed_login_address(client, email: str, forwarded_for: str) -> str:
    client.post(
        "/login",
        data={"email": email, "password": "wrong-password-1"},
        headers={"X-Forwarded-For": forwarded_for},
        environ_base={"REMOTE_ADDR": PROXY},
    )
    return db.session.scalar(select(LoginThrottle.address).where(LoginThrottle.email == email))


@pytest.fixture
def app_config():
    return LIMITED


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app, client, org):
    assert statuses(client, "198.51.100.1", 3) == [200, 200, 200]
    assert statuses(client, "198.51.100.2", 1) == [429], "a forged header does not buy a new budget"
    assert failed_login_address(client, "someone@example.test", "198.51.100.3") == PROXY


@pytest.fixture
def proxied(database_url, tmp_path):
    application = create_app({**BASE_CONFIG, **LIMITED, "SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": 1})
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def test_with_one_trusted_proxy_the_client_address_is_used(proxied, org):
    client = proxied.test_client()
    assert statuses(client, "198.51.100.1", 3) == [200, 200, 200]
    assert statuses(client, "198.51.100.1", 1) == [429]
    assert statuses(client, "198.51.100.2", 1) == [200], "another client behind the same proxy has its own budget"
    # A client's own X-Forwarded-For entry comes first; the proxy appends the real address last.
    assert statuses(client, "198.51.100.2, 198.51.100.1", 1) == [429]
    assert failed_login_address(client, "someone@example.test", "forged, 198.51.100.3") == "198.51.100.3"


@pytest.mark.parametrize("value", ["two", -1, True])
def test_a_bad_trusted_proxies_value_stops_start_up(database_url, value):
    with pytest.raises(ConfigError, match="OTKLIK_TRUSTED_PROXIES"):
        create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": value})
