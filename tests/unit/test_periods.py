"""The one period parser and the period picker's options; the one date format; «2025 г..» never."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.nav import end_sentence, format_date
from app.periods import PeriodError, parse_period, period_groups, period_picker

TODAYS = [date(2026, 1, 1), date(2026, 3, 31), date(2026, 7, 1), date(2026, 12, 2), date(2024, 12, 31)]


@pytest.mark.parametrize("today", TODAYS)
def test_every_option_of_the_picker_parses_back_to_its_dates(today):
    groups = dict(period_groups(today))
    assert set(groups) == {"quarter", "half", "year"}
    for periods in groups.values():
        for offered in periods:
            for text in (offered.code, offered.label):  # the value the form sends and the text it shows
                parsed = parse_period(text)
                assert (parsed.start, parsed.end, parsed.code) == (offered.start, offered.end, offered.code), text
            assert offered.start <= offered.end
    current = groups["quarter"][0]
    assert current.start <= today <= current.end  # the current quarter is offered
    assert groups["half"][0].start <= today <= groups["half"][0].end
    assert groups["year"][0].start.year == today.year


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("3 квартал 2026", date(2026, 7, 1), date(2026, 9, 30)),
        ("III квартал 2026 г.", date(2026, 7, 1), date(2026, 9, 30)),
        ("3-й квартал 2026 года", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("Q1 2025", date(2025, 1, 1), date(2025, 3, 31)),
        ("1-е полугодие 2026", date(2026, 1, 1), date(2026, 6, 30)),
        ("II полугодие 2024 г.", date(2024, 7, 1), date(2024, 12, 31)),
        ("2026H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2025 год", date(2025, 1, 1), date(2025, 12, 31)),
        ("2025 г.", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_periods_typed_in_words(text, start, end):
    parsed = parse_period(text)
    assert (parsed.start, parsed.end) == (start, end)


def test_refusals_are_russian():
    for bad in ("26Q1", "Q3", "2026Q5", "3 полугодие 2026", "пятый квартал 2026", "квартал"):
        with pytest.raises(PeriodError, match="Непонятный период"):
            parse_period(bad)
    with pytest.raises(PeriodError, match="вне 1900–2100"):
        parse_period("1800 год")
    with pytest.raises(PeriodError, match="обе даты"):
        parse_period(None, "2026-01-01", None)
    with pytest.raises(PeriodError, match="раньше начала"):
        parse_period(None, "2026-02-01", "2026-01-01")


def test_own_dates_count_when_no_period_is_chosen():
    chosen = parse_period("", "2026-01-10", "2026-02-10")
    assert (chosen.start, chosen.end, chosen.label) == (date(2026, 1, 10), date(2026, 2, 10), "10.01.2026 — 10.02.2026")
    stored = parse_period("2026Q3", "2026-07-01", "2026-09-30")  # an archived request keeps both: its code counts
    assert stored.label == "III квартал 2026 г."


def test_picker_state():
    today = date(2026, 12, 2)
    typed = period_picker("3 квартал 2026", "", "", today, default="2026Q3")
    assert typed.selected == "2026Q3" and typed.current == "2026Q4"
    assert period_picker(None, None, None, today, default="2026Q3").selected == "2026Q3"
    assert period_picker("2026Q9", None, None, today, default="2026Q3").selected == "2026Q3"
    own = period_picker("", "2026-01-10", "2026-02-10", today, default="2026Q3")
    assert own.selected == "" and (own.date_from, own.date_to) == ("2026-01-10", "2026-02-10")
    old = period_picker("2019Q2", None, None, today)
    assert old.selected == "2019Q2" and ("2019Q2", "II квартал 2019 г.") in dict(old.groups)["quarter"]


def test_one_date_format():
    assert format_date(date(2026, 12, 2)) == "02.12.2026"
    assert format_date(datetime(2026, 3, 4, 23, 59)) == "04.03.2026"
    assert format_date("2026-07-01") == "01.07.2026"
    assert format_date("2026-07-01T10:00:00") == "01.07.2026"
    assert format_date(None) == "—" and format_date("") == "—"
    assert format_date("не дата") == "не дата"


def test_a_sentence_after_a_period_label_has_one_full_stop():
    assert end_sentence(parse_period("2025Q3").label) == "III квартал 2025 г."
    assert end_sentence(parse_period("2025").label) == "2025 год."
    assert end_sentence("01.01.2025 — 31.03.2025") == "01.01.2025 — 31.03.2025."
