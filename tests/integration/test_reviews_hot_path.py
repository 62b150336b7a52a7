"""The review-book hot path: what it caches per process, and that admin edits still show at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from app import cache
from app.appeals import rules
from app.appeals import services as appeals
from app.appeals.models import Appeal, AppealStatusChange
from app.extensions import db
from app.kiosk.models import Kiosk
from app.kiosk.services import register_kiosk, revoke
from app.models import Contact, Topic
from app.org.services import find_center
from app.reviews.consent import CONSENT_VERSION
from app.reviews.models import RegistrationCounter, ReviewEntry
from app.reviews.services import EntryInput, submit_entry
from tests.sqltrace import Statements

RECEIVED = datetime(2026, 12, 30, 9, 0)
# Defaults from 30.12.2026: a complaint 10 working days → 22.01.2027; an application 15 → 29.01.2027.
COMPLAINT_DEFAULT = datetime(2027, 1, 22, 20, 59, 59)


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement the database runs inside the block (tests/sqltrace.py)."""
    with Statements() as log:
        yield log.seen


def _topic_id(code: str) -> int:
    return db.session.scalar(select(Topic.id).where(Topic.code == code))


def _rule_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if "deadline_rule" in s or "FROM setting" in s]


def test_deadline_rules_are_read_once_per_ttl(org):
    other = _topic_id("other")
    assert appeals.compute_due("complaint", other, RECEIVED, "kiosk") == COMPLAINT_DEFAULT
    with statements() as seen:
        for _ in range(3):
            assert appeals.compute_due("complaint", other, RECEIVED, "kiosk") == COMPLAINT_DEFAULT
    assert _rule_reads(seen) == []


def test_a_rule_saved_in_this_process_is_used_at_once(org):
    other = _topic_id("other")
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == COMPLAINT_DEFAULT
    rule = rules.save_deadline_rule("complaint", None, 5, True)
    # 5 working days across the New Year holidays → 15.01.2027.
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == datetime(2027, 1, 15, 20, 59, 59)
    rules.delete_deadline_rule(rule)
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == COMPLAINT_DEFAULT


def test_the_written_term_saved_in_this_process_is_used_at_once(org):
    quality = _topic_id("quality")
    assert appeals.compute_due("application", quality, RECEIVED, "letter") == datetime(2027, 1, 29, 20, 59, 59)
    rules.save_written_term(10, True)
    assert appeals.compute_due("application", quality, RECEIVED, "letter") == datetime(2027, 1, 22, 20, 59, 59)


def test_a_rule_changed_elsewhere_shows_after_the_ttl(app, org, monkeypatch):
    """Another process's edit fires no event here: the cached rules serve until the TTL runs out."""
    other = _topic_id("other")
    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == COMPLAINT_DEFAULT
    with db.engine.begin() as connection:  # a Core write, like another worker's commit
        connection.execute(
            text(
                "INSERT INTO deadline_rule (kind, topic_id, days, working_days) VALUES ('complaint', NULL, 5, :working)"
            ),
            {"working": True},
        )
    db.session.commit()  # a new request: end the read transaction that still sees the old rules
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == COMPLAINT_DEFAULT
    clock[0] += app.config["DEADLINE_CACHE_SECONDS"] + 0.1
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == datetime(2027, 1, 15, 20, 59, 59)


@pytest.mark.parametrize("app_config", [{"DEADLINE_CACHE_SECONDS": 0}])
def test_ttl_zero_reads_the_rules_every_time(org):
    other = _topic_id("other")
    appeals.compute_due("complaint", other, RECEIVED, "kiosk")
    with statements() as seen:
        appeals.compute_due("complaint", other, RECEIVED, "kiosk")
    assert _rule_reads(seen)


# --- the kiosk entry ---------------------------------------------------------------------------------


def _kiosk_token() -> str:
    return register_kiosk(find_center("KUR").id, "Киоск у входа", 60)[1]


def _entry(**overrides) -> dict:
    body = {
        "client_submission_id": str(uuid.uuid4()),
        "entry_type": "complaint",
        "topic": "quality",
        "text": f"Мигает свет в зале {uuid.uuid4().hex}",
        "wants_answer": False,
        "publish_consent": False,
    }
    return {**body, **overrides}


def _post(client, token: str, **overrides):
    return client.post("/kiosk/reviews", json=_entry(**overrides), headers={"X-Kiosk-Token": token})


def test_a_second_kiosk_entry_reads_no_kiosk_centre_topic_or_rules(client, org):
    token = _kiosk_token()
    assert _post(client, token).status_code == 201
    with statements() as seen:
        assert _post(client, token).status_code == 201
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    writes = [s.split("(")[0].strip() for s in seen if not s.lstrip().upper().startswith("SELECT")]
    # One combined check (kiosk still registered, submission id, duplicate text), the counter step and
    # three inserts. No topic, centre or deadline-rule reads.
    assert len(reads) == 1, reads
    assert not any(
        "FROM topic" in s or "FROM organisation" in s or "deadline_rule" in s or "FROM setting" in s for s in reads
    )
    assert writes == [
        "UPDATE registration_counter SET last_value=",
        "INSERT INTO appeal",
        "INSERT INTO appeal_status_change",
        "INSERT INTO review_entry",
    ], writes


