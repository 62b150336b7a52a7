"""`flask privacy purge|export|erase`: retention of contact data and a customer's requests, all audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.appeals.models import Appeal
from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent, Contact, utcnow
from app.reviews.models import ReviewEntry
from app.surveys.models import Response
from tests.integration.test_security_support import appeal, published_survey, review, submit

EMAIL = "ivanov@example.test"
PHONE = "+7 (916) 123-45-67"


def contact(email: str = "", phone: str = "", purpose: str = "appeal") -> int:
    with write_transaction():
        row = Contact(name="Иванов", email=email, phone=phone, purpose=purpose, consent_version="v1")
        db.session.add(row)
        db.session.flush()
        return row.id


def set_values(model, row_id: int, **values) -> None:
    with write_transaction():
        db.session.execute(update(model).where(model.id == row_id).values(**values))
    db.session.expire_all()


def days_ago(days: int):
    return utcnow() - timedelta(days=days)


def audit_of(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def records(org):
    """Contacts in every situation the retention rule distinguishes."""
    made = {}
    old_closed = appeal("KUR", "Старое закрытое обращение", contact(EMAIL))
    set_values(Appeal, old_closed.id, status="closed", closed_at=days_ago(400), received_at=days_ago(420))
    made["old_closed"] = old_closed.id
    old_open = appeal("KUR", "Старое открытое обращение", contact("open@example.test"))
    set_values(Appeal, old_open.id, received_at=days_ago(420))
    made["old_open"] = old_open.id
    recent_closed = appeal("KUR", "Недавно закрытое", contact("recent@example.test"))
    set_values(Appeal, recent_closed.id, status="closed", closed_at=days_ago(10), received_at=days_ago(420))
    made["recent_closed"] = recent_closed.id

    old_entry = review("KUR", "Старая запись в книге", email=EMAIL, phone=PHONE)
    set_values(ReviewEntry, old_entry.id, created_at=days_ago(400))
    set_values(Appeal, old_entry.appeal_id, status="closed", closed_at=days_ago(390))
    made["old_entry"] = old_entry.id
    new_entry = review("LGV", "Свежая запись в книге", email="fresh@example.test")
    made["new_entry"] = new_entry.id

    survey = published_survey("privacy", "Анкета", centers=("KUR",))
    old_response = submit(survey.slug, "KUR", "Старый ответ", overall=5)
    set_values(
        Response, old_response, submitted_at=days_ago(400), contact_id=contact(phone=PHONE, purpose="survey_callback")
    )
    made["old_response"] = old_response
    return made


def test_purge_removes_only_contacts_past_retention_and_keeps_the_texts(runner, records):
    before = db.session.scalar(select(func.count()).select_from(Contact))
    dry = runner.invoke(args=["privacy", "purge", "--older-than", "365", "--dry-run"])
    assert dry.exit_code == 0 and "3" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Contact)) == before

    result = runner.invoke(args=["privacy", "purge", "--older-than", "365"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Contact)) == before - 3
    old_closed = db.session.get(Appeal, records["old_closed"])
    assert old_closed.contact_id is None and old_closed.text == "Старое закрытое обращение"
    old_entry = db.session.get(ReviewEntry, records["old_entry"])
    assert old_entry.contact_id is None and old_entry.text == "Старая запись в книге"
    assert db.session.get(Appeal, old_entry.appeal_id).contact_id is None
    assert db.session.get(Response, records["old_response"]).contact_id is None
    for kept in ("old_open", "recent_closed"):
        assert db.session.get(Appeal, records[kept]).contact_id is not None, kept
    assert db.session.get(ReviewEntry, records["new_entry"]).contact_id is not None

    [event] = audit_of("privacy.purge")
    assert event.details["contacts"] == 3 and event.details["days"] == 365
    assert "@" not in event.summary + json.dumps(event.details)
    again = runner.invoke(args=["privacy", "purge", "--older-than", "365"])
    assert again.exit_code == 0 and "Удалено контактов: 0" in again.output


def test_export_one_customer_by_email_or_phone(runner, records, tmp_path):
    out = tmp_path / "export.json"
    result = runner.invoke(args=["privacy", "export", "--email", EMAIL.upper(), "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {c["email"] for c in data["contacts"]} == {EMAIL}
    assert all(c["consent_version"] and c["consented_at"] for c in data["contacts"])
    texts = {a["text"] for a in data["appeals"]} | {e["text"] for e in data["review_entries"]}
    assert {"Старое закрытое обращение", "Старая запись в книге"} <= texts
    assert "Свежая запись в книге" not in texts

    by_phone = runner.invoke(args=["privacy", "export", "--phone", "8 916 1234567"])
    assert by_phone.exit_code == 0
    phone_data = json.loads(by_phone.output)
    assert len(phone_data["contacts"]) == 2 and len(phone_data["survey_responses"]) == 1

    events = audit_of("privacy.export")
    assert len(events) == 2
    assert all(EMAIL not in e.summary + json.dumps(e.details) and "916" not in e.summary for e in events)


def test_erase_deletes_contacts_keeps_texts_and_is_audited(runner, records):
    result = runner.invoke(args=["privacy", "erase", "--email", EMAIL, "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Contact).where(Contact.email == EMAIL)) == 0
    entry = db.session.get(ReviewEntry, records["old_entry"])
    assert entry.contact_id is None and entry.text == "Старая запись в книге"
    assert db.session.get(Appeal, records["old_closed"]).text == "Старое закрытое обращение"
    assert db.session.get(ReviewEntry, records["new_entry"]).contact_id is not None
    [event] = audit_of("privacy.erase")
    assert event.details["contacts"] == 2 and EMAIL not in event.summary + json.dumps(event.details)
    again = runner.invoke(args=["privacy", "erase", "--email", EMAIL, "--yes"])
    assert again.exit_code == 0 and "Удалено контактов: 0" in again.output


def test_erase_masks_the_persons_texts_and_stored_lemmas(runner, org):
    from app.analysis.models import ProcessedText
    from app.analysis.texts import process_texts

    own = appeal("KUR", "Пишет иванов: звоните +7 (916) 123-45-67, счетчик сломан", contact(EMAIL))
    process_texts()
    result = runner.invoke(args=["privacy", "erase", "--email", EMAIL, "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    masked = "Пишет [имя скрыто]: звоните [телефон скрыт], счетчик сломан"
    assert db.session.get(Appeal, own.id).text == masked
    stored = db.session.scalar(select(ProcessedText).where(ProcessedText.source_kind == "appeal"))
    assert stored.masked_text == masked and "иванов" not in stored.lemmas and "счетчик" in stored.lemmas


def test_erase_asks_for_confirmation_and_needs_exactly_one_key(runner, records):
    refused = runner.invoke(args=["privacy", "erase", "--email", EMAIL], input="n\n")
    assert refused.exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(Contact).where(Contact.email == EMAIL)) == 2
    for args in ([], ["--email", EMAIL, "--phone", PHONE], ["--email", "not-an-address"], ["--phone", "12"]):
        result = runner.invoke(args=["privacy", "export", *args])
        assert result.exit_code != 0 and "Error" in result.output, args
