"""Service requests («Подать заявку»): forms, attachments, the appeal, status, staff download, privacy."""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.appeals.models import Appeal
from app.appeals.report import monitoring_report
from app.appeals.services import answer
from app.extensions import db
from app.models import AuditEvent, Contact
from app.requests.models import RequestAttachment, ServiceRequest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
NUMBER_RE = re.compile(r'id="registration-number">([^<]+)<')
CODE_RE = re.compile(r'id="check-code">([^<]+)<')

COMMON = {
    "center": "KUR",
    "name": "Иванов Иван Иванович",
    "phone": "+7 (4712) 55-01-02",
    "email": "ivanov@example.test",
    "object_address": "г. Курск, ул. Садовая, 7",
    "consent": "y",
}
TYPES = {
    "connection": {"power_kw": "15", "voltage": "0.4", "object_type": "house"},
    "meter_acceptance": {
        "meter_number": "012345678",
        "meter_model": "Меркурий 201.8",
        "installation_date": "2026-11-20",
    },
    "meter_check": {
        "meter_number": "98765-43",
        "meter_model": "Нева 101",
        "installation_date": "2019-05-01",
        "check_reason": "doubt",
    },
}
TOPICS = {"connection": "connection", "meter_acceptance": "meter_acceptance", "meter_check": "meter_check"}


def count(model) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def nothing_saved() -> bool:
    return count(ServiceRequest) == count(Appeal) == count(Contact) == count(RequestAttachment) == 0


