"""The kiosk's one-tap first screen in real Chromium (as HappyOrNot): a survey opening with a 5-point faces
rating shows five large faces; the tap is queued at once as the start of one visit, «Расскажите подробнее»
and the review book are offered, and the visit is sent as ONE response when it ends (finished, skipped or
left to the idle reset), also when the tap was made offline."""

from __future__ import annotations

import copy

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from tests.e2e.conftest import screenshot
from tests.e2e.test_kiosk_e2e import (
    SURVEY,
    arrive,
    assert_touch_size,
    count,
    enrol,
    flushed_empty_queue,
    ready,
    tap,
    wait_for_count,
)
from tests.e2e.test_kiosk_layout_e2e import SIZES, fits

FACES_SURVEY = copy.deepcopy(SURVEY)
FACES_SURVEY["slug"] = "kiosk-faces-e2e"
FACES_SURVEY["pages"][0]["questions"][0]["style"] = "faces"
FACE_LABELS = ("Очень плохо", "Плохо", "Нормально", "Хорошо", "Отлично")


def face(page, label: str):
    return page.locator("#kiosk-tap").get_by_role("button", name=label, exact=True)


def tap_face(page, home: str, label: str) -> None:
    """Tap a face on the home screen and wait until the survey page has taken the visit over."""
    tap(face(page, label))
    arrive(page, f"{home}survey")
    page.wait_for_function("() => document.getElementById('kiosk')?.dataset.visit === 'open'")
    page.locator("#kiosk-details-offer").wait_for(state="visible")


def stored(live_server) -> list[dict[str, float | str | None]]:
    """Every stored response's answers by question code."""
    from app.surveys.models import Answer, Response

    with live_server.app.app_context():
        result = []
        for response in db.session.scalars(select(Response).order_by(Response.id)):
            assert response.channel == "kiosk" and response.kiosk_id is not None
            rows = db.session.scalars(select(Answer).where(Answer.response_id == response.id))
            result.append({a.question_code: a.option_code or a.text or a.value_num for a in rows})
        db.session.remove()
    return result


