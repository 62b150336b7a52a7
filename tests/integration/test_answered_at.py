"""Offline kiosk answers keep the time of answering; the arrival is kept beside it.

A kiosk's queue can reach the server days later: the response is stored at ``answered_at`` (what periods,
counts, charts, exports and the API's ``submitted_at`` use) with ``received_at`` = arrival. A time in the
future, older than 7 days or unreadable is replaced by the arrival time and flagged; only kiosk posts may
send it. The kiosk's heartbeat reports posts the server refused.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from app.analysis import queries
from app.api.tokens import create_token
from app.extensions import db
from app.kiosk.models import Kiosk
from app.kiosk.services import register_kiosk
from app.models import utcnow
from app.org.services import find_center
from app.surveys import exports, services
from app.surveys.demo import seed_main_survey
from app.surveys.models import Answer, HeldSubmission, Response

URL = "/api/v1/surveys/visit-csat/responses"
ANSWERS = {"overall": 5, "nps": 9, "purpose": "metering"}


@pytest.fixture
def main_survey(org):
    survey, _, _ = seed_main_survey()
    return survey


@pytest.fixture
def kiosk_token(main_survey) -> str:
    _kiosk, token = register_kiosk(find_center("KUR").id, "Киоск у входа", 60)
    return token


def iso(moment: datetime) -> str:
    """ISO 8601 with an offset, as the kiosk sends it (here in Moscow time, +03:00)."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Moscow")).isoformat()


def post(client, token: str | None, answered_at=None, channel: str = "kiosk", sid: str | None = None):
    body = {
        "client_submission_id": sid or str(uuid.uuid4()),
        "center": "KUR",
        "channel": channel,
        "answers": dict(ANSWERS),
    }
    if answered_at is not None:
        body["answered_at"] = answered_at
    headers = {"X-Kiosk-Token": token} if token else {}
    reply = client.post(URL, json=body, headers=headers)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    return db.session.get(Response, reply.json["id"])


def close_to(a: datetime, b: datetime, seconds: float = 5) -> bool:
    return abs((a - b).total_seconds()) <= seconds


def test_kiosk_answer_three_days_old_is_stored_at_its_time_and_counted_in_that_day(client, kiosk_token):
    answered = (utcnow() - timedelta(days=3)).replace(microsecond=0)
    before = utcnow()
    response = post(client, kiosk_token, iso(answered))
    assert response.submitted_at == answered and not response.time_replaced
    assert close_to(response.received_at, before)
    answer_times = set(db.session.scalars(select(Answer.submitted_at).where(Answer.response_id == response.id)))
    assert answer_times == {answered}
    # The analysis counts put it in the day it was answered, not in the day it arrived.
    day = (answered - timedelta(hours=1), answered + timedelta(hours=1))
    today = (before - timedelta(minutes=5), utcnow() + timedelta(minutes=5))
    counts = queries.response_counts(response.survey_id, [day, today], None)
    assert counts.set_index("period")["n"].to_dict() == {0: 1}


@pytest.mark.parametrize(
    "sent",
    [
        "future",
        "eight_days_ago",
        "вчера вечером",
        "2026-13-45T99:00:00+03:00",
        "2026-11-30T10:00:00",
        12345,
        ["2026-11-30T10:00:00+03:00"],
    ],
)
def test_refused_answering_time_is_replaced_by_arrival_and_flagged(client, kiosk_token, sent):
    now = utcnow()
    if sent == "future":
        sent = iso(now + timedelta(hours=1))
    elif sent == "eight_days_ago":
        sent = iso(now - timedelta(days=8))
    response = post(client, kiosk_token, sent)
    assert response.time_replaced
    assert response.submitted_at == response.received_at and close_to(response.received_at, now)


def test_missing_time_and_a_fast_kiosk_clock_are_not_flagged(client, kiosk_token):
    now = utcnow()
    plain = post(client, kiosk_token)
    assert not plain.time_replaced and plain.submitted_at == plain.received_at
    skewed = post(client, kiosk_token, iso(now + timedelta(minutes=1)))  # within ANSWERED_AT_SKEW
    assert not skewed.time_replaced and skewed.submitted_at <= skewed.received_at
    six_days = (now - timedelta(days=6, hours=23)).replace(microsecond=0)
    assert post(client, kiosk_token, iso(six_days)).submitted_at == six_days


@pytest.mark.parametrize("channel", ["online", "qr"])
def test_an_anonymous_post_cannot_date_its_answers(client, main_survey, channel):
    now = utcnow()
    response = post(client, None, iso(now - timedelta(days=3)), channel=channel)
    assert close_to(response.submitted_at, now) and response.submitted_at == response.received_at
    assert not response.time_replaced


