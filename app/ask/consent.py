"""The personal-data consent for an answer to a question (152-ФЗ, art. 9): its own text and version."""

from __future__ import annotations

from flask import current_app

CONSENT_VERSION = "вопрос-2026-12"  # shown to the customer in the consent text: Russian
CONSENT_PURPOSE = "ask_answer"
RETENTION_DAYS = 365


def consent_text() -> list[str]:
    """Paragraphs of the consent, with the operator's name from the configuration."""
    operator = current_app.config["COMPANY_NAME"]
    return [
        f"Я даю согласие оператору персональных данных — {operator} — на обработку моих персональных данных "
        "в соответствии с Федеральным законом от 27.07.2006 № 152-ФЗ «О персональных данных».",
        "Цель обработки: подготовка и направление мне ответа специалиста на мой вопрос и связь со мной по нему.",
        "Перечень данных: имя (или как ко мне обращаться), адрес электронной почты, номер телефона — "
        "только то, что я укажу.",
        "Действия с данными: сбор, запись, хранение, использование, удаление; без передачи третьим лицам "
        "и без публикации. Данные хранятся отдельно от текста вопроса.",
        f"Срок: до отзыва согласия, но не дольше {RETENTION_DAYS} дней после ответа; затем данные удаляются.",
        "Как отозвать согласие: на странице «Проверить статус обращения» по регистрационному номеру и коду "
        "проверки или письменным заявлением в любом ЦОК.",
        f"Версия текста согласия: {CONSENT_VERSION}.",
    ]
