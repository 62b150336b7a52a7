"""Review book on a phone in real Chromium: consent step, receipt, escaped public book, no contact leak."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from tests.e2e.conftest import screenshot, settled_box

PAYLOAD = '<script>alert(1)</script> "><img src=x onerror=alert(1)> Свет отключают каждый вечер'
CONTACT = {"name": "Евграф Тайнов", "email": "evgraf.tainov@example.test", "phone": "+7 915 123-45-67"}


def assert_touch_size(locator, minimum: float = 48) -> None:
    box = settled_box(locator.page, locator)
    assert box is not None and box["width"] >= minimum and box["height"] >= minimum, box


def test_phone_entry_with_consent_then_escaped_in_public_book(live_server, page):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/reviews/KUR/new")
    assert "Книга отзывов и предложений" in page.title()
    screenshot(page, "reviews-phone-form-390x844")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    for locator in (
        page.locator('label.choice:has(input[value="complaint"])'),
        page.locator('label.choice:has(input[value="quality"])'),
        page.locator('label.choice:has(input[name="wants_answer"][value="yes"])'),
        page.get_by_role("button", name="Продолжить"),
    ):
        assert_touch_size(locator)
    page.locator('label.choice:has(input[value="complaint"])').click()
    page.locator('label.choice:has(input[value="quality"])').click()
    page.get_by_label("Текст записи").fill(PAYLOAD)
    page.locator('label.choice:has(input[name="wants_answer"][value="yes"])').click()
    page.locator('input[name="publish_consent"]').check()
    page.get_by_role("button", name="Продолжить").click()
    # The consent is its own step with the full text; contacts are asked only here.
    page.get_by_role("heading", name="Согласие на обработку персональных данных").wait_for()
    consent = page.locator("#consent-text").inner_text()
    assert "152-ФЗ" in consent and "Цель обработки" in consent and "Как отозвать согласие" in consent
    screenshot(page, "reviews-phone-consent-390x844")
    page.get_by_label("Как к вам обращаться").fill(CONTACT["name"])
    page.get_by_label("Электронная почта").fill(CONTACT["email"])
    page.get_by_label("Телефон").fill(CONTACT["phone"])
    page.get_by_role("button", name="Дать согласие и отправить").click()
    expect(page.locator("body")).to_contain_text("подтвердите согласие")  # the box was not ticked
    page.locator('input[name="consent"]').check()
    page.get_by_role("button", name="Дать согласие и отправить").click()
    number = page.locator("#registration-number").inner_text()
    code = page.locator("#check-code").inner_text()
    assert re.fullmatch(r"KUR-\d{4}-\d{6}", number) and len(code) == 6
    screenshot(page, "reviews-phone-done-390x844")

    with live_server.app.app_context():
        from app.appeals.models import Appeal
        from app.appeals.services import answer
        from app.reviews.models import ReviewEntry
        from app.reviews.services import moderate

        entry = db.session.scalar(select(ReviewEntry).where(ReviewEntry.registration_number == number))
        assert entry.text.startswith("<script>") and entry.contact_id is not None
        moderate(entry, "publish", None)
        answer(
            db.session.get(Appeal, entry.appeal_id), 'Проверили линию. <b onmouseover="alert(2)">Исправлено</b>', None
        )
        db.session.remove()

    page.goto(f"{live_server.url}/book/KUR")
    page.get_by_text("Свет отключают каждый вечер").wait_for()
    expect(page.get_by_text(PAYLOAD, exact=True)).to_be_visible()  # shown as plain text
    assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0
    assert page.locator("main b").count() == 0
    expect(page.get_by_text('<b onmouseover="alert(2)">Исправлено</b>', exact=False)).to_be_visible()
    html = page.content()
    for secret in CONTACT.values():
        assert secret not in html
    page.mouse.move(10, 10)

    page.goto(f"{live_server.url}/reviews/status")
    page.get_by_label("Регистрационный номер").fill(number)
    page.get_by_label("Код проверки").fill(code)
    page.get_by_role("button", name="Проверить").click()
    page.get_by_text("Официальный ответ").wait_for()
    html = page.content()
    assert "Исправлено" in html and page.locator("main b").count() == 0
    for secret in CONTACT.values():
        assert secret not in html
    page.get_by_role("button", name="Отозвать согласие и удалить мои контакты").click()
    page.get_by_text("Ваши контактные данные удалены").wait_for()
    with live_server.app.app_context():
        from app.models import Contact

        assert db.session.scalar(select(Contact)) is None
        db.session.remove()
    assert dialogs == []


def test_wrong_pair_shows_only_a_neutral_message(live_server, page):
    page.goto(f"{live_server.url}/reviews/status")
    page.get_by_label("Регистрационный номер").fill("KUR-2026-000001")
    page.get_by_label("Код проверки").fill("ABCDEF")
    page.get_by_role("button", name="Проверить").click()
    expect(page.locator("#status-neutral")).to_be_visible()
    assert "Официальный ответ" not in page.content()
