"""The personal-data consent of a service request (152-ФЗ, art. 9), shown in full above its checkbox.

Like the review book's, the consent is a text of its own, not a line inside the form; its version is
stored with the contact (``app.requests.services.CONSENT_VERSION``).
"""

from __future__ import annotations

from flask import current_app

from app.reviews.consent import RETENTION_DAYS


def consent_text(version: str) -> list[str]:
    """Paragraphs of the consent, with the operator's name from the configuration."""
    operator = current_app.config["COMPANY_NAME"]
    return [
        f"Я даю согласие оператору персональных данных — {operator} — на обработку моих персональных данных "
        "в соответствии с Федеральным законом от 27.07.2006 № 152-ФЗ «О персональных данных».",
        "Цель обработки: рассмотрение моей заявки, выполнение работ по ней и связь со мной по этой заявке.",
        "Перечень данных: фамилия, имя, отчество, номер телефона, адрес электронной почты, адрес объекта "
        "и приложенные мной документы — только то, что я укажу в заявке.",
        "Действия с данными: сбор, запись, хранение, использование, удаление; без передачи третьим лицам "
        "и без публикации.",
        f"Срок: до отзыва согласия, но не дольше {RETENTION_DAYS} дней после завершения работы по заявке; "
        "затем данные и документы удаляются.",
        "Как отозвать согласие: письменным заявлением в любом центре обслуживания клиентов. После отзыва "
        "контактные данные, адрес объекта и документы удаляются.",
        f"Версия текста согласия: {version}.",
    ]
