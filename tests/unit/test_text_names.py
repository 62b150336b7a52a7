"""The customer's name found in a text in any grammatical case (pymorphy3 lemmas)."""

from __future__ import annotations

import pytest

from app.text import names


@pytest.mark.parametrize(
    ("text", "full_name", "words"),
    [
        ("Уважаемая Иванову Марию просим прийти в ЦОК.", "Мария Иванова", ["Иванову", "Марию"]),
        ("Мы связались с Петровым по телефону.", "Петров Иван Сергеевич", ["Петровым"]),
        ("мы связались с петровым по телефону.", "Петров Иван Сергеевич", ["петровым"]),
        ("Ивановой Марии Петровне направлен ответ", "Иванова Мария Петровна", ["Ивановой", "Марии", "Петровне"]),
        ("Ответ направлен Петру Алексеевичу.", "Пётр Алексеевич Смирнов", ["Петру", "Алексеевичу"]),
        ("Сообщаем КУЗНЕЦОВОЙ о переносе срока", "Кузнецова Анна", ["КУЗНЕЦОВОЙ"]),
        ("Передали Шмыгле и Шмыгло", "Шмыгло О. П.", ["Шмыгле", "Шмыгло"]),
    ],
)
def test_the_name_is_found_in_any_case(text, full_name, words):
    assert [m.word for m in names.find_name(text, full_name)] == words
    assert names.mentions_name(text, full_name)


@pytest.mark.parametrize(
    ("text", "full_name"),
    [
        ("Счетчик заменен, показания переданы в сбытовую компанию.", "Мария Иванова"),
        ("Ответ направлен заявителю письмом.", "Петров Иван Сергеевич"),
        ("Мы проверили линию и устранили неисправность.", ""),
        ("", "Мария Иванова"),
        ("Спасибо, И. П. приняли к сведению.", "И. П."),  # initials alone name nobody
    ],
)
def test_a_text_without_the_name_is_not_flagged(text, full_name):
    assert names.find_name(text, full_name) == []
    assert not names.mentions_name(text, full_name)


def test_a_mention_tells_where_it_is_and_which_part_it_matched():
    text = "Петрову сообщили."
    (mention,) = names.find_name(text, "Иван Петров")
    assert text[mention.start : mention.end] == "Петрову" and mention.part == "Петров"


def test_name_parts_leave_out_initials_and_split_double_surnames():
    assert names.name_parts("Римский-Корсаков Н. А.") == ["Римский", "Корсаков"]


def test_one_analyzer_per_process():
    assert names.analyzer() is names.analyzer()
