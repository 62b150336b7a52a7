"""The audit log in words a person reads: action and object names in Russian, enum values as labels.

Events store codes (``appeal.status``, ``registered → in_progress``) so that they stay stable when labels
change; this module translates them for the page and keeps the raw codes for the «Дополнительно» block.
"""

from __future__ import annotations

import re

from flask_babel import gettext

from app.analysis.models import ACTION_STATUSES
from app.appeals.models import CHANNELS, KINDS, STATUSES
from app.models import ROLE_LABELS, AuditEvent

ACTION_LABELS = {
    "analysis.action.create": "Создано корректирующее действие",
    "analysis.action.status": "Изменен статус корректирующего действия",
    "analysis.theme.create": "Добавлена тема текстов",
    "analysis.theme.update": "Изменена тема текстов",
    "api.token_create": "Выпущен ключ API",
    "api.token_revoke": "Отозван ключ API",
    "appeal.answer": "Дан ответ на обращение",
    "appeal.import": "Обращения загружены из файла",
    "appeal.contract": "Отмечен итог: договор",
    "appeal.corrective_action": "Обращение связано с корректирующим действием",
    "appeal.deadline_rule": "Изменен срок ответа",
    "appeal.deadline_rule_delete": "Удален срок ответа",
    "appeal.promise": "Записано обещание клиенту",
    "appeal.promise_resolve": "Отмечено выполнение обещания",
    "appeal.register": "Зарегистрировано обращение",
    "appeal.root_cause": "Указана коренная причина",
    "appeal.root_cause_edit": "Изменен справочник причин",
    "appeal.status": "Изменен статус обращения",
    "auth.lockout": "Вход заблокирован после неудачных попыток",
    "kiosk.enrol": "Киоск подключен",
    "kiosk.enrol_link": "Выдана ссылка подключения киоска",
    "kiosk.reissue": "Киоск переподключен",
    "kiosk.register": "Киоск добавлен",
    "kiosk.revoke": "Киоск отключен",
    "kiosk.update": "Киоск изменен",
    "booking.arrived": "Клиент пришел по записи",
    "booking.no_show": "Клиент не пришел по записи",
    "booking.close": "День или окно закрыты для записи",
    "org.activate": "Подразделение включено",
    "org.deactivate": "Подразделение отключено",
    "org.create": "Подразделение создано",
    "org.update": "Подразделение изменено",
    "org.import": "Подразделения загружены из файла",
    "privacy.erase": "Удалены персональные данные",
    "privacy.export": "Выгружены персональные данные",
    "privacy.purge": "Удалены устаревшие персональные данные",
    "report.request": "Заказан отчет",
    "report.interrupted": "Построение отчета прервано",
    "review.consent_withdrawn": "Клиент отозвал согласие",
    "review.publish": "Запись книги отзывов опубликована",
    "review.hide": "Запись книги отзывов скрыта",
    "review.check.accept": "Запись принята после проверки",
    "review.check.reject": "Запись отклонена после проверки",
    "service_request.check.accept": "Заявка принята после проверки",
    "service_request.check.reject": "Заявка отклонена после проверки",
    "service_request.attachment": "Скачан документ заявки",
    "site.page.update": "Изменена страница сайта",
    "site.news.create": "Добавлена публикация о ЦОК",
    "site.news.update": "Изменена публикация о ЦОК",
    "survey.assign": "Анкета назначена центрам",
    "survey.unassign": "Назначение анкеты снято",
    "survey.import": "Анкета загружена из файла",
    "survey.close": "Анкета закрыта",
    "survey.close_the_loop": "Обращение по низкой оценке",
    "survey.create": "Анкета создана",
    "survey.export": "Ответы выгружены",
    "survey.held.discard": "Задержанный ответ отброшен",
    "survey.held.release": "Задержанный ответ принят",
    "survey.import_responses": "Ответы загружены из файла",
    "survey.new_draft": "Создан черновик анкеты",
    "survey.publish": "Анкета опубликована",
    "survey.save": "Анкета сохранена",
    "topic.edit": "Изменена тема обращений",
    "user.activate": "Пользователь включен",
    "user.deactivate": "Пользователь отключен",
    "user.create": "Пользователь создан",
    "user.password": "Пароль изменен",
    "user.password_reset": "Пароль сброшен",
    "user.role": "Изменена роль пользователя",
    "user.unlock": "Вход разблокирован",
    "kb.article.create": "Создана статья базы знаний",
    "kb.article.update": "Изменена статья базы знаний",
    "kb.article.publish": "Статья базы знаний опубликована",
    "kb.article.unpublish": "Статья базы знаний снята с публикации",
    "kb.article.from_appeal": "Ответ на обращение перенесен в базу знаний",
    "kb.section.create": "Создан раздел базы знаний",
    "kb.section.update": "Изменен раздел базы знаний",
    "kb.section.delete": "Удален раздел базы знаний",
    "kb.synonym.create": "Добавлены синонимы поиска",
    "kb.synonym.delete": "Удалены синонимы поиска",
    "kb.import": "Статьи базы знаний загружены из файла",
}

OBJECT_LABELS = {
    "Appeal": "Обращение",
    "Booking": "Запись на прием",
    "BookingClosure": "Закрытие для записи",
    "TextTheme": "Тема текстов",
    "ApiToken": "Ключ API",
    "CorrectiveAction": "Корректирующее действие",
    "DeadlineRule": "Срок ответа",
    "HeldResponse": "Задержанный ответ",
    "Kiosk": "Киоск",
    "Organisation": "Подразделение",
    "Promise": "Обещание",
    "ReportArchive": "Отчет",
    "ReviewEntry": "Запись книги отзывов",
    "RootCause": "Коренная причина",
    "SitePage": "Страница сайта",
    "NewsPost": "Публикация о ЦОК",
    "Survey": "Анкета",
    "Topic": "Тема",
    "User": "Пользователь",
    "KbArticle": "Статья базы знаний",
    "KbSection": "Раздел базы знаний",
    "KbSynonym": "Синонимы поиска",
}

# Enum values that summaries carry (statuses, roles, kinds, channels) and their labels.
VALUE_LABELS: dict[str, str] = {
    **STATUSES,
    **KINDS,
    **CHANNELS,
    **{role.value: label for role, label in ROLE_LABELS.items()},
}
LATIN_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LATIN_LEFT = re.compile(r"[A-Za-z_]{2,}")


def action_label(event: AuditEvent) -> str:
    """The action in Russian; an action without a label yet reads as a general «Изменение»."""
    return gettext(ACTION_LABELS.get(event.action, "Изменение"))


def object_label(event: AuditEvent) -> str:
    if not event.object_type:
        return ""
    name = gettext(OBJECT_LABELS.get(event.object_type, "Запись"))
    return f"{name} № {event.object_id}" if event.object_id else name


def readable_summary(event: AuditEvent) -> str:
    """The summary with enum values as labels (``role=admin`` → «Администратор»,
    ``registered → in_progress`` → «Зарегистрировано → В работе»); empty when codes would remain (a slug,
    a centre code): those stay in the «Дополнительно» block only."""
    text = event.summary or ""
    text = re.sub(r"\brole=", "", text)
    labels = ACTION_STATUSES if event.action == "analysis.action.status" else VALUE_LABELS
    text = LATIN_WORD.sub(lambda m: gettext(labels[m[0]]) if m[0] in labels else m[0], text)
    if event.action == "appeal.register":
        text = text.replace("/", " · ")
    return "" if LATIN_LEFT.search(text) else text
