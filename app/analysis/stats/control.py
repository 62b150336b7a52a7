"""Control charts for shares (complaint share per centre and period): p-chart, Laney p', funnel plot."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from app.analysis.stats._base import as_float_array, check_k_n, to_jsonable

__all__ = [
    "LANEY_MIN_POINTS",
    "PChartPoint",
    "PChartResult",
    "funnel_limits",
    "funnel_points",
    "laney_threshold",
    "p_chart",
]

#: ``laney="auto"`` needs at least this many points to judge over-dispersion from moving ranges.
LANEY_MIN_POINTS = 5
#: d2 constant for moving ranges of two consecutive points.
D2 = 1.128
#: Relative standard error of sigma_z under the binomial model is about this / sqrt(m - 1)
#: (simulation: 4 000 binomial series each for m = 5...80 points gave 0.86-0.90).
_SIGMA_Z_REL_SE = 0.9


@dataclass(frozen=True)
class PChartPoint:
    """One period (or unit) on a p-chart; ``beyond`` is "above", "below" or None."""

    label: str
    count: int
    n: int
    share: float
    center: float
    lcl: float
    ucl: float
    beyond: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "count": self.count,
            "n": self.n,
            "share": float(self.share),
            "center": float(self.center),
            "lcl": float(self.lcl),
            "ucl": float(self.ucl),
            "beyond": self.beyond,
        }


@dataclass(frozen=True)
class PChartResult:
    """A p-chart: pooled centre line, points with their limits, whether Laney's p' was used and sigma_z."""

    center: float
    points: list[PChartPoint]
    laney_used: bool
    sigma_z: float | None

    @property
    def signals(self) -> list[PChartPoint]:
        """Points beyond the limits (findings)."""
        return [p for p in self.points if p.beyond is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "center": float(self.center),
            "points": [p.to_dict() for p in self.points],
            "laney_used": self.laney_used,
            "sigma_z": to_jsonable(self.sigma_z),
        }


def laney_threshold(points: int) -> float:
    """sigma_z above which ``laney="auto"`` switches to Laney's p': 1 + 3 * 0.9 / sqrt(m - 1).

    Three standard errors of sigma_z under the plain binomial model, so a chart of binomial data
    switches in well under 1 % of cases (m = 10: 1.90; m = 20: 1.62; m = 40: 1.43).
    """
    if points < 2:
        raise ValueError("at least two points are needed")
    return 1.0 + 3.0 * _SIGMA_Z_REL_SE / math.sqrt(points - 1)


def _check_counts(counts: Sequence[int], totals: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    x = as_float_array(counts, "counts")
    n = as_float_array(totals, "totals")
    if x.size != n.size:
        raise ValueError("counts and totals must have the same length")
    if x.size == 0:
        raise ValueError("at least one point is needed")
    for xi, ni in zip(x, n, strict=True):
        check_k_n(xi, ni)
    return x, n


def _labels(labels: Sequence[Any] | None, size: int) -> list[str]:
    if labels is None:
        return [str(i + 1) for i in range(size)]
    out = [str(label) for label in labels]
    if len(out) != size:
        raise ValueError("labels must have one entry per point")
    return out


def _beyond(share: float, low: float, high: float) -> str | None:
    if share > high:
        return "above"
    if share < low:
        return "below"
    return None


def p_chart(
    counts: Sequence[int],
    totals: Sequence[int],
    labels: Sequence[Any] | None = None,
    sigma: float = 3.0,
    laney: bool | str = "auto",
) -> PChartResult:
    """p-chart (or Laney p'-chart) with variable subgroup sizes.

    Parameters
    ----------
    counts, totals : sequences of int
        Events (e.g. complaints) and totals (appeals) per period, in time order.
    labels : sequence, optional
        Period names; default "1", "2", ...
    sigma : float
        Width of the limits in standard errors (3 = Shewhart).
    laney : bool or "auto"
        True: Laney p'; False: plain p-chart; "auto": Laney p' when there are at least
        :data:`LANEY_MIN_POINTS` points and :math:`\\sigma_z` exceeds :func:`laney_threshold`,
        i.e. the between-period variation is clearly larger than binomial (typical for large
        volumes, where plain limits become too narrow and flag nearly every point).

    Returns
    -------
    PChartResult
        ``sigma_z`` is reported whenever there are at least two points and 0 < p-bar < 1 (None
        otherwise; then ``laney=True`` falls back to plain limits and ``laney_used`` is False).

    Notes
    -----
    With :math:`\\bar p = \\sum x_i / \\sum n_i` and :math:`\\sigma_i = \\sqrt{\\bar p(1-\\bar p)/n_i}`:

    - plain limits: :math:`\\bar p \\pm L\\sigma_i`;
    - Laney p': :math:`z_i = (p_i - \\bar p)/\\sigma_i`, :math:`MR_i = |z_i - z_{i-1}|`,
      :math:`\\sigma_z = \\overline{MR}/1.128`, limits :math:`\\bar p \\pm L\\sigma_i\\sigma_z`.

    Limits are clipped to [0, 1]; a point is beyond when its share is strictly outside them. When
    :math:`\\bar p` is 0 or 1 every limit collapses to the centre and no point is a signal.

    References
    ----------
    .. [1] Montgomery, D. C. (2019). Introduction to Statistical Quality Control, 8th ed.,
       section 7.2 (Example 7.1). Wiley.
    .. [2] Laney, D. B. (2002). Improved control charts for attributes. Quality Engineering 14(4),
       531-537.
    """
    x, n = _check_counts(counts, totals)
    names = _labels(labels, x.size)
    if not (isinstance(sigma, int | float) and sigma > 0):
        raise ValueError("sigma must be a positive number")
    if laney not in (True, False, "auto"):
        raise ValueError("laney must be True, False or 'auto'")
    centre = float(x.sum() / n.sum())
    share = x / n
    se = np.sqrt(centre * (1.0 - centre) / n)
    sigma_z: float | None = None
    if x.size >= 2 and centre not in (0.0, 1.0):
        z = (share - centre) / se
        sigma_z = float(np.abs(np.diff(z)).mean() / D2)
    if laney == "auto":
        use_laney = sigma_z is not None and x.size >= LANEY_MIN_POINTS and sigma_z > laney_threshold(int(x.size))
    else:
        use_laney = bool(laney) and sigma_z is not None
    width = sigma * se * (sigma_z if use_laney and sigma_z is not None else 1.0)
    points = []
    for i in range(x.size):
        low = max(0.0, centre - float(width[i]))
        high = min(1.0, centre + float(width[i]))
        points.append(
            PChartPoint(
                label=names[i],
                count=int(x[i]),
                n=int(n[i]),
                share=float(share[i]),
                center=centre,
                lcl=low,
                ucl=high,
                beyond=_beyond(float(share[i]), low, high),
            )
        )
    return PChartResult(center=centre, points=points, laney_used=use_laney, sigma_z=sigma_z)


def _level_key(level: float) -> str:
    return f"{level * 100:g}".replace(".", "_")


def _check_levels(levels: Sequence[float]) -> list[float]:
    out = [float(level) for level in levels]
    if not out or any(not 0.0 < level < 1.0 for level in out):
        raise ValueError("levels must be numbers strictly between 0 and 1")
    return out


def funnel_limits(
    n_values: Sequence[float] | np.ndarray, p0: float, levels: Sequence[float] = (0.95, 0.998)
) -> list[dict[str, float]]:
    """Funnel-plot control limits around a target share ``p0`` for each denominator n.

    Returns
    -------
    list of dict
        One dict per n: ``{"n": n, "lower_95": ..., "upper_95": ..., "lower_99_8": ...,
        "upper_99_8": ...}`` (the key suffix is the level in percent with "." replaced by "_").

    Notes
    -----
    Normal approximation to the binomial, two-sided:

    .. math:: p_0 \\pm z_{(1+\\text{level})/2}\\sqrt{p_0(1-p_0)/n},

    clipped to [0, 1]; z = 1.960 for 95 % and 3.090 for 99.8 %. Points beyond 95 % are "alerts",
    beyond 99.8 % "alarms".

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
       Statistics in Medicine 24, 1185-1202.
    """
    ns = as_float_array(n_values, "n_values")
    if np.any(ns <= 0):
        raise ValueError("n_values must be positive")
    if not 0.0 <= float(p0) <= 1.0:
        raise ValueError("p0 must lie in [0, 1]")
    out = []
    for size in ns:
        row: dict[str, float] = {"n": float(size)}
        for level in _check_levels(levels):
            half = float(sps.norm.ppf(0.5 + level / 2.0)) * math.sqrt(p0 * (1.0 - p0) / size)
            key = _level_key(level)
            row[f"lower_{key}"] = max(0.0, p0 - half)
            row[f"upper_{key}"] = min(1.0, p0 + half)
        out.append(row)
    return out


def funnel_points(
    counts: Sequence[int],
    totals: Sequence[int],
    labels: Sequence[Any],
    p0: float | None = None,
    levels: Sequence[float] = (0.95, 0.998),
) -> list[dict[str, Any]]:
    """Units (centres) on a funnel plot: each share with its limits and whether it lies beyond them.

    Parameters
    ----------
    counts, totals, labels : sequences
        Events, denominators and names per unit.
    p0 : float, optional
        Target share; default the pooled share of all units.

    Returns
    -------
    list of dict
        Per unit: ``label``, ``count``, ``n``, ``share``, ``p0``, ``z`` (standardised deviation
        from p0, None if p0 is 0 or 1), the limits of :func:`funnel_limits` and
        ``beyond_95`` / ``beyond_99_8`` ("above", "below" or None).

    Notes
    -----
    See :func:`funnel_limits`; :math:`z_i = (p_i - p_0)/\\sqrt{p_0(1-p_0)/n_i}`.

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
       Statistics in Medicine 24, 1185-1202.
    """
    x, n = _check_counts(counts, totals)
    names = _labels(labels, x.size)
    target = float(x.sum() / n.sum()) if p0 is None else float(p0)
    limits = funnel_limits(n, target, levels)
    out = []
    for i, row in enumerate(limits):
        share = float(x[i] / n[i])
        se = math.sqrt(target * (1.0 - target) / n[i])
        point: dict[str, Any] = {
            "label": names[i],
            "count": int(x[i]),
            "n": int(n[i]),
            "share": share,
            "p0": target,
            "z": (share - target) / se if se > 0 else None,
        }
        for level in _check_levels(levels):
            key = _level_key(level)
            low, high = row[f"lower_{key}"], row[f"upper_{key}"]
            point[f"lower_{key}"] = low
            point[f"upper_{key}"] = high
            point[f"beyond_{key}"] = _beyond(share, low, high)
        out.append(point)
    return out