def test_answering_time_rules():
    arrival = datetime(2026, 12, 2, 9, 0)
    check = services.answering_time
    assert check(None, arrival) == (arrival, False)
    assert check("2026-12-02T11:30:00+03:00", arrival) == (datetime(2026, 12, 2, 8, 30), False)
    assert check("2026-11-25T09:00:00Z", arrival) == (datetime(2026, 11, 25, 9, 0), False)  # exactly 7 days
    assert check("2026-11-25T08:59:59Z", arrival) == (arrival, True)
    assert check("2026-12-02T09:02:00Z", arrival) == (arrival, False)  # the allowed skew: not later than arrival
    assert check("2026-12-02T09:02:01Z", arrival) == (arrival, True)
    assert check("x" * 100, arrival) == (arrival, True)


def test_csv_export_and_api_listing_carry_both_times(client, kiosk_token, main_survey, make_user):
    answered = (utcnow() - timedelta(days=3)).replace(microsecond=0)
    response = post(client, kiosk_token, iso(answered))
    text = "".join(exports.iter_csv(main_survey))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, row = rows[0], rows[1]
    assert header[-1] == "received_at" and header[0] == "submitted_at"
    assert row[0] == exports.iso_utc(answered)
    assert row[-1] == exports.iso_utc(response.received_at) and row[-1] != row[0]

    user = make_user("marketing", scope="MRSK")
    token = create_token(user.email, "listing")
    listing = client.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 200
    item = listing.json["items"][0]
    assert item["submitted_at"] == answered.isoformat() + "Z"
    assert item["received_at"] == response.received_at.isoformat() + "Z" and item["time_replaced"] is False
    document = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert "answered_at" in document["ResponseSubmission"]["properties"]
    assert document["ResponsePage"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/ResponseItem"}
    assert "received_at" in document["ResponseItem"]["properties"]


@pytest.mark.parametrize("app_config", [{"QUARANTINE_ENABLED": True}])
def test_a_held_kiosk_answer_is_released_at_its_answering_time(client, kiosk_token, make_user, login):
    answered = (utcnow() - timedelta(minutes=5)).replace(microsecond=0)
    for _ in range(35):
        post(client, kiosk_token, iso(answered))
    held = db.session.scalars(select(HeldSubmission).order_by(HeldSubmission.id)).all()
    assert held and held[0].answered_at == answered and held[0].received_at > answered
    login(make_user("marketing", scope="MRSK"))
    reply = client.post("/surveys/held/decide", data={"ids": str(held[0].id), "decision": "release"})
    assert reply.status_code == 302
    db.session.expire_all()
    released = db.session.get(Response, db.session.get(HeldSubmission, held[0].id).response_id)
    assert released.submitted_at == answered and released.received_at == held[0].received_at


def test_heartbeat_stores_refused_count_and_the_admin_page_shows_it(client, kiosk_token, make_user, login):
    beat = client.post("/kiosk/heartbeat", json={"pending": 1, "refused": 2}, headers={"X-Kiosk-Token": kiosk_token})
    assert beat.status_code == 200
    kiosk = db.session.scalar(select(Kiosk))
    db.session.refresh(kiosk)
    assert (kiosk.pending_count, kiosk.refused_count) == (1, 2)
    login(make_user("admin"))
    html = client.get("/admin/kiosks").get_data(as_text=True)
    assert "Отклонено сервером: 2" in html
    for absurd in (-5, "много", float("inf"), [3], None):
        client.post("/kiosk/heartbeat", json={"pending": 0, "refused": absurd}, headers={"X-Kiosk-Token": kiosk_token})
        db.session.refresh(kiosk)
        assert kiosk.refused_count == 0, absurd
    client.post("/kiosk/heartbeat", json={"pending": 0, "refused": 10**12}, headers={"X-Kiosk-Token": kiosk_token})
    db.session.refresh(kiosk)
    assert kiosk.refused_count == 1_000_000


def test_the_assignment_is_checked_as_it_was_when_the_customer_answered(client, kiosk_token, main_survey):
    """An answer given while the kiosk assignment was on still counts when it arrives after the switch-off;
    one dated after the switch-off, or an undated one, is refused and nothing is stored."""
    from app.database import write_transaction
    from app.surveys.models import SurveyAssignment

    kur = find_center("KUR")
    with write_transaction():  # offered at the kiosk for the last ten days
        db.session.execute(
            update(SurveyAssignment)
            .where(SurveyAssignment.center_id == kur.id)
            .values(created_at=utcnow() - timedelta(days=10))
        )
    with_assignment = iso(utcnow() - timedelta(days=2))
    services.unassign(main_survey, [kur.id], ["kiosk"])
    stored = post(client, kiosk_token, answered_at=with_assignment)
    assert stored.time_replaced is False and stored.submitted_at < utcnow() - timedelta(days=1)
    for late in (iso(utcnow()), None):  # answered after the switch-off, or undated
        body = {
            "client_submission_id": str(uuid.uuid4()),
            "center": "KUR",
            "channel": "kiosk",
            "answers": dict(ANSWERS),
            **({"answered_at": late} if late else {}),
        }
        reply = client.post(URL, json=body, headers={"X-Kiosk-Token": kiosk_token})
        assert reply.status_code == 403 and "не предлагается" in reply.json["message"]
    assert db.session.scalar(select(func.count(Response.id))) == 1
