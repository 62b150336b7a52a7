"""The staff login works in a real browser with CSRF on."""

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot


def test_manager_logs_in_and_sees_russian_dashboard(live_server, page):
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Электронная почта").fill("manager@otklik.demo")
    page.get_by_label("Пароль").fill("demo-manager-2026")
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{live_server.url}/dashboard")
    assert "Здравствуйте" in page.content()
    screenshot(page, "staff-dashboard-phone")


def test_wrong_password_shows_message(live_server, page):
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Электронная почта").fill("manager@otklik.demo")
    page.get_by_label("Пароль").fill("not-the-password")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_text("Неверный адрес электронной почты или пароль")).to_be_visible()
