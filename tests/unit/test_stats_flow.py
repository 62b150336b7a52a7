"""The flow statistics pinned to hand computations (each test says how the number was obtained)."""

from __future__ import annotations

import math

import pytest

from app.analysis.stats.flow import (
    expected_load,
    heat_level,
    no_show_rates,
    peak_cell,
    peak_phrase,
    poisson_rate,
    utilisation,
)


def test_poisson_rate_with_no_event_has_the_rule_of_three_upper_end():
    # k = 0: the exact upper limit is −ln(0.025) = 3.68888 events (chi-square with 2 df at 0.975, halved);
    # over 8 days 0.46111 a day. The lower limit is 0.
    estimate = poisson_rate(0, 8)
    assert estimate.rate == 0
    assert estimate.ci.low == 0
    assert estimate.ci.high == pytest.approx(-math.log(0.025) / 8, abs=1e-9)


def test_poisson_rate_matches_the_exact_limits_table():
    # k = 3: Garwood's exact 95 % limits 0.6187 and 8.7673 (chi-square 6 df at 0.025 = 1.2373, 8 df at
    # 0.975 = 17.5345, each halved); over 8 days: 0.375 a day in [0.07734, 1.09591].
    estimate = poisson_rate(3, 8)
    assert estimate.rate == 0.375
    assert estimate.ci.low == pytest.approx(0.6187 / 8, abs=1e-4)
    assert estimate.ci.high == pytest.approx(8.7673 / 8, abs=1e-4)


def test_poisson_rate_without_days_is_empty_and_refuses_events_without_days():
    assert poisson_rate(0, 0).rate == 0
    assert poisson_rate(0, 0).ci.to_list() == [0.0, 0.0]
    with pytest.raises(ValueError):
        poisson_rate(2, 0)
    with pytest.raises(ValueError):
        poisson_rate(-1, 4)


def test_expected_load_adds_booked_visits_to_the_walk_in_rate():
    # Monday 10–11: 2 visits (45 min) booked ahead + 6 feedbacks over 4 Mondays = 2 + 1.5 = 3.5 expected;
    # the interval is the walk-ins' (6 events: 2.2019…13.0595, over 4 days) shifted by the 2 bookings.
    # Tuesday 10–11: nothing booked, 1 feedback over 3 Tuesdays (one was a holiday) = 0.3333.
    # A feedback at 20:00 (after closing) is not a cell and is ignored.
    cells = expected_load(
        [(0, 10), (1, 10)],
        booked={(0, 10): (2, 45)},
        walk_ins={(0, 10): 6, (1, 10): 1, (0, 20): 5},
        days_observed={0: 4, 1: 3},
    )
    monday, tuesday = cells
    assert (monday.booked_visits, monday.booked_minutes, monday.walk_ins.count) == (2, 45, 6)
    assert monday.expected == pytest.approx(3.5)
    assert monday.expected_ci.low == pytest.approx(2 + 2.2019 / 4, abs=1e-4)
    assert monday.expected_ci.high == pytest.approx(2 + 13.0595 / 4, abs=1e-4)
    assert tuesday.expected == pytest.approx(1 / 3)
    assert tuesday.to_dict()["days_observed"] == 3
    assert peak_cell(cells) is monday


def test_peak_phrase_names_the_weekday_and_the_hour():
    cells = expected_load([(0, 10), (3, 14)], {(3, 14): (1, 30)}, {(0, 10): 1}, {0: 1, 3: 1})
    # Thursday 14–15: 1 booked + 0 walk-ins = 1; Monday 10–11: 0 + 1/1 = 1: equal, the earlier one wins.
    assert peak_phrase(peak_cell(cells)) == "Больше всего посетителей ожидается по понедельникам с 10 до 11"
    later = expected_load([(2, 9)], {(2, 9): (1, 15)}, {}, {})
    assert peak_phrase(peak_cell(later)) == "Больше всего посетителей ожидается по средам с 9 до 10"


def test_no_visitor_expected_is_said_so():
    quiet = expected_load([(0, 9), (0, 10)], {}, {}, {0: 8})
    assert peak_cell(quiet) is None
    assert peak_phrase(None).startswith("Посетителей пока не ожидается")


def test_heat_levels_are_equal_steps_of_the_maximum():
    # maximum 4, 4 steps: (0, 1] → 1, (1, 2] → 2, (2, 3] → 3, (3, 4] → 4; nothing expected → 0.
    assert [heat_level(v, 4) for v in (0, 0.1, 1, 1.5, 2, 3, 3.2, 4)] == [0, 1, 1, 2, 2, 3, 4, 4]
    assert heat_level(1, 0) == 0


def test_utilisation_is_booked_over_open_minutes():
    # 8 hours open minus a 1-hour break on 2 days = 960 open minutes; 240 booked = 0.25.
    assert utilisation(240, 960) == 0.25
    assert utilisation(0, 0) is None
    with pytest.raises(ValueError):
        utilisation(-5, 10)


def test_no_show_rate_uses_the_wilson_interval():
    # 10:00 — 3 arrived, 1 no-show: 1/4 = 0.25, Wilson 95 % [0.0456, 0.6994] (p̂ + z²/2n ± z√(p̂q̂/n + z²/4n²),
    # over 1 + z²/n, z = 1.95996). 11:00 — nobody decided: no rate. 9:00 — 0 of 2: 0 in [0, 0.6576].
    rates = no_show_rates({10: (3, 1), 11: (0, 0), 9: (2, 0)})
    assert [r.hour for r in rates] == [9, 10, 11]
    nine, ten, eleven = rates
    assert ten.rate is not None
    assert ten.rate.share == 0.25
    assert ten.rate.ci.low == pytest.approx(0.0456, abs=1e-4)
    assert ten.rate.ci.high == pytest.approx(0.6994, abs=1e-4)
    assert nine.rate is not None and nine.rate.share == 0
    assert nine.rate.ci.high == pytest.approx(0.6576, abs=1e-4)
    assert eleven.rate is None
    assert eleven.to_dict() == {"hour": 11, "arrived": 0, "no_show": 0, "rate": None, "ci": None}
