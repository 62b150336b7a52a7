"""CSRF: every state-changing form POST without a token is refused (400) and changes nothing.

The JSON API and the kiosk device endpoints are deliberately exempt: they only accept a JSON body
(which a cross-site form cannot send without a CORS preflight we never allow) and the kiosk ones need
the kiosk's secret token in the URL.
"""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from app.appeals.models import Appeal
from app.extensions import db
from app.models import AuditEvent, User
from app.reviews.models import ReviewEntry
from app.surveys.models import Response, Survey, SurveyAssignment
from tests.integration.test_security_access import sample_url
from tests.integration.test_security_support import as_user, published_survey, quick_user

EXEMPT = {"api.post_response", "api.post_booking", "kiosk.post_review", "kiosk.post_heartbeat", "kiosk.post_enrol"}


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def post_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if "POST" in r.methods), key=lambda r: r.rule)


def is_exempt(app, endpoint: str) -> bool:
    csrf = app.extensions["csrf"]
    view = app.view_functions[endpoint]
    blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0]) if "." in endpoint else None
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views or blueprint in csrf._exempt_blueprints


def counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (AuditEvent, Appeal, ReviewEntry, Response, Survey, User)
    )


def test_only_the_json_and_device_endpoints_are_exempt(app):
    exempt = {r.endpoint for r in post_rules(app) if is_exempt(app, r.endpoint)}
    assert exempt == EXEMPT


def test_every_form_post_without_a_token_is_refused_and_changes_nothing(app, org):
    survey = published_survey("csrf", "Анкета", centers=("KUR",))
    code = db.session.scalar(select(SurveyAssignment.short_code).where(SurveyAssignment.survey_id == survey.id))
    admin = as_user(app.test_client(), quick_user("admin"))
    anonymous = app.test_client()
    before = counts()
    checked = []
    for rule in post_rules(app):
        if rule.endpoint in EXEMPT:
            continue
        url = sample_url(rule).replace("/s/KUR", f"/s/{code}")
        for client in (admin, anonymous):
            response = client.post(url, data={"text": "x", "action": "publish", "email": "a@b.c", "password": "x"})
            assert response.status_code == 400, f"{url}: {response.status_code}"
        checked.append(url)
    assert len(checked) > 30
    db.session.expire_all()
    assert counts() == before


def test_a_valid_token_is_accepted(app, org):
    """The control: the same kind of POST with the page's token gets past the CSRF check."""
    client = app.test_client()
    page = client.get("/reviews/KUR/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert token, "the form carries a CSRF token"
    response = client.post(
        "/reviews/KUR/new",
        data={
            "csrf_token": token.group(1),
            "step": "entry",
            "entry_type": "complaint",
            "topic": "metering",
            "wants_answer": "no",
            "text": "Очень долго ждал",
            "client_submission_id": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 1


def test_exempt_endpoints_need_json_or_a_device_token(app, org):
    survey = published_survey("csrf-api", "Анкета", centers=("KUR",))
    client = app.test_client()
    form_like = client.post(
        f"/api/v1/surveys/{survey.slug}/responses",
        data='{"client_submission_id": "x", "answers": {}, "center": "KUR", "channel": "qr"}',
        content_type="text/plain",
    )
    assert form_like.status_code == 400, "a cross-site form (text/plain) must not be accepted as JSON"
    enrol_form = client.post("/kiosk/enrol", data='{"code": "x"}', content_type="text/plain")
    assert enrol_form.status_code == 400, "the enrolment exchange takes JSON only"
    for path in ("reviews", "heartbeat"):
        assert (
            client.post(f"/kiosk/{path}", json={"pending": 1}, headers={"X-Kiosk-Token": uuid.uuid4().hex}).status_code
            == 404
        )
        assert client.post(f"/kiosk/{path}", json={"pending": 1}).status_code == 404
