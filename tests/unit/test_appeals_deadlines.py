"""Pure parts of the appeals package: production calendar, deadlines, periods, percentiles, cells."""

from __future__ import annotations

from datetime import date, datetime

import holidays
import pytest

from app.appeals.deadlines import (
    add_calendar_days,
    add_working_days,
    due_date,
    end_of_day_utc,
    is_working_day,
    local_date,
)
from app.appeals.periods import last_full_quarter, part_dates, resolve_period
from app.appeals.report import percentile_from_histogram, previous_period, shift_year
from app.appeals.spreadsheet import neutralise_cell

# The Russian calendar as the `holidays` package (0.109) gives it, written out so that a change in the
# package shows up here: New Year holidays 1–8 January 2027, 31 December 2026 is a transferred day off
# ("Day off (substituted from 01/04/2026)"), 20 February 2027 (Saturday) is a working day and
# 22 February 2027 a day off, 23 February 2027 a holiday.
RU_DAYS_OFF_2026_2027 = {
    date(2026, 12, 31),
    *(date(2027, 1, d) for d in range(1, 9)),
    date(2027, 2, 22),
    date(2027, 2, 23),
    date(2027, 3, 8),
    date(2027, 5, 3),
    date(2027, 5, 10),
}


def test_calendar_matches_the_written_out_days():
    calendar = holidays.country_holidays("RU", years=[2026, 2027])
    for day in RU_DAYS_OFF_2026_2027:
        assert day in calendar, day
        assert not is_working_day(day)
    assert date(2027, 2, 20) in calendar.weekend_workdays
    assert is_working_day(date(2027, 2, 20))  # a working Saturday
    assert not is_working_day(date(2027, 2, 21))  # an ordinary Sunday
    assert is_working_day(date(2026, 12, 30))


def test_five_working_days_across_the_new_year_holidays():
    # Registered Wednesday 30.12.2026. Days off: 31.12 (transferred), 1–8.01 (holidays), 9–10.01 (weekend).
    # Working days: 11, 12, 13, 14, 15 January 2027.
    assert add_working_days(date(2026, 12, 30), 5) == date(2027, 1, 15)
    assert add_working_days(date(2026, 12, 30), 1) == date(2027, 1, 11)


def test_working_days_across_a_weekend_and_february_holidays():
    # Friday 19.02.2027: Saturday 20.02 is a working day, 22–23.02 are off.
    assert add_working_days(date(2027, 2, 19), 1) == date(2027, 2, 20)
    assert add_working_days(date(2027, 2, 19), 2) == date(2027, 2, 24)
    # An ordinary Friday → Monday.
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)
    assert add_working_days(date(2026, 11, 20), 0) == date(2026, 11, 20)


def test_calendar_days_move_off_a_day_off():
    # 30 calendar days from 02.12.2026 = 01.01.2027, a holiday → first working day 11.01.2027.
    assert add_calendar_days(date(2026, 12, 2), 30) == date(2027, 1, 11)
    # 30 days from 01.11.2026 = 01.12.2026, a Tuesday: unchanged.
    assert add_calendar_days(date(2026, 11, 1), 30) == date(2026, 12, 1)
    # Lands on Saturday 28.11.2026 → Monday 30.11.2026.
    assert add_calendar_days(date(2026, 11, 18), 10) == date(2026, 11, 30)
    assert due_date(date(2026, 11, 18), 10, working=False) == date(2026, 11, 30)
    assert due_date(date(2026, 11, 18), 10, working=True) == date(2026, 12, 2)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 1), -1)
    with pytest.raises(ValueError):
        add_calendar_days(date(2026, 1, 1), -1)


def test_local_dates_and_end_of_day():
    # 22:30 UTC on 30 December is already 31 December in Moscow (UTC+3).
    assert local_date(datetime(2026, 12, 30, 22, 30)) == date(2026, 12, 31)
    assert local_date(datetime(2026, 12, 30, 20, 30)) == date(2026, 12, 30)
    assert end_of_day_utc(date(2027, 1, 15)) == datetime(2027, 1, 15, 20, 59, 59)


def test_periods():
    assert part_dates(2007, "h1") == (date(2007, 1, 1), date(2007, 6, 30))
    assert part_dates(2026, "q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert part_dates(2024, "q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert last_full_quarter(date(2026, 11, 26)) == (2026, "q3")
    assert last_full_quarter(date(2026, 2, 1)) == (2025, "q4")
    assert resolve_period({}, date(2026, 11, 26))["from"] == date(2026, 7, 1)
    explicit = resolve_period({"date_from": "2026-01-10", "date_to": "2026-02-10"}, date(2026, 11, 26))
    assert (explicit["from"], explicit["to"]) == (date(2026, 1, 10), date(2026, 2, 10))
    with pytest.raises(ValueError):
        resolve_period({"date_from": "2026-02-10", "date_to": "2026-01-10"}, date(2026, 11, 26))
    with pytest.raises(ValueError):
        resolve_period({"part": "q9"}, date(2026, 11, 26))
    # Whole months: the same number of months before (H1 → previous H2, Q2 → Q1, a year → the year before).
    assert previous_period(date(2007, 1, 1), date(2007, 6, 30)) == (date(2006, 7, 1), date(2006, 12, 31))
    assert previous_period(date(2026, 4, 1), date(2026, 6, 30)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert previous_period(date(2026, 1, 1), date(2026, 12, 31)) == (date(2025, 1, 1), date(2025, 12, 31))
    assert previous_period(date(2026, 2, 1), date(2026, 2, 28)) == (date(2026, 1, 1), date(2026, 1, 31))
    # Other periods: the same number of days (10 days → the 10 days before).
    assert previous_period(date(2026, 3, 11), date(2026, 3, 20)) == (date(2026, 3, 1), date(2026, 3, 10))
    assert shift_year(date(2024, 2, 29)) == date(2023, 2, 28)


def test_percentiles_from_a_histogram():
    # Values 0.1 ×3, 0.5 ×1, 2.0 ×1 (buckets of 0.1 day): median is 0.1, p90 (rank 5) is 2.0.
    histogram = {1: 3, 5: 1, 20: 1}
    assert percentile_from_histogram(histogram, 0.5) == pytest.approx(0.1)
    assert percentile_from_histogram(histogram, 0.9) == pytest.approx(2.0)
    assert percentile_from_histogram({}, 0.5) is None
    # Ten values 1..10 days: nearest-rank median = 5th value, p90 = 9th value.
    assert percentile_from_histogram({b * 10: 1 for b in range(1, 11)}, 0.5) == 5.0
    assert percentile_from_histogram({b * 10: 1 for b in range(1, 11)}, 0.9) == 9.0


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+7 900", "'+7 900"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("обычный текст", "обычный текст"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected
