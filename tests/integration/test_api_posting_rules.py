"""Who may post a response through the API.

An anonymous post (online, qr, sms, email) counts only for an active assignment; ``kiosk`` needs the
X-Kiosk-Token of an active kiosk of that centre; ``phone`` needs a staff token with ``write:responses``
whose scope covers the centre. Otherwise 403 with a Russian JSON message and nothing stored.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.api.models import ApiToken
from app.api.tokens import create_token, revoke_token
from app.database import write_transaction
from app.extensions import db
from app.kiosk.services import register_kiosk, revoke
from app.models import utcnow
from app.org.services import find_center
from app.surveys import services
from app.surveys.models import Answer, Response, SurveyAssignment
from app.surveys.schema import template

SLUG = "visit-csat"
URL = f"/api/v1/surveys/{SLUG}/responses"
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


@pytest.fixture
def survey(org):
    """The main survey, published and offered at KUR on online and kiosk only."""
    created = services.create_survey(template(SLUG))
    services.publish(created)
    services.assign(created, [find_center("KUR").id], ["online", "kiosk"])
    return created


def body(center: str | int | None = "KUR", channel: str | None = "online", **overrides):
    data = {"client_submission_id": str(uuid.uuid4()), "answers": {"overall": 1, "nps": 0}}
    if center is not None:
        data["center"] = center
    if channel is not None:
        data["channel"] = channel
    return data | overrides


def counts() -> tuple[int, int]:
    return db.session.scalar(select(func.count(Response.id))), db.session.scalar(select(func.count(Answer.id)))


def refused(reply, before: tuple[int, int]) -> str:
    """Assert a 403 with a Russian JSON message and nothing stored; returns the message."""
    assert reply.status_code == 403, reply.get_data(as_text=True)
    assert reply.is_json and reply.json["error"] == "forbidden"
    assert CYRILLIC.search(reply.json["message"]), reply.json
    assert counts() == before
    return reply.json["message"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------- anonymous channels


def test_anonymous_post_needs_an_active_assignment(client, survey):
    before = counts()
    assert "не предлагается" in refused(client.post(URL, json=body(center="LGV")), before)  # other centre
    refused(client.post(URL, json=body(channel="qr")), before)  # assigned centre, other channel
    refused(client.post(URL, json=body(center=find_center("BEL").id)), before)
    ok = client.post(URL, json=body())
    assert ok.status_code == 201 and counts()[0] == before[0] + 1
    assert db.session.get(Response, ok.json["id"]).channel == "online"


def test_a_switched_off_assignment_refuses_new_posts_and_still_answers_retries(client, survey):
    first = body()
    assert client.post(URL, json=first).status_code == 201
    services.unassign(survey, [find_center("KUR").id], ["online"])
    before = counts()
    refused(client.post(URL, json=body()), before)
    again = client.post(URL, json=first)  # a retry of what was accepted: answered as then
    assert again.status_code == 200 and again.json["status"] == "already_stored"
    services.assign(survey, [find_center("KUR").id], ["online"])
    assert client.post(URL, json=body()).status_code == 201


def test_burst_of_anonymous_posts_to_an_unassigned_centre_moves_nothing(client, survey):
    """The probe's attack: 100 low scores posted for a centre the survey is not offered at."""
    before = counts()
    replies = [client.post(URL, json=body(center="LGV")).status_code for _ in range(100)]
    assert set(replies) == {403} and counts() == before


def test_a_staff_token_does_not_open_anonymous_channels(client, survey, make_user):
    token = create_token(make_user("marketing", scope="MRSK").email, "w", ["write:responses"])
    refused(client.post(URL, json=body(center="LGV"), headers=bearer(token)), counts())


# --------------------------------------------------------------------------- kiosk


def test_kiosk_channel_needs_the_token_of_an_active_kiosk_of_that_centre(client, survey):
    _kur, kur_token = register_kiosk(find_center("KUR").id, "Зал КУР")
    _lgv, lgv_token = register_kiosk(find_center("LGV").id, "Зал ЛГВ")
    before = counts()
    assert "X-Kiosk-Token" in refused(client.post(URL, json=body(channel="kiosk")), before)
    refused(client.post(URL, json=body(channel="kiosk"), headers={"X-Kiosk-Token": "made-up-token"}), before)
    refused(client.post(URL, json=body(channel="kiosk"), headers={"X-Kiosk-Token": lgv_token}), before)
    refused(client.post(URL, json=body(center="BEL", channel="kiosk"), headers={"X-Kiosk-Token": kur_token}), before)
    # A kiosk token posts kiosk answers only.
    refused(client.post(URL, json=body(channel="online"), headers={"X-Kiosk-Token": kur_token}), before)
    ok = client.post(URL, json=body(channel="kiosk"), headers={"X-Kiosk-Token": kur_token})
    assert ok.status_code == 201
    row = db.session.get(Response, ok.json["id"])
    assert (row.channel, row.kiosk_id, row.center_id) == ("kiosk", _kur.id, find_center("KUR").id)
    # The kiosk's own body (kiosk.js) may leave the centre out: it is the kiosk's.
    assert (
        client.post(URL, json=body(center=None, channel=None), headers={"X-Kiosk-Token": kur_token}).status_code == 201
    )
    # A code no centre has (renamed while the answer waited in the kiosk's queue) is the kiosk's centre.
    queued = client.post(URL, json=body(center="OLDKUR", channel="kiosk"), headers={"X-Kiosk-Token": kur_token})
    assert queued.status_code == 201 and db.session.get(Response, queued.json["id"]).center_id == _kur.center_id
    revoke(_kur)
    refused(client.post(URL, json=body(channel="kiosk"), headers={"X-Kiosk-Token": kur_token}), counts())


