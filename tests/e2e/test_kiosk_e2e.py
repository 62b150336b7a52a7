"""Kiosk in real Chromium: enrolment by a one-time link, touch-sized survey and review entry, inactivity
reset, offline queue; no URL, Referer or log line holds the device token."""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from tests.e2e.conftest import screenshot, settled_box

PORTRAIT = {"width": 1080, "height": 1920}
SURVEY = {
    "slug": "kiosk-e2e",
    "title": {"ru": "Оценка визита в ЦОК"},
    "pages": [
        {
            "title": {"ru": "Общее впечатление"},
            "questions": [
                {
                    "code": "overall",
                    "type": "rating",
                    # Stars: a faces start would open the kiosk on one tap (test_kiosk_faces_e2e.py).
                    "style": "stars",
                    "required": True,
                    "scale": {"min": 1, "max": 5},
                    "text": {"ru": "Насколько вы удовлетворены обслуживанием в целом?"},
                },
                {"code": "nps", "type": "nps", "text": {"ru": "Порекомендуете ли вы наш центр знакомым?"}},
                {
                    "code": "purpose",
                    "type": "single_choice",
                    "text": {"ru": "С какой целью вы обращались?"},
                    "other": True,
                    "options": [
                        {"code": "connection", "text": {"ru": "Технологическое присоединение"}},
                        {"code": "metering", "text": {"ru": "Учет электроэнергии"}},
                    ],
                },
            ],
        },
        {
            "title": {"ru": "Оценка обслуживания"},
            "questions": [
                {
                    "code": "wait",
                    "type": "rating",
                    "style": "stars",
                    "scale": {"min": 1, "max": 5},
                    "text": {"ru": "Время ожидания в очереди"},
                },
                {
                    "code": "why",
                    "type": "text",
                    "max_length": 2000,
                    "multiline": True,
                    "text": {"ru": "Что нам улучшить?"},
                    "show_if": {"all": [{"question": "overall", "op": "lte", "value": 3}]},
                },
            ],
        },
        {
            "title": {"ru": "Обратная связь"},
            "questions": [
                {
                    "code": "contact",
                    "type": "contact",
                    "fields": ["name", "phone", "email"],
                    "text": {"ru": "Хотите, чтобы мы связались с вами?"},
                }
            ],
        },
    ],
}


def setup_kiosk(live_server, seconds: int = 60, with_survey: bool = True, survey: dict | None = None) -> str:
    """Create a kiosk for KUR (and the kiosk survey, ``SURVEY`` unless another definition is given) inside
    the live app; return its one-time enrolment URL."""
    definition = survey or SURVEY
    with live_server.app.app_context():
        from app.kiosk.services import issue_enrolment, register_kiosk
        from app.org.services import find_center

        center = find_center("KUR")
        if with_survey:
            from app.surveys import services as surveys

            created = surveys.get_survey(definition["slug"])
            if created is None:
                created = surveys.create_survey(definition)
                surveys.publish(created)
                surveys.assign(created, [center.id], ["kiosk"])
        kiosk, _unused = register_kiosk(center.id, "Киоск e2e", seconds)
        code = issue_enrolment(kiosk, revoke_device=False)
        db.session.remove()
    return f"{live_server.url}/kiosk/enrol/{code}"


def ready(page) -> None:
    """Wait until the shell has put the kiosk's screen in place and kiosk.js has run on it.

    Tapping «Далее» before kiosk.js has bound its handlers does nothing (the buttons are type=button),
    so every navigation is followed by this wait rather than by a fixed sleep.
    """
    page.wait_for_function("() => document.documentElement.dataset.kioskReady === '1'")


def go(page, url: str) -> None:
    page.goto(url)
    ready(page)


def arrive(page, url: str, timeout: float = 30000) -> None:
    page.wait_for_url(url, timeout=timeout)
    ready(page)


