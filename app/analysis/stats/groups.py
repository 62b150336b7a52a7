"""Comparisons of scores across groups (centres, branches, channels, periods).

Rank tests work on raw values or on aggregated ``{value: count}`` mappings; the counts versions
compute mid-ranks per distinct value, so a million answers on a 1-5 scale cost five ranks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import special
from scipy import stats as sps

from app.analysis.stats._base import TestResult, as_float_array, counts_to_arrays

__all__ = [
    "kruskal_from_counts",
    "kruskal_wallis",
    "mann_whitney",
    "mann_whitney_from_counts",
    "one_way_anova",
    "welch_anova",
]


def _check_groups(groups: Mapping[str, Any], minimum: int = 2) -> None:
    if not isinstance(groups, Mapping):
        raise ValueError("groups must be a mapping name -> values")
    if len(groups) < minimum:
        raise ValueError(f"at least {minimum} groups are needed")


def _midranks(values: np.ndarray, totals: np.ndarray) -> tuple[np.ndarray, float]:
    """Mid-rank of each distinct sorted value and the tie term sum(t^3 - t)."""
    upper = np.cumsum(totals)
    ranks = upper - (totals - 1.0) / 2.0
    return ranks, float((totals**3 - totals).sum())


def _pool_counts(groups: Mapping[str, Mapping[float, int]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Distinct sorted values and a (groups x values) count matrix."""
    names = list(groups)
    parts = [counts_to_arrays(groups[name], f"counts of {name!r}") for name in names]
    values = np.unique(np.concatenate([p[0] for p in parts])) if parts else np.array([])
    matrix = np.zeros((len(names), values.size))
    for row, (vals, weights) in enumerate(parts):
        np.add.at(matrix[row], np.searchsorted(values, vals), weights)
    return names, values, matrix


def _kruskal_core(names: list[str], matrix: np.ndarray) -> TestResult:
    sizes = matrix.sum(axis=1)
    if np.any(sizes == 0):
        empty = [names[i] for i in np.flatnonzero(sizes == 0)]
        raise ValueError(f"groups without values: {empty}")
    totals = matrix.sum(axis=0)
    big_n = float(totals.sum())
    ranks, ties = _midranks(np.arange(totals.size), totals)
    rank_sums = matrix @ ranks
    mean_ranks = rank_sums / sizes
    df = float(len(names) - 1)
    extra: dict[str, Any] = {
        "n": {name: int(size) for name, size in zip(names, sizes, strict=True)},
        "mean_ranks": dict(zip(names, mean_ranks.tolist(), strict=True)),
    }
    correction = 1.0 - ties / (big_n**3 - big_n)
    if correction <= 0.0:  # every value identical: no evidence of any difference
        extra.update(epsilon_squared=0.0, degenerate=True)
        return TestResult("kruskal", 0.0, 1.0, df, extra)
    h = (12.0 / (big_n * (big_n + 1.0)) * float((rank_sums**2 / sizes).sum()) - 3.0 * (big_n + 1.0)) / correction
    h = max(h, 0.0)
    extra.update(epsilon_squared=h / (big_n - 1.0), degenerate=False)
    return TestResult("kruskal", float(h), float(special.chdtrc(df, h)), df, extra)


def kruskal_wallis(groups: Mapping[str, Sequence[float]]) -> TestResult:
    """Kruskal-Wallis H test that scores have the same distribution in every group.

    Parameters
    ----------
    groups : mapping name -> sequence of float
        At least two groups, each with at least one value.

    Returns
    -------
    TestResult
        ``statistic`` = H (tie-corrected), ``df`` = groups - 1; ``extra``: ``n`` and ``mean_ranks``
        per group, ``epsilon_squared`` = H / (N - 1). All values identical: H = 0, p = 1,
        ``extra["degenerate"] = True``.

    Notes
    -----
    With mid-ranks, rank sums :math:`R_i`, group sizes :math:`n_i`, :math:`N = \\sum n_i` and tie
    sizes :math:`t`:

    .. math:: H = \\frac{\\frac{12}{N(N+1)}\\sum_i R_i^2/n_i - 3(N+1)}
                       {1 - \\sum (t^3 - t)/(N^3 - N)} \\sim \\chi^2_{k-1}

    References
    ----------
    .. [1] Kruskal, W. H., Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis.
       JASA 47, 583-621.
    .. [2] Hollander, M., Wolfe, D. A. (1973). Nonparametric Statistical Methods, pp. 115-120. Wiley.
    """
    _check_groups(groups)
    counts: dict[str, dict[float, int]] = {}
    for name, values in groups.items():
        x = as_float_array(values, f"values of {name!r}")
        uniq, freq = np.unique(x, return_counts=True)
        counts[name] = dict(zip(uniq.tolist(), freq.tolist(), strict=True))
    return kruskal_from_counts(counts)


