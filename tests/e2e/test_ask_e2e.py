"""«Задать вопрос специалисту» on a phone in real Chromium: suggestions while typing, then the receipt."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.appeals.models import Appeal
from app.database import write_transaction
from app.extensions import db
from app.kb.models import KbArticle
from app.kb.search import lemma_text
from tests.e2e.conftest import screenshot

ARTICLE = ("Как заменить счётчик электроэнергии?", "Подайте заявку на замену прибора учёта в любом ЦОК.")


def test_phone_question_shows_suggestions_then_gets_a_number(live_server, page):
    with live_server.app.app_context():
        with write_transaction():
            title, answer = ARTICLE
            db.session.add(
                KbArticle(
                    title=title,
                    answer=answer,
                    published=True,
                    search_title=lemma_text(title),
                    search_answer=lemma_text(answer),
                )
            )
        db.session.remove()
    page.goto(f"{live_server.url}/centers")
    page.get_by_role("link", name="Задать вопрос специалисту").first.click()
    page.get_by_role("heading", name="Задать вопрос специалисту").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.get_by_label("Центр обслуживания").select_option("KUR")
    page.get_by_label("Тема вопроса").select_option("metering")
    page.get_by_label("Ваш вопрос").press_sequentially("Когда мне заменят счетчики?", delay=20)
    suggestion = page.locator("#ask-suggestions .ask-hit")
    suggestion.first.wait_for(timeout=10_000)  # the debounced script asked /ask/suggest
    assert suggestion.first.inner_text() == ARTICLE[0]
    suggestion.first.click()
    assert "Подайте заявку на замену" in page.locator("#ask-suggestions").inner_text()
    screenshot(page, "ask-phone-suggestions-390x844")
    page.get_by_role("button", name="Отправить вопрос").click()
    page.get_by_role("heading", name="Спасибо! Вопрос принят").wait_for()
    number = page.locator("#registration-number").inner_text()
    assert re.fullmatch(r"KUR-\d{4}-\d{6}", number)
    assert re.fullmatch(r"[2-9A-Z]{6}", page.locator("#check-code").inner_text())
    screenshot(page, "ask-phone-receipt-390x844")
    with live_server.app.app_context():
        appeal = db.session.scalar(select(Appeal).where(Appeal.external_id == number))
        assert (appeal.kind, appeal.subtype, appeal.channel) == ("application", "question", "web")
        db.session.remove()
