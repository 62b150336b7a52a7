"""Public submission endpoints are rate limited (RATELIMIT_PUBLIC_SUBMIT)."""

from __future__ import annotations

import re

import pytest

from app.surveys.demo import seed_main_survey


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_PUBLIC_SUBMIT": "2 per minute", "RATELIMIT_STORAGE_URI": "memory://"}


def test_api_posts_are_limited(client, org):
    seed_main_survey()
    statuses = [
        client.post(
            "/api/v1/surveys/visit-csat/responses",
            json={
                "client_submission_id": f"rate-limit-{i:04d}",
                "center": "KUR",
                "channel": "online",
                "answers": {"overall": 4},
            },
        ).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert client.get("/api/v1/surveys/visit-csat").status_code == 200  # reads are not limited


def test_form_posts_are_limited(client, org):
    seed_main_survey()
    from sqlalchemy import select

    from app.extensions import db
    from app.surveys.models import SurveyAssignment

    code = db.session.scalar(select(SurveyAssignment.short_code).where(SurveyAssignment.channel == "online").limit(1))
    html = client.get(f"/s/{code}").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    statuses = [client.post(f"/s/{code}", data={**fields, "overall": "4"}).status_code for _ in range(3)]
    assert statuses[:2] == [200, 200] and statuses[2] == 429
    assert client.get(f"/s/{code}").status_code == 200


def _kiosk_posts(client, tokens: list[str], prefix: str) -> list[int]:
    return [
        client.post(
            "/api/v1/surveys/visit-csat/responses",
            headers={"X-Kiosk-Token": token},
            json={"client_submission_id": f"{prefix}-{i:04d}", "answers": {"overall": 4}},
        ).status_code
        for i, token in enumerate(tokens)
    ]


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_KIOSK_SUBMIT": "2 per minute",
            "RATELIMIT_KIOSK_IP_SUBMIT": "100 per minute",
        }
    ],
)
def test_kiosk_posts_are_limited_per_kiosk_not_per_hall_address(client, org):
    # Two kiosks in one hall share the address: one kiosk's burst must not stop the other.
    from app.kiosk.services import register_kiosk
    from app.org.services import find_center

    seed_main_survey()
    center = find_center("KUR")
    _first, token_a = register_kiosk(center.id, "Зал, киоск 1")
    _second, token_b = register_kiosk(center.id, "Зал, киоск 2")
    assert _kiosk_posts(client, [token_a, token_a, token_a], "kiosk-a") == [201, 201, 429]
    assert _kiosk_posts(client, [token_b, token_b], "kiosk-b") == [201, 201]


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_KIOSK_SUBMIT": "100 per minute",
            "RATELIMIT_KIOSK_IP_SUBMIT": "3 per minute",
        }
    ],
)
def test_kiosk_posts_are_limited_per_address_too(client, org):
    # Made-up tokens each get a bucket of their own; the address limit still stops the client.
    seed_main_survey()
    statuses = _kiosk_posts(client, [f"made-up-token-{i}" for i in range(4)], "made-up")
    assert statuses == [403, 403, 403, 429]