def kruskal_from_counts(groups: Mapping[str, Mapping[float, int]]) -> TestResult:
    """Kruskal-Wallis H test from aggregated ``{group: {value: count}}``; same result as on raw values.

    Parameters
    ----------
    groups : mapping name -> mapping value -> count
        What ``GROUP BY centre, value`` returns; at least two groups with at least one answer each.

    Returns
    -------
    TestResult
        As :func:`kruskal_wallis`.

    Notes
    -----
    Each distinct value v with total count :math:`t_v` over all groups gets the mid-rank
    :math:`r_v = \\sum_{u \\le v} t_u - (t_v - 1)/2`; then :math:`R_i = \\sum_v c_{iv} r_v` and H as in
    :func:`kruskal_wallis`, with the tie term :math:`\\sum_v (t_v^3 - t_v)`. Cost grows with the number
    of distinct values, not of answers.

    References
    ----------
    .. [1] Kruskal, W. H., Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis.
       JASA 47, 583-621.
    """
    _check_groups(groups)
    names, _values, matrix = _pool_counts(groups)
    return _kruskal_core(names, matrix)


def _mann_whitney_core(a_counts: np.ndarray, b_counts: np.ndarray) -> TestResult:
    n1, n2 = float(a_counts.sum()), float(b_counts.sum())
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need at least one value")
    totals = a_counts + b_counts
    big_n = n1 + n2
    ranks, ties = _midranks(np.arange(totals.size), totals)
    u1 = float(a_counts @ ranks) - n1 * (n1 + 1.0) / 2.0
    u2 = n1 * n2 - u1
    extra: dict[str, Any] = {
        "n1": int(n1),
        "n2": int(n2),
        "u1": u1,
        "u2": u2,
        "rank_biserial": (u1 - u2) / (n1 * n2),
        "prob_superiority": u1 / (n1 * n2),
    }
    variance = n1 * n2 / 12.0 * ((big_n + 1.0) - ties / (big_n * (big_n - 1.0)))
    if variance <= 0.0:
        extra.update(z=0.0, degenerate=True)
        return TestResult("mann_whitney", u1, 1.0, None, extra)
    mu = n1 * n2 / 2.0
    z = max(abs(u1 - mu) - 0.5, 0.0) / math.sqrt(variance)
    extra.update(z=math.copysign(z, u1 - mu), degenerate=False)
    return TestResult("mann_whitney", u1, float(min(1.0, 2.0 * special.ndtr(-z))), None, extra)


def mann_whitney(a: Sequence[float], b: Sequence[float], method: str = "asymptotic") -> TestResult:
    """Two-sided Mann-Whitney U (Wilcoxon rank-sum) test.

    Parameters
    ----------
    a, b : sequence of float
        The two samples (e.g. a centre and the rest of the network).
    method : {"asymptotic", "exact"}
        "asymptotic" (default): normal approximation with tie and continuity corrections, the same
        as :func:`mann_whitney_from_counts` and R ``wilcox.test(exact = FALSE, correct = TRUE)``.
        "exact": scipy's exact null distribution (no ties allowed), for very small samples.

    Returns
    -------
    TestResult
        ``statistic`` = :math:`U_1`, the U of ``a``. ``extra``: ``u1``, ``u2``, ``n1``, ``n2``,
        ``z`` (signed, positive when ``a`` tends to be larger), ``rank_biserial``
        :math:`r = (U_1 - U_2)/(n_1 n_2)` in [-1, 1] (positive: ``a`` larger) and
        ``prob_superiority`` :math:`U_1/(n_1 n_2)` = P(a > b) + P(a = b)/2.

    Notes
    -----
    .. math:: U_1 = R_1 - \\frac{n_1(n_1+1)}{2},\\quad
              \\sigma^2 = \\frac{n_1 n_2}{12}\\Big[(N + 1) - \\frac{\\sum (t^3 - t)}{N(N-1)}\\Big],\\quad
              z = \\frac{|U_1 - n_1 n_2/2| - 1/2}{\\sigma}

    References
    ----------
    .. [1] Mann, H. B., Whitney, D. R. (1947). On a test of whether one of two random variables is
       stochastically larger than the other. Ann. Math. Statist. 18, 50-60.
    .. [2] Kerby, D. S. (2014). The simple difference formula: an approach to teaching
       nonparametric correlation. Comprehensive Psychology 3, 11.IT.3.1.
    """
    x = as_float_array(a, "a")
    y = as_float_array(b, "b")
    if x.size == 0 or y.size == 0:
        raise ValueError("both samples need at least one value")
    values = np.unique(np.concatenate([x, y]))
    a_counts = np.bincount(np.searchsorted(values, x), minlength=values.size).astype(float)
    b_counts = np.bincount(np.searchsorted(values, y), minlength=values.size).astype(float)
    result = _mann_whitney_core(a_counts, b_counts)
    if method == "asymptotic":
        return result
    if method != "exact":
        raise ValueError("method must be 'asymptotic' or 'exact'")
    if values.size < x.size + y.size:
        raise ValueError("the exact method needs data without ties; use method='asymptotic'")
    exact = sps.mannwhitneyu(x, y, alternative="two-sided", method="exact")
    return TestResult("mann_whitney", result.statistic, float(exact.pvalue), None, {**result.extra, "method": "exact"})


