"""The monitoring page's period: the period picker's fields, or the older ``year``/``part`` links."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from app.periods import Period, half_year, parse_period, quarter, whole_year

PARTS = {
    "q1": (_l("I квартал"), 1, 3),
    "q2": (_l("II квартал"), 4, 6),
    "q3": (_l("III квартал"), 7, 9),
    "q4": (_l("IV квартал"), 10, 12),
    "h1": (_l("I полугодие"), 1, 6),
    "h2": (_l("II полугодие"), 7, 12),
    "year": (_l("год"), 1, 12),
}


def _month_end(year: int, month: int) -> date:
    return (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)


def part_dates(year: int, part: str) -> tuple[date, date]:
    _label, first, last = PARTS[part]
    return date(year, first, 1), _month_end(year, last)


def last_full_quarter(today: date) -> tuple[int, str]:
    quarter = (today.month - 1) // 3  # 0..3: the current quarter index; the previous one is full
    return (today.year - 1, "q4") if quarter == 0 else (today.year, f"q{quarter}")


def _part_period(year: int, part: str) -> Period:
    """A period of the old ``year``/``part`` links (q1…q4, h1, h2, year), named as the picker names it."""
    if part.startswith("q"):
        return quarter(year, int(part[1]))
    if part.startswith("h"):
        return half_year(year, int(part[1]))
    return whole_year(year)


def resolve_period(args: Any, today: date) -> dict[str, Any]:
    """{"from", "to", "label", "code"} from the period picker (``period``, ``date_from``/``date_to``: parsed by
    app.periods), or the older ``year``/``part`` links; default: the last full quarter."""
    code = (args.get("period") or "").strip()
    raw_from, raw_to = (args.get("date_from") or "").strip(), (args.get("date_to") or "").strip()
    if code or raw_from or raw_to:
        chosen = parse_period(code, raw_from, raw_to)  # a PeriodError is a ValueError with a Russian message
    else:
        default_year, default_part = last_full_quarter(today)
        part = args.get("part") or default_part
        year_text = str(args.get("year") or default_year)
        if part not in PARTS or not year_text.isdigit() or not 1990 <= int(year_text) <= 2100:
            raise ValueError("Неверный период")
        chosen = _part_period(int(year_text), part)
    return {"from": chosen.start, "to": chosen.end, "label": chosen.label, "code": chosen.code}
