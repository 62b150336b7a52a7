"""A meter-check request on a phone in real Chromium: the form with a PNG attachment, then the receipt."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from tests.e2e.conftest import screenshot

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def test_phone_meter_check_request_with_png_gets_a_registration_number(live_server, page):
    page.goto(f"{live_server.url}/requests")
    page.get_by_role("link", name="Проверка прибора учета").click()
    page.get_by_role("heading", name="Проверка прибора учета").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.get_by_label("Центр обслуживания").select_option("KUR")
    page.get_by_label("Заводской номер прибора учета").fill("012345678")
    page.get_by_label("Тип (модель) прибора учета").fill("Меркурий 201.8")
    page.get_by_label("Дата установки").fill("2019-05-01")
    page.get_by_label("Причина проверки").select_option("doubt")
    page.get_by_label("Адрес объекта").fill("г. Курск, ул. Садовая, 7")
    page.get_by_label("Фамилия, имя, отчество заявителя").fill("Петрова Анна Сергеевна")
    page.get_by_label("Телефон").fill("+7 915 123-45-67")
    page.locator("#attachments").set_input_files([{"name": "счетчик.png", "mimeType": "image/png", "buffer": PNG}])
    page.get_by_role("button", name="Отправить заявку").click()
    # Without the consent nothing is sent and the message stands beside the box.
    assert "Без согласия" in page.locator("#err-consent").inner_text()
    assert page.get_by_label("Адрес объекта").input_value() == "г. Курск, ул. Садовая, 7"
    page.locator("#consent").check()
    page.locator("#attachments").set_input_files([{"name": "счетчик.png", "mimeType": "image/png", "buffer": PNG}])
    screenshot(page, "requests-phone-form-390x844")
    page.get_by_role("button", name="Отправить заявку").click()
    number = page.locator("#registration-number").inner_text()
    code = page.locator("#check-code").inner_text()
    assert re.fullmatch(r"KUR-\d{4}-\d{6}", number) and len(code) == 6
    screenshot(page, "requests-phone-done-390x844")

    with live_server.app.app_context():
        from app.requests.models import ServiceRequest

        stored = db.session.scalars(select(ServiceRequest)).one()
        assert stored.registration_number == number and stored.appeal_id is not None
        assert [(a.filename, a.content_type, a.data) for a in stored.attachments] == [("счетчик.png", "image/png", PNG)]
        db.session.remove()

    page.get_by_role("link", name="Проверить статус заявки").click()
    page.get_by_label("Код проверки").fill(code)
    page.get_by_role("button", name="Проверить").click()
    status = page.locator("#request-status").inner_text()
    assert "Проверка прибора учета" in status and "Зарегистрировано" in status