def mann_whitney_from_counts(a: Mapping[float, int], b: Mapping[float, int]) -> TestResult:
    """Mann-Whitney U test from aggregated ``{value: count}`` of two samples (asymptotic).

    Same result as ``mann_whitney(expand(a), expand(b))``; see :func:`mann_whitney` for the result.

    Notes
    -----
    Mid-ranks per distinct value as in :func:`kruskal_from_counts`;
    :math:`U_1 = \\sum_v a_v r_v - n_1(n_1+1)/2`, then the tie- and continuity-corrected normal
    approximation of :func:`mann_whitney`.

    References
    ----------
    .. [1] Mann, H. B., Whitney, D. R. (1947). On a test of whether one of two random variables is
       stochastically larger than the other. Ann. Math. Statist. 18, 50-60.
    """
    _names, _values, matrix = _pool_counts({"a": a, "b": b})
    return _mann_whitney_core(matrix[0], matrix[1])


def _group_arrays(groups: Mapping[str, Sequence[float]], min_size: int) -> tuple[list[str], list[np.ndarray]]:
    _check_groups(groups)
    names = list(groups)
    arrays = [as_float_array(groups[name], f"values of {name!r}") for name in names]
    for name, x in zip(names, arrays, strict=True):
        if x.size < min_size:
            raise ValueError(f"group {name!r} needs at least {min_size} values")
    return names, arrays


def one_way_anova(groups: Mapping[str, Sequence[float]]) -> TestResult:
    """Classical one-way ANOVA F test of equal means (equal variances assumed).

    Returns
    -------
    TestResult
        ``df = (k - 1, N - k)``; ``extra``: ``eta_squared`` = SS_between / SS_total, ``means``.

    Notes
    -----
    .. math:: F = \\frac{\\sum n_i(\\bar x_i - \\bar x)^2/(k-1)}{\\sum\\sum (x_{ij} - \\bar x_i)^2/(N-k)}

    References
    ----------
    .. [1] Montgomery, D. C. (2017). Design and Analysis of Experiments, 9th ed., ch. 3. Wiley.
    """
    names, arrays = _group_arrays(groups, 1)
    k = len(arrays)
    big_n = sum(x.size for x in arrays)
    if big_n <= k:
        raise ValueError("ANOVA needs more values than groups")
    grand = float(np.concatenate(arrays).mean())
    ss_between = float(sum(x.size * (x.mean() - grand) ** 2 for x in arrays))
    ss_within = float(sum(((x - x.mean()) ** 2).sum() for x in arrays))
    df1, df2 = float(k - 1), float(big_n - k)
    extra: dict[str, Any] = {"means": {n: float(x.mean()) for n, x in zip(names, arrays, strict=True)}}
    if ss_within == 0.0:
        raise ValueError("ANOVA is undefined when every group has zero variance")
    f = (ss_between / df1) / (ss_within / df2)
    extra["eta_squared"] = ss_between / (ss_between + ss_within)
    return TestResult("anova", float(f), float(sps.f.sf(f, df1, df2)), (df1, df2), extra)


def welch_anova(groups: Mapping[str, Sequence[float]]) -> TestResult:
    """Welch's one-way ANOVA: equal means without assuming equal variances.

    Returns
    -------
    TestResult
        ``df = (k - 1, df2)`` with the fractional Welch denominator df; ``extra``: ``means``.

    Notes
    -----
    With :math:`w_i = n_i / s_i^2`, :math:`W = \\sum w_i`, :math:`\\tilde x = \\sum w_i \\bar x_i / W`
    and :math:`\\Lambda = \\sum (1 - w_i/W)^2 / (n_i - 1)`:

    .. math:: F = \\frac{\\sum w_i(\\bar x_i - \\tilde x)^2/(k-1)}{1 + \\frac{2(k-2)}{k^2-1}\\Lambda},
              \\quad df_2 = \\frac{k^2 - 1}{3\\Lambda}

    Each group needs at least two values and a positive variance.

    References
    ----------
    .. [1] Welch, B. L. (1951). On the comparison of several mean values: an alternative approach.
       Biometrika 38, 330-336.
    """
    names, arrays = _group_arrays(groups, 2)
    k = len(arrays)
    sizes = np.array([x.size for x in arrays], dtype=float)
    means = np.array([x.mean() for x in arrays])
    variances = np.array([x.var(ddof=1) for x in arrays])
    if np.any(variances == 0.0):
        raise ValueError("Welch's ANOVA needs a positive variance in every group")
    w = sizes / variances
    total_w = w.sum()
    centre = float((w * means).sum() / total_w)
    lam = float(((1.0 - w / total_w) ** 2 / (sizes - 1.0)).sum())
    f = float((w * (means - centre) ** 2).sum() / (k - 1)) / (1.0 + 2.0 * (k - 2) / (k * k - 1.0) * lam)
    df1, df2 = float(k - 1), (k * k - 1.0) / (3.0 * lam)
    extra = {"means": dict(zip(names, means.tolist(), strict=True))}
    return TestResult("welch_anova", f, float(sps.f.sf(f, df1, df2)), (df1, df2), extra)
