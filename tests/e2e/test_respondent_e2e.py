"""A customer answers the demo survey on a phone: touch targets, live conditions, consent step, thank-you."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from tests.e2e.conftest import screenshot, settled_box


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="ru-RU", viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=2
    )
    page = context.new_page()
    problems: list[str] = []
    # (the missing /favicon.ico is not ours: resource 404s are ignored, CSP reports and script errors are not)
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.problems = problems
    yield page
    context.close()


def tap(page, locator, min_width: int = 44) -> None:
    """Tap a target at least ``min_width`` wide and 48 px high (the 0–10 row keeps to WCAG 2.5.8's 24 px)."""
    box = settled_box(page, locator)
    assert box is not None and box["width"] >= min_width and box["height"] >= 48, box
    locator.tap()


def option(page, code: str, value: str):
    return page.locator(f"#q-{code} label.scale-option, #q-{code} label.choice").filter(
        has=page.locator(f"input[value='{value}']")
    )


def test_customer_answers_demo_survey_on_a_phone(live_server, phone, survey_link):
    page = phone
    page.goto(survey_link)
    expect(page.get_by_role("heading", name="Оценка визита в ЦОК")).to_be_visible()
    expect(page.get_by_text("Шаг 1 из 3")).to_be_visible()
    why = page.locator("#q-why")
    expect(why).to_be_hidden()  # JavaScript hides the conditional question before any answer
    screenshot(page, "respondent-phone-1-start")

    tap(page, option(page, "overall", "2"))
    why.wait_for(state="visible")
    tap(page, option(page, "overall", "5"))
    why.wait_for(state="hidden")
    tap(page, option(page, "overall", "2"))
    why.wait_for(state="visible")
    page.get_by_label("Что нам улучшить?").fill("Долго ждал в очереди")
    tap(page, option(page, "nps", "3"), min_width=24)
    screenshot(page, "respondent-phone-2-low-score")
    tap(page, page.get_by_role("button", name="Далее"))

    page.get_by_text("Шаг 2 из 3").wait_for()
    for code, value in (("wait", "1"), ("politeness", "4"), ("competence", "3"), ("comfort", "5"), ("clarity", "2")):
        tap(page, option(page, code, value))
    screenshot(page, "respondent-phone-3-stars")
    tap(page, page.get_by_role("button", name="Далее"))

    page.get_by_text("Шаг 3 из 3").wait_for()
    tap(page, option(page, "purpose", "metering"))
    expect(page.get_by_text("152-ФЗ")).to_be_visible()
    assert page.locator("input[name=contact_phone]").count() == 0
    tap(page, page.get_by_role("button", name="Согласен(на), оставить контакты"))
    page.get_by_label("Телефон").fill("+7 900 123-45-67")
    expect(page.locator("#q-purpose input[value=metering]")).to_be_checked()
    screenshot(page, "respondent-phone-4-contact")
    tap(page, page.get_by_role("button", name="Отправить"))

    page.get_by_role("heading", name="Спасибо за ответы!").wait_for()
    screenshot(page, "respondent-phone-5-thanks")
    assert page.problems == []  # no CSP violations, no script errors

    with live_server.app.app_context():
        from app.models import Contact
        from app.surveys.models import Answer, Response

        response = db.session.scalar(select(Response))
        answers = {a.question_code: (a.value_num, a.option_code, a.text) for a in response.answers}
        assert answers["overall"][0] == 2 and answers["why"][2] == "Долго ждал в очереди"
        assert answers["purpose"][1] == "metering" and answers["wait"][0] == 1
        assert db.session.get(Contact, response.contact_id).phone == "+7 900 123-45-67"
        assert db.session.scalar(select(Answer).where(Answer.text.contains("900"))) is None
        db.session.remove()


def test_keyboard_can_answer_a_rating(live_server, page, survey_link):
    page.goto(survey_link)
    page.locator("#q-overall input[value='1']").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#q-overall input[value='3']")).to_be_checked()
    expect(page.locator("#q-why")).to_be_visible()
