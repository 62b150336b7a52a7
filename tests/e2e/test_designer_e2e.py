"""The one-page designer in Chromium: a marketer builds a six-question survey and publishes it.

The test counts what the issue measured: full page loads (navigations of the main frame) and user
actions (every goto, click, fill and choice the helper makes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from tests.e2e.conftest import screenshot

MAX_PAGE_LOADS = 8
MAX_ACTIONS = 40


@dataclass
class User:
    """Performs the marketer's actions, one count per goto, click, fill or choice."""

    page: object
    actions: int = 0
    log: list[str] = field(default_factory=list)

    def goto(self, url: str) -> None:
        self.actions += 1
        self.log.append(f"goto {url}")
        self.page.goto(url)

    def click(self, locator) -> None:
        self.actions += 1
        self.log.append("click")
        locator.click()

    def fill(self, locator, text: str) -> None:
        self.actions += 1
        self.log.append(f"fill {text}")
        locator.fill(text)

    def choose(self, locator, value: str) -> None:
        self.actions += 1
        self.log.append(f"choose {value}")
        locator.select_option(value=value)

    def check(self, locator) -> None:
        self.actions += 1
        self.log.append("check")
        locator.check()


def _add_question(user: User, qtype: str, number: int):
    """Choose a type, press «Добавить»; the new question's editor comes back open (no page load)."""
    page = user.page
    user.choose(page.get_by_label("Новый вопрос"), qtype)
    user.click(page.get_by_role("button", name="Добавить", exact=True))
    editor = page.locator(f"#editor-0-{number - 1}[open]")
    editor.wait_for()
    return editor


def _save(user: User, editor, number: int, text: str) -> None:
    user.click(editor.get_by_role("button", name="Сохранить вопрос"))
    item = user.page.locator(f"#q-0-{number - 1}")
    item.locator(".q-text", has_text=text).wait_for()
    user.page.locator(f"#editor-0-{number - 1}:not([open])").wait_for(state="attached")


def test_marketer_builds_and_publishes_the_six_question_survey(live_server, page):
    base = live_server.url
    loads: list[str] = []
    page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.set_viewport_size({"width": 1400, "height": 900})
    user = User(page)

    user.goto(f"{base}/login")
    user.fill(page.get_by_label("Электронная почта"), "marketing@otklik.demo")
    user.fill(page.get_by_label("Пароль"), "demo-marketing-2026")
    user.click(page.get_by_role("button", name="Войти"))
    page.wait_for_url(f"{base}/dashboard")

    # A new survey needs only its Russian title: the link code is transliterated from it.
    user.goto(f"{base}/surveys/new")
    user.fill(page.get_by_label("Название"), "Визит в центр обслуживания")
    user.click(page.get_by_role("button", name="Создать черновик"))
    page.wait_for_url(f"{base}/surveys/*")
    # 1. The blank survey starts with the satisfaction rating.
    assert page.locator("#q-0-0 .q-text").inner_text() == "Насколько вы удовлетворены обслуживанием?"

    # 2. Single choice, options as rows.
    editor = _add_question(user, "single_choice", 2)
    user.fill(editor.get_by_label("Текст вопроса"), "С какой целью вы пришли?")
    user.fill(editor.locator("input[name=opt_text]").nth(0), "Технологическое присоединение")
    user.fill(editor.locator("input[name=opt_text]").nth(1), "Учет электроэнергии")
    _save(user, editor, 2, "С какой целью вы пришли?")

    # 3. NPS.
    editor = _add_question(user, "nps", 3)
    user.fill(editor.get_by_label("Текст вопроса"), "Порекомендуете ли вы нас знакомым?")
    _save(user, editor, 3, "Порекомендуете ли вы нас")

    # 4. Multiple choice with «Другое»: the empty row takes the third option.
    editor = _add_question(user, "multi_choice", 4)
    user.fill(editor.get_by_label("Текст вопроса"), "Что можно улучшить?")
    user.fill(editor.locator("input[name=opt_text]").nth(0), "Очередь")
    user.fill(editor.locator("input[name=opt_text]").nth(1), "Вежливость")
    user.fill(editor.locator("input[name=opt_text]").nth(2), "Сроки")
    user.check(editor.get_by_label("Другое (свой ответ)"))
    _save(user, editor, 4, "Что можно улучшить?")

    # 5. A text shown on low ratings: the condition is picked from dropdowns.
    editor = _add_question(user, "text", 5)
    user.fill(editor.get_by_label("Текст вопроса"), "Что пошло не так?")
    user.choose(editor.get_by_label("Показывать, если вопрос"), "overall")
    user.choose(editor.get_by_label("Условие", exact=True), "lte")
    value = editor.get_by_label("Значение")
    assert value.locator("optgroup:not([hidden])").count() == 1  # only the rating's values are offered
    user.choose(value, "2")
    _save(user, editor, 5, "Что пошло не так?")

    # 6. Yes / no.
    editor = _add_question(user, "yes_no", 6)
    user.fill(editor.get_by_label("Текст вопроса"), "Вопрос решен?")
    _save(user, editor, 6, "Вопрос решен?")

    # The preview shows the survey in both frames, drawn by the respondent templates.
    for device in ("phone", "kiosk"):
        assert page.locator(f"[data-preview={device}] .question").count() == 6
    screenshot(page, "designer-six-questions")

    user.click(page.get_by_role("button", name="Опубликовать черновик"))
    page.wait_for_url(f"{base}/surveys/*/assign*")

    with live_server.app.app_context():
        from app.surveys.models import Survey

        survey = db.session.scalar(select(Survey).where(Survey.title == "Визит в центр обслуживания"))
        assert survey is not None and survey.slug == "vizit-v-tsentr-obsluzhivaniia"
        version = survey.versions[-1]
        assert version.status == "published"
        questions = [q for p in version.definition["pages"] for q in p["questions"]]
        db.session.remove()
    assert [q["type"] for q in questions] == ["rating", "single_choice", "nps", "multi_choice", "text", "yes_no"]
    assert all(q["code"].isascii() for q in questions)
    choice, multi, text = questions[1], questions[3], questions[4]
    assert [o["text"]["ru"] for o in choice["options"]] == ["Технологическое присоединение", "Учет электроэнергии"]
    assert [o["text"]["ru"] for o in multi["options"]] == ["Очередь", "Вежливость", "Сроки"]
    assert all(o["code"].isascii() for o in choice["options"] + multi["options"])
    assert multi["other"] is True
    assert text["show_if"] == {"all": [{"question": questions[0]["code"], "op": "lte", "value": 2}]}
    assert questions[5]["text"]["ru"] == "Вопрос решен?"

    assert blocked == []
    assert len(loads) <= MAX_PAGE_LOADS, loads
    assert user.actions <= MAX_ACTIONS, user.log
    print(f"designer e2e: {len(loads)} page loads, {user.actions} user actions")


