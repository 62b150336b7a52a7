"""The OpenAPI 3.0 document of API v1 (kept true to routes.py; schemathesis checks it).

Paths are written here; the reply bodies' schemas come from the pydantic models of
:mod:`app.api.bodies`. The posting and report bodies are still described by hand below.
"""

from __future__ import annotations

from typing import Any

from app.api.bodies import component_schemas

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    texts = {
        400: "Неверный запрос",
        401: "Нет или неверный токен",
        403: "Доступ запрещен",
        404: "Не найдено",
        409: "Тот же идентификатор отправки с другим содержимым",
        410: "Опрос завершен",
        429: "Слишком много запросов",
    }
    return {str(code): _json(_ERROR, texts[code]) for code in codes}


_PERIOD_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "period",
        "in": "query",
        "schema": {"type": "string", "pattern": "^[0-9]{4}[Qq][1-4]$"},
        "description": "Квартал, например 2026Q3",
    },
    {
        "name": "from",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "Начало периода (вместе с to)",
    },
    {
        "name": "to",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "Конец периода, включительно",
    },
    {"name": "scope", "in": "query", "schema": {"type": "string"}, "description": "company или код филиала/ЦОК"},
]

SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "Код анкеты",
    "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
}


CENTRE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "Код ЦОК",
    "schema": {"type": "string", "minLength": 1, "maxLength": 32},
}


def _object(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties, **extra}


