"""Customer flow into a centre: expected visitors per weekday × hour, window utilisation, no-shows by hour.

Pure: the inputs are counts the queries made (visits booked ahead, walk-in signals of past weeks, booked and
open minutes, arrivals and no-shows); nothing here knows about Flask or the database.

Definitions (the page, the monitoring report and the API share them):

* walk-ins of a weekday × hour = feedback left in that hour (kiosk survey answers and review-book entries)
  over the past weeks / the working days of that weekday observed, with the exact (Garwood) Poisson
  interval of that mean; feedback stands in for visitors, so it is an index of the usual flow, not a
  head count;
* expected load = visits booked in that hour in the coming week + walk-ins (the bookings are known, the
  interval is the walk-ins' shifted by them);
* utilisation of a window = booked minutes (bookings not cancelled) / open minutes (working hours minus
  the break, holidays excluded);
* no-show rate of an hour = no-shows / (arrivals + no-shows), with the Wilson interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scipy import stats as sps

from app.analysis.stats._base import Interval, check_count
from app.analysis.stats.proportions import ProportionEstimate, wilson

__all__ = [
    "WEEKDAYS_DATIVE",
    "LoadCell",
    "NoShowRate",
    "RateEstimate",
    "expected_load",
    "heat_level",
    "no_show_rates",
    "peak_cell",
    "peak_phrase",
    "poisson_rate",
    "utilisation",
]

# «по понедельникам» … : the weekday (0 = Monday) after «по» in the peak sentence.
WEEKDAYS_DATIVE = ("понедельникам", "вторникам", "средам", "четвергам", "пятницам", "субботам", "воскресеньям")


@dataclass(frozen=True)
class RateEstimate:
    """``count`` events over ``exposure`` days: the mean per day with its exact Poisson interval."""

    count: int
    exposure: int
    rate: float
    ci: Interval
    method: str = "poisson_exact"

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "exposure": self.exposure,
            "rate": float(self.rate),
            "ci": self.ci.to_list(),
            "method": self.method,
        }


def poisson_rate(count: int, exposure: int, confidence: float = 0.95) -> RateEstimate:
    """Mean events per day and the exact (Garwood) interval: chi-square quantiles of ``2k`` and ``2k + 2``
    degrees of freedom, halved and divided by the days. The lower end is 0 when nothing was seen, and the
    interval keeps its coverage for the small counts an hour of a weekday has. With no day observed the
    rate is unknown (0 with an empty interval), so a centre without history shows its bookings only.
    """
    check_count(count, "count")
    check_count(exposure, "exposure")
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie in (0, 1)")
    if exposure == 0:
        if count:
            raise ValueError("events counted over no days")
        return RateEstimate(0, 0, 0.0, Interval(0.0, 0.0))
    alpha = 1 - confidence
    low = 0.0 if count == 0 else float(sps.chi2.ppf(alpha / 2, 2 * count)) / 2
    high = float(sps.chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2
    return RateEstimate(count, exposure, count / exposure, Interval(low / exposure, high / exposure))


@dataclass(frozen=True)
class LoadCell:
    """The expected visitors of one weekday × hour (the hour from ``hour``:00 to ``hour + 1``:00)."""

    weekday: int
    hour: int
    booked_visits: int
    booked_minutes: int
    walk_ins: RateEstimate

    @property
    def expected(self) -> float:
        return self.booked_visits + self.walk_ins.rate

    @property
    def expected_ci(self) -> Interval:
        return Interval(self.booked_visits + self.walk_ins.ci.low, self.booked_visits + self.walk_ins.ci.high)

    def to_dict(self) -> dict[str, Any]:
        return {
            "weekday": self.weekday,
            "hour": self.hour,
            "booked_visits": self.booked_visits,
            "booked_minutes": self.booked_minutes,
            "walk_in_count": self.walk_ins.count,
            "days_observed": self.walk_ins.exposure,
            "walk_ins": float(self.walk_ins.rate),
            "walk_ins_ci": self.walk_ins.ci.to_list(),
            "expected": float(self.expected),
            "expected_ci": self.expected_ci.to_list(),
        }


def expected_load(
    cells: Iterable[tuple[int, int]],
    booked: Mapping[tuple[int, int], tuple[int, int]],
    walk_ins: Mapping[tuple[int, int], int],
    days_observed: Mapping[int, int],
    confidence: float = 0.95,
) -> list[LoadCell]:
    """One :class:`LoadCell` per (weekday, hour) of ``cells`` (the centre's open hours), in their order.

    ``booked``: (visits, minutes) booked ahead per cell; ``walk_ins``: feedback counted per cell over the
    past weeks; ``days_observed``: the working days of each weekday in those weeks. Counts outside
    ``cells`` (feedback left after closing) are ignored.
    """
    result = []
    for weekday, hour in cells:
        visits, minutes = booked.get((weekday, hour), (0, 0))
        rate = poisson_rate(walk_ins.get((weekday, hour), 0), days_observed.get(weekday, 0), confidence)
        result.append(LoadCell(weekday, hour, visits, minutes, rate))
    return result


def peak_cell(cells: Iterable[LoadCell]) -> LoadCell | None:
    """The cell with the most expected visitors (the earliest in the week among equals); None when no
    visitor is expected anywhere."""
    best: LoadCell | None = None
    for cell in cells:
        if cell.expected > 0 and (best is None or cell.expected > best.expected):
            best = cell
    return best


def peak_phrase(cell: LoadCell | None) -> str:
    """The peak in words a manager reads: «Больше всего посетителей ожидается по понедельникам с 10 до 11»."""
    if cell is None:
        return "Посетителей пока не ожидается: нет ни записей, ни отзывов за прошлые недели"
    return f"Больше всего посетителей ожидается по {WEEKDAYS_DATIVE[cell.weekday]} с {cell.hour} до {cell.hour + 1}"


def heat_level(value: float, maximum: float, levels: int = 4) -> int:
    """The colour step of a heatmap cell: 0 for nothing expected, else 1…``levels`` by the share of the
    week's maximum (the upper end of each equal step included: 0.25 of the maximum is step 1 of 4)."""
    if value <= 0 or maximum <= 0:
        return 0
    share = min(value / maximum, 1.0)
    step = int(share * levels)
    return max(1, step if share * levels == step else step + 1)


def utilisation(booked_minutes: int, open_minutes: int) -> float | None:
    """Booked minutes over open minutes; None when the window was never open (no base)."""
    check_count(booked_minutes, "booked_minutes")
    check_count(open_minutes, "open_minutes")
    return booked_minutes / open_minutes if open_minutes else None


@dataclass(frozen=True)
class NoShowRate:
    """Arrivals and no-shows of bookings starting in one hour of the day."""

    hour: int
    arrived: int
    no_show: int
    rate: ProportionEstimate | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "hour": self.hour,
            "arrived": self.arrived,
            "no_show": self.no_show,
            "rate": float(self.rate.share) if self.rate else None,
            "ci": self.rate.ci.to_list() if self.rate else None,
        }


def no_show_rates(counts: Mapping[int, tuple[int, int]], confidence: float = 0.95) -> list[NoShowRate]:
    """Per hour (ascending) no_show / (arrived + no_show) with its Wilson interval; ``counts`` maps an hour
    to (arrived, no_show). An hour without a decided booking has no rate."""
    result = []
    for hour in sorted(counts):
        arrived, no_show = counts[hour]
        check_count(arrived, "arrived")
        check_count(no_show, "no_show")
        decided = arrived + no_show
        result.append(NoShowRate(hour, arrived, no_show, wilson(no_show, decided, confidence) if decided else None))
    return result