def _codes_in_db(live_server, survey_id: int) -> list[str]:
    with live_server.app.app_context():
        from app.surveys.models import Survey

        survey = db.session.get(Survey, survey_id)
        codes = [q["code"] for p in survey.versions[-1].definition["pages"] for q in p["questions"]]
        db.session.remove()
    return codes


def test_reorder_by_drag_and_drop_and_by_keyboard_without_page_loads(live_server, page):
    base = live_server.url
    with live_server.app.app_context():
        from app.models import User as Account
        from app.surveys import services
        from app.surveys.forms import blank_definition

        doc = blank_definition("order-test", "Порядок")
        doc["pages"][0]["questions"] += [
            {"code": "second", "type": "text", "text": {"ru": "Второй"}},
            {"code": "third", "type": "yes_no", "text": {"ru": "Третий"}},
        ]
        author = db.session.scalar(select(Account).where(Account.email == "marketing@otklik.demo"))
        survey_id = services.create_survey(doc, user=author).id
        db.session.remove()

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{base}/login")
    page.get_by_label("Электронная почта").fill("marketing@otklik.demo")
    page.get_by_label("Пароль").fill("demo-marketing-2026")
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{base}/dashboard")
    page.goto(f"{base}/surveys/{survey_id}")
    loads: list[str] = []
    page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)

    # Drag «Третий» onto the first place.
    page.locator("#q-0-2").drag_to(page.locator("#q-0-0"))
    page.locator("#q-0-0 .q-text", has_text="Третий").wait_for()
    assert _codes_in_db(live_server, survey_id) == ["third", "overall", "second"]

    # Keyboard: focus «Ниже» of the first question and press Enter; focus lands on the moved question.
    page.get_by_role("button", name="Ниже: вопрос 1").focus()
    page.keyboard.press("Enter")
    page.locator("#q-0-1 .q-text", has_text="Третий").wait_for()
    assert _codes_in_db(live_server, survey_id) == ["overall", "third", "second"]
    assert page.evaluate("document.activeElement && document.activeElement.id") == "q-0-1"

    # Copy and delete in place.
    page.get_by_role("button", name="Копировать: вопрос 3").click()
    page.locator("#q-0-3").wait_for()
    assert _codes_in_db(live_server, survey_id) == ["overall", "third", "second", "second_2"]
    page.get_by_role("button", name="Удалить: вопрос 4").click()
    page.locator("#q-0-3").wait_for(state="detached")
    assert _codes_in_db(live_server, survey_id) == ["overall", "third", "second"]
    assert loads == []  # all of it in place
