"""The text of a close-the-loop appeal: the low score said in Russian, whatever the question type."""

from __future__ import annotations

import re

import pytest

from app.surveys.schema import validate_definition
from app.surveys.services import loop_appeal_text

DEFINITION = validate_definition(
    {
        "slug": "loop",
        "title": {"ru": "Визит в ЦОК"},
        "pages": [
            {
                "questions": [
                    {"code": "nps", "type": "nps", "text": {"ru": "Порекомендуете ли вы нас?"}},
                    {
                        "code": "hall",
                        "type": "matrix",
                        "text": {"ru": "Оцените зал"},
                        "rows": [{"code": "hall_clean", "text": {"ru": "Чистота"}}],
                        "scale": {"min": 1, "max": 7},
                    },
                    {"code": "solved", "type": "yes_no", "text": {"ru": "Вопрос решен?"}},
                    {"code": "wait_min", "type": "number", "text": {"ru": "Сколько минут ждали?"}},
                    {"code": "contact", "type": "contact", "text": {"ru": "Связаться с вами?"}},
                ]
            }
        ],
    }
)


@pytest.mark.parametrize(
    ("code", "value", "said"),
    [
        ("nps", 3, "Оценка «Порекомендуете ли вы нас?»: 3 из 10."),
        ("hall_clean", 2, "Оценка «Оцените зал: Чистота»: 2 из 7."),
        ("solved", False, "Оценка «Вопрос решен?»: нет."),
        ("wait_min", 2.5, "Оценка «Сколько минут ждали?»: 2,5."),
    ],
)
def test_the_low_score_is_said_by_its_question_text(code, value, said):
    text = loop_appeal_text(DEFINITION, {code: value}, code, "online")
    assert said in text.splitlines()
    assert "Канал опроса: Сайт." in text.splitlines()
    assert not re.search(r"[A-Za-z_=]", text), text
    assert "Ответы клиента" not in text  # nothing written, nothing listed