def post(client, request_type: str, files=(), **overrides):
    data = {**COMMON, **TYPES[request_type], "client_submission_id": str(uuid.uuid4()), **overrides}
    data = {key: value for key, value in data.items() if value is not None}
    fields = MultiDict(data)
    for name, content in files:
        fields.add("attachments", FileStorage(io.BytesIO(content), filename=name))
    # Encoded here as bytes: the test client would spool a large body to a temporary file it never closes.
    boundary, body = encode_multipart(fields)
    return client.post(f"/requests/{request_type}", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def receipt(response) -> tuple[str, str]:
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    number, code = NUMBER_RE.search(page), CODE_RE.search(page)
    assert number and code, page[:2000]
    return number.group(1), code.group(1)


def test_requests_page_lists_the_three_types_and_their_forms(org, client):
    page = client.get("/requests").get_data(as_text=True)
    for name in ("Технологическое присоединение", "Приемка прибора учета в эксплуатацию", "Проверка прибора учета"):
        assert name in page
    for request_type in TYPES:
        assert f"/requests/{request_type}" in page
        form = client.get(f"/requests/{request_type}?center=kur")
        assert form.status_code == 200
        assert '<option value="KUR" selected>' in form.get_data(as_text=True)
        assert 'enctype="multipart/form-data"' in form.get_data(as_text=True)
    assert client.get("/requests/unknown").status_code == 404
    assert "/requests" in client.get("/centers").get_data(as_text=True)  # the public menu


@pytest.mark.parametrize("request_type", list(TYPES))
def test_valid_request_becomes_an_application_appeal_with_its_topic(org, client, request_type):
    number, code = receipt(post(client, request_type))
    assert re.fullmatch(r"KUR-\d{4}-\d{6}", number) and len(code) == 6
    stored = db.session.scalars(select(ServiceRequest)).one()
    appeal = db.session.get(Appeal, stored.appeal_id)
    assert appeal is not None
    assert (appeal.kind, appeal.form, appeal.channel, appeal.status) == (
        "application",
        "interactive",
        "web",
        "registered",
    )
    assert appeal.topic.code == TOPICS[request_type]
    assert appeal.center.code == "KUR" and appeal.due_at > appeal.received_at
    assert (appeal.external_source, appeal.external_id) == ("service_request", number)
    contact = db.session.get(Contact, stored.contact_id)
    assert contact is not None and contact.phone == COMMON["phone"] and appeal.contact_id == contact.id
    assert contact.consent_version and contact.purpose == "service_request"
    # The appeal's text says what is asked for, never who asks or where they live.
    for personal in ("Иванов", "55-01-02", "ivanov@", "Садовая"):
        assert personal not in appeal.text
    assert stored.object_address == COMMON["object_address"]


def test_connection_values_are_stored_cleaned(org, client):
    receipt(post(client, "connection", power_kw="7,50", voltage="6-10", object_type="garage"))
    stored = db.session.scalars(select(ServiceRequest)).one()
    assert stored.details == {"power_kw": "7.5", "voltage": "6-10", "object_type": "garage"}
    assert "Запрашиваемая мощность, кВт: 7,5." in db.session.get(Appeal, stored.appeal_id).text


@pytest.mark.parametrize(
    ("request_type", "overrides", "field", "message"),
    [
        ("connection", {"power_kw": "0"}, "power_kw", "больше нуля"),
        ("connection", {"power_kw": "-5"}, "power_kw", "больше нуля"),
        ("connection", {"power_kw": "много"}, "power_kw", "Мощность — число"),
        ("connection", {"power_kw": ""}, "power_kw", "Укажите запрашиваемую мощность"),
        ("connection", {"voltage": "220"}, "voltage", "уровень напряжения"),
        ("connection", {"object_type": None}, "object_type", "тип объекта"),
        ("meter_acceptance", {"meter_number": ""}, "meter_number", "Укажите заводской номер"),
        ("meter_acceptance", {"meter_model": ""}, "meter_model", "Укажите тип (модель)"),
        ("meter_acceptance", {"installation_date": "31.02.2026"}, "installation_date", "ДД.ММ.ГГГГ"),
        (
            "meter_check",
            {"installation_date": (date.today() + timedelta(days=3)).isoformat()},
            "installation_date",
            "в будущем",
        ),
        ("meter_check", {"check_reason": ""}, "check_reason", "причина проверки"),
        ("meter_check", {"meter_number": "№!"}, "meter_number", "от 3 до 32"),
        ("meter_check", {"name": ""}, "name", "Укажите фамилию"),
        ("meter_check", {"phone": "позвоните мне"}, "phone", "Проверьте номер телефона"),
        ("meter_check", {"email": "не-почта"}, "email", "электронной почты"),
        ("meter_check", {"object_address": ""}, "object_address", "адрес объекта"),
        ("meter_check", {"center": "MRSK"}, "center", "Выберите центр"),
        ("connection", {"consent": None}, "consent", "Без согласия"),
    ],
)
def test_invalid_field_gets_a_russian_message_beside_it_and_nothing_is_saved(
    org, client, request_type, overrides, field, message
):
    response = post(client, request_type, files=[("scan.png", PNG)], **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="error" id="err-{field}">([^<]+)</p>', page)
    assert error is not None, page[:3000]
    assert message in error.group(1)
    assert nothing_saved()
    # What the customer typed is kept in the form.
    assert "г. Курск, ул. Садовая, 7" in page or field == "object_address"


def test_attachments_are_typed_by_content_and_stored_with_hash(org, client):
    renamed = ("скан паспорта.pdf", PNG)  # a PNG renamed .pdf
    files = [renamed, ("../../etc/заявление.PDF", PDF), ("фото.jpeg", JPEG)]
    receipt(post(client, "meter_check", files=files))
    stored = db.session.scalars(select(ServiceRequest)).one()
    saved = [(a.filename, a.content_type, a.size, a.sha256) for a in stored.attachments]
    assert saved == [
        ("скан паспорта.png", "image/png", len(PNG), hashlib.sha256(PNG).hexdigest()),
        ("заявление.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest()),
        ("фото.jpg", "image/jpeg", len(JPEG), hashlib.sha256(JPEG).hexdigest()),
    ]
    assert stored.attachments[0].data == PNG


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("readme.pdf", b"just text, not a PDF")], "не подходит"),
        ([("page.html", b"<html><script>alert(1)</script></html>")], "не подходит"),
        ([("empty.png", b"")], "пустой"),
        ([(f"scan{n}.png", PNG) for n in range(6)], "не больше 5 файлов"),
    ],
)
def test_refused_attachments_save_nothing(org, client, files, message):
    response = post(client, "meter_acceptance", files=[("ok.png", PNG), *files][: max(len(files), 1) + 1])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in re.search(r'id="err-attachments">([^<]+)<', page).group(1)
    assert nothing_saved()


def test_an_oversized_file_is_refused_and_a_large_one_within_the_limit_accepted(org, client):
    """The default limit is 5 MB a file, above the app's 2 MB body limit: the form raises that limit itself."""
    limit = 5 * 1024 * 1024
    response = post(client, "connection", files=[("big.pdf", b"%PDF-" + bytes(limit))])
    assert response.status_code == 422
    assert "больше 5 МБ" in response.get_data(as_text=True)
    assert nothing_saved()
    receipt(post(client, "connection", files=[("three-megabytes.pdf", b"%PDF-" + bytes(3 * 1024 * 1024))]))
    assert db.session.scalars(select(RequestAttachment)).one().size == 3 * 1024 * 1024 + 5


