"""Trends over periods: Mann-Kendall with Sen's slope for a short series of period values, and the
respondent-level regression of NPS scores (-1/0/+1) on time, computed from per-period category counts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from app.analysis.stats._base import as_float_array, to_jsonable

__all__ = ["MannKendallResult", "ScoreRegressionResult", "mann_kendall", "nps_score_regression"]


@dataclass(frozen=True)
class MannKendallResult:
    """Mann-Kendall test with Sen's slope; ``direction`` is "up", "down" or "none" (not significant)."""

    s: float
    var_s: float
    z: float
    p_value: float
    sen_slope: float
    direction: str
    n: int = 0
    tau: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            name: to_jsonable(getattr(self, name))
            for name in ("s", "var_s", "z", "p_value", "sen_slope", "direction", "n", "tau")
        }


def mann_kendall(series: Sequence[float], alpha: float = 0.05) -> MannKendallResult:
    """Mann-Kendall test for a monotonic trend, with tie and continuity corrections, and Sen's slope.

    Parameters
    ----------
    series : sequence of float
        Values of consecutive, equally spaced periods in time order; at least 3 values.
    alpha : float
        Level used to name the direction.

    Returns
    -------
    MannKendallResult
        ``direction`` is "up" (S > 0) or "down" (S < 0) when p < alpha, otherwise "none".
        ``sen_slope`` is the change per period; ``tau`` is Kendall's tau-a = S / (n(n-1)/2).

    Notes
    -----
    .. math:: S = \\sum_{i<j} \\operatorname{sgn}(x_j - x_i),\\quad
              \\mathrm{Var}(S) = \\frac{n(n-1)(2n+5) - \\sum_t t(t-1)(2t+5)}{18}

    .. math:: Z = \\frac{S - \\operatorname{sgn}(S)}{\\sqrt{\\mathrm{Var}(S)}},\\quad p = 2(1 - \\Phi(|Z|)),
              \\quad \\text{Sen} = \\operatorname{median}_{i<j} \\frac{x_j - x_i}{j - i}

    where t runs over the sizes of groups of tied values. The normal approximation is rough below
    about 8 points; a series of 4 quarters can never reach p < 0.05 (p >= 0.089).

    References
    ----------
    .. [1] Mann, H. B. (1945). Nonparametric tests against trend. Econometrica 13, 245-259.
    .. [2] Kendall, M. G. (1975). Rank Correlation Methods, 4th ed. Griffin.
    .. [3] Sen, P. K. (1968). Estimates of the regression coefficient based on Kendall's tau.
       JASA 63, 1379-1389.
    """
    x = as_float_array(series, "series")
    n = int(x.size)
    if n < 3:
        raise ValueError("Mann-Kendall needs at least 3 values")
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must lie strictly between 0 and 1")
    i, j = np.triu_indices(n, k=1)
    diffs = x[j] - x[i]
    s = float(np.sign(diffs).sum())
    _, ties = np.unique(x, return_counts=True)
    var_s = (n * (n - 1) * (2 * n + 5) - float((ties * (ties - 1) * (2 * ties + 5)).sum())) / 18.0
    if var_s <= 0.0:  # constant series
        z, p_value = 0.0, 1.0
    else:
        z = (s - math.copysign(1.0, s)) / math.sqrt(var_s) if s != 0 else 0.0
        p_value = float(2.0 * sps.norm.sf(abs(z)))
    sen = float(np.median(diffs / (j - i)))
    direction = "none"
    if p_value < alpha and s != 0:
        direction = "up" if s > 0 else "down"
    return MannKendallResult(
        s=s,
        var_s=var_s,
        z=float(z),
        p_value=p_value,
        sen_slope=sen,
        direction=direction,
        n=n,
        tau=s / (n * (n - 1) / 2.0),
    )


@dataclass(frozen=True)
class ScoreRegressionResult:
    """OLS slope of respondents' scores on time; ``direction`` is "up", "down" or "none" (not significant)."""

    slope: float
    ci: tuple[float, float]
    se: float
    t: float
    p_value: float
    df: int
    n: int
    intercept: float
    direction: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": "ols_score_regression",
            "slope": to_jsonable(self.slope),
            "ci": [to_jsonable(v) for v in self.ci],
            "se": to_jsonable(self.se),
            "t": to_jsonable(self.t),
            "p_value": to_jsonable(self.p_value),
            "df": self.df,
            "n": self.n,
            "intercept": to_jsonable(self.intercept),
            "direction": self.direction,
        }


