"""The separate personal-data consent for an answer to a review-book entry (152-ФЗ, art. 9).

Since 1 September 2025 the consent must be its own document, not a line inside a form, so the
full text is shown on its own step and its version is stored with the contact data.
"""

from __future__ import annotations

from flask import current_app

CONSENT_VERSION = "review-answer-2026-01"
CONSENT_PURPOSE = "review_answer"
RETENTION_DAYS = 365


def consent_text() -> list[str]:
    """Paragraphs of the consent, with the operator's name from the configuration."""
    operator = current_app.config["COMPANY_NAME"]
    return [
        f"Я даю согласие оператору персональных данных — {operator} — на обработку моих персональных данных "
        "в соответствии с Федеральным законом от 27.07.2006 № 152-ФЗ «О персональных данных».",
        "Цель обработки: подготовка и направление мне ответа на мою запись в книге отзывов и предложений "
        "и связь со мной по этой записи.",
        "Перечень данных: фамилия, имя (или как ко мне обращаться), адрес электронной почты, номер телефона — "
        "только то, что я укажу ниже.",
        "Действия с данными: сбор, запись, хранение, использование, удаление; без передачи третьим лицам "
        "и без публикации. Данные хранятся отдельно от текста моей записи.",
        f"Срок: до отзыва согласия, но не дольше {RETENTION_DAYS} дней после ответа на запись; затем данные удаляются.",
        "Как отозвать согласие: на странице «Проверить статус записи» по регистрационному номеру и коду "
        "проверки (кнопка «Отозвать согласие и удалить мои контакты») или письменным заявлением в любом ЦОК. "
        "После отзыва контактные данные удаляются, ответ остается доступен на странице статуса.",
        f"Версия текста согласия: {CONSENT_VERSION}.",
    ]
