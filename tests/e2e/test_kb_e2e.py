"""Knowledge base on a phone in real Chromium: search «счётчики», open the article, answer «Да»."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from tests.e2e.conftest import screenshot, settled_box


def test_phone_search_open_and_vote(live_server, page):
    with live_server.app.app_context():
        from app.kb.demo import seed

        seed(lambda _message: None)
        db.session.remove()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Вопросы и ответы").click()
    page.get_by_role("heading", name="Вопросы и ответы").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    search = page.get_by_label("Найти ответ на вопрос")
    box = settled_box(page, search)
    assert box is not None and box["y"] < 400  # the search box comes first on a phone
    search.fill("счётчики")
    page.get_by_role("button", name="Найти").click()
    first = page.locator(".kb-hits a").first
    first.wait_for()
    assert "счетчик" in first.inner_text().lower().replace("ё", "е")
    screenshot(page, "kb-phone-results-390x844")
    title = first.inner_text()
    first.click()
    page.get_by_role("heading", name=title).wait_for()
    page.get_by_role("heading", name="Помог ли ответ?").wait_for()
    yes = page.get_by_role("button", name="Да")
    yes_box = settled_box(page, yes)
    assert yes_box is not None and yes_box["height"] >= 48 and yes_box["width"] >= 48
    yes.click()
    page.get_by_text("Спасибо, ваш ответ учтен.").first.wait_for()
    screenshot(page, "kb-phone-voted-390x844")
    assert page.get_by_role("button", name="Да").count() == 0  # one vote per article per browser session
    with live_server.app.app_context():
        from app.kb.models import KbArticle

        article = db.session.scalar(select(KbArticle).where(KbArticle.title == title))
        assert (article.views, article.helpful_yes, article.helpful_no) == (1, 1, 0)
        db.session.remove()