_INT = {"type": "integer"}
_NUMBER = {"type": "number"}
_SHARE = {"type": "number", "nullable": True}
_RANGE = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
_DATES = _object(
    ["from", "to"], {"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}}
)
_BOOKING_FIGURES = {"made": _INT, "booked": _INT, "cancelled": _INT, "arrived": _INT, "no_show": _INT}
KNOWLEDGE_BASE_STATS: dict[str, Any] = _object(
    ["searches", "zero_result_searches", "views", "votes_yes", "votes_no", "top_unanswered"],
    {
        "searches": _INT,
        "zero_result_searches": _INT,
        "zero_result_share": _SHARE,
        "views": _INT,
        "votes_yes": _INT,
        "votes_no": _INT,
        "helpful_share": {**_SHARE, "description": "votes_yes / (votes_yes + votes_no); null без голосов"},
        "helpful_ci": {**_RANGE, "nullable": True, "description": "Интервал Уилсона 95 % для helpful_share"},
        "top_unanswered": {
            "type": "array",
            "description": "Самые частые поиски без результата (нормализованный текст), не более 10",
            "items": _object(["query", "count"], {"query": {"type": "string"}, "count": _INT}),
        },
    },
    description="База знаний за период по всей компании (статьи не относятся к ЦОК, scope не влияет): поиски, "
    "поиски без результата, просмотры статей, голоса «Помог ли ответ?»; дни — по времени ЦОК",
)
QUESTION_STATS: dict[str, Any] = _object(
    ["total", "questions_by_topic", "questions_by_center"],
    {
        "total": _INT,
        "questions_by_topic": {
            "type": "array",
            "items": _object(
                ["topic", "topic_name", "n"], {"topic": {"type": "string"}, "topic_name": {"type": "string"}, "n": _INT}
            ),
        },
        "questions_by_center": {
            "type": "array",
            "items": _object(
                ["center", "center_name", "n"],
                {"center": {"type": "string"}, "center_name": {"type": "string"}, "n": _INT},
            ),
        },
    },
    description="Вопросы специалисту (заявления с подтипом «вопрос»), полученные в периоде, в ЦОК scope; "
    "темы и ЦОК — только с вопросами, по убыванию",
)
INTERNET_COK_STATS: dict[str, Any] = _object(
    [
        "period",
        "scope",
        "bookings",
        "bookings_total",
        "utilisation",
        "no_shows_by_hour",
        "expected_load",
        "knowledge_base",
        "questions",
    ],
    {
        "knowledge_base": KNOWLEDGE_BASE_STATS,
        "questions": QUESTION_STATS,
        "period": _DATES,
        "scope": {"type": "string"},
        "bookings": {
            "type": "array",
            "description": "По ЦОК: записи с датой приема в периоде (made — все), из них еще ожидаются (booked), "
            "отменены, пришли, не пришли",
            "items": _object(
                ["center", "center_name", *_BOOKING_FIGURES],
                {"center": {"type": "string"}, "center_name": {"type": "string"}, **_BOOKING_FIGURES},
            ),
        },
        "bookings_total": _object(list(_BOOKING_FIGURES), _BOOKING_FIGURES),
        "utilisation": {
            "type": "array",
            "description": "По окнам: минуты записей (кроме отмененных) / минуты приема (часы работы без перерыва, "
            "без праздников); null — окно не работало",
            "items": _object(
                ["center", "center_name", "window", "booked_minutes", "open_minutes"],
                {
                    "center": {"type": "string"},
                    "center_name": {"type": "string"},
                    "window": _INT,
                    "booked_minutes": _INT,
                    "open_minutes": _INT,
                    "utilisation": _SHARE,
                },
            ),
        },
        "no_shows_by_hour": {
            "type": "array",
            "description": "По часу начала приема: не пришли / (пришли + не пришли), интервал Уилсона 95 %",
            "items": _object(
                ["hour", "arrived", "no_show"],
                {
                    "hour": _INT,
                    "arrived": _INT,
                    "no_show": _INT,
                    "rate": _SHARE,
                    "ci": {**_RANGE, "nullable": True},
                },
            ),
        },
        "expected_load": {
            "type": "array",
            "description": "По ЦОК: ожидаемые посетители по дню недели (0 — понедельник) и часу на ближайшие 7 "
            "дней: записи (booked_visits) плюс обычный поток без записи (walk_ins — отзывы и ответы "
            "на киосках в этот час в среднем за рабочий день прошлых недель, точный интервал Пуассона)",
            "items": _object(
                ["center", "center_name", "as_of", "weeks", "history", "ahead", "peak_text", "cells"],
                {
                    "center": {"type": "string"},
                    "center_name": {"type": "string"},
                    "as_of": {"type": "string", "description": "Местное время ЦОК, без смещения"},
                    "weeks": _INT,
                    "history": _DATES,
                    "ahead": _DATES,
                    "peak": _object(
                        ["weekday", "hour", "expected"], {"weekday": _INT, "hour": _INT, "expected": _NUMBER}
                    )
                    | {"nullable": True},
                    "peak_text": {"type": "string"},
                    "cells": {
                        "type": "array",
                        "items": _object(
                            [
                                "weekday",
                                "hour",
                                "booked_visits",
                                "booked_minutes",
                                "walk_in_count",
                                "days_observed",
                                "walk_ins",
                                "walk_ins_ci",
                                "expected",
                                "expected_ci",
                            ],
                            {
                                "weekday": _INT,
                                "hour": _INT,
                                "booked_visits": _INT,
                                "booked_minutes": _INT,
                                "walk_in_count": _INT,
                                "days_observed": _INT,
                                "walk_ins": _NUMBER,
                                "walk_ins_ci": _RANGE,
                                "expected": _NUMBER,
                                "expected_ci": _RANGE,
                            },
                        ),
                    },
                },
            ),
        },
    },
)


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Отклик API",
            "version": "1.0.0",
            "description": "Чтение опубликованных анкет, отправка ответов (идемпотентно по client_submission_id), "
            "выгрузка ответов и отчет об удовлетворенности по токену сотрудника.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Проверка работоспособности",
                    "responses": {"200": _json({"$ref": "#/components/schemas/Health"}, "OK")},
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "Этот документ",
                    "responses": {"200": _json({"type": "object"}, "Документ OpenAPI")},
                }
            },
            "/surveys/{slug}": {
                "get": {
                    "operationId": "getSurvey",
                    "summary": "Опубликованная версия анкеты",
                    "parameters": [SLUG],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/PublishedSurvey"}, "Опубликованная анкета"),
                        "304": {"description": "Не изменилась (If-None-Match)"},
                        **_errors(404, 410),
                    },
                }
            },
            "/surveys/{slug}/responses": {
                "post": {
                    "operationId": "postResponse",
                    "summary": "Отправить ответ",
                    "description": "Повтор с тем же client_submission_id и тем же телом возвращает 200 и тот же id. "
                    "Кто может отправлять (иначе 403 с сообщением, ничего не сохраняется): "
                    "каналы online, qr, sms, email — любой клиент, но только при действующем "
                    "назначении анкеты (анкета × ЦОК × канал); канал kiosk — только с заголовком "
                    "X-Kiosk-Token действующего киоска этого ЦОК (ЦОК берется из киоска) и при "
                    "назначении анкеты на киоск; канал phone (опросы колл-центра) — только с "
                    "токеном сотрудника (Authorization: Bearer) с правом write:responses, "
                    "в зону ответственности которого входит ЦОК.",
                    "security": [{}, {"bearerAuth": []}],
                    "parameters": [
                        SLUG,
                        {
                            "name": "X-Kiosk-Token",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "Токен киоска (обязателен для канала kiosk)",
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ResponseSubmission"}}
                        },
                    },
                    "responses": {
                        "201": _json({"$ref": "#/components/schemas/Stored"}, "Ответ сохранен"),
                        "200": _json({"$ref": "#/components/schemas/Stored"}, "Уже сохранен ранее (повтор)"),
                        "422": _json({"$ref": "#/components/schemas/ValidationErrors"}, "Ответы не прошли проверку"),
                        "403": _json(
                            _ERROR,
                            "Отправителю нельзя отправлять ответы на этот канал в этот ЦОК "
                            "(нет назначения, токена киоска или токена с правом "
                            "write:responses); ничего не сохранено",
                        ),
                        **_errors(400, 404, 409, 410, 429),
                    },
                },
                "get": {
                    "operationId": "listResponses",
                    "summary": "Ответы (для сотрудников)",
                    "description": "Токен с правом read:responses.",
                    "security": [{"bearerAuth": []}],
                    "parameters": [
                        SLUG,
                        {
                            "name": "from",
                            "in": "query",
                            "schema": {"type": "string", "format": "date"},
                            "description": "С даты (UTC), включительно",
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "schema": {"type": "string", "format": "date"},
                            "description": "По дату (UTC), включительно",
                        },
                        {
                            "name": "center",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "Код или название ЦОК",
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "default": 1},
                            "description": "Номер страницы; (page − 1) × per_page не больше 2⁶³ − 1, иначе 400",
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
                        },
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/ResponsePage"}, "Страница ответов"),
                        **_errors(400, 401, 403, 404),
                    },
                },
            },
            "/centers/{code}/slots": {
                "get": {
                    "operationId": "listBookingSlots",
                    "summary": "Свободное время записи в ЦОК",
                    "description": "Начала приема по услуге в выбранный день (местное время ЦОК, без смещения), "
                    "у которых хотя бы одно окно свободно на все время услуги. Прошедшее время, перерывы и "
                    "праздничные дни производственного календаря не предлагаются.",
                    "parameters": [
                        CENTRE,
                        {
                            "name": "service",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 32},
                            "description": "Код услуги",
                        },
                        {
                            "name": "date",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "format": "date"},
                            "description": "День (местный календарь ЦОК)",
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {"type": "array", "items": {"$ref": "#/components/schemas/Slot"}}, "Свободное время"
                        ),
                        "422": _json(_ERROR, "Неверная дата, нет кода услуги или центр ее не оказывает"),
                        **_errors(404, 429),
                    },
                }
            },
            "/centers/{code}/bookings": {
                "post": {
                    "operationId": "postBooking",
                    "summary": "Записаться на прием в ЦОК",
                    "description": "Занимает первое окно, свободное на все время услуги. Повтор с тем же "
                    "client_request_id и тем же телом возвращает 200 и ту же запись; тот же "
                    "client_request_id с другим телом — 409. Регистрационный номер и код проверки — "
                    "как у книги отзывов: по ним запись находится на странице статуса.",
                    "parameters": [CENTRE],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BookingSubmission"}}},
                    },
                    "responses": {
                        "201": _json({"$ref": "#/components/schemas/BookingReceipt"}, "Запись создана"),
                        "200": _json({"$ref": "#/components/schemas/BookingReceipt"}, "Уже записан ранее (повтор)"),
                        "409": _json(_ERROR, "Время уже занято, или client_request_id уже использован с другим телом"),
                        "422": _json(_ERROR, "Неверные данные: поля, время вне приема или в прошлом"),
                        **_errors(404, 429),
                    },
                }
            },
            "/surveys/{slug}/report": {
                "get": {
                    "operationId": "surveyReport",
                    "summary": "Отчет об удовлетворенности (для руководителей)",
                    "description": "Токен с правом read:reports. "
                    "То же, что flask analysis report: период кварталом (period=2026Q3) или датами "
                    "(from, to); по умолчанию последний завершенный квартал. scope — company или код "
                    "подразделения в зоне ответственности владельца токена.",
                    "security": [{"bearerAuth": []}],
                    "parameters": [
                        SLUG,
                        *_PERIOD_PARAMETERS,
                        {
                            "name": "format",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "Отчет",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/SatisfactionReport"}},
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        },
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
            "/surveys/{slug}/themes": {
                "get": {
                    "operationId": "surveyThemes",
                    "summary": "Что пишут клиенты: темы текстов анкеты против оценок",
                    "description": "Токен с правом read:reports. То же, что flask analysis themes: период и scope "
                    "как у отчета. Низкие и высокие оценки — по целевому вопросу анкеты; q_value — точный "
                    "тест Фишера с поправкой Бенджамини–Хохберга по темам.",
                    "security": [{"bearerAuth": []}],
                    "parameters": [SLUG, *_PERIOD_PARAMETERS],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/ThemesReport"}, "Темы"),
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
            "/appeals/themes": {
                "get": {
                    "operationId": "appealThemes",
                    "summary": "Темы текстов обращений против прошлого периода",
                    "description": "Токен с правом read:reports. То же, что flask appeals themes: "
                    "share_among_low — доля в периоде, share_among_high — в прошлом периоде той же длины.",
                    "security": [{"bearerAuth": []}],
                    "parameters": [
                        *_PERIOD_PARAMETERS,
                        {
                            "name": "kind",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["complaint", "application"]},
                            "description": "Только жалобы или только заявления",
                        },
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/ThemesReport"}, "Темы"),
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
            "/internet-cok/stats": {
                "get": {
                    "operationId": "internetCokStats",
                    "summary": "Интернет-ЦОК: записи на прием, загрузка окон, неявки, ожидаемая нагрузка, база знаний, "
                    "вопросы специалисту",
                    "description": "Токен с правом read:reports (руководители и маркетологи). Период и scope — как у "
                    "отчета; по умолчанию последний завершенный квартал. bookings, utilisation и "
                    "no_shows_by_hour — записи с датой приема в периоде (как раздел «Интернет-ЦОК» "
                    "мониторинга обращений); expected_load — ожидаемые посетители каждого ЦОК на ближайшие "
                    "7 дней от текущего момента (независимо от периода): записи плюс обычный поток без записи "
                    "по отзывам и ответам анкет на киосках за прошлые weeks недель. knowledge_base — база знаний "
                    "за период по всей компании; questions — вопросы специалисту периода в ЦОК scope.",
                    "security": [{"bearerAuth": []}],
                    "parameters": [
                        *_PERIOD_PARAMETERS,
                        {
                            "name": "weeks",
                            "in": "query",
                            "schema": {"type": "integer", "enum": [4, 8, 12, 26], "default": 8},
                            "description": "Сколько прошлых недель дают обычный поток без записи",
                        },
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/InternetCokStats"}, "Статистика"),
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "flask api create-token EMAIL --name N --permission P "
                    "[--permission P…] [--expires-days D]: права "
                    "read:responses, read:reports, write:responses; "
                    "срок действия по умолчанию 365 дней. "
                    "Нет, неверный, отозванный или истекший токен — 401 "
                    "(на отправке ответа — 403), нет права — 403.",
                }
            },
            "schemas": {
                **component_schemas(),
                "ResponseSubmission": {
                    "type": "object",
                    "required": ["client_submission_id", "center", "channel", "answers"],
                    "properties": {
                        "client_submission_id": {
                            "type": "string",
                            "minLength": 8,
                            "maxLength": 64,
                            "pattern": "^[A-Za-z0-9_-]+$",
                            "description": "UUID, созданный клиентом",
                        },
                        "center": {
                            "oneOf": [{"type": "string"}, {"type": "integer"}],
                            "description": "Код или название ЦОК (с X-Kiosk-Token берется ЦОК киоска)",
                        },
                        "channel": {
                            "type": "string",
                            "enum": ["kiosk", "online", "qr", "sms", "email", "phone"],
                            "description": "С X-Kiosk-Token можно не указывать (kiosk)",
                        },
                        "duration_seconds": {"type": "integer", "minimum": 0},
                        "answered_at": {
                            "type": "string",
                            "format": "date-time",
                            "description": "Когда клиент ответил (ISO 8601 со смещением), только с "
                            "X-Kiosk-Token: киоск отправляет очередь позже. Время в "
                            "будущем (более чем на 2 минуты), старше 7 дней до "
                            "получения или нечитаемое заменяется временем получения, "
                            "ответ помечается (time_replaced). Без токена киоска "
                            "поле не учитывается",
                        },
                        "answers": {"type": "object", "description": "Ответы по кодам вопросов"},
                    },
                },
                "Stored": {
                    "type": "object",
                    "required": ["id", "status"],
                    "properties": {
                        "id": {"type": "integer"},
                        "status": {"type": "string", "enum": ["created", "already_stored"]},
                    },
                },
                "ValidationErrors": {
                    "type": "object",
                    "required": ["errors"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
                "SatisfactionReport": {
                    "type": "object",
                    "required": [
                        "survey",
                        "period",
                        "scope",
                        "n_responses",
                        "questions",
                        "centers",
                        "comparisons",
                        "drivers",
                        "reliability",
                        "recommendations",
                    ],
                    "properties": {
                        "survey": {"type": "string"},
                        "period": {
                            "type": "object",
                            "required": ["from", "to"],
                            "properties": {
                                "from": {"type": "string", "format": "date"},
                                "to": {"type": "string", "format": "date"},
                            },
                        },
                        "scope": {"type": "string"},
                        "n_responses": {"type": "integer"},
                        "questions": {"type": "object"},
                        "centers": {"type": "array", "items": {"type": "object"}},
                        "comparisons": {"type": "array", "items": {"type": "object"}},
                        "drivers": {"type": "object", "nullable": True},
                        "reliability": {"type": "array", "items": {"type": "object"}},
                        "recommendations": {"type": "array", "items": {"type": "object"}},
                        "actions": {
                            "type": "array",
                            "description": "Корректирующие мероприятия области отчета",
                            "items": {
                                "type": "object",
                                "properties": {"effect": {"$ref": "#/components/schemas/ActionEffect"}},
                            },
                        },
                        "monthly": {
                            "type": "object",
                            "description": "Последние 12 месяцев: доля двух лучших "
                            "оценок и NPS по месяцам с интервалами и тестами тренда",
                        },
                        "channels": {
                            "type": "object",
                            "description": "Показатели по каналам за период и "
                            "предыдущий период; mix_note — если изменился состав по каналам",
                        },
                        "scale_changes": {
                            "type": "array",
                            "items": {"type": "object"},
                            "description": "Вопросы, чья шкала менялась между версиями анкеты, "
                            "и число неучтенных ответов",
                        },
                    },
                },
                "InternetCokStats": INTERNET_COK_STATS,
                "ActionEffect": {
                    "type": "object",
                    "nullable": True,
                    "description": "Эффект мероприятия (как flask analysis action-effect): разность разностей с "
                    "сравнительными ЦОК; без расчета — только evaluated = false и note",
                    "properties": {
                        "method": {"type": "string", "enum": ["difference_in_differences"]},
                        "metric": {"type": "string", "enum": ["top2box", "mean", "nps"]},
                        "evaluated": {"type": "boolean"},
                        "note": {"type": "string", "nullable": True},
                        "naive_change": {"type": "number", "nullable": True},
                        "comparison_change": {"type": "number", "nullable": True},
                        "estimate": {"type": "number", "nullable": True},
                        "ci": {"type": "array", "nullable": True, "items": {"type": "number"}},
                        "p_value": {"type": "number", "nullable": True},
                        "verdict": {"type": "string", "enum": ["improved", "worsened", "no_evidence", "no_comparison"]},
                        "comparison_centers": {"type": "array", "items": {"type": "string"}},
                        "regression_to_mean": {"type": "string", "nullable": True},
                    },
                },
            },
        },
    }
