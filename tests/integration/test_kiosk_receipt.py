"""The kiosk's receipt for a review-book entry: the answer's due date (the appeal's deadline, in the
centre's time zone) and a plain promise of how the answer comes; the screen carries a QR code of the
status page that encodes the status address."""

from __future__ import annotations

import uuid

import segno
from sqlalchemy import select

from app.appeals.deadlines import local_date
from app.appeals.models import Appeal
from app.extensions import db
from app.kiosk.services import register_kiosk
from app.org.services import find_center


def _entry(**extra) -> dict:
    return {
        "client_submission_id": str(uuid.uuid4()),
        "entry_type": "complaint",
        "topic": "metering",
        "text": "Долго ждал в очереди",
        **extra,
    }


def test_receipt_promises_the_appeals_due_date(client, org):
    _kiosk, token = register_kiosk(find_center("KUR").id, "Киоск", 60)
    reply = client.post("/kiosk/reviews", json=_entry(), headers={"X-Kiosk-Token": token})
    assert reply.status_code == 201
    body = reply.get_json()
    appeal = db.session.scalar(select(Appeal))
    due = local_date(appeal.due_at, find_center("KUR").timezone)
    assert body["answer_due"] == due.isoformat()
    assert body["answer_promise"] == f"Ответ можно будет узнать на сайте по номеру и коду не позднее {due:%d.%m.%Y}."


def test_receipt_with_contacts_says_the_answer_comes_to_them(client, org):
    _kiosk, token = register_kiosk(find_center("KUR").id, "Киоск", 60)
    contact = {"name": "Анна", "email": "anna@example.test", "consent": True}
    reply = client.post(
        "/kiosk/reviews", json=_entry(wants_answer=True, contact=contact), headers={"X-Kiosk-Token": token}
    )
    assert reply.status_code == 201, reply.get_json()
    assert reply.get_json()["answer_promise"].startswith("Ответ придет по контактам, которые вы оставили, не позднее")
    assert "anna@" not in reply.get_data(as_text=True)  # the receipt never echoes personal data


def test_screen_carries_the_status_qr_code(client, org):
    _kiosk, token = register_kiosk(find_center("KUR").id, "Киоск", 60)
    html = client.get("/kiosk/screen/review", headers={"X-Kiosk-Token": token}).get_data(as_text=True)
    base = client.application.config.get("PUBLIC_BASE_URL") or "http://localhost/"
    url = base.rstrip("/") + "/reviews/status"
    assert url in html
    expected = segno.make_qr(url, error="m").svg_inline(
        scale=6, border=2, omitsize=True, title="QR-код страницы статуса"
    )
    assert expected in html
