"""Russian normalisation and the one masker of personal data."""

import pytest

from app.analysis import queries
from app.reports import fmt
from app.text import masking, russian


def test_lemmas_fold_case_and_yo_and_drop_stop_words():
    assert russian.lemmatize("Счёт за ЭЛЕКТРОЭНЕРГИЮ пришёл с ошибкой, и я жду ответа") == [
        "счет",
        "электроэнергия",
        "прийти",
        "ошибка",
        "ждать",
        "ответ",
    ]


def test_tokens_keep_inner_hyphens_and_digits():
    assert russian.tokenize("Ждали 2 часа, т.е. как-то долго") == ["ждали", "2", "часа", "т", "е", "как-то", "долго"]


def test_phrase_matches_only_adjacent_lemmas_in_order():
    lemmas = russian.lemmatize("Прибор учёта поставили, но учет не ведётся")
    assert russian.contains_phrase(lemmas, russian.lemma_phrase("приборы учета"))
    assert not russian.contains_phrase(lemmas, russian.lemma_phrase("учет прибора"))
    assert not russian.contains_phrase(lemmas, ())


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо Ивановой Марии Петровне за помощь",
        "Поговорил с петровым, ничего не решили",
        "оператор иванова мария нагрубила",
        "ИВАНОВОЙ МАРИИ ПЕТРОВНЕ отдельное спасибо",
        "Вера Петровна помогла",
        "Мастер Сидоров И.П. не приехал",
    ],
)
def test_names_are_masked_capitalised_or_not(text):
    masked = masking.mask_personal(text)
    assert "[имя скрыто]" in masked
    for name in ("иванов", "мари", "петров", "сидоров", "вера"):
        assert name not in masked.lower()
    assert "И.П." not in masked


def test_common_words_that_can_be_names_stay():
    text = "Марка счетчика не та, вера в компанию пропала, роза ветров"
    assert masking.mask_personal(text) == text


def test_full_name_becomes_one_mask():
    assert masking.mask_personal("оператор иванова мария нагрубила") == "оператор [имя скрыто] нагрубила"


def test_contact_own_name_is_masked_in_any_form():
    text = "Прошу связаться с Гусем, дочь гуся знает"
    masked = masking.mask_personal(text, own_names=["Гусь", "Альберт"])
    assert "гус" not in masked.lower() and masked.count("[имя скрыто]") == 2
    assert "Гусем" in masking.mask_personal(text)  # without the contact the word is an ordinary noun


def test_contacts_addresses_and_numbers_are_masked():
    text = masking.mask_personal(
        "Звоните +7 (912) 345-67-89, пишите ivan.petrov@mail.ru, живу ул. Ленина, д. 5, кв. 12, лицевой счёт 1234567890"
    )
    assert text == ("Звоните [телефон скрыт], пишите [e-mail скрыт], живу [адрес скрыт], лицевой счёт [номер скрыт]")


def test_the_report_maskers_are_the_one_masker():
    text = "Петров, звоните 8 912 345 67 89"
    assert queries.mask_personal(text) == fmt.mask_personal(text) == masking.mask_personal(text)
    assert queries.mask_personal(text) == "[имя скрыто], звоните [телефон скрыт]"