def test_a_large_file_passes_with_csrf_on(org, app):
    """The app-wide CSRF check must not read the body under the app's 2 MB limit before the form raises it."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        browser = app.test_client()
        page = browser.get("/requests/connection").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        assert token, page[:2000]
        response = post(
            browser, "connection", files=[("three.pdf", b"%PDF-" + bytes(3 * 1024 * 1024))], csrf_token=token.group(1)
        )
        refused = post(browser, "connection", csrf_token="forged")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    receipt(response)
    assert refused.status_code == 400
    assert count(ServiceRequest) == 1


def test_a_retry_with_the_same_submission_id_gets_the_first_receipt(org, client):
    submission = str(uuid.uuid4())
    first = receipt(post(client, "meter_check", client_submission_id=submission))
    again = receipt(post(client, "meter_check", client_submission_id=submission))
    assert first == again and count(ServiceRequest) == count(Appeal) == 1
    conflict = post(client, "connection", client_submission_id=submission)
    assert conflict.status_code == 409 and count(ServiceRequest) == 1


def test_honeypot_refuses_without_saving(org, client):
    response = post(client, "connection", website="http://spam.example")
    assert response.status_code == 400 and nothing_saved()


def test_monitoring_report_counts_requests_by_kind_form_and_topic(org, client):
    for request_type in ("meter_check", "meter_check", "connection", "meter_acceptance"):
        receipt(post(client, request_type))
    today = date.today()
    report = monitoring_report(today - timedelta(days=1), today + timedelta(days=1))
    topics = {(row.kind, row.topic): row.count for row in report.by_kind_topic}
    assert topics[("application", "meter_check")] == 2
    assert topics[("application", "meter_acceptance")] == 1
    assert topics[("application", "connection")] == 1
    forms = {(row.kind, row.form): row.count for row in report.by_kind_form}
    assert forms[("application", "interactive")] == 4 and report.total == 4


def status_page(client, number: str, code: str) -> str:
    response = client.post("/reviews/status", data={"number": number, "code": code})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_status_page_shows_progress_without_personal_data(org, client, make_user):
    number, code = receipt(post(client, "meter_check"))
    page = status_page(client, number, code)
    assert 'id="request-status"' in page and "Проверка прибора учета" in page and "Зарегистрировано" in page
    for personal in ("Иванов", "55-01-02", "ivanov@", "Садовая"):
        assert personal not in page
    wrong = status_page(client, number, "AAAAAA" if code != "AAAAAA" else "BBBBBB")
    assert 'id="status-neutral"' in wrong and 'id="request-status"' not in wrong
    appeal = db.session.scalars(select(Appeal)).one()
    answer(appeal, "Проверка назначена на 10 декабря, мастер позвонит накануне.", make_user("operator"))
    answered = status_page(client, number, code)
    assert "Дан ответ" in answered and "Проверка назначена на 10 декабря" in answered


def test_staff_download_is_scoped_and_served_as_an_attachment(org, client, make_user, login):
    receipt(post(client, "meter_check", files=[("скан.pdf", PNG)]))
    stored = db.session.scalars(select(ServiceRequest)).one()
    attachment_id = stored.attachments[0].id
    url = f"/requests/attachments/{attachment_id}"
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page, never the file
    other = make_user("operator", scope="BEL")
    login(other)
    assert client.get(url).status_code == 404
    assert client.get(f"/appeals/{stored.appeal_id}").status_code == 404
    client.post("/logout")
    login(make_user("operator", scope="KUR"))
    detail = client.get(f"/appeals/{stored.appeal_id}").get_data(as_text=True)
    assert 'id="service-request"' in detail and url in detail and "скан.png" in detail
    assert "г. Курск, ул. Садовая, 7" in detail and "Нева 101" in detail
    response = client.get(url)
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/requests/attachments/{attachment_id + 1000}").status_code == 404
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "service_request.attachment")
        )
        == 1
    )


def test_privacy_export_and_erase_find_request_contacts(org, client, runner, tmp_path):
    receipt(post(client, "connection", files=[("a.png", PNG)], comment="Звоните Петрову Ивану на +7 912 345-67-89"))
    out = tmp_path / "export.json"
    result = runner.invoke(args=["privacy", "export", "--phone", "+7 4712 550102", "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text())
    [item] = exported["service_requests"]
    assert item["type"] == "connection" and item["object_address"] == COMMON["object_address"]
    assert item["attachments"][0]["sha256"] == hashlib.sha256(PNG).hexdigest()
    result = runner.invoke(args=["privacy", "erase", "--email", COMMON["email"], "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    stored = db.session.scalars(select(ServiceRequest)).one()
    assert stored.contact_id is None and stored.object_address == "" and stored.attachments == []
    assert "comment" not in stored.details  # the applicant's comment named a person and a phone
    assert count(Contact) == 0 and count(RequestAttachment) == 0
    assert db.session.get(Appeal, stored.appeal_id).contact_id is None