@pytest.fixture
def kiosk_page(browser):
    context = browser.new_context(locale="ru-RU", viewport=SIZES["portrait"], has_touch=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.posts = []  # the body of every response post: a retry of one visit repeats its body exactly
    page.on("request", lambda r: page.posts.append(r.post_data) if "/api/" in r.url and r.method == "POST" else None)
    yield page
    context.close()


def test_a_tap_alone_then_the_idle_reset_is_one_response_with_one_answer(live_server, kiosk_page):
    from app.surveys.models import Response

    page = kiosk_page
    home = enrol(page, live_server, seconds=3, survey=FACES_SURVEY)
    assert page.get_by_role("link", name="Оценить обслуживание").count() == 0  # the faces are the start
    for label in FACE_LABELS:
        assert_touch_size(face(page, label), 120)
        assert face(page, label).locator("svg circle").first.get_attribute("fill").startswith("#")
    screenshot(page, "kiosk-faces-home-1080x1920")
    tap_face(page, home, "Хорошо")
    screenshot(page, "kiosk-faces-offer-1080x1920")
    expect(page.get_by_role("button", name="В начало")).to_be_visible()
    assert count(live_server, Response) == 0  # the visit is open: nothing is sent while it may go on
    page.locator("#kiosk-countdown").wait_for(state="visible", timeout=5000)
    arrive(page, home, timeout=10000)  # walked away: the idle reset ends the visit
    wait_for_count(live_server, Response, 1)
    page.reload()
    ready(page)
    flushed_empty_queue(page)
    assert stored(live_server) == [{"overall": 4.0}]
    assert len(set(page.posts)) == 1
    assert not page.errors


def test_a_tap_and_the_details_are_one_response_with_every_answer(live_server, kiosk_page):
    from app.surveys.models import Response

    page = kiosk_page
    home = enrol(page, live_server, survey=FACES_SURVEY)
    tap_face(page, home, "Плохо")
    tap(page.get_by_role("button", name="Расскажите подробнее"))
    # The first page asks more than the tap: it opens with the tapped face chosen.
    expect(page.locator('#q-overall input[value="2"]')).to_be_checked()
    screenshot(page, "kiosk-faces-details-1080x1920")
    tap(page.locator('#q-nps .scale-option:has(input[value="9"])'))
    tap(page.locator('#q-purpose .choice:has(input[value="metering"])'))
    tap(page.locator('[data-nav="next"]'))
    tap(page.locator('#q-wait .scale-option:has(input[value="4"])'))
    page.locator("#f-why").fill("Очередь слишком длинная")  # shown: overall ≤ 3
    tap(page.locator('[data-nav="next"]'))
    tap(page.locator('[data-variant="ask"] button[value="consent_no"]'))
    assert count(live_server, Response) == 0
    tap(page.locator('[data-nav="submit"]'))
    page.locator("#kiosk-thanks").wait_for(state="visible")
    tap(page.get_by_role("button", name="На главный экран"))
    arrive(page, home)
    wait_for_count(live_server, Response, 1)
    flushed_empty_queue(page)
    assert stored(live_server) == [
        {"overall": 2.0, "nps": 9.0, "purpose": "metering", "wait": 4.0, "why": "Очередь слишком длинная"}
    ]
    # The tap was completed before it was sent: never a post of the tap alone, then another of the rest.
    assert len(set(page.posts)) == 1
    assert not page.errors


def test_a_tap_then_the_review_book_sends_the_tap_once(live_server, kiosk_page):
    from app.surveys.models import Response

    page = kiosk_page
    home = enrol(page, live_server, survey=FACES_SURVEY)
    tap_face(page, home, "Очень плохо")
    tap(page.get_by_role("link", name="Написать в книгу отзывов и предложений"))
    arrive(page, f"{home}review")
    wait_for_count(live_server, Response, 1)
    assert stored(live_server) == [{"overall": 1.0}]
    expect(page.locator('.choice:has(input[value="complaint"])')).to_be_visible()
    assert not page.errors


def test_a_reload_in_the_middle_of_a_visit_ends_it_and_sends_the_tap_once(live_server, kiosk_page):
    from app.surveys.models import Response

    page = kiosk_page
    home = enrol(page, live_server, survey=FACES_SURVEY)
    tap_face(page, home, "Отлично")
    page.reload()  # a crash or a reload: the open visit is closed at start-up, not kept open for ever
    ready(page)
    page.wait_for_function("() => document.getElementById('kiosk')?.dataset.visit === 'none'")
    assert not page.locator("#kiosk-details-offer").is_visible()
    wait_for_count(live_server, Response, 1)
    flushed_empty_queue(page)
    assert stored(live_server) == [{"overall": 5.0}]
    assert len(set(page.posts)) == 1
    assert not page.errors


def test_an_offline_tap_survives_a_reload_and_arrives_once(live_server, kiosk_page):
    from app.surveys.models import Response

    page = kiosk_page
    home = enrol(page, live_server, survey=FACES_SURVEY)
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
    page.wait_for_function("() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)")
    page.context.set_offline(True)
    tap_face(page, home, "Нормально")  # the survey page comes from the service worker's cache
    tap(page.get_by_role("button", name="Готово"))
    page.locator("#kiosk-thanks").wait_for(state="visible")
    page.locator("#kiosk-pending").wait_for(state="visible")
    assert page.locator("#kiosk-pending").inner_text() == "Ожидают отправки: 1"
    page.reload()  # still offline: the visit, closed, waits in IndexedDB
    ready(page)
    page.locator("#kiosk-pending").wait_for(state="visible")
    assert page.locator("#kiosk-pending").inner_text() == "Ожидают отправки: 1"
    assert count(live_server, Response) == 0
    page.context.set_offline(False)
    page.locator("#kiosk-pending").wait_for(state="hidden", timeout=20000)
    wait_for_count(live_server, Response, 1)
    page.reload()
    ready(page)
    flushed_empty_queue(page)
    assert stored(live_server) == [{"overall": 3.0}]
    assert not page.errors


@pytest.fixture(params=list(SIZES))
def mounted(request, browser):
    context = browser.new_context(locale="ru-RU", viewport=SIZES[request.param], has_touch=True)
    page = context.new_page()
    page.size_name = request.param
    yield page
    context.close()


def test_the_faces_and_the_offer_fit_without_scrolling(live_server, mounted):
    home = enrol(mounted, live_server, survey=FACES_SURVEY)
    screenshot(mounted, f"kiosk-faces-home-{mounted.size_name}")
    for label in FACE_LABELS:
        fits(mounted, face(mounted, label))
    fits(mounted, mounted.get_by_role("link", name="Книга отзывов и предложений"))
    tap_face(mounted, home, "Отлично")
    screenshot(mounted, f"kiosk-faces-offer-{mounted.size_name}")
    for name in ("Расскажите подробнее", "Готово", "В начало"):
        fits(mounted, mounted.get_by_role("button", name=name))
    fits(mounted, mounted.get_by_role("link", name="Написать в книгу отзывов и предложений"))
