"""Bursts of anonymous answers are acknowledged as usual but held apart until marketing decides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent, Organisation, utcnow
from app.surveys.demo import seed_main_survey
from app.surveys.models import HeldSubmission, Response

URL = "/api/v1/surveys/visit-csat/responses"


@pytest.fixture
def app_config():
    return {"QUARANTINE_ENABLED": True}


@pytest.fixture
def main_survey(org):
    survey, _, _ = seed_main_survey()
    return survey


def post(client, index: int, overall: int | None = None, center: str = "KUR"):
    body = {
        "client_submission_id": f"burst-{index:06d}-aaaa",
        "center": center,
        "channel": "online",
        "answers": {
            "overall": overall if overall is not None else 1 + index % 5,
            "nps": index % 11,
            "purpose": "metering",
        },
    }
    return client.post(URL, json=body, environ_base={"REMOTE_ADDR": "203.0.113.7"})


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(Response.id))),
        db.session.scalar(select(func.count(HeldSubmission.id)).where(HeldSubmission.status == "held")),
    )


def test_burst_is_acknowledged_as_usual_and_held_apart(client, main_survey):
    replies = [post(client, i) for i in range(40)]
    assert [r.status_code for r in replies] == [201] * 40
    assert {r.json["status"] for r in replies} == {"created"}
    # The first 29 arrive below QUARANTINE_MIN_COUNT (30 in 10 minutes); the burst beyond it is held.
    assert counts() == (29, 11)
    held = db.session.scalars(select(HeldSubmission).order_by(HeldSubmission.id)).all()
    assert held[0].reasons["arrived"] == 30 and held[0].reasons["window_minutes"] == 10
    assert held[-1].reasons["same_address"] == 11 and held[0].address_hash and "203.0.113" not in held[0].address_hash
    assert held[0].answers["purpose"] == "metering"
    # A retry of a held submission is answered as the first post was, and stores nothing.
    retry = post(client, 35)
    assert retry.status_code == 200 and retry.json["status"] == "already_stored"
    assert retry.json["id"] == replies[35].json["id"]
    assert counts() == (29, 11)


def test_release_counts_them_and_discard_keeps_them(client, main_survey, make_user, login):
    for i in range(40):
        post(client, i)
    ids = [h.id for h in db.session.scalars(select(HeldSubmission).order_by(HeldSubmission.id))]
    login(make_user("marketing", scope="MRSK"))
    page = client.get("/surveys/held").get_data(as_text=True)
    assert "Задержанные ответы" in page and "Ответов задержано:" in page and "Курск" in page
    reply = client.post("/surveys/held/decide", data={"ids": ",".join(map(str, ids[:6])), "decision": "release"})
    assert reply.status_code == 302
    assert counts() == (35, 5)
    released = db.session.scalars(select(HeldSubmission).where(HeldSubmission.status == "released")).all()
    assert all(h.response_id for h in released)
    response = db.session.get(Response, released[0].response_id)
    assert response.submitted_at == released[0].received_at and response.channel == "online"
    client.post("/surveys/held/decide", data={"ids": ",".join(map(str, ids[6:])), "decision": "discard"})
    assert counts() == (35, 0)
    assert db.session.scalar(select(func.count(HeldSubmission.id))) == 11  # nothing deleted
    actions = [a for (a,) in db.session.execute(select(AuditEvent.action))]
    assert actions.count("survey.held.release") == 6 and actions.count("survey.held.discard") == 5


def test_operator_and_other_scopes_cannot_decide(client, main_survey, make_user, login):
    for i in range(32):
        post(client, i)
    ids = ",".join(str(h.id) for h in db.session.scalars(select(HeldSubmission)))
    login(make_user("operator", scope="KUR"))
    assert client.get("/surveys/held").status_code == 403
    assert client.post("/surveys/held/decide", data={"ids": ids, "decision": "release"}).status_code == 403
    assert counts() == (29, 3)


def test_marketer_of_another_branch_cannot_release(client, main_survey, make_user, login):
    for i in range(32):
        post(client, i)
    ids = ",".join(str(h.id) for h in db.session.scalars(select(HeldSubmission)))
    login(make_user("marketing", scope="BRYA"))
    assert "Курск" not in client.get("/surveys/held").get_data(as_text=True)
    client.post("/surveys/held/decide", data={"ids": ids, "decision": "release"})
    assert counts() == (29, 3)


@pytest.mark.parametrize(
    "app_config", [{"QUARANTINE_ENABLED": True, "QUARANTINE_WINDOW_MINUTES": 1440, "QUARANTINE_MIN_COUNT": 5}]
)
def test_a_busy_centre_at_its_usual_rate_is_not_held(client, main_survey):
    """280 answers over the last 28 days = 10 a day: 40 today stay under 5 × 10; more than 50 are held."""
    kur = db.session.scalar(select(Organisation).where(Organisation.code == "KUR"))
    version_id = main_survey.versions[-1].id
    now = utcnow()
    with write_transaction():
        db.session.execute(
            insert(Response.__table__),
            [
                {
                    "client_submission_id": f"hist-{i:05d}-xxxx",
                    "body_hash": "x",
                    "survey_id": main_survey.id,
                    "version_id": version_id,
                    "center_id": kur.id,
                    "channel": "online",
                    "submitted_at": now - timedelta(days=2, hours=i * 24 * 25 / 280),
                }
                for i in range(280)
            ],
        )
    for i in range(40):
        assert post(client, i, overall=5).status_code == 201  # identical answers alone never hold
    assert counts() == (320, 0)
    for i in range(40, 60):
        post(client, i)
    assert counts()[1] == 10  # the 51st and later in the window


@pytest.mark.parametrize("app_config", [{"QUARANTINE_ENABLED": False}])
def test_switched_off(client, main_survey):
    for i in range(40):
        post(client, i)
    assert counts() == (40, 0)


def test_staff_import_is_never_held(runner, main_survey, tmp_path):
    rows = ["submitted_at,center,channel,overall,nps"] + [f"2026-11-30 10:{i:02d},KUR,online,4,9" for i in range(45)]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(args=["surveys", "import-responses", "visit-csat", str(path)])
    assert result.exit_code == 0, result.output
    assert counts() == (45, 0)


def test_a_held_callback_request_keeps_its_contact_only_in_contact(client, main_survey, make_user, login):
    """Personal data lives only in Contact (152-ФЗ purge and erasure find it there), held or not."""
    from app.models import Contact

    for i in range(29):
        post(client, i)
    body = {
        "client_submission_id": "burst-callback-aaaa",
        "center": "KUR",
        "channel": "online",
        "answers": {
            "overall": 1,
            "nps": 2,
            "contact": {"name": "Анна", "phone": "+79001234567", "email": "anna@example.ru", "consent": True},
        },
    }
    assert client.post(URL, json=body).status_code == 201
    held = db.session.scalar(select(HeldSubmission))
    assert "contact" not in held.answers and held.contact_id is not None
    assert db.session.get(Contact, held.contact_id).phone == "+79001234567"
    login(make_user("marketing", scope="MRSK"))
    client.post("/surveys/held/decide", data={"ids": str(held.id), "decision": "release"})
    db.session.expire_all()
    response = db.session.get(Response, db.session.get(HeldSubmission, held.id).response_id)
    assert response.contact_id == held.contact_id
    assert db.session.scalar(select(func.count(Contact.id))) == 1
