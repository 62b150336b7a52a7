"""Shared building blocks of the statistics package: result types, JSON conversion, argument checks.

Nothing here knows about Flask or the database; every module of ``app.analysis.stats`` is pure.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np
from scipy import special


def to_jsonable(value: Any) -> Any:
    """Convert a result (dataclass, numpy scalar, tuple, dict) to plain JSON types.

    Floats are not rounded (rounding happens at display time); NaN and infinities become ``None``
    because JSON has no such numbers.
    """
    to_dict = getattr(value, "to_dict", None)
    if to_dict is not None and is_dataclass(value):
        return to_dict()
    if is_dataclass(value):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [to_jsonable(item) for item in value]
    return value


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval ``[low, high]``."""

    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"low": float(self.low), "high": float(self.high)}

    def to_list(self) -> list[float]:
        """``[low, high]``, the shape used in report JSON (``"mean_ci": [0.1, 0.2]``)."""
        return [float(self.low), float(self.high)]

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def width(self) -> float:
        return float(self.high - self.low)


@dataclass(frozen=True)
class TestResult:
    """Outcome of a hypothesis test.

    ``df`` is a number, a pair ``(df1, df2)`` for F tests, or ``None`` for tests without degrees of
    freedom (z, U). ``extra`` carries test-specific numbers (effect sizes, differences, intervals).
    """

    __test__ = False  # not a pytest test class despite the name

    test: str
    statistic: float
    p_value: float
    df: float | tuple[float, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "statistic": to_jsonable(self.statistic),
            "p_value": to_jsonable(self.p_value),
            "df": to_jsonable(self.df),
            "extra": to_jsonable(self.extra),
        }

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value < alpha


def check_confidence(confidence: float) -> float:
    """Validate a confidence level strictly between 0 and 1."""
    try:
        level = float(confidence)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"confidence must be a number, got {confidence!r}") from exc
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return level


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile: 1.959964 for 0.95."""
    level = check_confidence(confidence)
    return _z_for_level(level)


@functools.lru_cache(maxsize=64)
def _z_for_level(level: float) -> float:
    # ndtri is the same quantile as norm.ppf without the distribution machinery (µs instead of ms);
    # a report asks for it thousands of times with the same level.
    return float(special.ndtri(1.0 - (1.0 - level) / 2.0))


def check_count(value: Any, name: str) -> int:
    """A non-negative whole number (numpy integers and integral floats accepted)."""
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from exc
    if not math.isfinite(number) or number != int(number):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return int(number)


def check_k_n(k: Any, n: Any) -> tuple[int, int]:
    """Successes ``k`` out of ``n`` trials, ``0 <= k <= n`` and ``n > 0``."""
    k_int, n_int = check_count(k, "k"), check_count(n, "n")
    if n_int == 0:
        raise ValueError("n must be positive")
    if k_int > n_int:
        raise ValueError(f"k ({k_int}) must not exceed n ({n_int})")
    return k_int, n_int


def as_float_array(values: Iterable[Any], name: str = "values") -> np.ndarray:
    """A 1-D float array of finite numbers; raises ValueError on text, NaN or infinity."""
    if isinstance(values, str | bytes):
        raise ValueError(f"{name} must be a sequence of numbers")
    try:
        array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must contain numbers only") from exc
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    return array


def counts_to_arrays(counts: Mapping[Any, Any], name: str = "counts") -> tuple[np.ndarray, np.ndarray]:
    """Split an aggregated ``{value: count}`` mapping into value and count arrays (zero counts dropped)."""
    if not isinstance(counts, Mapping):
        raise ValueError(f"{name} must be a mapping value -> count")
    values = as_float_array(list(counts.keys()), f"{name} values")
    weights = np.array([check_count(c, f"{name} count") for c in counts.values()], dtype=float)
    keep = weights > 0
    return values[keep], weights[keep]
