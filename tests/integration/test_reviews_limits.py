"""Rate limits on the public review form and the status look-up (limiter switched on)."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def app_config():
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_PUBLIC_SUBMIT": "3 per minute",
        "REVIEW_STATUS_RATELIMIT": "4 per minute",
    }


def test_review_posts_are_limited_per_ip(client, org):
    codes = []
    for index in range(5):
        response = client.post(
            "/reviews/KUR/new",
            data={
                "step": "entry",
                "entry_type": "suggestion",
                "topic": "other",
                "wants_answer": "no",
                "text": f"Предложение {index}",
                "client_submission_id": str(uuid.uuid4()),
            },
        )
        codes.append(response.status_code)
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    assert "Слишком много запросов" in response.get_data(as_text=True)
    assert client.get("/reviews/KUR/new").status_code == 200  # GET is not limited
    other_ip = client.post(
        "/reviews/KUR/new",
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
        data={
            "step": "entry",
            "entry_type": "suggestion",
            "topic": "other",
            "wants_answer": "no",
            "text": "С другого адреса",
            "client_submission_id": str(uuid.uuid4()),
        },
    )
    assert other_ip.status_code == 200


def test_status_lookup_is_limited(client, org):
    codes = [
        client.post("/reviews/status", data={"number": f"KUR-2026-00000{i}", "code": "ABCDEF"}).status_code
        for i in range(6)
    ]
    assert codes == [200, 200, 200, 200, 429, 429]
