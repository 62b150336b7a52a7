"""Staff navigation (filtered by role) and template helpers."""

from __future__ import annotations

import math
import numbers
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.org.timezones import timezone_label
from app.urls import public_url

# (endpoint, label, roles allowed; admin always allowed)
NAVIGATION: list[tuple[str, str, tuple[str, ...]]] = [
    ("main.dashboard", _l("Главная"), ("marketing", "operator", "manager")),
    ("surveys.index", _l("Анкеты"), ("marketing",)),
    ("surveys.responses", _l("Ответы"), ("marketing", "manager")),
    ("surveys.held", _l("Задержанные ответы"), ("marketing",)),
    ("appeals.queue", _l("Обращения"), ("operator", "manager")),
    ("reviews.moderation", _l("Книга отзывов"), ("operator",)),
    ("reviews.check_list", _l("Записи на проверке"), ("operator", "manager")),
    ("booking.day", _l("Запись на прием"), ("operator", "manager")),
    ("requests.check_list", _l("Заявки на проверке"), ("operator", "manager")),
    ("appeals.report", _l("Мониторинг"), ("manager",)),
    ("flow.index", _l("Нагрузка ЦОК"), ("manager", "operator")),
    ("analysis.index", _l("Анализ"), ("manager", "marketing")),
    ("reports.index", _l("Отчеты PDF"), ("manager",)),
    ("kb.admin_articles", _l("База знаний"), ("marketing", "operator")),
    ("site.admin", _l("Страницы сайта"), ("marketing",)),
    ("org.index", _l("Подразделения"), ()),
    ("kiosk.admin_list", _l("Киоски"), ()),
    ("auth.users", _l("Пользователи"), ()),
    ("main.audit", _l("Журнал действий"), ()),
]


def staff_navigation() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    return [(endpoint, label) for endpoint, label, roles in NAVIGATION if current_user.has_role(*roles)]


def template_context() -> dict:
    return {
        "staff_navigation": staff_navigation,
        "company_name": current_app.config["COMPANY_NAME"],
        "public_url": public_url,
    }


NBSP = "\u00a0"
MINUS = "\u2212"


def _finite_number(value: Any) -> float | int | None:
    """``value`` as a number when it is one (a Decimal from PostgreSQL too) and finite, else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return None
    if isinstance(value, Decimal):
        value = float(value)
    return value if math.isfinite(value) else None


def format_number(value: Any, decimals: int = 0) -> str:
    """The one Russian number format of pages, charts and PDFs: non-breaking-space thousands, decimal comma,
    a true minus sign (1 661; 4,1; −2,5); a missing or non-finite value is «—»."""
    number = _finite_number(value)
    if number is None:
        return "—"
    text = f"{abs(number):,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    return MINUS + text if number < 0 else text


def format_percent(share: Any, decimals: int = 1) -> str:
    """A fraction as a Russian percentage: 0.0412 → «4,1 %»."""
    number = _finite_number(share)
    if number is None:
        return "—"
    return f"{format_number(number * 100, decimals)}{NBSP}%"


def local_time(value: datetime | None, tz: str | None = None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """UTC-naive timestamp shown in a centre's time zone (default DEFAULT_CENTER_TIMEZONE)."""
    if value is None:
        return "—"
    zone = ZoneInfo(tz or current_app.config["DEFAULT_CENTER_TIMEZONE"])
    aware = value.replace(tzinfo=ZoneInfo("UTC")) if value.tzinfo is None else value
    return aware.astimezone(zone).strftime(fmt)


def format_date(value: date | str | None) -> str:
    """The one Russian date format of pages and PDFs: 02.12.2026. Takes a date, a datetime (its own calendar
    day: convert to a centre's zone first with :func:`local_time`) or an ISO string, as report JSON carries
    dates; a missing value is «—», a string that is not an ISO date is shown unchanged."""
    if value is None or value == "":
        return "—"
    if isinstance(value, date):  # a datetime is a date too
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"
    text = str(value)
    try:
        return format_date(date.fromisoformat(text[:10]))
    except ValueError:
        return text


def end_sentence(text: Any) -> str:
    """``text`` closed by a full stop, unless it already ends with one: a period label ends with «г.», and
    «… 2025 г.» followed by the sentence's own full stop read «2025 г..»."""
    text = str(text).rstrip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


FILTERS = {
    "num": format_number,
    "pct": format_percent,
    "local_time": local_time,
    "date": format_date,
    "end_sentence": end_sentence,
    "timezone_label": timezone_label,
}
