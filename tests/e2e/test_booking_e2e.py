"""Appointment booking on a phone in real Chromium: book, find on the status page, move, cancel."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from tests.e2e.conftest import screenshot
from tests.integration.test_booking import working_day_ahead


def test_book_find_move_and_cancel_on_a_phone(live_server, page):
    with live_server.app.app_context():
        from app.booking.services import seed_centre_data

        seed_centre_data()
        db.session.remove()
    day = working_day_ahead().isoformat()
    page.goto(f"{live_server.url}/centers/KUR/book")
    page.get_by_label("Услуга").select_option("metering")
    page.get_by_label("День", exact=True).fill(day)
    page.get_by_role("button", name="Показать свободное время").click()
    page.locator("#booking-form").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.locator(f'label.choice:has(input[value="{day}T10:00"])').click()
    page.get_by_label("Как к вам обращаться").fill("Анна Петрова")
    page.get_by_label("Телефон", exact=True).fill("+7 915 000-11-22")
    page.locator('input[name="consent"]').check()
    screenshot(page, "booking-phone-form-390x844")
    page.get_by_role("button", name="Записаться").click()
    number = page.locator("#registration-number").inner_text()
    code = page.locator("#check-code").inner_text()
    assert re.fullmatch(r"KUR-\d{4}-\d{6}", number) and len(code) == 6
    assert "10:00" in page.locator("#booking-receipt").inner_text()

    page.get_by_role("link", name="Проверить или отменить запись").click()
    assert page.get_by_label("Регистрационный номер").input_value() == number
    page.get_by_label("Код проверки").fill(code)
    page.get_by_role("button", name="Проверить").click()
    status = page.locator("#booking-status")
    status.wait_for()
    assert "Учет электроэнергии" in status.inner_text() and "10:00" in status.inner_text()

    page.get_by_label("Другой день").fill(day)
    page.locator("#move-show").click()
    page.locator(f'label.choice:has(input[value="{day}T14:00"])').click()
    screenshot(page, "booking-phone-move-390x844")
    page.locator("#move-confirm").click()
    page.get_by_text("Запись перенесена").wait_for()
    assert "14:00" in page.locator("#booking-status").inner_text()
    with live_server.app.app_context():
        from app.booking.models import Booking

        booking = db.session.scalar(select(Booking).where(Booking.registration_number == number))
        assert booking.start_at.strftime("%H:%M") == "14:00" and booking.status == "booked"
        db.session.remove()

    page.get_by_role("button", name="Отменить запись на прием").click()
    page.get_by_text("Запись на прием отменена.").wait_for()
    assert "Запись отменена" in page.locator("#booking-status").inner_text()
    assert page.locator("#move-booking").count() == 0
    screenshot(page, "booking-phone-cancelled-390x844")
