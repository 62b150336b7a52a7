"""Security logging: authentication events and refusals are logged, without personal data, one line each."""

from __future__ import annotations

import logging

import pytest

from tests.integration.test_security_support import as_user, quick_user, review

FORGED = "evil@example.test\nINFO otklik.security login ok: account 1\r\n"


@pytest.fixture
def app_config(request):
    return {"WTF_CSRF_ENABLED": "csrf" in request.node.name}


def security_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("otklik")]


def assert_clean(records: list[logging.LogRecord], secrets: list[str]) -> None:
    for record in records:
        message = record.getMessage()
        assert "\n" not in message and "\r" not in message, f"log line can be forged: {message!r}"
        for secret in secrets:
            assert secret not in message, f"personal data in the log: {message!r}"


def test_login_failures_are_logged_without_the_typed_name_or_password(client, make_user, caplog):
    user = make_user("manager")
    caplog.set_level(logging.INFO, logger="otklik")
    client.post("/login", data={"email": FORGED, "password": "hunter2-secret"})
    client.post("/login", data={"email": user.email, "password": "hunter2-secret"})
    records = security_records(caplog)
    messages = [r.getMessage() for r in records if r.name == "otklik.security"]
    assert any("login failed: unknown account" in m for m in messages)
    assert any(f"login failed: account {user.id}" in m for m in messages)
    assert_clean(records, [user.email, "evil@example.test", "hunter2-secret", "login ok: account 1"])


def test_refused_access_and_csrf_refusals_are_logged(client, org, caplog):
    caplog.set_level(logging.INFO, logger="otklik")
    operator = quick_user("operator")
    as_user(client, operator)
    assert client.get("/admin/users").status_code == 403
    assert client.post("/appeals/new", data={"text": FORGED}).status_code == 400  # no CSRF token
    messages = [r.getMessage() for r in security_records(caplog)]
    assert any("access refused" in m and str(operator.id) in m and "auth.users" in m for m in messages)
    assert any("csrf refused" in m for m in messages)
    assert_clean(security_records(caplog), [operator.email, "evil@example.test"])


def test_customer_contacts_never_reach_the_log(client, org, caplog):
    caplog.set_level(logging.DEBUG, logger="otklik")
    review("KUR", f"Прошу перезвонить {FORGED}", email="ivanov@example.test", phone="+7 916 123-45-67")
    client.post("/reviews/status", data={"number": FORGED, "code": FORGED})
    assert_clean(security_records(caplog), ["ivanov@example.test", "916 123-45-67", "evil@example.test"])


def test_kiosk_device_token_and_used_enrolment_code_never_reach_the_log(client, org, caplog):
    """The device token used to be in every kiosk URL, so in every access log line; now it travels in a
    header, and no logger (the app's or a library's) writes it or the enrolment code. The access log
    of a real server is checked in tests/e2e/test_kiosk_e2e.py."""
    import uuid

    from app.kiosk.services import issue_enrolment, register_kiosk
    from tests.integration.test_security_support import center_id

    caplog.set_level(logging.DEBUG)  # every logger, not only otklik
    kiosk, _unused = register_kiosk(center_id("KUR"), "Киоск")
    code = issue_enrolment(kiosk)
    assert client.get(f"/kiosk/enrol/{code}").status_code == 200
    token = client.post("/kiosk/enrol", json={"code": code}).get_json()["token"]
    header = {"X-Kiosk-Token": token}
    requests = [
        ("GET", "/kiosk/screen/home", None),
        ("GET", "/kiosk/screen/review", None),
        ("POST", "/kiosk/heartbeat", {"pending": 0}),
        (
            "POST",
            "/kiosk/reviews",
            {
                "client_submission_id": str(uuid.uuid4()),
                "entry_type": "question",
                "topic": "other",
                "text": "Когда придет счет?",
                "wants_answer": False,
                "publish_consent": False,
            },
        ),
        ("POST", "/kiosk/enrol", {"code": code}),
    ]  # a second use: refused
    codes = []
    for method, path, body in requests:
        codes.append(client.open(path, method=method, json=body, headers=header).status_code)
    assert codes == [200, 200, 200, 201, 410]
    for record in caplog.records:
        message = record.getMessage()
        assert token not in message and code not in message, f"{record.name}: {message!r}"
