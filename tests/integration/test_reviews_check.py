"""Review book: anonymous entries that arrive in a burst wait «на проверке» before they become appeals.

Once, thirty anonymous entries with distinct texts made thirty registered complaints with deadlines
in one centre's queue. Beyond the per-centre burst threshold (``REVIEW_CHECK_MIN_COUNT`` 30 in
``REVIEW_CHECK_WINDOW_MINUTES`` 10, more than ``REVIEW_CHECK_FACTOR`` 5 times the usual rate) entries
without contact details are kept with no appeal until an operator accepts (appeal received when the entry
was) or rejects them (kept, marked); the receipt says so and the deadline still runs from receipt.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from app.appeals.models import Appeal
from app.appeals.report import monitoring_report
from app.appeals.services import compute_due
from app.extensions import db
from app.kiosk.services import register_kiosk
from app.models import AuditEvent, Topic, utcnow
from app.org.services import find_center
from app.reviews.models import ReviewEntry
from app.reviews.services import ReviewError, hash_check_code, moderate, text_hash
from tests.sqltrace import Statements

ADDRESS = "203.0.113.9"
CHECK_WORDING = "Запись на проверке."
DEADLINE_WORDING = "Срок ответа считается со дня получения записи"


@pytest.fixture
def app_config():
    return {"QUARANTINE_ENABLED": True}


def post_entry(client, center: str = "KUR", address: str = ADDRESS, **fields):
    data = {
        "step": "entry",
        "entry_type": "complaint",
        "topic": "metering",
        "wants_answer": "no",
        "text": "Свет отключают каждый вечер, дом " + uuid.uuid4().hex,
        "client_submission_id": str(uuid.uuid4()),
    }
    data.update(fields)
    return client.post(f"/reviews/{center}/new", data=data, environ_base={"REMOTE_ADDR": address})


def post_with_contact(client, center: str = "KUR"):
    return post_entry(
        client,
        center,
        step="consent",
        wants_answer="yes",
        action="send",
        consent="y",
        name="Анна",
        email=f"a{uuid.uuid4().hex[:6]}@example.test",
        phone="",
    )


def receipt_of(response) -> tuple[str, str]:
    html = response.get_data(as_text=True)
    return (
        re.search(r'id="registration-number">([^<]+)<', html).group(1),
        re.search(r'id="check-code">([^<]+)<', html).group(1),
    )


def appeals_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Appeal)))


def in_check() -> list[ReviewEntry]:
    return list(
        db.session.scalars(select(ReviewEntry).where(ReviewEntry.check_state == "checking").order_by(ReviewEntry.id))
    )


def burst(client, n: int = 35, **fields) -> list:
    replies = [post_entry(client, **fields) for _ in range(n)]
    assert [r.status_code for r in replies] == [200] * n
    return replies


def status_page(client, number: str, code: str) -> str:
    return client.post("/reviews/status", data={"number": number, "code": code}).get_data(as_text=True)


def test_burst_beyond_the_threshold_waits_in_check_with_receipts_that_say_so(client, org):
    replies = burst(client, 35)
    # 29 arrive below REVIEW_CHECK_MIN_COUNT (30 in 10 minutes); the burst beyond it waits in check.
    assert appeals_count() == 29
    held = in_check()
    assert len(held) == 6 and all(e.appeal_id is None for e in held)
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 35
    # Every customer still gets a receipt; only the held ones say that the entry is being checked.
    for reply in replies[:29]:
        assert CHECK_WORDING not in reply.get_data(as_text=True)
    for reply, entry in zip(replies[29:], held, strict=True):
        html = reply.get_data(as_text=True)
        number, code = receipt_of(reply)
        assert number == entry.registration_number and entry.check_code_hash == hash_check_code(number, code)
        assert CHECK_WORDING in html and DEADLINE_WORDING in html
    # Why: the rate, identical texts, one address (a keyed hash, never the address itself).
    first, last = held[0], held[-1]
    assert first.check_reasons["arrived"] == 30 and first.check_reasons["window_minutes"] == 10
    assert first.check_reasons["usual"] == 0 and first.check_reasons["identical"] == 1
    assert last.check_reasons["same_address"] == 6
    assert first.check_address_hash and ADDRESS not in first.check_address_hash
    assert all(
        e.check_address_hash is None
        for e in db.session.scalars(select(ReviewEntry).where(ReviewEntry.check_state.is_(None)))
    )
    # The status lookup shows «на проверке»; monitoring counts only the 29 appeals.
    page = status_page(client, *receipt_of(replies[-1]))
    assert "На проверке" in page and DEADLINE_WORDING in page
    today = utcnow().date()
    assert monitoring_report(today - timedelta(days=1), today + timedelta(days=1)).total == 29


def test_a_retry_of_a_held_entry_gets_the_same_receipt_and_stores_nothing(client, org):
    burst(client, 30)
    csid = str(uuid.uuid4())
    first = post_entry(client, client_submission_id=csid, text="Повторная отправка из-за сети")
    again = post_entry(client, client_submission_id=csid, text="Повторная отправка из-за сети")
    assert receipt_of(first) == receipt_of(again)
    assert CHECK_WORDING in again.get_data(as_text=True)
    assert len(in_check()) == 2 and appeals_count() == 29


def test_accept_registers_the_appeal_received_when_the_entry_was(client, org, make_user, login):
    replies = burst(client, 32)
    held = in_check()
    # The operator decides a week later: the deadline must still run from receipt.
    received = utcnow().replace(microsecond=0) - timedelta(days=7)
    for entry in held:
        entry.created_at = received
    db.session.commit()
    login(make_user("operator", scope="KUR"))
    page = client.get("/reviews/check").get_data(as_text=True)
    assert "Записи на проверке" in page and held[0].registration_number in page and held[0].text in page
    assert "Пришло за 10 мин:" in page and "С одного адреса:" in page
    reply = client.post("/reviews/check/decide", data={"ids": [str(held[0].id), str(held[1].id)], "decision": "accept"})
    assert reply.status_code == 302
    assert appeals_count() == 31 and len(in_check()) == 1
    entry = db.session.get(ReviewEntry, held[0].id)
    appeal = db.session.get(Appeal, entry.appeal_id)
    assert entry.check_state == "accepted" and entry.checked_by_id is not None
    assert appeal.received_at == received
    assert appeal.due_at == compute_due("complaint", entry.topic_id, received, "review_book")
    assert appeal.due_at != compute_due("complaint", entry.topic_id, utcnow(), "review_book")
    assert (appeal.channel, appeal.status, appeal.external_id) == (
        "review_book",
        "registered",
        entry.registration_number,
    )
    assert appeal.text == entry.text and appeal.center_id == entry.center_id
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.check.accept")).all()
    assert len(events) == 2 and {e.object_id for e in events} == {str(held[0].id), str(held[1].id)}
    # The customer's status page now shows the registered appeal; a second accept changes nothing.
    assert "Зарегистрировано" in status_page(client, *receipt_of(replies[29]))
    client.post("/reviews/check/decide", data={"ids": [str(held[0].id)], "decision": "accept"})
    assert appeals_count() == 31


def test_reject_keeps_the_entry_marked_out_of_the_queue_and_the_book(client, org, make_user, login):
    replies = burst(client, 31, publish_consent="y")
    held = in_check()
    login(make_user("manager", scope="KURS"))
    assert (
        client.post("/reviews/check/decide", data={"ids": [str(e.id) for e in held], "decision": "reject"}).status_code
        == 302
    )
    assert appeals_count() == 29 and in_check() == []
    rejected = db.session.scalars(select(ReviewEntry).where(ReviewEntry.check_state == "rejected")).all()
    assert len(rejected) == 2 and all(e.appeal_id is None and e.text for e in rejected)  # nothing deleted
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 31
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "review.check.reject")
        )
        == 2
    )
    assert "Отклонена как спам" in status_page(client, *receipt_of(replies[-1]))
    # Not in the appeals queue, not offered for publication.
    queue = client.get("/appeals/?center=KUR").get_data(as_text=True)
    assert rejected[0].registration_number not in queue
    client.post("/logout")
    login(make_user("operator", scope="KUR"))
    moderation = client.get("/reviews/moderation?state=all").get_data(as_text=True)
    assert replies and rejected[0].registration_number not in moderation
    assert (
        db.session.scalars(select(ReviewEntry).where(ReviewEntry.appeal_id.is_not(None))).first().registration_number
        in moderation
    )
    with pytest.raises(ReviewError, match="спам"):
        moderate(rejected[0], "publish", None)
    # Later decisions cannot bring a rejected entry back as an appeal.
    client.post("/reviews/check/decide", data={"ids": [str(rejected[0].id)], "decision": "accept"})
    assert appeals_count() == 29


def test_entries_with_contact_details_are_never_held(client, org):
    burst(client, 30)
    assert len(in_check()) == 1
    replies = [post_with_contact(client) for _ in range(8)]
    assert [r.status_code for r in replies] == [200] * 8
    assert all(CHECK_WORDING not in r.get_data(as_text=True) for r in replies)
    assert appeals_count() == 29 + 8 and len(in_check()) == 1


@pytest.mark.parametrize("app_config", [{"QUARANTINE_ENABLED": False}])
def test_switched_off_every_entry_becomes_an_appeal_as_before(client, org):
    replies = burst(client, 35)
    assert appeals_count() == 35 and in_check() == []
    assert all(CHECK_WORDING not in r.get_data(as_text=True) for r in replies)


def test_operator_of_another_centre_cannot_see_or_decide(client, org, make_user, login):
    burst(client, 31)
    held = in_check()
    login(make_user("operator", scope="BEL"))
    page = client.get("/reviews/check").get_data(as_text=True)
    assert "Записей на проверке нет." in page and held[0].registration_number not in page
    client.post("/reviews/check/decide", data={"ids": [str(e.id) for e in held], "decision": "accept"})
    client.post("/reviews/check/decide", data={"ids": [str(e.id) for e in held], "decision": "reject"})
    db.session.expire_all()
    assert len(in_check()) == 2 and appeals_count() == 29


def test_marketing_has_no_access_to_the_check_page(client, org, make_user, login):
    burst(client, 31)
    login(make_user("marketing", scope="MRSK"))
    assert client.get("/reviews/check").status_code == 403
    assert (
        client.post("/reviews/check/decide", data={"ids": [str(in_check()[0].id)], "decision": "accept"}).status_code
        == 403
    )
    assert len(in_check()) == 2


def test_unknown_decision_or_no_ids_changes_nothing(client, org, make_user, login):
    burst(client, 31)
    login(make_user("operator", scope="KUR"))
    reply = client.post(
        "/reviews/check/decide", data={"ids": [str(in_check()[0].id)], "decision": "delete"}, follow_redirects=True
    )
    assert "Не выбраны записи или решение" in reply.get_data(as_text=True)
    client.post("/reviews/check/decide", data={"ids": ["99999999999999999999", "x"], "decision": "reject"})
    assert len(in_check()) == 2


# --- the kiosk path ----------------------------------------------------------------------------------


def kiosk_post(client, token: str, **overrides):
    body = {
        "client_submission_id": str(uuid.uuid4()),
        "entry_type": "complaint",
        "topic": "quality",
        "text": f"Мигает свет в зале {uuid.uuid4().hex}",
        "wants_answer": False,
        "publish_consent": False,
    }
    return client.post("/kiosk/reviews", json={**body, **overrides}, headers={"X-Kiosk-Token": token})


def test_kiosk_entries_in_a_burst_wait_in_check_too(client, org, make_user, login):
    token = register_kiosk(find_center("KUR").id, "Киоск у входа", 60)[1]
    replies = [kiosk_post(client, token) for _ in range(32)]
    assert [r.status_code for r in replies] == [201] * 32
    assert all("in_check" not in r.get_json() for r in replies[:29])
    for reply in replies[29:]:
        body = reply.get_json()
        assert body["in_check"] is True and body["registration_number"] and body["check_code"]
        assert "на проверке" in body["message"] and "со дня получения записи" in body["message"]
    assert appeals_count() == 29 and len(in_check()) == 3
    login(make_user("operator", scope="KUR"))
    client.post("/reviews/check/decide", data={"ids": [str(in_check()[0].id)], "decision": "accept"})
    accepted = db.session.scalar(select(ReviewEntry).where(ReviewEntry.check_state == "accepted"))
    appeal = db.session.get(Appeal, accepted.appeal_id)
    assert appeal.channel == "kiosk" and appeal.received_at == accepted.created_at


def test_kiosk_with_contact_is_never_held(client, org):
    token = register_kiosk(find_center("KUR").id, "Киоск у входа", 60)[1]
    for _ in range(30):
        kiosk_post(client, token)
    reply = kiosk_post(
        client, token, wants_answer=True, contact={"name": "Ким", "email": "k@example.test", "consent": True}
    )
    assert reply.status_code == 201 and "in_check" not in reply.get_json()
    assert appeals_count() == 30


def test_the_burst_check_adds_no_statement_to_the_kiosk_hot_path(client, org):
    token = register_kiosk(find_center("KUR").id, "Киоск у входа", 60)[1]
    assert kiosk_post(client, token).status_code == 201
    with Statements() as log:
        assert kiosk_post(client, token).status_code == 201
    reads = [s for s in log.seen if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1, reads


# --- quiet where the centre is usually this busy -----------------------------------------------------


def _history(center_code: str, count: int, days: int = 27) -> None:
    """Past entries spread evenly over ``days`` days (appeals are not needed for the usual rate)."""
    center = find_center(center_code)
    topic_id = db.session.scalar(select(Topic.id).where(Topic.code == "metering"))
    now = utcnow()
    rows = []
    for i in range(count):
        text = f"старая запись {i}"
        rows.append(
            {
                "registration_number": f"{center_code}-2000-{i:06d}",
                "check_code_hash": "0" * 64,
                "client_submission_id": str(uuid.uuid4()),
                "body_hash": text_hash(center.id, text),
                "center_id": center.id,
                "entry_type": "complaint",
                "topic_id": topic_id,
                "text": text,
                "created_at": now - timedelta(days=1) - timedelta(minutes=i * days * 24 * 60 // count),
            }
        )
    db.session.execute(insert(ReviewEntry), rows)
    db.session.commit()


SMALL = {
    "QUARANTINE_ENABLED": True,
    "REVIEW_CHECK_WINDOW_MINUTES": 60,
    "REVIEW_CHECK_MIN_COUNT": 5,
    "REVIEW_CHECK_FACTOR": 5,
}


@pytest.mark.parametrize("app_config", [SMALL])
def test_a_busy_centre_at_its_usual_rate_is_not_held(client, org):
    # 1 400 entries over 28 days ≈ 2.08 per hour; 5 × 2.08 = 10.4, so 10 entries within the hour are usual.
    _history("KUR", 1400)
    before = appeals_count()
    for _ in range(10):
        post_entry(client)
    assert in_check() == [] and appeals_count() == before + 10


@pytest.mark.parametrize("app_config", [SMALL])
def test_a_quiet_centre_with_the_same_entries_is_held(client, org):
    # The same ten entries at a centre with no history: 5 reach the minimum, 6 of 10 wait in check.
    for _ in range(10):
        post_entry(client)
    assert len(in_check()) == 6 and appeals_count() == 4


@pytest.mark.parametrize("app_config", [SMALL])
def test_spam_rejected_before_does_not_raise_the_usual_rate(client, org, make_user):
    from app.reviews import check

    _history("KUR", 1400)
    db.session.execute(ReviewEntry.__table__.update().values(check_state="rejected"))
    db.session.commit()
    assert check.usual_per_window(find_center("KUR").id, utcnow()) == 0  # the rate reads only counted entries
    for _ in range(10):
        post_entry(client)
    assert len(in_check()) == 6
