"""Report periods from a form: a quarter, a half-year, a year or explicit dates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

PARTS = {
    "q1": ("I квартал", 1, 3),
    "q2": ("II квартал", 4, 6),
    "q3": ("III квартал", 7, 9),
    "q4": ("IV квартал", 10, 12),
    "h1": ("I полугодие", 1, 6),
    "h2": ("II полугодие", 7, 12),
    "year": ("год", 1, 12),
}


def _month_end(year: int, month: int) -> date:
    return (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)


def part_dates(year: int, part: str) -> tuple[date, date]:
    _label, first, last = PARTS[part]
    return date(year, first, 1), _month_end(year, last)


def last_full_quarter(today: date) -> tuple[int, str]:
    quarter = (today.month - 1) // 3  # 0..3: the current quarter index; the previous one is full
    return (today.year - 1, "q4") if quarter == 0 else (today.year, f"q{quarter}")


def resolve_period(args: Any, today: date) -> dict[str, Any]:
    """{"from", "to", "label"} from ``date_from``/``date_to`` or ``year``/``part``; default: last full quarter."""
    raw_from, raw_to = (args.get("date_from") or "").strip(), (args.get("date_to") or "").strip()
    if raw_from or raw_to:
        try:
            start, end = date.fromisoformat(raw_from), date.fromisoformat(raw_to)
        except ValueError:
            raise ValueError("Неверные даты периода: нужен формат ГГГГ-ММ-ДД") from None
        if end < start:
            raise ValueError("Дата окончания периода раньше даты начала")
        return {"from": start, "to": end, "label": f"{start:%d.%m.%Y} — {end:%d.%m.%Y}"}
    default_year, default_part = last_full_quarter(today)
    part = args.get("part") or default_part
    year_text = str(args.get("year") or default_year)
    if part not in PARTS or not year_text.isdigit() or not 1990 <= int(year_text) <= 2100:
        raise ValueError("Неверный период")
    year = int(year_text)
    start, end = part_dates(year, part)
    return {"from": start, "to": end, "label": f"{PARTS[part][0]} {year} г.", "part": part}


def period_choices(today: date) -> dict[str, Any]:
    return {
        "years": list(range(today.year, today.year - 6, -1)),
        "parts": [(code, label) for code, (label, _f, _l) in PARTS.items()],
    }
