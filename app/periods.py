"""Report periods: the one parser and the options of the period picker (quarter, half-year, year, dates).

Pure (no Flask, no database): the analysis, monitoring, reports and responses pages, the API and the CLI
all read a period through :func:`parse_period`, so whatever the picker offers (its values are the codes
``2026Q3``, ``2026H1``, ``2026``) parses back to the same dates, and a person may also type the period in
words («3 квартал 2026», «III квартал 2026 г.», «1-е полугодие 2026», «2026 год»). Own dates are the
picker's first choice, «Свои даты», whose value is empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

QUARTER_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
ROMAN_NUMBER = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
YEAR_RANGE = (1900, 2100)


class PeriodError(ValueError):
    """A period the user typed that cannot be understood (Russian message)."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str
    code: str = ""  # 2026Q3, 2026H1, 2026 or ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "label": self.label, "code": self.code}


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def quarter(year: int, q: int) -> Period:
    return Period(
        date(year, 3 * q - 2, 1), _month_end(year, 3 * q), f"{QUARTER_ROMAN[q]} квартал {year} г.", f"{year}Q{q}"
    )


def half_year(year: int, half: int) -> Period:
    start = date(year, 1 if half == 1 else 7, 1)
    return Period(start, _month_end(year, 6 if half == 1 else 12), f"{half}-е полугодие {year} г.", f"{year}H{half}")


def whole_year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), f"{year} год", str(year))


def dates_period(start: date, end: date) -> Period:
    return Period(start, end, f"{start:%d.%m.%Y} — {end:%d.%m.%Y}")


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def last_complete_quarter(today: date) -> tuple[int, int]:
    """Managers read finished quarters: the default period of the report pages."""
    year, q = quarter_of(today)
    return (year - 1, 4) if q == 1 else (year, q - 1)


def default_period_code(today: date) -> str:
    """The picker's value before a choice on the report pages: the last complete quarter."""
    year, q = last_complete_quarter(today)
    return f"{year}Q{q}"


# A number written as digits or Roman numerals, with an optional ordinal ending («3-й», «1-е», «II»).
_NUMBER = r"([1-4]|iv|i{1,3})(?:\s*-?\s*(?:й|е|ое|ий))?"
_YEAR_WORD = r"(?:\s*(?:года|год|г\.?))?"
_PATTERNS = (
    (re.compile(r"(\d{4})\s*-?\s*q([1-4])"), "quarter", False),
    (re.compile(r"q([1-4])\s*-?\s*(\d{4})"), "quarter", True),
    (re.compile(_NUMBER + r"\s*(?:квартал|кв\.?)\s*(\d{4})" + _YEAR_WORD), "quarter", True),
    (re.compile(r"(\d{4})\s*-?\s*h([12])"), "half", False),
    (re.compile(_NUMBER + r"\s*(?:полугодие|пол\.?)\s*(\d{4})" + _YEAR_WORD), "half", True),
    (re.compile(r"(\d{4})" + _YEAR_WORD), "year", False),
)


def _number(text: str) -> int:
    return ROMAN_NUMBER.get(text) or int(text)


def parse_period_text(text: str) -> Period:
    """A period named by its code (``2026Q3``, ``2026H1``, ``2026``) or in words («3 квартал 2026»)."""
    normal = re.sub(r"\s+", " ", text.strip().lower().replace("ё", "е"))
    for pattern, kind, number_first in _PATTERNS:
        if not (m := pattern.fullmatch(normal)):
            continue
        number, year_text = (m[1], m[2]) if number_first else (m[2] if kind != "year" else "", m[1])
        year = int(year_text)
        if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
            raise PeriodError(f"Год периода «{text}» вне {YEAR_RANGE[0]}–{YEAR_RANGE[1]}")
        if kind == "year":
            return whole_year(year)
        value = _number(number)
        if kind == "half" and value not in (1, 2):
            break
        return quarter(year, value) if kind == "quarter" else half_year(year, value)
    raise PeriodError(
        f"Непонятный период «{text}»: выберите квартал, полугодие или год из списка "
        "(например, «III квартал 2026 г.») или укажите даты"
    )


def _day(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value).strip())


def parse_period(
    code: str | None = None, date_from: str | date | None = None, date_to: str | date | None = None
) -> Period:
    """The one period parser: ``code`` (a period from the picker's list, or typed) when given, else explicit
    dates (both required). The picker's «Свои даты» choice sends an empty code, so its dates count; stored
    report requests keep both and still mean their code."""
    if code and code.strip():
        return parse_period_text(code)
    if date_from or date_to:
        if not date_from or not date_to:
            raise PeriodError("Укажите обе даты периода: начало и конец")
        try:
            start, end = _day(date_from), _day(date_to)
        except ValueError:
            raise PeriodError("Даты периода указываются в виде ГГГГ-ММ-ДД") from None
        if end < start:
            raise PeriodError("Конец периода раньше начала")
        return dates_period(start, end)
    raise PeriodError("Укажите период (например, III квартал 2026 г.) или обе даты: начало и конец")


# ---------------------------------------------------------------- the picker


@dataclass(frozen=True)
class PeriodPicker:
    """What the ``period_picker`` macro shows: option groups (quarters, half-years, years), the chosen value
    ("" = own dates) and the date fields' ISO values (an ``<input type=date>`` takes ISO)."""

    groups: list[tuple[str, list[tuple[str, str]]]]
    selected: str
    date_from: str = ""
    date_to: str = ""
    current: str = field(default="")  # the current quarter's code, marked in the list


def period_groups(today: date, quarters: int = 8, halves: int = 4, years: int = 5) -> list[tuple[str, list[Period]]]:
    """The periods the picker offers, newest first; the current quarter, half-year and year included."""
    year, q = quarter_of(today)
    quarter_list = []
    for _ in range(quarters):
        quarter_list.append(quarter(year, q))
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    year, half = today.year, 1 if today.month <= 6 else 2
    half_list = []
    for _ in range(halves):
        half_list.append(half_year(year, half))
        year, half = (year - 1, 2) if half == 1 else (year, 1)
    year_list = [whole_year(today.year - n) for n in range(years)]
    return [("quarter", quarter_list), ("half", half_list), ("year", year_list)]


def period_picker(
    period: str | None, date_from: str | None, date_to: str | None, today: date, default: str = ""
) -> PeriodPicker:
    """The picker's state for a request: the named period (kept in the list even when older than the offered
    ones), else own dates when given, else ``default``."""
    groups = period_groups(today)
    current = f"{today.year}Q{quarter_of(today)[1]}"
    date_from, date_to = (date_from or "").strip(), (date_to or "").strip()
    try:
        selected = parse_period_text(period).code if period and period.strip() else ""
    except PeriodError:
        selected = ""
    if not selected and not (date_from or date_to):
        selected = default
    offered = {p.code for _kind, periods in groups for p in periods}
    if selected and selected not in offered:
        extra = parse_period_text(selected)
        kind = {"Q": "quarter", "H": "half"}.get(selected[4:5], "year")
        groups = [(k, [*periods, extra] if k == kind else periods) for k, periods in groups]
    return PeriodPicker(
        groups=[(kind, [(p.code, p.label) for p in periods]) for kind, periods in groups],
        selected=selected,
        date_from=date_from,
        date_to=date_to,
        current=current,
    )