def test_kiosk_entry_rows_are_those_of_the_orm_path(client, org):
    token = _kiosk_token()
    response = _post(
        client,
        token,
        wants_answer=True,
        publish_consent=True,
        contact={"name": "Ким", "email": "k@example.test", "consent": True},
    )
    assert response.status_code == 201, response.get_json()
    entry = db.session.scalar(select(ReviewEntry))
    assert entry.registration_number == response.get_json()["registration_number"]
    assert (entry.moderation, entry.wants_answer, entry.publish_consent) == ("pending", True, True)
    appeal = db.session.get(Appeal, entry.appeal_id)
    assert (appeal.kind, appeal.form, appeal.channel, appeal.status) == (
        "complaint",
        "interactive",
        "kiosk",
        "registered",
    )
    assert (appeal.external_source, appeal.external_id) == ("review_book", entry.registration_number)
    assert appeal.topic_id == entry.topic_id and appeal.center_id == entry.center_id
    assert appeal.due_at == appeals.compute_due("complaint", entry.topic_id, appeal.received_at, "kiosk")
    assert (appeal.answer_summary, appeal.led_to_contract, appeal.created_by_id) == ("", False, None)
    assert appeal.contact_id == entry.contact_id
    contact = db.session.get(Contact, entry.contact_id)
    assert (contact.name, contact.email, contact.consent_version) == ("Ким", "k@example.test", CONSENT_VERSION)
    history = db.session.scalars(select(AppealStatusChange).where(AppealStatusChange.appeal_id == appeal.id)).all()
    assert [(h.from_status, h.to_status, h.user_id, h.note) for h in history] == [
        (None, "registered", None, "Зарегистрировано")
    ]
    assert db.session.scalar(select(RegistrationCounter.last_value)) == 1


def test_a_kiosk_revoked_in_this_process_is_refused_at_once(client, org):
    token = _kiosk_token()
    assert _post(client, token).status_code == 201
    revoke(db.session.scalar(select(Kiosk)))
    assert _post(client, token).status_code == 404


def test_a_kiosk_revoked_elsewhere_cannot_write_while_cached(client, org):
    """Another worker's revocation fires no event here; the write transaction checks the token again."""
    token = _kiosk_token()
    assert _post(client, token).status_code == 201
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE kiosk SET active = :off"), {"off": False})
    refused = _post(client, token)
    assert refused.status_code == 404 and refused.get_json() == {"error": "Киоск не зарегистрирован"}
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 1


def test_a_heartbeat_keeps_the_kiosk_cached(client, org):
    token = _kiosk_token()
    assert _post(client, token).status_code == 201
    assert client.post("/kiosk/heartbeat", json={"pending": 2}, headers={"X-Kiosk-Token": token}).status_code == 200
    with statements() as seen:
        assert _post(client, token).status_code == 201
    assert not any("FROM kiosk" in s and "FROM review_entry" not in s for s in seen)


def test_a_topic_or_centre_deactivated_in_this_process_is_refused_at_once(client, org):
    token = _kiosk_token()
    assert _post(client, token).status_code == 201
    topic = db.session.scalar(select(Topic).where(Topic.code == "quality"))
    topic.active = False
    db.session.commit()
    refused = _post(client, token)
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"topic"}
    center = find_center("KUR")
    center.active = False
    db.session.commit()
    refused = _post(client, token, topic="other")
    assert refused.status_code == 422 and refused.get_json() == {"errors": {"form": "ЦОК не найден"}}


def test_a_taken_appeal_number_is_refused_with_the_appeals_message(org):
    """The unique constraint, not a SELECT first, finds the clash; the message and the rollback stay."""
    year = datetime.now(ZoneInfo("Europe/Moscow")).year
    taken = f"KUR-{year}-000001"
    appeals.register_appeal(
        kind="application",
        form="interactive",
        channel="review_book",
        topic_code="other",
        center_id=find_center("KUR").id,
        received_at=datetime.now(UTC),
        external_source="review_book",
        external_id=taken,
    )
    with pytest.raises(appeals.AppealError, match=f"«{taken}» уже зарегистрировано"):
        submit_entry(
            EntryInput(
                center_code="KUR",
                entry_type="question",
                topic_code="other",
                text="Когда заменят счетчик?",
                client_submission_id=str(uuid.uuid4()),
            )
        )
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 0
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 1
    assert db.session.scalar(select(RegistrationCounter.last_value)) is None
