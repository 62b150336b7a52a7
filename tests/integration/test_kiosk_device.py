"""Kiosk admin (one-time enrolment links, revoke, re-enrol), enrolment, device screens fetched with the
X-Kiosk-Token header, the kiosk review endpoint and heartbeats. No URL holds a device token."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.appeals.models import Appeal
from app.extensions import db
from app.kiosk.models import Kiosk
from app.kiosk.services import EnrolmentRefused, enrol, issue_enrolment, overview, register_kiosk
from app.models import AuditEvent, utcnow
from app.org.services import find_center
from app.reviews.models import ReviewEntry


def make_kiosk(seconds: int = 60, center: str = "KUR") -> tuple[Kiosk, str]:
    return register_kiosk(find_center(center).id, "Киоск у входа", seconds)


def device(token: str) -> dict[str, str]:
    return {"X-Kiosk-Token": token}


def code_of(html: str) -> str:
    return re.search(r'id="kiosk-url">[^<]*/kiosk/enrol/([^<]+)<', html).group(1)


def exchange(client, code: str):
    return client.post("/kiosk/enrol", json={"code": code})


def test_admin_registers_kiosk_and_gets_a_one_time_enrolment_link(client, make_user, login):
    login(make_user("admin"))
    page = client.get("/admin/kiosks")
    assert page.status_code == 200 and "Зарегистрировать киоск" in page.get_data(as_text=True)
    center = find_center("KUR")
    response = client.post("/admin/kiosks", data={"center": center.id, "name": "Киоск 1", "inactivity_seconds": 45})
    html = response.get_data(as_text=True)
    code = code_of(html)
    assert "действует один раз, 24 ч." in html
    kiosk = db.session.scalar(select(Kiosk))
    assert kiosk.enrol_code_hash == hashlib.sha256(code.encode()).hexdigest()
    assert kiosk.inactivity_seconds == 45 and kiosk.center_id == center.id
    assert code not in client.get("/admin/kiosks").get_data(as_text=True)
    # Opening the link (or a link preview fetching it) only shows the page: the code is still good.
    opened = client.get(f"/kiosk/enrol/{code}")
    assert opened.status_code == 200 and 'id="kiosk-enrol"' in opened.get_data(as_text=True)
    assert opened.headers["Referrer-Policy"] == "no-referrer" and "no-store" in opened.headers["Cache-Control"]
    assert client.get(f"/kiosk/enrol/{code}").status_code == 200
    reply = exchange(client, code)
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    token = reply.get_json()["token"]
    assert reply.get_json()["home_url"] == "/kiosk/"
    db.session.expire_all()
    assert kiosk.token_hash == hashlib.sha256(token.encode()).hexdigest() and kiosk.enrol_code_hash is None
    screen = client.get("/kiosk/screen/home", headers=device(token))
    assert screen.status_code == 200 and center.name in screen.get_data(as_text=True)
    assert token not in screen.get_data(as_text=True)
    assert {e.action for e in db.session.scalars(select(AuditEvent))} >= {"kiosk.register", "kiosk.enrol"}


def test_enrolment_code_is_good_once(client, org):
    kiosk, _ = make_kiosk()
    code = issue_enrolment(kiosk)
    token = exchange(client, code).get_json()["token"]
    assert client.post("/kiosk/heartbeat", json={"pending": 0}, headers=device(token)).status_code == 200
    again = exchange(client, code)
    assert again.status_code == 410 and "новую ссылку подключения" in again.get_json()["error"]
    assert "token" not in again.get_json()
    page = client.get(f"/kiosk/enrol/{code}")
    assert page.status_code == 410 and "Попросите администратора выдать новую ссылку" in page.get_data(as_text=True)
    # The refused second use issued nothing: the first device still works.
    assert client.post("/kiosk/heartbeat", json={"pending": 0}, headers=device(token)).status_code == 200


def test_enrolment_code_expires_after_the_configured_hours(app, client, org):
    kiosk, _ = make_kiosk()
    issued_at = utcnow()
    code = issue_enrolment(kiosk, now=issued_at)
    assert app.config["KIOSK_ENROL_HOURS"] == 24
    kiosk_id = kiosk.id
    with pytest.raises(EnrolmentRefused):
        enrol(code, now=issued_at + timedelta(hours=24, seconds=1))
    db.session.expire_all()
    assert db.session.get(Kiosk, kiosk_id).enrol_code_hash is not None  # refused: nothing changed
    _kiosk, token = enrol(code, now=issued_at + timedelta(hours=23, minutes=59))
    assert client.post("/kiosk/heartbeat", json={}, headers=device(token)).status_code == 200
    app.config["KIOSK_ENROL_HOURS"] = 1
    late = issue_enrolment(db.session.get(Kiosk, kiosk_id))
    with pytest.raises(EnrolmentRefused):
        enrol(late, now=utcnow() + timedelta(hours=1, seconds=1))


def test_a_real_expired_code_is_refused_over_http(client, org):
    kiosk, _ = make_kiosk()
    code = issue_enrolment(kiosk, now=utcnow() - timedelta(hours=25))
    assert client.get(f"/kiosk/enrol/{code}").status_code == 410
    assert exchange(client, code).status_code == 410
    assert client.get("/kiosk/enrol/not-a-code").status_code == 410
    assert exchange(client, "not-a-code").status_code == 410
    assert client.post("/kiosk/enrol", data="code", content_type="text/plain").status_code == 400


def test_the_exchanged_token_works_as_x_kiosk_token_for_survey_answers(client, org):
    from app.surveys import services as surveys
    from app.surveys.models import Response
    from app.surveys.schema import library

    definition = next(d for d in library() if d["slug"] == "visit-csat")
    survey = surveys.create_survey(definition)
    surveys.publish(survey)
    surveys.assign(survey, [find_center("KUR").id], ["kiosk"])
    kiosk, _ = make_kiosk()
    token = exchange(client, issue_enrolment(kiosk)).get_json()["token"]
    body = {"client_submission_id": str(uuid.uuid4()), "channel": "kiosk", "answers": {"overall": 5}}
    reply = client.post("/api/v1/surveys/visit-csat/responses", json=body, headers=device(token))
    assert reply.status_code == 201, reply.get_json()
    assert db.session.scalar(select(Response.kiosk_id)) == kiosk.id
    assert client.post("/kiosk/reviews", json=_review(), headers=device(token)).status_code == 201


def test_operator_cannot_manage_kiosks(client, make_user, login):
    login(make_user("operator"))
    assert client.get("/admin/kiosks").status_code == 403


def test_revoke_and_reenrol(client, make_user, login):
    kiosk, token = make_kiosk()
    login(make_user("admin"))
    pending = issue_enrolment(kiosk, revoke_device=False)
    client.post(f"/admin/kiosks/{kiosk.id}/revoke")
    assert client.get("/kiosk/screen/home", headers=device(token)).status_code == 404
    assert exchange(client, pending).status_code == 410  # a revoked kiosk's link dies with it
    assert "Новая ссылка подключения" in client.get("/admin/kiosks").get_data(as_text=True)
    html = client.post(f"/admin/kiosks/{kiosk.id}/reissue").get_data(as_text=True)
    assert "Прежний ключ киоска больше не действует" in html
    code = code_of(html)
    new_token = exchange(client, code).get_json()["token"]
    assert new_token != token
    assert client.get("/kiosk/screen/home", headers=device(token)).status_code == 404
    assert client.get("/kiosk/screen/home", headers=device(new_token)).status_code == 200


def test_reissue_revokes_the_enrolled_device_at_once(client, make_user, login):
    kiosk, _ = make_kiosk()
    old = exchange(client, issue_enrolment(kiosk)).get_json()["token"]
    assert client.post("/kiosk/reviews", json=_review(), headers=device(old)).status_code == 201
    login(make_user("admin"))
    code = code_of(client.post(f"/admin/kiosks/{kiosk.id}/reissue").get_data(as_text=True))
    # Before the new link is even used, the old device token is refused everywhere.
    assert client.post("/kiosk/reviews", json=_review(text="Другой текст"), headers=device(old)).status_code == 404
    assert client.post("/kiosk/heartbeat", json={}, headers=device(old)).status_code == 404
    assert client.get("/kiosk/screen/review", headers=device(old)).status_code == 404
    assert exchange(client, code).status_code == 200
    assert client.post("/kiosk/heartbeat", json={}, headers=device(old)).status_code == 404
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["kiosk.reissue", "kiosk.enrol"]


def test_old_token_addresses_are_refused_with_a_russian_page(client, org):
    _kiosk, token = make_kiosk()
    for url in (f"/kiosk/{token}", f"/kiosk/{token}/survey", f"/kiosk/{token}/review", "/kiosk/not-a-real-token"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 410, url
        assert "выдать новую ссылку подключения" in html and token not in html
    # Old review/heartbeat addresses are gone; an entry queued by an old kiosk page stays queued (404 is
    # retried, not dropped) until the device is enrolled again and kiosk.js sends it to /kiosk/reviews.
    assert client.post(f"/kiosk/{token}/reviews", json=_review()).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 0


def test_unknown_or_missing_token_is_refused(client, org):
    for headers in ({}, device("not-a-real-token")):
        assert client.get("/kiosk/screen/home", headers=headers).status_code == 404
        assert client.post("/kiosk/reviews", json={}, headers=headers).status_code == 404
        assert client.post("/kiosk/heartbeat", json={"pending": 1}, headers=headers).status_code == 404


def test_shells_are_token_free_and_alike_for_every_kiosk(client, org):
    make_kiosk()
    for url in ("/kiosk/", "/kiosk/survey", "/kiosk/review"):
        html = client.get(url).get_data(as_text=True)
        assert 'id="kiosk-shell"' in html and "js/kiosk-boot.js" in html and "Киоск не подключен" in html
        assert "<script>" not in html


def test_home_shows_centre_and_settings_for_the_script(client, org):
    kiosk, token = make_kiosk(seconds=7)
    center = find_center("KUR")
    html = client.get("/kiosk/screen/home", headers=device(token)).get_data(as_text=True)
    assert center.name in html and center.address in html and "Книга отзывов и предложений" in html
    assert center.opening_hours and center.opening_hours in html
    assert 'data-inactivity-seconds="7"' in html and "js/kiosk.js" in html
    assert "Оценить обслуживание" not in html  # no survey assigned to the kiosk channel yet
    assert "<script>" not in html  # CSP: no inline scripts
    assert token not in html and 'href="/kiosk/review"' in html
    precache = json.loads(re.search(r"data-precache='([^']+)'", html).group(1))
    assert {
        "/kiosk/",
        "/kiosk/review",
        "/kiosk/screen/home",
        "/kiosk/screen/review",
        "/static/js/kiosk.js",
        "/static/js/kiosk-boot.js",
    } <= set(precache)


def test_home_offers_the_assigned_survey(client, org):
    from app.surveys import services as surveys
    from app.surveys.schema import library

    definition = next(d for d in library() if d["slug"] == "visit-csat")
    survey = surveys.create_survey(definition)
    surveys.publish(survey)
    surveys.assign(survey, [find_center("KUR").id], ["kiosk"])
    _kiosk, token = make_kiosk()
    home = client.get("/kiosk/screen/home", headers=device(token)).get_data(as_text=True)
    # visit-csat opens with a faces rating: the home screen is that question, answered with one tap.
    assert 'id="kiosk-tap"' in home and 'data-submit-url="/api/v1/surveys/visit-csat/responses"' in home
    page = client.get("/kiosk/screen/survey", headers=device(token)).get_data(as_text=True)
    assert 'data-submit-url="/api/v1/surveys/visit-csat/responses"' in page
    items = json.loads(
        re.search(r'<script type="application/json" id="kiosk-items">(.*?)</script>', page, re.S).group(1)
    )
    assert {i["code"] for i in items} >= {"overall", "wait", "why", "contact"}
    assert next(i for i in items if i["code"] == "why")["show_if"] == {
        "all": [{"question": "overall", "op": "lte", "value": 3}]
    }
    assert page.count('class="kiosk-page') == 3


def _review(**overrides):
    body = {
        "client_submission_id": str(uuid.uuid4()),
        "entry_type": "complaint",
        "topic": "quality",
        "text": "Мигает свет в зале",
        "wants_answer": False,
        "publish_consent": True,
    }
    body.update(overrides)
    return body


def test_kiosk_review_endpoint_is_idempotent(client, org):
    kiosk, token = make_kiosk()
    body = _review()
    first = client.post("/kiosk/reviews", headers=device(token), json=body)
    assert first.status_code == 201, first.get_json()
    again = client.post("/kiosk/reviews", headers=device(token), json=body)
    assert again.status_code == 200 and again.get_json() == {**first.get_json(), "created": False}
    assert client.post("/kiosk/reviews", headers=device(token), json={**body, "text": "Иной текст"}).status_code == 409
    assert client.post("/kiosk/reviews", headers=device(token), json=_review()).status_code == 409  # same text again
    invalid = client.post("/kiosk/reviews", headers=device(token), json=_review(entry_type="spam", text=""))
    assert invalid.status_code == 422 and set(invalid.get_json()["errors"]) >= {"entry_type", "text"}
    no_id = client.post("/kiosk/reviews", headers=device(token), json=_review(client_submission_id="x"))
    assert no_id.status_code == 422
    assert client.post("/kiosk/reviews", headers=device(token), data="not json").status_code == 422
    entry = db.session.scalar(select(ReviewEntry))
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 1
    assert entry.kiosk_id == kiosk.id and entry.registration_number == first.get_json()["registration_number"]
    appeal = db.session.get(Appeal, entry.appeal_id)
    assert (appeal.channel, appeal.form, appeal.kind) == ("kiosk", "interactive", "complaint")


def test_kiosk_review_with_contact_needs_consent(client, org):
    _kiosk, token = make_kiosk()
    refused = client.post(
        "/kiosk/reviews",
        headers=device(token),
        json=_review(wants_answer=True, contact={"email": "k@example.test", "consent": False}),
    )
    assert refused.status_code == 422 and "consent" in refused.get_json()["errors"]
    ok = client.post(
        "/kiosk/reviews",
        headers=device(token),
        json=_review(wants_answer=True, contact={"name": "Ким", "email": "k@example.test", "consent": True}),
    )
    assert ok.status_code == 201
    assert db.session.scalar(select(ReviewEntry)).contact_id is not None


def test_heartbeat_and_admin_overview(client, org, make_user, login):
    kiosk, token = make_kiosk()
    quiet, _ = make_kiosk()
    assert client.post("/kiosk/heartbeat", json={"pending": 3}, headers=device(token)).status_code == 200
    client.post("/kiosk/reviews", headers=device(token), json=_review())
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
    assert b'addEventListener("fetch"' in response.data


def test_demo_kiosk_is_seeded_once_and_each_start_prints_a_fresh_enrolment_link(app, client, org):
    from app.kiosk.demo import seed

    seed(lambda _m: None)
    seed(lambda _m: None)
    assert db.session.scalar(select(func.count()).select_from(Kiosk)) == 1
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"  # as `make run` sets it: the CLI has no request host
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "logins"])
    assert first.exit_code == 0, first.output
    first_code = re.search(r"/kiosk/enrol/(\S+)", first.output).group(1)
    token = exchange(client, first_code).get_json()["token"]
    second = runner.invoke(args=["demo", "logins"]).output
    second_code = re.search(r"/kiosk/enrol/(\S+)", second).group(1)
    assert second_code != first_code and "/kiosk/enrol/" in second and token not in second
    # A restart does not cut off the demo kiosk open in a browser; using the new link does.
    assert client.post("/kiosk/heartbeat", json={}, headers=device(token)).status_code == 200
    assert exchange(client, first_code).status_code == 410
    assert exchange(client, second_code).status_code == 200
    assert client.post("/kiosk/heartbeat", json={}, headers=device(token)).status_code == 404


def test_reviews_demo_is_idempotent(app, org):
    from app.reviews.demo import seed

    seed(lambda _m: None)
    count = db.session.scalar(select(func.count()).select_from(ReviewEntry))
    seed(lambda _m: None)
    assert count >= 24 and db.session.scalar(select(func.count()).select_from(ReviewEntry)) == count
    assert (
        db.session.scalar(select(func.count()).select_from(ReviewEntry).where(ReviewEntry.moderation == "published"))
        > 0
    )


def test_kiosk_static_files_exist():
    static = Path(__file__).resolve().parents[2] / "app" / "static"
    for name in ("js/kiosk.js", "js/kiosk-sw.js", "css/kiosk.css"):
        assert (static / name).is_file(), name
