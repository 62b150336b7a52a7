"""Working hours, the production calendar's holidays and «open now», from the structured centre data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from app.booking.models import WorkingHours

WEEKDAYS = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")


@cache
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=year)


def is_holiday(day: date) -> bool:
    """A non-working day of the Russian production calendar: public holidays, their observed days and the
    days off moved by government decree (``holidays.RU`` lists all three)."""
    return day in _calendar(day.year)


def _clock(value: time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def _day_text(row: WorkingHours) -> str:
    text = f"{_clock(row.opens)}–{_clock(row.closes)}"
    if row.break_start and row.break_end:
        text += f", перерыв {_clock(row.break_start)}–{_clock(row.break_end)}"
    return text


def hours_text(rows: Iterable[WorkingHours]) -> str:
    """The free-text hours generated from the weekday rows: runs of weekdays with equal hours joined
    («Пн–Пт 9:00–18:00, перерыв 13:00–14:00; Сб, Вс выходной» style, holidays noted at the end)."""
    by_day = {row.weekday: _day_text(row) for row in rows}
    if not by_day:
        return ""
    parts: list[str] = []
    day = 0
    while day < 7:
        text = by_day.get(day)
        end = day
        while end + 1 < 7 and by_day.get(end + 1) == text:
            end += 1
        days = WEEKDAYS[day] if end == day else f"{WEEKDAYS[day]}–{WEEKDAYS[end]}"
        parts.append(f"{days} {text}" if text else f"{days} выходной")
        day = end + 1
    return "; ".join(parts) + "; в праздничные дни выходной"


def local_now(timezone: str, now_utc: datetime) -> datetime:
    """The centre's naive local time for a naive UTC moment."""
    return now_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def working_periods(row: WorkingHours | None, day: date) -> list[tuple[time, time]]:
    """The open periods of one day (split by the break); none on holidays or days without hours."""
    if row is None or is_holiday(day):
        return []
    if row.break_start and row.break_end and row.opens < row.break_start < row.break_end < row.closes:
        return [(row.opens, row.break_start), (row.break_end, row.closes)]
    return [(row.opens, row.closes)]


def is_open(rows: Iterable[WorkingHours], local: datetime) -> bool:
    """Whether the centre serves customers at this local moment (not in a break, not on a holiday)."""
    row = next((r for r in rows if r.weekday == local.weekday()), None)
    moment = local.time()
    return any(start <= moment < end for start, end in working_periods(row, local.date()))
