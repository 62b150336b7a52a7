"""The hall kiosk's screens at the two mountings the centres use, 1080×1920 portrait and 1280×800
landscape: the first step of every flow fits without scrolling, «В начало» is on every step, the
consent step's buttons are not hidden under the sticky navigation, and the review receipt shows the
answer deadline and a QR code of the status page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, settled_box
from tests.e2e.test_kiosk_e2e import arrive, enrol

SIZES = {"portrait": {"width": 1080, "height": 1920}, "landscape": {"width": 1280, "height": 800}}


@pytest.fixture(params=list(SIZES))
def mounted(request, browser):
    context = browser.new_context(locale="ru-RU", viewport=SIZES[request.param], has_touch=True)
    page = context.new_page()
    page.size_name = request.param
    yield page
    context.close()


def fits(page, locator) -> None:
    """The element is entirely inside the viewport as the screen opens, not hidden under the sticky nav."""
    box = settled_box(page, locator)
    viewport = page.viewport_size
    assert box is not None, locator
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (page.size_name, box)
    nav = page.locator(".kiosk-nav:visible")
    if nav.count():
        top = nav.first.bounding_box()["y"]
        assert box["y"] + box["height"] <= top or locator.evaluate("(el) => !!el.closest('.kiosk-nav')"), (
            page.size_name,
            box,
            top,
        )


def test_home_tiles_fit_without_scrolling(live_server, mounted):
    enrol(mounted, live_server)
    screenshot(mounted, f"kiosk-home-{mounted.size_name}")
    for name in ("Оценить обслуживание", "Книга отзывов и предложений"):
        fits(mounted, mounted.get_by_role("link", name=name))


def test_every_step_has_a_way_back_to_the_start(live_server, mounted):
    home = enrol(mounted, live_server)
    mounted.get_by_role("link", name="Книга отзывов и предложений").tap()
    arrive(mounted, f"{home}review")
    back_to_start = mounted.get_by_role("button", name="В начало")
    fits(mounted, back_to_start)
    fits(mounted, mounted.locator('.choice:has(input[value="complaint"])'))
    screenshot(mounted, f"kiosk-review-{mounted.size_name}")
    back_to_start.tap()
    arrive(mounted, home)
    mounted.get_by_role("link", name="Оценить обслуживание").tap()
    arrive(mounted, f"{home}survey")
    fits(mounted, mounted.get_by_role("button", name="В начало"))
    fits(mounted, mounted.locator('#q-overall .scale-option:has(input[value="5"])'))
    screenshot(mounted, f"kiosk-survey-{mounted.size_name}")


def test_consent_step_buttons_are_not_under_the_navigation(live_server, mounted):
    home = enrol(mounted, live_server)
    mounted.get_by_role("link", name="Книга отзывов и предложений").tap()
    arrive(mounted, f"{home}review")
    mounted.locator('.choice:has(input[value="complaint"])').tap()
    mounted.locator('.choice:has(input[name="topic"][value="metering"])').tap()
    mounted.locator("#kiosk-text").fill("Долго ждал в очереди")
    mounted.locator('.choice:has(input[name="wants_answer"][value="yes"])').tap()
    mounted.locator('[data-nav="next"]').tap()
    consent = mounted.locator('.choice:has(input[name="consent"])')
    consent.scroll_into_view_if_needed()
    box, nav = settled_box(mounted, consent), settled_box(mounted, mounted.locator(".kiosk-nav"))
    screenshot(mounted, f"kiosk-consent-{mounted.size_name}")
    assert box["y"] + box["height"] <= nav["y"], (mounted.size_name, box, nav)


def test_review_receipt_shows_the_deadline_and_a_status_qr_code(live_server, mounted):
    home = enrol(mounted, live_server, with_survey=False)
    mounted.get_by_role("link", name="Книга отзывов и предложений").tap()
    arrive(mounted, f"{home}review")
    mounted.locator('.choice:has(input[value="complaint"])').tap()
    mounted.locator('.choice:has(input[name="topic"][value="metering"])').tap()
    mounted.locator("#kiosk-text").fill("Долго ждал в очереди")
    mounted.locator('[data-nav="submit"]').tap()
    mounted.locator("#thanks-receipt").wait_for(state="visible")
    screenshot(mounted, f"kiosk-receipt-{mounted.size_name}")
    promise = mounted.locator("#thanks-promise").inner_text()
    assert "не позднее" in promise
    qr = mounted.locator("#thanks-receipt .kiosk-status-qr svg")
    assert qr.count() == 1 and settled_box(mounted, qr)["width"] >= 150
    fits(mounted, mounted.get_by_role("button", name="На главный экран"))
