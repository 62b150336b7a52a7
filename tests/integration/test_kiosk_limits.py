"""Kiosk POSTs: rate limits per device token and per IP; CSRF-exempt (the device token authenticates)."""

from __future__ import annotations

import uuid

import pytest

from app.kiosk.services import register_kiosk
from app.org.services import find_center


@pytest.fixture
def app_config():
    return {
        "RATELIMIT_ENABLED": True,
        "KIOSK_RATELIMIT": "3 per minute",
        "KIOSK_IP_RATELIMIT": "4 per minute",
        "WTF_CSRF_ENABLED": True,
    }


def _token() -> str:
    return register_kiosk(find_center("KUR").id, "Киоск", 60)[1]


def _post(client, token: str, ip: str):
    return client.post(
        "/kiosk/reviews",
        environ_base={"REMOTE_ADDR": ip},
        headers={"X-Kiosk-Token": token},
        json={
            "client_submission_id": str(uuid.uuid4()),
            "entry_type": "question",
            "topic": "other",
            "text": f"Вопрос {uuid.uuid4().hex}",
            "wants_answer": False,
            "publish_consent": False,
        },
    )


def test_limit_per_kiosk_token(client, org):
    first, second = _token(), _token()
    assert [_post(client, first, "10.0.0.1").status_code for _ in range(4)] == [201, 201, 201, 429]
    assert _post(client, second, "10.0.0.2").status_code == 201


def test_limit_per_ip(client, org):
    tokens = [_token() for _ in range(3)]
    codes = [
        _post(client, tokens[0], "10.0.0.9").status_code,
        _post(client, tokens[0], "10.0.0.9").status_code,
        _post(client, tokens[1], "10.0.0.9").status_code,
        _post(client, tokens[1], "10.0.0.9").status_code,
        _post(client, tokens[2], "10.0.0.9").status_code,
    ]
    assert codes == [201, 201, 201, 201, 429]


def test_kiosk_json_needs_no_csrf_but_public_form_does(client, org):
    assert _post(client, _token(), "10.0.0.3").status_code == 201
    refused = client.post(
        "/reviews/KUR/new",
        data={
            "step": "entry",
            "entry_type": "question",
            "topic": "other",
            "text": "Без токена CSRF",
            "wants_answer": "no",
        },
    )
    assert refused.status_code == 400


def test_heartbeats_are_limited_per_token_and_per_ip(client, org):
    def beat(token: str, ip: str) -> int:
        return client.post(
            "/kiosk/heartbeat", environ_base={"REMOTE_ADDR": ip}, headers={"X-Kiosk-Token": token}, json={"pending": 0}
        ).status_code

    first = _token()
    assert [beat(first, "10.0.1.1") for _ in range(4)] == [200, 200, 200, 429]
    # Made-up tokens each get a bucket of their own; the address limit stops them all the same.
    assert [beat(f"made-up-{i}", "10.0.1.2") for i in range(5)] == [404, 404, 404, 404, 429]
