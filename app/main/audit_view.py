"""The audit log in words a person reads: action and object names in Russian, enum values as labels.

Events store codes (``appeal.status``, ``registered → in_progress``) so that they stay stable when labels
change; this module translates them for the page and keeps the raw codes for the «Дополнительно» block.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from app.analysis.models import ACTION_STATUSES
from app.appeals.models import CHANNELS, KINDS, STATUSES
from app.i18n import label_text
from app.models import ROLE_LABELS, AuditEvent

ACTION_LABELS = {
    "analysis.action.create": _l("Создано корректирующее действие"),
    "analysis.action.status": _l("Изменен статус корректирующего действия"),
    "analysis.theme.create": _l("Добавлена тема текстов"),
    "analysis.theme.update": _l("Изменена тема текстов"),
    "api.token_create": _l("Выпущен ключ API"),
    "api.token_revoke": _l("Отозван ключ API"),
    "appeal.answer": _l("Дан ответ на обращение"),
    "appeal.import": _l("Обращения загружены из файла"),
    "appeal.contract": _l("Отмечен итог: договор"),
    "appeal.corrective_action": _l("Обращение связано с корректирующим действием"),
    "appeal.deadline_rule": _l("Изменен срок ответа"),
    "appeal.deadline_rule_delete": _l("Удален срок ответа"),
    "appeal.promise": _l("Записано обещание клиенту"),
    "appeal.promise_resolve": _l("Отмечено выполнение обещания"),
    "appeal.register": _l("Зарегистрировано обращение"),
    "appeal.root_cause": _l("Указана коренная причина"),
    "appeal.root_cause_edit": _l("Изменен справочник причин"),
    "appeal.status": _l("Изменен статус обращения"),
    "auth.lockout": _l("Вход заблокирован после неудачных попыток"),
    "kiosk.enrol": _l("Киоск подключен"),
    "kiosk.enrol_link": _l("Выдана ссылка подключения киоска"),
    "kiosk.reissue": _l("Киоск переподключен"),
    "kiosk.register": _l("Киоск добавлен"),
    "kiosk.revoke": _l("Киоск отключен"),
    "kiosk.update": _l("Киоск изменен"),
    "booking.arrived": _l("Клиент пришел по записи"),
    "booking.no_show": _l("Клиент не пришел по записи"),
    "booking.close": _l("День или окно закрыты для записи"),
    "org.activate": _l("Подразделение включено"),
    "org.deactivate": _l("Подразделение отключено"),
    "org.create": _l("Подразделение создано"),
    "org.update": _l("Подразделение изменено"),
    "org.import": _l("Подразделения загружены из файла"),
    "privacy.erase": _l("Удалены персональные данные"),
    "privacy.export": _l("Выгружены персональные данные"),
    "privacy.purge": _l("Удалены устаревшие персональные данные"),
    "report.request": _l("Заказан отчет"),
    "report.interrupted": _l("Построение отчета прервано"),
    "review.consent_withdrawn": _l("Клиент отозвал согласие"),
    "review.publish": _l("Запись книги отзывов опубликована"),
    "review.hide": _l("Запись книги отзывов скрыта"),
    "review.check.accept": _l("Запись принята после проверки"),
    "review.check.reject": _l("Запись отклонена после проверки"),
    "service_request.check.accept": _l("Заявка принята после проверки"),
    "service_request.check.reject": _l("Заявка отклонена после проверки"),
    "service_request.attachment": _l("Скачан документ заявки"),
    "site.page.update": _l("Изменена страница сайта"),
    "site.news.create": _l("Добавлена публикация о ЦОК"),
    "site.news.update": _l("Изменена публикация о ЦОК"),
    "survey.assign": _l("Анкета назначена центрам"),
    "survey.unassign": _l("Назначение анкеты снято"),
    "survey.import": _l("Анкета загружена из файла"),
    "survey.close": _l("Анкета закрыта"),
    "survey.close_the_loop": _l("Обращение по низкой оценке"),
    "survey.create": _l("Анкета создана"),
    "survey.export": _l("Ответы выгружены"),
    "survey.held.discard": _l("Задержанный ответ отброшен"),
    "survey.held.release": _l("Задержанный ответ принят"),
    "survey.import_responses": _l("Ответы загружены из файла"),
    "survey.new_draft": _l("Создан черновик анкеты"),
    "survey.publish": _l("Анкета опубликована"),
    "survey.save": _l("Анкета сохранена"),
    "topic.edit": _l("Изменена тема обращений"),
    "user.activate": _l("Пользователь включен"),
    "user.deactivate": _l("Пользователь отключен"),
    "user.create": _l("Пользователь создан"),
    "user.password": _l("Пароль изменен"),
    "user.password_reset": _l("Пароль сброшен"),
    "user.role": _l("Изменена роль пользователя"),
    "user.unlock": _l("Вход разблокирован"),
    "kb.article.create": _l("Создана статья базы знаний"),
    "kb.article.update": _l("Изменена статья базы знаний"),
    "kb.article.publish": _l("Статья базы знаний опубликована"),
    "kb.article.unpublish": _l("Статья базы знаний снята с публикации"),
    "kb.article.from_appeal": _l("Ответ на обращение перенесен в базу знаний"),
    "kb.section.create": _l("Создан раздел базы знаний"),
    "kb.section.update": _l("Изменен раздел базы знаний"),
    "kb.section.delete": _l("Удален раздел базы знаний"),
    "kb.synonym.create": _l("Добавлены синонимы поиска"),
    "kb.synonym.delete": _l("Удалены синонимы поиска"),
    "kb.import": _l("Статьи базы знаний загружены из файла"),
}

OBJECT_LABELS = {
    "Appeal": _l("Обращение"),
    "Booking": _l("Запись на прием"),
    "BookingClosure": _l("Закрытие для записи"),
    "TextTheme": _l("Тема текстов"),
    "ApiToken": _l("Ключ API"),
    "CorrectiveAction": _l("Корректирующее действие"),
    "DeadlineRule": _l("Срок ответа"),
    "HeldResponse": _l("Задержанный ответ"),
    "Kiosk": _l("Киоск"),
    "Organisation": _l("Подразделение"),
    "Promise": _l("Обещание"),
    "ReportArchive": _l("Отчет"),
    "ReviewEntry": _l("Запись книги отзывов"),
    "RootCause": _l("Коренная причина"),
    "SitePage": _l("Страница сайта"),
    "NewsPost": _l("Публикация о ЦОК"),
    "Survey": _l("Анкета"),
    "Topic": _l("Тема"),
    "User": _l("Пользователь"),
    "KbArticle": _l("Статья базы знаний"),
    "KbSection": _l("Раздел базы знаний"),
    "KbSynonym": _l("Синонимы поиска"),
}

# Enum values that summaries carry (statuses, roles, kinds, channels) and their labels.
VALUE_LABELS: dict[str, object] = {
    **STATUSES,
    **KINDS,
    **CHANNELS,
    **{role.value: label for role, label in ROLE_LABELS.items()},
}
LATIN_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LATIN_LEFT = re.compile(r"[A-Za-z_]{2,}")


def action_label(event: AuditEvent) -> str:
    """The action in Russian; an action without a label yet reads as a general «Изменение»."""
    return str(ACTION_LABELS.get(event.action, _l("Изменение")))


def object_label(event: AuditEvent) -> str:
    if not event.object_type:
        return ""
    name = str(OBJECT_LABELS.get(event.object_type, _l("Запись")))
    return f"{name} № {event.object_id}" if event.object_id else name


def readable_summary(event: AuditEvent) -> str:
    """The summary with enum values as labels (``role=admin`` → «Администратор»,
    ``registered → in_progress`` → «Зарегистрировано → В работе»); empty when codes would remain (a slug,
    a centre code): those stay in the «Дополнительно» block only."""
    text = event.summary or ""
    text = re.sub(r"\brole=", "", text)
    labels = ACTION_STATUSES if event.action == "analysis.action.status" else VALUE_LABELS
    text = LATIN_WORD.sub(lambda m: label_text(labels[m[0]]) if m[0] in labels else m[0], text)
    if event.action == "appeal.register":
        text = text.replace("/", " · ")
    return "" if LATIN_LEFT.search(text) else text
