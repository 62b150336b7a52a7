"""Deadline arithmetic on the Russian production calendar (pure: no Flask, no database).

Working days are Monday–Friday minus the public holidays and the transferred days off that the
`holidays` package lists for Russia (``holidays.country_holidays("RU")``: New Year holidays
1–8 January, 23 February, 8 March, 1 and 9 May, 12 June, 4 November, their observed days and the
government's transfers such as 31 December 2026). Saturdays that the package lists as working days
(``weekend_workdays``, e.g. 20 February 2027) count as working days.

Counting rules (Гражданский кодекс РФ ст. 191, 193):

* a term starts on the day after the day of registration (the local date in the centre's time zone);
* ``working`` terms count N working days after that date; the due day is the N-th working day;
* calendar terms end on the date + N days; if that day is not a working day, the term ends on the
  next working day;
* the appeal is due at the end (23:59:59) of the due day, local time, stored as naive UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from app.config import DefaultConfig

DEFAULT_TZ = DefaultConfig.DEFAULT_CENTER_TIMEZONE
END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=64)
def _year_calendar(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, weekend working days) of one year, as the holidays package gives them."""
    calendar = holidays.country_holidays("RU", years=year)
    weekend_workdays = frozenset(d for d in getattr(calendar, "weekend_workdays", ()) if d.year == year)
    return frozenset(d for d in calendar if d.year == year), weekend_workdays


def is_working_day(day: date) -> bool:
    """True on a working day of the Russian production calendar."""
    days_off, weekend_workdays = _year_calendar(day.year)
    if day in weekend_workdays:
        return True
    return day.weekday() < 5 and day not in days_off


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
    if days < 0:
        raise ValueError("days must be non-negative")
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


def add_calendar_days(start: date, days: int) -> date:
    """``start`` + ``days``; a due day that falls on a day off moves to the next working day (ГК РФ ст. 193)."""
    if days < 0:
        raise ValueError("days must be non-negative")
    current = start + timedelta(days=days)
    while not is_working_day(current):
        current += timedelta(days=1)
    return current


def due_date(start: date, days: int, working: bool) -> date:
    return add_working_days(start, days) if working else add_calendar_days(start, days)


def local_date(moment_utc: datetime, tz: str = DEFAULT_TZ) -> date:
    """The local calendar date of a naive-UTC timestamp."""
    aware = moment_utc.replace(tzinfo=UTC) if moment_utc.tzinfo is None else moment_utc
    return aware.astimezone(ZoneInfo(tz)).date()


def end_of_day_utc(day: date, tz: str = DEFAULT_TZ) -> datetime:
    """23:59:59 local time of ``day`` as naive UTC."""
    return datetime.combine(day, END_OF_DAY, tzinfo=ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None)


def to_naive_utc(moment: datetime) -> datetime:
    """Aware → naive UTC; naive values are taken as UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
