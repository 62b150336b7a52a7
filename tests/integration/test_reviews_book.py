"""Review book through HTTP and services: submission, status, moderation, consent withdrawal, abuse."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from app.appeals.models import Appeal
from app.appeals.services import answer
from app.extensions import db
from app.models import AuditEvent, Contact
from app.reviews.consent import CONSENT_VERSION
from app.reviews.models import ReviewEntry
from app.reviews.services import ContactInput, EntryInput, moderate, submit_entry


def post_entry(client, center="KUR", **fields):
    data = {
        "step": "entry",
        "entry_type": "complaint",
        "topic": "metering",
        "wants_answer": "no",
        "text": "Долго ждал в очереди " + uuid.uuid4().hex[:6],
        "client_submission_id": str(uuid.uuid4()),
    }
    data.update(fields)
    return client.post(f"/reviews/{center}/new", data=data)


def receipt_of(response) -> tuple[str, str]:
    html = response.get_data(as_text=True)
    number = re.search(r'id="registration-number">([^<]+)<', html).group(1)
    code = re.search(r'id="check-code">([^<]+)<', html).group(1)
    return number, code


def test_entry_without_answer_gets_number_code_and_appeal(client, org):
    response = post_entry(client, publish_consent="y")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    number, code = receipt_of(response)
    assert re.fullmatch(r"KUR-\d{4}-000001", number)
    assert re.fullmatch(r"[2-9A-Z]{6}", code)
    entry = db.session.scalar(select(ReviewEntry))
    assert entry.check_code_hash != code and code not in entry.check_code_hash
    assert entry.contact_id is None and entry.publish_consent and entry.moderation == "pending"
    appeal = db.session.get(Appeal, entry.appeal_id)
    assert (appeal.kind, appeal.form, appeal.channel) == ("complaint", "interactive", "review_book")
    assert appeal.topic.code == "metering" and appeal.text == entry.text


@pytest.mark.parametrize(
    "entry_type, kind", [("suggestion", "application"), ("gratitude", "application"), ("question", "application")]
)
def test_other_types_become_applications(client, org, entry_type, kind):
    assert post_entry(client, entry_type=entry_type).status_code == 200
    assert db.session.scalar(select(Appeal.kind)) == kind


def test_answer_wanted_asks_consent_on_its_own_step_then_stores_contact_apart(client, org):
    first = post_entry(client, wants_answer="yes", text="Прошу перезвонить по счетчику")
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "Согласие на обработку персональных данных" in html and CONSENT_VERSION in html
    assert "152-ФЗ" in html and "отозвать" in html.lower()
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 0
    csid = re.search(r'name="client_submission_id" value="([^"]+)"', html).group(1)
    base = {
        "step": "consent",
        "entry_type": "complaint",
        "topic": "metering",
        "wants_answer": "yes",
        "text": "Прошу перезвонить по счетчику",
        "client_submission_id": csid,
        "action": "send",
        "name": "Иван",
        "email": "ivan@example.test",
        "phone": "",
    }
    refused = client.post("/reviews/KUR/new", data=base)
    assert refused.status_code == 422 and "подтвердите согласие" in refused.get_data(as_text=True)
    done = client.post("/reviews/KUR/new", data={**base, "consent": "y"})
    assert done.status_code == 200, done.get_data(as_text=True)[:2000]
    entry = db.session.scalar(select(ReviewEntry))
    contact = db.session.get(Contact, entry.contact_id)
    assert (contact.email, contact.purpose, contact.consent_version) == (
        "ivan@example.test",
        "review_answer",
        CONSENT_VERSION,
    )
    assert "ivan@example.test" not in entry.text
    assert db.session.get(Appeal, entry.appeal_id).contact_id == contact.id


def test_no_answer_button_on_consent_step_saves_without_contact(client, org):
    response = post_entry(client, step="consent", wants_answer="yes", action="no_answer", email="x@example.test")
    assert response.status_code == 200
    entry = db.session.scalar(select(ReviewEntry))
    assert entry.contact_id is None and not entry.wants_answer
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_validation_messages_are_russian(client, org):
    response = post_entry(client, entry_type="", topic="", text="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Выберите вид записи" in html and "Выберите тему" in html and "Напишите текст записи" in html
    too_long = post_entry(client, text="я" * 4001)
    assert too_long.status_code == 422 and "не длиннее 4000" in too_long.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 0


def test_honeypot_refuses(client, org):
    response = post_entry(client, website="http://spam.example")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 0


def test_same_text_twice_in_a_row_is_refused_but_a_retry_is_idempotent(client, org):
    csid = str(uuid.uuid4())
    first = post_entry(client, text="Нет света третий день", client_submission_id=csid)
    retry = post_entry(client, text="Нет света третий день", client_submission_id=csid)
    assert receipt_of(first) == receipt_of(retry)
    again = post_entry(client, text="  нет   света третий день ")
    assert again.status_code == 409
    assert "уже принята" in again.get_data(as_text=True)
    conflict = post_entry(client, text="Другой текст совсем", client_submission_id=csid)
    assert conflict.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 1
    # Another centre may receive the same text.
    assert post_entry(client, center="LGV" if _has("LGV") else "BEL", text="Нет света третий день").status_code == 200


def _has(code: str) -> bool:
    from app.reviews.services import find_center

    return find_center(code) is not None


def test_status_right_pair_shows_answer_wrong_pair_shows_nothing(client, org, make_user):
    number, code = receipt_of(post_entry(client, text="Где мой договор?"))
    entry = db.session.scalar(select(ReviewEntry))
    page = client.post("/reviews/status", data={"number": number, "code": code}).get_data(as_text=True)
    assert "Зарегистрировано" in page and "Ответ еще готовится" in page
    answer(db.session.get(Appeal, entry.appeal_id), "Договор направлен вам 5 числа.", make_user("operator"))
    page = client.post("/reviews/status", data={"number": number, "code": code.lower()}).get_data(as_text=True)
    assert "Договор направлен вам 5 числа." in page and "Официальный ответ" in page
    wrong_code = "Z" * 6 if code != "Z" * 6 else "Y" * 6
    for bad_number, bad_code in [
        (number, wrong_code),
        (number[:-1] + "9", code),
        ("KUR-2026-999999", code),
        ("nonsense", ""),
    ]:
        page = client.post("/reviews/status", data={"number": bad_number, "code": bad_code}).get_data(as_text=True)
        assert "Договор направлен" not in page and "Где мой договор" not in page
        assert "не найдена" in page


def test_consent_withdrawal_erases_the_contact(client, org):
    response = post_entry(
        client,
        step="consent",
        wants_answer="yes",
        action="send",
        consent="y",
        name="Мария",
        email="maria@example.test",
        phone="+7 900 000-00-00",
    )
    number, code = receipt_of(response)
    entry = db.session.scalar(select(ReviewEntry))
    contact_id = entry.contact_id
    assert contact_id is not None
    page = client.post("/reviews/status", data={"number": number, "code": code}).get_data(as_text=True)
    assert "Отозвать согласие" in page and "maria@example.test" not in page
    wrong = client.post("/reviews/status/withdraw", data={"number": number, "code": "AAAAAA"})
    assert "не найдена" in wrong.get_data(as_text=True)
    assert db.session.get(Contact, contact_id) is not None
    done = client.post("/reviews/status/withdraw", data={"number": number, "code": code})
    assert "Ваши контактные данные удалены" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, contact_id) is None
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
    entry = db.session.scalar(select(ReviewEntry))
    assert entry.contact_id is None and db.session.get(Appeal, entry.appeal_id).contact_id is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.consent_withdrawn")) is not None


def _entry(text: str, publish: bool = True, center: str = "KUR", **extra) -> ReviewEntry:
    return submit_entry(
        EntryInput(
            center_code=center, entry_type="gratitude", topic_code="other", text=text, publish_consent=publish, **extra
        )
    ).entry


def test_moderation_publishes_only_consented_and_audits(client, org, make_user, login):
    operator = make_user("operator", scope="KUR")
    allowed, refused = _entry("Спасибо за быструю помощь"), _entry("Не публикуйте, пожалуйста", publish=False)
    other_centre = _entry("Чужой ЦОК", center="BEL")
    login(operator)
    page = client.get("/reviews/moderation").get_data(as_text=True)
    assert "Спасибо за быструю помощь" in page and "Чужой ЦОК" not in page
    assert client.post(f"/reviews/moderation/{other_centre.id}", data={"action": "publish"}).status_code == 404
    client.post(f"/reviews/moderation/{refused.id}", data={"action": "publish"})
    client.post(f"/reviews/moderation/{allowed.id}", data={"action": "publish"})
    db.session.expire_all()
    assert db.session.get(ReviewEntry, refused.id).moderation == "pending"
    assert db.session.get(ReviewEntry, allowed.id).moderation == "published"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "review.publish")).all()
    assert len(events) == 1 and events[0].user_id == operator.id
    book = client.get("/book/KUR").get_data(as_text=True)
    assert "Спасибо за быструю помощь" in book and "Не публикуйте" not in book
    client.post(f"/reviews/moderation/{allowed.id}", data={"action": "hide"})
    assert "Спасибо за быструю помощь" not in client.get("/book/KUR").get_data(as_text=True)


def test_public_book_counts_escapes_and_never_shows_contacts(client, org, make_user):
    operator = make_user("operator", scope="KUR")
    payload = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'
    entry = submit_entry(
        EntryInput(
            center_code="KUR",
            entry_type="complaint",
            topic_code="quality",
            text=payload,
            publish_consent=True,
            wants_answer=True,
            contact=ContactInput(name="Петр Секретов", email="petr@secret.test", phone="+79001112233", consent=True),
        )
    ).entry
    moderate(entry, "publish", operator)
    answer(db.session.get(Appeal, entry.appeal_id), "Напряжение восстановлено <b>", operator)
    html = client.get("/book/KUR").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "Напряжение восстановлено &lt;b&gt;" in html
    for secret in ("Петр Секретов", "petr@secret.test", "79001112233"):
        assert secret not in html
    assert re.search(r'<span class="count">1</span>\s*жалоба', html)


def test_book_is_paginated_newest_first(client, org, make_user):
    operator = make_user("operator", scope="KUR")
    for index in range(23):
        moderate(_entry(f"Благодарность номер {index:02d}"), "publish", operator)
    first = client.get("/book/KUR").get_data(as_text=True)
    assert "номер 22" in first and "номер 03" in first and "номер 02" not in first
    second = client.get("/book/KUR?page=2").get_data(as_text=True)
    assert "номер 02" in second and "номер 00" in second and "номер 22" not in second


def test_qr_code_is_svg(client, org):
    response = client.get("/reviews/KUR/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data
    assert client.get("/reviews/NOPE/qr.svg").status_code == 404
    assert client.get("/reviews/NOPE/new").status_code == 404
