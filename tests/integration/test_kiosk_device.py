"""Kiosk admin (tokens shown once, revoke, re-issue), device pages, the kiosk review endpoint and heartbeats."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.appeals.models import Appeal
from app.extensions import db
from app.kiosk.models import Kiosk
from app.kiosk.services import demo_token, overview, register_kiosk
from app.models import utcnow
from app.org.services import find_center
from app.reviews.models import ReviewEntry


def make_kiosk(seconds: int = 60, center: str = "KUR") -> tuple[Kiosk, str]:
    return register_kiosk(find_center(center).id, "Киоск у входа", seconds)


def test_admin_registers_kiosk_and_sees_url_once(client, make_user, login):
    login(make_user("admin"))
    page = client.get("/admin/kiosks")
    assert page.status_code == 200 and "Зарегистрировать киоск" in page.get_data(as_text=True)
    center = find_center("KUR")
    response = client.post("/admin/kiosks", data={"center": center.id, "name": "Киоск 1", "inactivity_seconds": 45})
    html = response.get_data(as_text=True)
    url = re.search(r'id="kiosk-url">([^<]+)<', html).group(1)
    token = url.rsplit("/", 1)[1]
    kiosk = db.session.scalar(select(Kiosk))
    assert kiosk.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in kiosk.token_hash
    assert kiosk.inactivity_seconds == 45 and kiosk.center_id == center.id
    assert token not in client.get("/admin/kiosks").get_data(as_text=True)
    assert client.get(f"/kiosk/{token}").status_code == 200


def test_operator_cannot_manage_kiosks(client, make_user, login):
    login(make_user("operator"))
    assert client.get("/admin/kiosks").status_code == 403


def test_revoke_and_reissue(client, make_user, login):
    kiosk, token = make_kiosk()
    login(make_user("admin"))
    client.post(f"/admin/kiosks/{kiosk.id}/revoke")
    gone = client.get(f"/kiosk/{token}")
    assert gone.status_code == 404 and "Киоск не зарегистрирован" in gone.get_data(as_text=True)
    html = client.post(f"/admin/kiosks/{kiosk.id}/reissue").get_data(as_text=True)
    new_token = re.search(r'id="kiosk-url">[^<]*/kiosk/([^<]+)<', html).group(1)
    assert new_token != token
    assert client.get(f"/kiosk/{token}").status_code == 404
    assert client.get(f"/kiosk/{new_token}").status_code == 200


def test_unknown_token_is_a_russian_404(client, org):
    response = client.get("/kiosk/not-a-real-token")
    assert response.status_code == 404 and "Киоск не зарегистрирован" in response.get_data(as_text=True)
    assert client.post("/kiosk/not-a-real-token/reviews", json={}).status_code == 404
    assert client.post("/kiosk/not-a-real-token/heartbeat", json={"pending": 1}).status_code == 404


def test_home_shows_centre_and_settings_for_the_script(client, org):
    kiosk, token = make_kiosk(seconds=7)
    center = find_center("KUR")
    html = client.get(f"/kiosk/{token}").get_data(as_text=True)
    assert center.name in html and center.address in html and "Книга отзывов и предложений" in html
    assert center.opening_hours and center.opening_hours in html
    assert 'data-inactivity-seconds="7"' in html and "js/kiosk.js" in html
    assert "Оценить обслуживание" not in html  # no survey assigned to the kiosk channel yet
    assert "<script>" not in html  # CSP: no inline scripts


def test_home_offers_the_assigned_survey(client, org):
    from app.surveys import services as surveys
    from app.surveys.schema import library

    definition = next(d for d in library() if d["slug"] == "visit-csat")
    survey = surveys.create_survey(definition)
    surveys.publish(survey)
    surveys.assign(survey, [find_center("KUR").id], ["kiosk"])
    _kiosk, token = make_kiosk()
    assert "Оценить обслуживание" in client.get(f"/kiosk/{token}").get_data(as_text=True)
    page = client.get(f"/kiosk/{token}/survey").get_data(as_text=True)
    assert 'data-submit-url="/api/v1/surveys/visit-csat/responses"' in page
    items = json.loads(re.search(r'<script type="application/json" id="kiosk-items">(.*?)</script>', page, re.S)
                       .group(1))
    assert {i["code"] for i in items} >= {"overall", "wait", "why", "contact"}
    assert next(i for i in items if i["code"] == "why")["show_if"] == {
        "all": [{"question": "overall", "op": "lte", "value": 3}]}
    assert page.count('class="kiosk-page') == 3


def _review(**overrides):
    body = {"client_submission_id": str(uuid.uuid4()), "entry_type": "complaint", "topic": "quality",
            "text": "Мигает свет в зале", "wants_answer": False, "publish_consent": True}
    body.update(overrides)
    return body


def test_kiosk_review_endpoint_is_idempotent(client, org):
    kiosk, token = make_kiosk()
    body = _review()
    first = client.post(f"/kiosk/{token}/reviews", json=body)
    assert first.status_code == 201, first.get_json()
    again = client.post(f"/kiosk/{token}/reviews", json=body)
    assert again.status_code == 200 and again.get_json() == {**first.get_json(), "created": False}
    assert client.post(f"/kiosk/{token}/reviews", json={**body, "text": "Иной текст"}).status_code == 409
    assert client.post(f"/kiosk/{token}/reviews", json=_review()).status_code == 409  # same text again
    invalid = client.post(f"/kiosk/{token}/reviews", json=_review(entry_type="spam", text=""))
    assert invalid.status_code == 422 and set(invalid.get_json()["errors"]) >= {"entry_type", "text"}
    assert client.post(f"/kiosk/{token}/reviews", json=_review(client_submission_id="x")).status_code == 422
    assert client.post(f"/kiosk/{token}/reviews", data="not json").status_code == 422
    entry = db.session.scalar(select(ReviewEntry))
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 1
    assert entry.kiosk_id == kiosk.id and entry.registration_number == first.get_json()["registration_number"]
    appeal = db.session.get(Appeal, entry.appeal_id)
    assert (appeal.channel, appeal.form, appeal.kind) == ("kiosk", "interactive", "complaint")


def test_kiosk_review_with_contact_needs_consent(client, org):
    _kiosk, token = make_kiosk()
    refused = client.post(f"/kiosk/{token}/reviews", json=_review(
        wants_answer=True, contact={"email": "k@example.test", "consent": False}))
    assert refused.status_code == 422 and "consent" in refused.get_json()["errors"]
    ok = client.post(f"/kiosk/{token}/reviews", json=_review(
        wants_answer=True, contact={"name": "Ким", "email": "k@example.test", "consent": True}))
    assert ok.status_code == 201
    assert db.session.scalar(select(ReviewEntry)).contact_id is not None


def test_heartbeat_and_admin_overview(client, org, make_user, login):
    kiosk, token = make_kiosk()
    quiet, _ = make_kiosk()
    assert client.post(f"/kiosk/{token}/heartbeat", json={"pending": 3}).status_code == 200
    client.post(f"/kiosk/{token}/reviews", json=_review())
    db.session.expire_all()
    assert db.session.get(Kiosk, kiosk.id).pending_count == 3
    rows = {row.kiosk.id: row for row in overview()}
    assert not rows[kiosk.id].silent and rows[kiosk.id].submissions_today == 1
    assert rows[quiet.id].silent and rows[quiet.id].submissions_today == 0
    later = {row.kiosk.id: row for row in overview(now=utcnow() + timedelta(minutes=16))}
    assert later[kiosk.id].silent
    login(make_user("admin"))
    html = client.get("/admin/kiosks").get_data(as_text=True)
    assert "молчит более 15 минут" in html and "на связи" in html


def test_service_worker_is_served_for_the_kiosk_scope(client, org):
    response = client.get("/kiosk/sw.js")
    assert response.status_code == 200 and "javascript" in response.mimetype
    assert response.headers["Service-Worker-Allowed"] == "/kiosk/"
    assert b"addEventListener(\"fetch\"" in response.data


def test_demo_kiosk_url_is_stable_and_idempotent(app, org):
    from app.kiosk.demo import demo_url, seed

    lines: list[str] = []
    seed(lines.append)
    seed(lines.append)
    assert db.session.scalar(select(func.count()).select_from(Kiosk)) == 1
    token = demo_token(app.config["SECRET_KEY"])
    assert demo_url().endswith(f"/kiosk/{token}") and any(token in line for line in lines)
    assert demo_token(app.config["SECRET_KEY"]) == token != demo_token("another secret")


def test_reviews_demo_is_idempotent(app, org):
    from app.reviews.demo import seed

    seed(lambda _m: None)
    count = db.session.scalar(select(func.count()).select_from(ReviewEntry))
    seed(lambda _m: None)
    assert count >= 24 and db.session.scalar(select(func.count()).select_from(ReviewEntry)) == count
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry).where(
        ReviewEntry.moderation == "published")) > 0


def test_kiosk_static_files_exist():
    static = Path(__file__).resolve().parents[2] / "app" / "static"
    for name in ("js/kiosk.js", "js/kiosk-sw.js", "css/kiosk.css"):
        assert (static / name).is_file(), name
