"""The review book's burst hold applies to service requests: held «на проверке» without an appeal until staff decide."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.appeals.models import Appeal
from app.extensions import db
from app.requests.models import ServiceRequest
from tests.integration.test_service_requests import post, receipt, status_page

BURST = {"QUARANTINE_ENABLED": True, "REVIEW_CHECK_MIN_COUNT": 3, "REVIEW_CHECK_FACTOR": 5}


def appeals() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Appeal)) or 0)


@pytest.mark.parametrize("app_config", [{"QUARANTINE_ENABLED": True}])
def test_usual_requests_are_not_held(org, client, app_config):
    """Null data: a few requests at a centre with the default rule (30 in ten minutes) all become appeals."""
    for _ in range(3):
        receipt(post(client, "meter_check"))
    assert appeals() == 3
    assert db.session.scalar(select(func.count()).where(ServiceRequest.check_state.is_not(None))) == 0


@pytest.mark.parametrize("app_config", [BURST])
def test_a_burst_is_held_then_accepted_or_rejected_by_staff_in_scope(org, client, app_config, make_user, login):
    numbers = [receipt(post(client, "meter_check")) for _ in range(4)]
    assert appeals() == 2  # the third and fourth arrive in a burst
    held = list(db.session.scalars(select(ServiceRequest).where(ServiceRequest.check_state == "checking")))
    assert [h.registration_number for h in held] == [n for n, _ in numbers[2:]]
    assert all(h.appeal_id is None and h.check_reasons["arrived"] >= 3 for h in held)
    assert "На проверке" in status_page(client, *numbers[2])

    login(make_user("operator", scope="BEL"))
    assert 'id="nothing-held"' in client.get("/requests/check").get_data(as_text=True)
    client.post("/requests/check/decide", data={"decision": "accept", "ids": [h.id for h in held]})
    assert appeals() == 2  # another centre's operator decides nothing
    client.post("/logout")

    login(make_user("operator", scope="KUR"))
    listing = client.get("/requests/check").get_data(as_text=True)
    assert all(h.registration_number in listing for h in held)
    client.post("/requests/check/decide", data={"decision": "accept", "ids": [held[0].id]})
    client.post("/requests/check/decide", data={"decision": "reject", "ids": [held[1].id]})
    db.session.expire_all()
    accepted, rejected = (db.session.get(ServiceRequest, h.id) for h in held)
    assert (accepted.check_state, rejected.check_state) == ("accepted", "rejected")
    appeal = db.session.get(Appeal, accepted.appeal_id)
    assert appeal.received_at == accepted.created_at and appeal.topic.code == "meter_check"
    assert rejected.appeal_id is None and appeals() == 3
    assert "Отклонена как спам" in status_page(client, *numbers[3])
    assert "Зарегистрировано" in status_page(client, *numbers[2])


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_PUBLIC_SUBMIT": "2 per minute"}])
def test_request_posts_are_rate_limited(org, client, app_config):
    receipt(post(client, "connection"))
    receipt(post(client, "connection"))
    refused = post(client, "connection")
    assert refused.status_code == 429
    assert client.get("/requests/connection").status_code == 200  # only posts count
    assert db.session.scalar(select(func.count()).select_from(ServiceRequest)) == 2