def nps_score_regression(
    promoters: Sequence[int],
    passives: Sequence[int],
    detractors: Sequence[int],
    times: Sequence[float],
    confidence: float = 0.95,
) -> ScoreRegressionResult:
    """Linear trend of NPS: OLS regression of every respondent's score (+1 promoter, 0 passive, -1
    detractor) on the time of their period, from the per-period category counts (no expansion).

    Parameters
    ----------
    promoters, passives, detractors : sequences of int
        Counts per period, in the order of ``times``.
    times : sequence of float
        The period's position in time (e.g. month index); a period dropped elsewhere keeps its real time.
    confidence : float
        Level of the slope's interval; ``direction`` is named when p < 1 - confidence.

    Returns
    -------
    ScoreRegressionResult
        ``slope`` and ``ci`` in NPS points (score × 100) per unit of time, ``intercept`` in NPS points,
        ``p_value`` of the two-sided t-test of slope = 0 with ``df = n - 2``.

    Notes
    -----
    With :math:`N = \\sum n_i`, :math:`\\bar t = \\sum n_i t_i / N`, :math:`S_y = \\sum (P_i - D_i)`,
    :math:`S_{yy} = \\sum (P_i + D_i)`:

    .. math:: S_{tt} = \\sum n_i (t_i - \\bar t)^2,\\quad S_{ty} = \\sum (t_i - \\bar t)(P_i - D_i),
              \\quad b = S_{ty}/S_{tt}

    .. math:: SSE = S_{yy} - S_y^2/N - b S_{ty},\\quad \\mathrm{se}(b) = \\sqrt{SSE/((N-2) S_{tt})}

    which is exactly the OLS fit on the expanded per-respondent data (statsmodels ``OLS``; the
    unit test compares the two). NPS = 100 × mean score, so the slope × 100 is the change of NPS per
    unit of time. Unlike Mann-Kendall on 4 quarterly values it uses every respondent, so its power
    grows with n.

    References
    ----------
    .. [1] Draper, N. R., Smith, H. (1998). Applied Regression Analysis, 3rd ed., ch. 1. Wiley.
    .. [2] Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review 81(12).
    """
    p = as_float_array(promoters, "promoters")
    q = as_float_array(passives, "passives")
    d = as_float_array(detractors, "detractors")
    t = as_float_array(times, "times")
    if not (p.size == q.size == d.size == t.size):
        raise ValueError("counts and times must have the same length")
    if np.any(p < 0) or np.any(q < 0) or np.any(d < 0):
        raise ValueError("counts must not be negative")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must lie strictly between 0 and 1")
    n_i = p + q + d
    n = float(n_i.sum())
    if n < 3:
        raise ValueError("the regression needs at least 3 respondents")
    t_bar = float((n_i * t).sum() / n)
    s_tt = float((n_i * (t - t_bar) ** 2).sum())
    if s_tt <= 0.0:
        raise ValueError("respondents from at least two different times are needed")
    s_y = float((p - d).sum())
    s_ty = float(((t - t_bar) * (p - d)).sum())
    slope = s_ty / s_tt
    sse = max(0.0, float((p + d).sum()) - s_y * s_y / n - slope * s_ty)
    df = int(n) - 2
    se = math.sqrt(sse / (df * s_tt))
    crit = float(sps.t.ppf(0.5 + confidence / 2.0, df))
    if se > 0.0:
        t_stat = slope / se
        p_value = float(2.0 * sps.t.sf(abs(t_stat), df))
    else:  # a perfect fit: every respondent's score is a linear function of time
        t_stat = 0.0 if slope == 0.0 else math.copysign(math.inf, slope)
        p_value = 1.0 if slope == 0.0 else 0.0
    direction = "none"
    if p_value < 1.0 - confidence and slope != 0.0:
        direction = "up" if slope > 0 else "down"
    intercept = s_y / n - slope * t_bar
    return ScoreRegressionResult(
        slope=100.0 * slope,
        ci=(100.0 * (slope - crit * se), 100.0 * (slope + crit * se)),
        se=100.0 * se,
        t=float(t_stat),
        p_value=p_value,
        df=df,
        n=int(n),
        intercept=100.0 * intercept,
        direction=direction,
    )
