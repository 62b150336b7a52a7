"""The page «Нагрузка ЦОК» in a real browser: from the navigation to a centre's heatmap, CSP intact."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from app.booking.hours import is_holiday
from app.booking.models import Booking, CentreWindow, Service
from app.booking.services import seed_centre_data
from app.database import write_transaction
from app.extensions import db
from app.org.services import find_center
from tests.e2e.conftest import screenshot


def next_monday() -> date:
    """The first Monday after today that is a working day (the page looks 7 days ahead from today)."""
    day = date.today() + timedelta(days=1)
    while day.weekday() != 0 or is_holiday(day):
        day += timedelta(days=1)
    return day


def test_manager_opens_a_centre_and_reads_the_busiest_hour(live_server, page):
    monday = next_monday()
    with live_server.app.app_context():
        seed_centre_data()
        centre = find_center("KUR")
        centre_name = centre.name
        with write_transaction():
            window = db.session.scalar(select(CentreWindow.id).where(CentreWindow.center_id == centre.id))
            service = db.session.scalar(select(Service.id).where(Service.code == "connection"))
            for minute in (0, 30):
                db.session.add(
                    Booking(
                        client_request_id=str(uuid.uuid4()),
                        request_hash="e" * 64,
                        center_id=centre.id,
                        service_id=service,
                        window_id=window,
                        start_at=datetime.combine(monday, time(11, minute)),
                        duration_minutes=30,
                        status="booked",
                    )
                )
        db.session.remove()
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Электронная почта").fill("manager@otklik.demo")
    page.get_by_label("Пароль").fill("demo-manager-2026")
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{live_server.url}/dashboard")
    page.goto(f"{live_server.url}/flow/")
    page.get_by_role("link", name=centre_name).click()
    page.wait_for_url(f"{live_server.url}/flow/KUR")
    in_words = "Больше всего посетителей ожидается"
    if monday - date.today() < timedelta(days=7):  # the coming week holds the bookings
        expect(page.get_by_text(in_words)).to_be_visible()
        assert "по понедельникам с 11 до 12" in page.content()
    heatmap = page.locator("table.flow-heatmap")
    expect(heatmap).to_be_visible()
    assert heatmap.locator("td.load-closed").count() > 0  # the 13–14 break
    page.get_by_label("Поток без записи — по прошлым неделям").select_option("4")
    page.get_by_role("button", name="Показать").click()
    page.wait_for_url("**/flow/KUR?*weeks=4*")
    expect(page.get_by_role("heading", name="Загрузка окон записями")).to_be_visible()
    screenshot(page, "flow-centre-phone")
    assert blocked == []
