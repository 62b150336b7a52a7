"""Designer errors: document paths become the question's number and text (pure function, no app)."""

from __future__ import annotations

from app.surveys.designer_errors import humanize_error, humanize_errors

DOC = {
    "slug": "s",
    "pages": [
        {"questions": [{"code": "overall", "text": {"ru": "Оценка визита"}}]},
        {
            "questions": [
                {
                    "code": "purpose",
                    "text": {"ru": "Зачем вы пришли?"},
                    "options": [
                        {"code": "a", "text": {"ru": "Подключение"}},
                        {"code": "a", "text": {"ru": "Счетчики"}},
                    ],
                }
            ]
        },
    ],
}


def test_option_path_names_question_number_text_and_option():
    error = humanize_error("pages[1].questions[0].options[1].code: повторяется код «a»", DOC)
    # Numbered across pages: the first question of page 2 is question 2.
    assert error == "Вопрос 2 «Зачем вы пришли?», вариант 2 «Счетчики», код: повторяется код «a»"


def test_condition_and_reference_paths():
    assert humanize_error("pages[1].questions[0].show_if.all[0].value: нужно число", DOC) == (
        "Вопрос 2 «Зачем вы пришли?», условие показа: нужно число"
    )
    assert humanize_error(
        "pages[1].questions[0].code: повторяется код «x» (уже есть в pages[0].questions[0])", DOC
    ) == ("Вопрос 2 «Зачем вы пришли?», код: повторяется код «x» (уже есть у вопроса 1 «Оценка визита»)")


def test_top_level_and_page_paths_and_no_path_left():
    errors = humanize_errors(["slug: недопустимый код", "pages[1].title: слишком длинно", "(JSON) ошибка"], DOC)
    assert errors == ["Код анкеты: недопустимый код", "Страница 2, заголовок: слишком длинно", "(JSON) ошибка"]
    assert not any("pages[" in e for e in errors)


def test_a_broken_document_does_not_break_the_wording():
    assert humanize_error("pages[3].questions[7].type: неизвестный тип вопроса", {"pages": "oops"}) == (
        "Вопрос 8, тип: неизвестный тип вопроса"
    )