def test_kiosk_post_needs_the_kiosk_assignment_too(client, survey):
    _lgv, lgv_token = register_kiosk(find_center("LGV").id, "Зал ЛГВ")
    refused(client.post(URL, json=body(center="LGV", channel="kiosk"), headers={"X-Kiosk-Token": lgv_token}), counts())
    services.assign(survey, [find_center("LGV").id], ["kiosk"])
    assert (
        client.post(URL, json=body(center="LGV", channel="kiosk"), headers={"X-Kiosk-Token": lgv_token}).status_code
        == 201
    )


def test_the_kiosk_assignment_has_no_public_link(client, survey):
    """Its short code would otherwise store ``kiosk`` answers from any browser, without a kiosk token."""
    kiosk = db.session.scalar(select(SurveyAssignment).where(SurveyAssignment.channel == "kiosk"))
    online = db.session.scalar(select(SurveyAssignment).where(SurveyAssignment.channel == "online"))
    before = counts()
    page = client.get(f"/s/{kiosk.short_code}")
    assert page.status_code == 404 and "киоске" in page.get_data(as_text=True)
    assert client.post(f"/s/{kiosk.short_code}", data={"overall": "1", "nps": "0"}).status_code == 404
    assert counts() == before
    assert client.get(f"/s/{online.short_code}").status_code == 200


# --------------------------------------------------------------------------- phone (call centre)


def test_phone_channel_needs_a_write_token_whose_scope_covers_the_centre(client, survey, make_user):
    kur_operator = make_user("operator", scope="KUR")
    writer = create_token(kur_operator.email, "calls", ["write:responses"])
    reader = create_token(kur_operator.email, "reads", ["read:responses", "read:reports"])
    before = counts()
    assert "write:responses" in refused(client.post(URL, json=body(channel="phone")), before)
    refused(client.post(URL, json=body(channel="phone"), headers=bearer("otk_made_up")), before)
    assert "write:responses" in refused(client.post(URL, json=body(channel="phone"), headers=bearer(reader)), before)
    assert "вне зоны" in refused(
        client.post(URL, json=body(center="BEL", channel="phone"), headers=bearer(writer)), before
    )
    ok = client.post(URL, json=body(channel="phone"), headers=bearer(writer))
    assert ok.status_code == 201 and db.session.get(Response, ok.json["id"]).channel == "phone"
    # The phone channel needs no assignment: the survey is not offered at LGV, a company-wide writer may post.
    company = create_token(make_user("marketing", scope="MRSK").email, "all calls", ["write:responses"])
    assert client.post(URL, json=body(center="LGV", channel="phone"), headers=bearer(company)).status_code == 201


def test_phone_post_with_an_expired_or_revoked_token_is_refused(client, survey, make_user):
    writer = create_token(make_user("operator", scope="KUR").email, "calls", ["write:responses"])
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "calls"))
    with write_transaction():
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert "истек" in refused(client.post(URL, json=body(channel="phone"), headers=bearer(writer)), counts())
    with write_transaction():
        row.expires_at = utcnow() + timedelta(days=1)
    assert client.post(URL, json=body(channel="phone"), headers=bearer(writer)).status_code == 201
    revoke_token(row.id)
    refused(client.post(URL, json=body(channel="phone"), headers=bearer(writer)), counts())


def test_phone_post_with_a_kiosk_token_is_refused(client, survey):
    _kiosk, token = register_kiosk(find_center("KUR").id, "Зал")
    refused(client.post(URL, json=body(channel="phone"), headers={"X-Kiosk-Token": token}), counts())


# --------------------------------------------------------------------------- the contract is documented


def test_openapi_states_who_may_post(client):
    post = client.get("/api/v1/openapi.json").json["paths"]["/surveys/{slug}/responses"]["post"]
    text = post["description"]
    for rule in ("назначении", "X-Kiosk-Token", "write:responses", "phone"):
        assert rule in text
    assert "403" in post["responses"] and "назначения" in post["responses"]["403"]["description"]
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["ResponseSubmission"]
    assert "phone" in schema["properties"]["channel"]["enum"]
