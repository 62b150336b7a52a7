"""Staff navigation (filtered by role and by which features exist) and template helpers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_login import current_user

from app.urls import public_url

# (endpoint, label, roles allowed; admin always allowed)
NAVIGATION: list[tuple[str, str, tuple[str, ...]]] = [
    ("main.dashboard", "Главная", ("marketing", "operator", "manager")),
    ("surveys.index", "Анкеты", ("marketing",)),
    ("surveys.responses", "Ответы", ("marketing", "manager")),
    ("surveys.held", "Задержанные ответы", ("marketing",)),
    ("appeals.queue", "Обращения", ("operator", "manager")),
    ("reviews.moderation", "Книга отзывов", ("operator",)),
    ("reviews.check_list", "Записи на проверке", ("operator", "manager")),
    ("appeals.report", "Мониторинг", ("manager",)),
    ("analysis.index", "Анализ", ("manager", "marketing")),
    ("reports.index", "Отчеты PDF", ("manager",)),
    ("org.index", "Подразделения", ()),
    ("kiosk.admin_list", "Киоски", ()),
    ("auth.users", "Пользователи", ()),
    ("main.audit", "Журнал действий", ()),
]


def staff_navigation() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    views = current_app.view_functions
    return [(endpoint, label) for endpoint, label, roles in NAVIGATION
            if endpoint in views and current_user.has_role(*roles)]


def template_context() -> dict:
    return {"staff_navigation": staff_navigation, "company_name": current_app.config["COMPANY_NAME"],
            "has_endpoint": lambda endpoint: endpoint in current_app.view_functions, "public_url": public_url}


def format_number(value: float | int | None, decimals: int = 0) -> str:
    """Russian number format: thin-space thousands, decimal comma (1 661; 4,1)."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def format_percent(share: float | None, decimals: int = 1) -> str:
    """A fraction as Russian percent: 0.0412 → '4,1 %'."""
    if share is None:
        return "—"
    return f"{format_number(share * 100, decimals)}\u00a0%"


def local_time(value: datetime | None, tz: str | None = None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """UTC-naive timestamp shown in a centre's time zone (default DEFAULT_CENTER_TIMEZONE)."""
    if value is None:
        return "—"
    zone = ZoneInfo(tz or current_app.config["DEFAULT_CENTER_TIMEZONE"])
    aware = value.replace(tzinfo=ZoneInfo("UTC")) if value.tzinfo is None else value
    return aware.astimezone(zone).strftime(fmt)


FILTERS = {"num": format_number, "pct": format_percent, "local_time": local_time}