def enrol(page, live_server, **kwargs) -> str:
    """Open a new kiosk's enrolment link in the browser; return the token-free home URL it lands on."""
    page.goto(setup_kiosk(live_server, **kwargs))
    home = f"{live_server.url}/kiosk/"
    arrive(page, home)
    return home


def flushed_empty_queue(page) -> None:
    """After a reload, wait until kiosk.js has read its (empty) queue: nothing is left to send twice.

    Replaces a fixed 1.5 s sleep: the indicator's count is written once the queue has been read."""
    page.wait_for_function(
        "() => { const el = document.getElementById('kiosk-pending'); return !!el && el.dataset.count === '0'; }"
    )


def stored_token(page) -> str:
    return page.evaluate("() => localStorage.getItem('otklik-kiosk-token')")


def count(live_server, model) -> int:
    with live_server.app.app_context():
        value = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
        return value


def wait_for_count(live_server, model, expected: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count(live_server, model) == expected:
            return
        time.sleep(0.2)
    assert count(live_server, model) == expected


def assert_touch_size(locator, minimum: float = 48) -> None:
    box = settled_box(locator.page, locator)
    assert box is not None, locator
    assert box["width"] >= minimum and box["height"] >= minimum, box


@pytest.fixture
def kiosk_page(browser):
    context = browser.new_context(locale="ru-RU", viewport=PORTRAIT, has_touch=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


def tap(locator) -> None:
    assert_touch_size(locator)
    locator.tap()


def test_kiosk_survey_by_touch(live_server, kiosk_page):
    from app.surveys.models import Answer, Response

    page = kiosk_page
    home = enrol(page, live_server)
    expect(page.get_by_text("Курск").first).to_be_visible()
    screenshot(page, "kiosk-home-1080x1920")
    tap(page.get_by_role("link", name="Оценить обслуживание"))
    arrive(page, f"{home}survey")
    # Required question unanswered: the kiosk asks for it and stays on the page.
    tap(page.locator('[data-nav="next"]'))
    expect(page.locator("#kiosk-form-error")).to_be_visible()
    tap(page.locator('#q-overall .scale-option:has(input[value="5"])'))
    tap(page.locator('#q-nps .scale-option:has(input[value="9"])'))
    tap(page.locator('#q-purpose .choice:has(input[value="metering"])'))
    screenshot(page, "kiosk-survey-1080x1920")
    tap(page.locator('[data-nav="next"]'))
    tap(page.locator('#q-wait .scale-option:has(input[value="4"])'))
    assert not page.locator("#q-why").is_visible()  # shown only when overall ≤ 3
    tap(page.locator('[data-nav="next"]'))
    tap(page.locator('[data-variant="ask"] button[value="consent_no"]'))
    tap(page.locator('[data-nav="submit"]'))
    page.locator("#kiosk-thanks").wait_for(state="visible")
    screenshot(page, "kiosk-thanks-1080x1920")
    # The thank-you screen goes home by itself after 8 s: tap its button first, then check the server
    # (checking first raced that timer on a busy machine, and the button was gone).
    tap(page.get_by_role("button", name="На главный экран"))
    arrive(page, home)
    wait_for_count(live_server, Response, 1)
    page.locator("#kiosk-pending").wait_for(state="hidden")
    with live_server.app.app_context():
        response = db.session.scalar(select(Response))
        answers = {
            a.question_code: (a.value_num, a.option_code)
            for a in db.session.scalars(select(Answer).where(Answer.response_id == response.id))
        }
        assert response.channel == "kiosk" and response.kiosk_id is not None
        assert answers["overall"][0] == 5 and answers["nps"][0] == 9 and answers["wait"][0] == 4
        assert answers["purpose"][1] == "metering"
        db.session.remove()
    assert not page.errors


def test_other_chosen_on_the_kiosk_needs_its_text(live_server, kiosk_page):
    """As on the phone pages: «Другое» without its text is asked for and nothing moves on."""
    from app.surveys.models import Answer, Response

    page = kiosk_page
    home = enrol(page, live_server)
    tap(page.get_by_role("link", name="Оценить обслуживание"))
    arrive(page, f"{home}survey")
    tap(page.locator('#q-overall .scale-option:has(input[value="5"])'))
    tap(page.locator('#q-nps .scale-option:has(input[value="9"])'))
    tap(page.locator('#q-purpose .choice:has(input[value="other"])'))
    tap(page.locator('[data-nav="next"]'))
    error = page.locator("#kiosk-form-error")
    expect(error).to_be_visible()
    assert "Другое" in error.inner_text()
    expect(page.locator("#q-overall")).to_be_visible()  # still on the first step
    page.locator('[name="purpose__other"]').fill("Справка о лицевом счете")
    tap(page.locator('[data-nav="next"]'))
    assert not error.is_visible()
    tap(page.locator('#q-wait .scale-option:has(input[value="4"])'))
    tap(page.locator('[data-nav="next"]'))
    tap(page.locator('[data-variant="ask"] button[value="consent_no"]'))
    tap(page.locator('[data-nav="submit"]'))
    page.locator("#kiosk-thanks").wait_for(state="visible")
    tap(page.get_by_role("button", name="На главный экран"))
    arrive(page, home)
    wait_for_count(live_server, Response, 1)
    with live_server.app.app_context():
        answer = db.session.scalar(select(Answer).where(Answer.question_code == "purpose"))
        chosen = (answer.option_code, answer.text)
        db.session.remove()
    assert chosen == ("other", "Справка о лицевом счете")


def test_kiosk_review_entry_by_touch_shows_receipt(live_server, kiosk_page):
    from app.reviews.models import ReviewEntry

    page = kiosk_page
    home = enrol(page, live_server, with_survey=False)
    assert page.get_by_role("link", name="Оценить обслуживание").count() == 0
    tap(page.get_by_role("link", name="Книга отзывов и предложений"))
    arrive(page, f"{home}review")
    tap(page.locator('.choice:has(input[value="gratitude"])'))
    tap(page.locator('.choice:has(input[name="topic"][value="metering"])'))
    assert_touch_size(page.locator("#kiosk-text"))
    page.locator("#kiosk-text").fill("Спасибо за быструю замену счетчика")
    tap(page.locator('.choice:has(input[name="publish_consent"])'))
    screenshot(page, "kiosk-review-1080x1920")
    tap(page.locator('[data-nav="submit"]'))
    page.locator("#thanks-receipt").wait_for(state="visible")
    screenshot(page, "kiosk-review-thanks-1080x1920")
    number = page.locator("#thanks-number").inner_text()
    assert number.startswith("KUR-") and len(page.locator("#thanks-code").inner_text()) == 6
    with live_server.app.app_context():
        entry = db.session.scalar(select(ReviewEntry))
        assert entry.registration_number == number and entry.kiosk_id is not None and entry.publish_consent
        db.session.remove()
    assert count(live_server, ReviewEntry) == 1
    assert not page.errors


def test_inactivity_reset_leaves_no_trace(live_server, kiosk_page):
    page = kiosk_page
    home = enrol(page, live_server, seconds=3)
    tap(page.get_by_role("link", name="Книга отзывов и предложений"))
    arrive(page, f"{home}review")
    tap(page.locator('.choice:has(input[value="complaint"])'))
    page.locator("#kiosk-text").fill("Секретный текст прежнего посетителя")
    page.locator("#kiosk-countdown").wait_for(state="visible", timeout=5000)
    arrive(page, home, timeout=10000)
    assert "Секретный текст" not in page.content()
    page.go_back()
    assert "Секретный текст" not in page.content()
    assert page.url in ("about:blank", home)
    go(page, f"{home}review")
    assert page.locator("#kiosk-text").input_value() == ""
    assert not page.locator('input[value="complaint"]').is_checked()
    # The survey page is cleared the same way.
    go(page, f"{home}survey")
    page.locator('#q-overall .scale-option:has(input[value="2"])').tap()
    arrive(page, home, timeout=10000)
    page.go_back()
    if page.url.endswith("/survey"):
        assert not page.locator('#q-overall input[value="2"]').is_checked()
    assert not page.errors


def test_offline_review_is_stored_once_after_reconnect_and_survives_reload(live_server, kiosk_page):
    from app.reviews.models import ReviewEntry

    page = kiosk_page
    home = enrol(page, live_server, with_survey=False)
    # Arrow functions: a bare expression would be eval()-ed in the page, which the CSP forbids.
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
    page.wait_for_function("() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)")
    page.context.set_offline(True)
    tap(page.get_by_role("link", name="Книга отзывов и предложений"))  # served by the service worker
    arrive(page, f"{home}review")
    tap(page.locator('.choice:has(input[value="suggestion"])'))
    tap(page.locator('.choice:has(input[name="topic"][value="other"])'))
    page.locator("#kiosk-text").fill("Поставьте, пожалуйста, кулер с водой")
    tap(page.locator('[data-nav="submit"]'))
    page.locator("#kiosk-thanks").wait_for(state="visible")
    assert "как только появится связь" in page.locator("#thanks-message").inner_text()
    assert page.locator("#kiosk-pending").inner_text() == "Ожидают отправки: 1"
    page.reload()  # still offline: the shell and the screen come from the cache, the entry from IndexedDB
    ready(page)
    page.locator("#kiosk-pending").wait_for(state="visible")
    assert page.locator("#kiosk-pending").inner_text() == "Ожидают отправки: 1"
    assert count(live_server, ReviewEntry) == 0
    page.context.set_offline(False)
    page.locator("#kiosk-pending").wait_for(state="hidden", timeout=20000)
    wait_for_count(live_server, ReviewEntry, 1)
    page.reload()
    ready(page)
    flushed_empty_queue(page)
    assert count(live_server, ReviewEntry) == 1


def test_offline_survey_with_api_blocked_is_stored_once(live_server, kiosk_page):
    from app.surveys.models import Response

    page = kiosk_page
    home = enrol(page, live_server)
    page.route("**/api/**", lambda route: route.abort())
    go(page, f"{home}survey")
    tap(page.locator('#q-overall .scale-option:has(input[value="2"])'))
    tap(page.locator('[data-nav="next"]'))
    page.locator("#f-why").wait_for(state="visible")  # overall ≤ 3 shows «Что нам улучшить?»
    page.locator("#f-why").fill("Очередь слишком длинная")
    tap(page.locator('[data-nav="next"]'))
    tap(page.locator('[data-nav="submit"]'))
    page.locator("#kiosk-thanks").wait_for(state="visible")
    page.locator("#kiosk-pending").wait_for(state="visible")
    page.reload()
    ready(page)
    page.locator("#kiosk-pending").wait_for(state="visible")
    assert page.locator("#kiosk-pending").inner_text() == "Ожидают отправки: 1"
    assert count(live_server, Response) == 0
    page.unroute("**/api/**")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#kiosk-pending").wait_for(state="hidden", timeout=20000)
    wait_for_count(live_server, Response, 1)
    page.reload()
    ready(page)
    flushed_empty_queue(page)
    assert count(live_server, Response) == 1


OUTBOX = """() => new Promise((resolve, reject) => {
  const opened = indexedDB.open("otklik-kiosk", 1);
  opened.onerror = () => reject(opened.error);
  opened.onsuccess = () => {
    const all = opened.result.transaction("outbox", "readonly").objectStore("outbox").getAll();
    all.onerror = () => reject(all.error);
    all.onsuccess = () => resolve(all.result.map((item) => ({
      refused: item.refused || null, wait: item.nextAt - Date.now(), body: JSON.parse(item.body)})));
  };
})"""
# Null-safe: after a reload the predicate may run before the kiosk shell is in the document.
FLUSHED = "(n) => Number(document.getElementById('kiosk')?.dataset.flushes || 0) >= n"


def flushes(page) -> int:
    return page.evaluate("() => Number(document.getElementById('kiosk')?.dataset.flushes || 0)")


def test_a_refused_post_stays_queued_is_reported_and_not_retried_in_a_loop(live_server, kiosk_page):
    """The survey closes while an answer waits offline; the server's 410 must not lose it."""
    from app.kiosk.models import Kiosk
    from app.surveys.models import Response

    page = kiosk_page
    home = enrol(page, live_server)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if "/api/" in r.url and r.method == "POST" else None)
    page.route("**/api/**", lambda route: route.abort())
    go(page, f"{home}survey")
    tap(page.locator('#q-overall .scale-option:has(input[value="5"])'))
    tap(page.locator('[data-nav="next"]'))
    tap(page.locator('[data-nav="next"]'))
    tap(page.locator('[data-nav="submit"]'))
    page.locator("#kiosk-thanks").wait_for(state="visible")
    # The thank-you screen returns home by itself; the home page flushes (still blocked) and beats once.
    with page.expect_response(lambda r: "/heartbeat" in r.url):
        page.wait_for_url(home, timeout=20000)
    page.wait_for_function(FLUSHED, arg=1)
    [queued] = page.evaluate(OUTBOX)
    assert queued["refused"] is None and queued["body"]["answered_at"].endswith("Z")
    with live_server.app.app_context():
        from app.surveys import services as surveys

        surveys.close(surveys.get_survey(SURVEY["slug"]))
        db.session.remove()
    # Listen before unblocking: the 5-second flush may send it before the "online" event does.
    with (
        page.expect_response(lambda r: "/api/" in r.url and r.request.method == "POST") as refused,
        page.expect_response(lambda r: "/heartbeat" in r.url and '"refused":1' in (r.request.post_data or "")),
    ):
        page.unroute("**/api/**")
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert refused.value.status == 410
    [kept] = page.evaluate(OUTBOX)
    assert kept["refused"] == 410 and kept["wait"] > 30 * 60 * 1000  # about an hour, with jitter
    assert kept["body"]["client_submission_id"] == queued["body"]["client_submission_id"]
    with live_server.app.app_context():
        kiosk = db.session.scalar(select(Kiosk))
        assert (kiosk.pending_count, kiosk.refused_count) == (0, 1)
        db.session.remove()
    assert page.locator("#kiosk-pending").get_attribute("data-refused") == "1"
    assert not page.locator("#kiosk-pending").is_visible()  # customers are not shown the refusal

    # Neither an "online" event nor a reload sends it again before its hour is up.
    sent = len(posts)
    done = flushes(page)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_function(FLUSHED, arg=done + 1)
    page.reload()
    page.wait_for_function(FLUSHED, arg=1)
    assert len(posts) == sent
    assert len(page.evaluate(OUTBOX)) == 1 and count(live_server, Response) == 0


def test_no_url_referer_or_log_line_holds_the_device_token(live_server, kiosk_page, caplog):
    """Enrol, answer the survey, write in the book, go home: every request URL and Referer the browser
    (pages and service worker) sends, and every access and app log line of the run, are free of the
    device token; after the exchange no request and no log line names the one-time code either."""
    from app.kiosk.models import Kiosk
    from app.reviews.models import ReviewEntry
    from app.surveys.models import Response

    caplog.set_level(logging.INFO)  # the live server's access log (logger "werkzeug") and the app's
    page = kiosk_page
    sent: list[tuple[str, str, str]] = []  # (url, referer, x-kiosk-token)
    page.context.on(
        "request", lambda r: sent.append((r.url, r.headers.get("referer", ""), r.headers.get("x-kiosk-token", "")))
    )
    enrol_url = setup_kiosk(live_server)
    code = enrol_url.rsplit("/", 1)[1]
    page.goto(enrol_url)
    home = f"{live_server.url}/kiosk/"
    arrive(page, home)
    token = stored_token(page)
    assert token and len(token) >= 32
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
    # A survey answer and a review entry, both sent with the header.
    tap(page.get_by_role("link", name="Оценить обслуживание"))
    arrive(page, f"{home}survey")
    tap(page.locator('#q-overall .scale-option:has(input[value="4"])'))
    tap(page.locator('[data-nav="next"]'))
    tap(page.locator('[data-nav="next"]'))
    tap(page.locator('[data-nav="submit"]'))
    wait_for_count(live_server, Response, 1)
    page.locator("#kiosk-pending").wait_for(state="hidden")
    go(page, f"{home}review")
    tap(page.locator('.choice:has(input[value="question"])'))
    tap(page.locator('.choice:has(input[name="topic"][value="other"])'))
    page.locator("#kiosk-text").fill("Где можно оплатить счет без комиссии?")
    tap(page.locator('[data-nav="submit"]'))
    page.locator("#thanks-receipt").wait_for(state="visible")
    tap(page.get_by_role("button", name="На главный экран"))
    arrive(page, home)
    with live_server.app.app_context():
        kiosk = db.session.scalar(select(Kiosk))
        assert kiosk.last_seen_at is not None  # the heartbeat got through with the header
        assert kiosk.enrol_code_hash is None
        db.session.remove()
    assert count(live_server, ReviewEntry) == 1
    # The enrolment link, opened again, is refused with a Russian page and issues nothing.
    second = page.context.new_page()
    refused = second.goto(enrol_url)
    assert refused.status == 410 and "новую ссылку подключения" in second.locator("body").inner_text()
    second.close()

    paths = [urlsplit(url).path for url, _referer, _token in sent]
    assert "/kiosk/heartbeat" in paths and "/kiosk/reviews" in paths and "/kiosk/screen/home" in paths
    assert {
        t
        for (_u, _r, t), path in zip(sent, paths, strict=True)
        if path.endswith(("/kiosk/heartbeat", "/kiosk/reviews", "/responses", "/kiosk/screen/home"))
    } == {token}
    for url, referer, _token in sent:
        assert token not in url and token not in referer, (url, referer)
    exchange = next(i for i, (url, _r, _t) in enumerate(sent) if url.endswith("/kiosk/enrol"))
    assert [url for url, _r, _t in sent[:exchange] if code in url] == [enrol_url]
    for url, referer, _token in sent[exchange:]:
        if url == enrol_url:  # the second, refused opening of the link above
            continue
        assert code not in url and code not in referer, (url, referer)

    lines = [re.sub(r"\x1b\[[0-9;]*m", "", record.getMessage()) for record in caplog.records]  # no colours
    assert any("/kiosk/heartbeat" in line for line in lines), "the access log was captured"
    assert not [line for line in lines if token in line]
    used = next(i for i, line in enumerate(lines) if "POST /kiosk/enrol " in line)
    before = [line for line in lines[:used] if code in line]
    after = [line for line in lines[used:] if code in line]
    assert len(before) == 1 and re.search(r'"GET /kiosk/enrol/\S+ HTTP/1.1" 200', before[0]), before
    assert len(after) == 1 and re.search(r'"GET /kiosk/enrol/\S+ HTTP/1.1" 410', after[0]), after  # opened again
    assert not page.errors


def test_shell_without_a_token_or_with_a_revoked_one_says_so_in_russian(live_server, kiosk_page):
    page = kiosk_page
    page.goto(f"{live_server.url}/kiosk/")
    page.get_by_text("Киоск не подключен").wait_for(state="visible")
    assert page.locator("#kiosk").count() == 0
    page.evaluate("() => localStorage.setItem('otklik-kiosk-token', 'a-token-nobody-issued')")
    page.reload()
    page.get_by_text("Попросите администратора выдать новую ссылку подключения").wait_for(state="visible")
    assert not page.get_by_text("Киоск не подключен").is_visible()
    assert not page.errors
