"""Shares with confidence intervals and tests on shares (top-2-box, choice answers, complaint share)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special
from scipy import stats as sps

from app.analysis.stats._base import (
    Interval,
    TestResult,
    as_float_array,
    check_count,
    check_k_n,
    z_value,
)

__all__ = [
    "Interval",
    "ProportionEstimate",
    "TestResult",
    "chi_square_independence",
    "choice_shares",
    "clopper_pearson",
    "cochran_armitage_trend",
    "newcombe_difference",
    "two_proportion_ztest",
    "wilson",
]


@dataclass(frozen=True)
class ProportionEstimate:
    """``k`` of ``n`` with the share ``k / n`` and its confidence interval."""

    k: int
    n: int
    share: float
    ci: Interval
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.k, "n": self.n, "share": float(self.share), "ci": self.ci.to_list(), "method": self.method}


def wilson(k: int, n: int, confidence: float = 0.95) -> ProportionEstimate:
    """Wilson score interval for a binomial share.

    Parameters
    ----------
    k : int
        Number of successes (e.g. answers in the top two boxes).
    n : int
        Number of trials, positive.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    ProportionEstimate
        ``method="wilson"``.

    Notes
    -----
    With :math:`\\hat p = k/n` and :math:`z = \\Phi^{-1}(1 - \\alpha/2)`:

    .. math:: \\frac{\\hat p + z^2/(2n) \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/(4n^2)}}{1 + z^2/n}

    The interval always lies in [0, 1], is never degenerate at k = 0 or k = n, and keeps its
    coverage for small n, unlike the Wald interval.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. JASA 22, 209-212.
    .. [2] Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
       comparison of seven methods. Statistics in Medicine 17, 857-872.
    """
    k, n = check_k_n(k, n)
    z = z_value(confidence)
    share = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (share + z2 / (2.0 * n)) / denom
    half = z * math.sqrt(share * (1.0 - share) / n + z2 / (4.0 * n * n)) / denom
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return ProportionEstimate(k=k, n=n, share=share, ci=Interval(low, high), method="wilson")


def choice_shares(
    counts: Mapping[str, int], n: int | None = None, confidence: float = 0.95
) -> dict[str, ProportionEstimate]:
    """Share of each option of a choice question, each with its Wilson interval.

    Parameters
    ----------
    counts : mapping option -> count
        How many respondents chose each option.
    n : int, optional
        Respondents who answered the question. Default: the sum of counts (single choice). For a
        multiple-choice question pass the number of respondents; shares then need not sum to 1.
    confidence : float
        Two-sided level.

    Notes
    -----
    :math:`\\hat p_o = c_o / n` with the Wilson interval of :func:`wilson` for each option o. The
    intervals are marginal (one at a time), not simultaneous.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
       comparison of seven methods. Statistics in Medicine 17, 857-872.
    """
    if not isinstance(counts, Mapping) or not counts:
        raise ValueError("counts must be a non-empty mapping option -> count")
    checked = {str(option): check_count(c, f"count of {option!r}") for option, c in counts.items()}
    total = sum(checked.values()) if n is None else check_count(n, "n")
    return {option: wilson(c, total, confidence) for option, c in checked.items()}


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> ProportionEstimate:
    """Clopper-Pearson ("exact") interval for a binomial share.

    Notes
    -----
    Limits are beta quantiles: :math:`B(\\alpha/2;\\,k,\\,n-k+1)` and
    :math:`B(1-\\alpha/2;\\,k+1,\\,n-k)`, with 0 when k = 0 and 1 when k = n. Conservative: coverage
    is at least the nominal level.

    References
    ----------
    .. [1] Clopper, C. J., Pearson, E. S. (1934). The use of confidence or fiducial limits
       illustrated in the case of the binomial. Biometrika 26, 404-413.
    """
    k, n = check_k_n(k, n)
    z_value(confidence)  # validates the level
    alpha = 1.0 - confidence
    low = 0.0 if k == 0 else float(sps.beta.ppf(alpha / 2.0, k, n - k + 1))
    high = 1.0 if k == n else float(sps.beta.ppf(1.0 - alpha / 2.0, k + 1, n - k))
    return ProportionEstimate(k=k, n=n, share=k / n, ci=Interval(low, high), method="clopper_pearson")


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> Interval:
    """Interval for the difference of two independent shares ``x1/n1 - x2/n2`` (Newcombe hybrid score).

    Notes
    -----
    With Wilson limits :math:`(l_i, u_i)` of each share and :math:`d = \\hat p_1 - \\hat p_2`:

    .. math:: L = d - \\sqrt{(\\hat p_1 - l_1)^2 + (u_2 - \\hat p_2)^2},\\quad
              U = d + \\sqrt{(u_1 - \\hat p_1)^2 + (\\hat p_2 - l_2)^2}

    (method 10 of Newcombe 1998). It stays inside [-1, 1] and behaves well for shares near 0 or 1.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Interval estimation for the difference between independent
       proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.
    """
    a = wilson(x1, n1, confidence)
    b = wilson(x2, n2, confidence)
    d = a.share - b.share
    low = d - math.sqrt((a.share - a.ci.low) ** 2 + (b.ci.high - b.share) ** 2)
    high = d + math.sqrt((a.ci.high - a.share) ** 2 + (b.share - b.ci.low) ** 2)
    return Interval(max(-1.0, low), min(1.0, high))


def two_proportion_ztest(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> TestResult:
    """Two-sided z-test of equal shares, pooled variance, no continuity correction.

    Returns
    -------
    TestResult
        ``statistic`` is z (positive when the first share is larger). ``extra``: ``share1``,
        ``share2``, ``difference`` (share1 - share2) and ``difference_ci`` (Newcombe interval,
        ``[low, high]``). When both groups are all successes or all failures the standard error is
        zero; then z = 0, p = 1 and ``extra["degenerate"]`` is True.

    Notes
    -----
    .. math:: \\bar p = \\frac{x_1 + x_2}{n_1 + n_2},\\quad
              z = \\frac{\\hat p_1 - \\hat p_2}{\\sqrt{\\bar p(1-\\bar p)(1/n_1 + 1/n_2)}},\\quad
              p = 2(1 - \\Phi(|z|))

    :math:`z^2` equals the Pearson chi-square statistic of the 2x2 table without Yates' correction.

    References
    ----------
    .. [1] Agresti, A. (2013). Categorical Data Analysis, 3rd ed., section 3.1. Wiley.
    """
    x1, n1 = check_k_n(x1, n1)
    x2, n2 = check_k_n(x2, n2)
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    diff_ci = newcombe_difference(x1, n1, x2, n2, confidence)
    extra: dict[str, Any] = {
        "share1": p1,
        "share2": p2,
        "difference": p1 - p2,
        "difference_ci": diff_ci.to_list(),
        "degenerate": se == 0.0,
    }
    if se == 0.0:
        return TestResult("two_proportion_z", 0.0, 1.0, None, extra)
    z = (p1 - p2) / se
    p_value = float(2.0 * special.ndtr(-abs(z)))
    return TestResult("two_proportion_z", float(z), p_value, None, extra)


def chi_square_independence(table: Sequence[Sequence[float]] | np.ndarray) -> TestResult:
    """Pearson chi-square test of independence for a two-way table of counts (no Yates correction).

    Parameters
    ----------
    table : array-like, shape (r, c)
        Counts, r >= 2 and c >= 2 (e.g. centres x {top-2-box, other}). Rows or columns that are
        all zero carry no information and are dropped before the test.

    Returns
    -------
    TestResult
        ``df = (r-1)(c-1)``; ``extra``: ``expected_min``, ``cramers_v``, ``n``,
        ``share_expected_below_5`` and ``low_expected`` (True when any expected count is below 5,
        the usual warning that the chi-square approximation may be poor). If fewer than two rows or
        columns remain after dropping empty ones the test is degenerate: statistic 0, p = 1,
        ``df = 0``, ``extra["degenerate"] = True``.

    Notes
    -----
    .. math:: E_{ij} = \\frac{R_i C_j}{N},\\quad X^2 = \\sum_{ij}\\frac{(O_{ij}-E_{ij})^2}{E_{ij}},
              \\quad V = \\sqrt{\\frac{X^2}{N(\\min(r, c) - 1)}}

    References
    ----------
    .. [1] Agresti, A. (2013). Categorical Data Analysis, 3rd ed., section 3.2. Wiley.
    .. [2] Cramér, H. (1946). Mathematical Methods of Statistics, p. 282. Princeton.
    """
    try:
        observed = np.asarray(table, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("table must be a two-dimensional array of counts") from exc
    if observed.ndim != 2 or observed.shape[0] < 2 or observed.shape[1] < 2:
        raise ValueError("table must be two-dimensional with at least 2 rows and 2 columns")
    if not np.all(np.isfinite(observed)) or np.any(observed < 0):
        raise ValueError("table must contain non-negative finite counts")
    observed = observed[observed.sum(axis=1) > 0][:, observed.sum(axis=0) > 0]
    total = float(observed.sum())
    if observed.shape[0] < 2 or observed.shape[1] < 2:
        extra = {
            "n": total,
            "expected_min": None,
            "cramers_v": 0.0,
            "share_expected_below_5": None,
            "low_expected": False,
            "degenerate": True,
        }
        return TestResult("chi_square", 0.0, 1.0, 0.0, extra)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / total
    statistic = float(((observed - expected) ** 2 / expected).sum())
    rows, cols = observed.shape
    df = float((rows - 1) * (cols - 1))
    p_value = float(special.chdtrc(df, statistic))
    cramers_v = math.sqrt(statistic / (total * (min(rows, cols) - 1)))
    extra = {
        "n": total,
        "expected_min": float(expected.min()),
        "cramers_v": cramers_v,
        "share_expected_below_5": float((expected < 5).mean()),
        "low_expected": bool((expected < 5).any()),
        "degenerate": False,
    }
    return TestResult("chi_square", statistic, p_value, df, extra)


def cochran_armitage_trend(
    successes: Sequence[int], totals: Sequence[int], scores: Sequence[float] | None = None, alpha: float = 0.05
) -> TestResult:
    """Chi-square test for a linear trend in shares over ordered groups (R ``prop.trend.test``).

    Parameters
    ----------
    successes, totals : sequences of int
        Successes and trials per ordered group (e.g. per quarter), at least two groups.
    scores : sequence of float, optional
        Group scores; default 1, 2, ..., k (as in R).
    alpha : float
        Level used to name the direction.

    Returns
    -------
    TestResult
        ``statistic`` is the 1-df chi-square. ``extra``: ``slope`` (weighted least-squares change of
        the share per unit of score), ``slope_sign`` (-1, 0, 1), ``direction`` ("up" or "down" when
        p < alpha, otherwise "flat"), ``pooled_share``. If every observation is a success (or every
        one a failure) there is nothing to test: statistic 0, p = 1, ``extra["degenerate"] = True``.

    Notes
    -----
    With :math:`\\bar p = \\sum x_i / N`, :math:`N = \\sum n_i`:

    .. math:: T = \\sum s_i (x_i - n_i \\bar p),\\quad
              \\mathrm{Var}(T) = \\bar p(1-\\bar p)\\Big[\\sum n_i s_i^2 - \\frac{(\\sum n_i s_i)^2}{N}\\Big],
              \\quad X^2 = T^2 / \\mathrm{Var}(T) \\sim \\chi^2_1

    This is the regression sum of squares of the weighted regression of :math:`x_i/n_i` on
    :math:`s_i` with weights :math:`n_i / (\\bar p(1-\\bar p))`, i.e. R's definition. It is not the
    linear-by-linear association test, which divides by N - 1 instead of N.

    References
    ----------
    .. [1] Armitage, P. (1955). Tests for linear trends in proportions and frequencies.
       Biometrics 11, 375-386.
    .. [2] R Core Team. ``prop.trend.test`` in package stats.
    """
    x = as_float_array(successes, "successes")
    n = as_float_array(totals, "totals")
    if x.size != n.size:
        raise ValueError("successes and totals must have the same length")
    if x.size < 2:
        raise ValueError("a trend needs at least two groups")
    for xi, ni in zip(x, n, strict=True):
        check_k_n(xi, ni)
    s = np.arange(1.0, x.size + 1.0) if scores is None else as_float_array(scores, "scores")
    if s.size != x.size:
        raise ValueError("scores must have one value per group")
    total = n.sum()
    sxx = float((n * s * s).sum() - (n * s).sum() ** 2 / total)
    if sxx <= 0.0:
        raise ValueError("scores must not all be equal")
    pooled = float(x.sum() / total)
    t = float((s * (x - n * pooled)).sum())
    slope = t / sxx
    sign = int(np.sign(slope)) if abs(t) > 1e-12 * max(1.0, total) else 0
    extra: dict[str, Any] = {
        "slope": slope,
        "slope_sign": sign,
        "pooled_share": pooled,
        "direction": "flat",
        "degenerate": pooled in (0.0, 1.0),
    }
    if pooled in (0.0, 1.0):
        return TestResult("cochran_armitage", 0.0, 1.0, 1.0, extra)
    statistic = t * t / (pooled * (1.0 - pooled) * sxx)
    p_value = float(special.chdtrc(1, statistic))
    if p_value < alpha and sign != 0:
        extra["direction"] = "up" if sign > 0 else "down"
    return TestResult("cochran_armitage", float(statistic), p_value, 1.0, extra)
