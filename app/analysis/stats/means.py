"""Means of rating scales with t-intervals, from raw values or from aggregated counts, and top-box shares."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from app.analysis.stats._base import Interval, as_float_array, check_confidence, counts_to_arrays
from app.analysis.stats.proportions import ProportionEstimate, wilson

__all__ = ["MeanEstimate", "mean_from_counts", "mean_t_interval", "top_box"]


@dataclass(frozen=True)
class MeanEstimate:
    """Sample mean with standard deviation (ddof = 1) and t confidence interval."""

    n: int
    mean: float
    sd: float
    ci: Interval

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "mean": float(self.mean), "sd": float(self.sd), "ci": self.ci.to_list()}


def _t_estimate(n: int, mean: float, sd: float, confidence: float) -> MeanEstimate:
    check_confidence(confidence)
    if n < 2:
        raise ValueError("a t-interval needs at least two values")
    half = float(special.stdtrit(n - 1, 1.0 - (1.0 - confidence) / 2.0)) * sd / math.sqrt(n)
    return MeanEstimate(n=n, mean=mean, sd=sd, ci=Interval(mean - half, mean + half))


def mean_t_interval(values: Iterable[float], confidence: float = 0.95) -> MeanEstimate:
    """Mean with Student's t confidence interval.

    Parameters
    ----------
    values : sequence of float
        At least two finite numbers.

    Notes
    -----
    .. math:: \\bar x \\pm t_{1-\\alpha/2,\\,n-1}\\,\\frac{s}{\\sqrt n},\\quad
              s^2 = \\frac{1}{n-1}\\sum (x_i - \\bar x)^2

    For bounded rating scales with n of at least a few dozen the interval has close to nominal
    coverage (Sauro & Lewis 2016, ch. 3).

    References
    ----------
    .. [1] Student (1908). The probable error of a mean. Biometrika 6, 1-25.
    .. [2] Sauro, J., Lewis, J. R. (2016). Quantifying the User Experience, 2nd ed., ch. 3.
    """
    x = as_float_array(values)
    if x.size < 2:
        raise ValueError("a t-interval needs at least two values")
    return _t_estimate(int(x.size), float(x.mean()), float(x.std(ddof=1)), confidence)


def mean_from_counts(counts: Mapping[float, int], confidence: float = 0.95) -> MeanEstimate:
    """Mean and t-interval from aggregated ``{value: count}`` (what ``GROUP BY value`` returns).

    Gives the same result as :func:`mean_t_interval` on the expanded data, without expanding it.

    Notes
    -----
    .. math:: n = \\sum c_v,\\quad \\bar x = \\frac{1}{n}\\sum c_v v,\\quad
              s^2 = \\frac{1}{n-1}\\sum c_v (v - \\bar x)^2

    (two-pass formula, numerically stable), then the t-interval of :func:`mean_t_interval`.

    References
    ----------
    .. [1] Student (1908). The probable error of a mean. Biometrika 6, 1-25.
    """
    values, weights = counts_to_arrays(counts)
    n = int(weights.sum())
    if n < 2:
        raise ValueError("a t-interval needs at least two values")
    mean = float((values * weights).sum() / n)
    sd = math.sqrt(float((weights * (values - mean) ** 2).sum()) / (n - 1))
    return _t_estimate(n, mean, sd, confidence)


def top_box(
    counts: Mapping[float, int], scale_max: float, boxes: int = 2, confidence: float = 0.95
) -> ProportionEstimate:
    """Share of answers in the ``boxes`` best points of a scale, with a Wilson interval.

    Parameters
    ----------
    counts : mapping value -> count
        Aggregated answers on a scale whose best point is ``scale_max`` (e.g. 1...5).
    scale_max : float
        Best (highest) scale point; values above it are rejected.
    boxes : int
        Number of top points counted (2 = top-2-box: 4 and 5 on a 1...5 scale).

    Notes
    -----
    :math:`k = \\sum_{v > \\mathrm{scale\\_max} - \\mathrm{boxes}} c_v`, :math:`n = \\sum c_v`; the interval
    is Wilson's (:func:`app.analysis.stats.proportions.wilson`).

    References
    ----------
    .. [1] Sauro, J., Lewis, J. R. (2016). Quantifying the User Experience, 2nd ed., ch. 3
       (top-box scoring).
    """
    values, weights = counts_to_arrays(counts)
    if isinstance(boxes, bool) or not isinstance(boxes, int | np.integer) or boxes < 1:
        raise ValueError("boxes must be a positive whole number")
    try:
        top = float(scale_max)
    except (TypeError, ValueError) as exc:
        raise ValueError("scale_max must be a number") from exc
    if np.any(values > top):
        raise ValueError(f"values above scale_max ({scale_max}) in counts")
    n = int(weights.sum())
    if n == 0:
        raise ValueError("top_box needs at least one answer")
    k = int(weights[values > top - boxes].sum())
    return wilson(k, n, confidence)
