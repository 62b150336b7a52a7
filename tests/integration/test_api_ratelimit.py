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
    statuses = [client.post("/api/v1/surveys/visit-csat/responses",
                            json={"client_submission_id": f"rate-limit-{i:04d}", "center": "KUR", "channel": "online",
                                  "answers": {"overall": 4}}).status_code for i in range(3)]
    assert statuses == [201, 201, 429]
    assert client.get("/api/v1/surveys/visit-csat").status_code == 200  # reads are not limited


def test_form_posts_are_limited(client, org):
    seed_main_survey()
    from sqlalchemy import select

    from app.extensions import db
    from app.surveys.models import SurveyAssignment

    code = db.session.scalar(select(SurveyAssignment.short_code).limit(1))
    html = client.get(f"/s/{code}").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    statuses = [client.post(f"/s/{code}", data={**fields, "overall": "4"}).status_code for _ in range(3)]
    assert statuses[:2] == [200, 200] and statuses[2] == 429
    assert client.get(f"/s/{code}").status_code == 200
