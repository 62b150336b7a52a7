"""Difference-in-differences for the effect of a corrective action, and a guard against regression to the mean.

A centre's own before/after change mixes the action's effect with what happened everywhere (a seasonal
rise) and with regression to the mean (a centre picked for a low score tends to score closer to the mean
next time anyway). The difference-in-differences subtracts the change of comparison centres over the same
windows; the regression-to-the-mean adjustment removes the part of the centre's low "before" value that
the spread between centres says was chance. Pure functions: no Flask, no database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from app.analysis.stats._base import Interval, check_count, check_k_n, counts_to_arrays, to_jsonable, z_value

__all__ = [
    "DidResult",
    "Group",
    "RegressionToMean",
    "did_means",
    "did_nps",
    "did_shares",
    "difference_in_differences",
    "mean_group",
    "mean_group_from_counts",
    "nps_group",
    "regression_to_mean",
    "share_group",
    "verdict_direction",
]

MEASURES = ("share", "mean", "nps")


@dataclass(frozen=True)
class Group:
    """One independent sample summarised: ``n`` answers, the ``value`` (share, mean or NPS points) and the
    per-answer ``variance`` on the same scale, so that the value's sampling variance is ``variance / n``."""

    n: int
    value: float
    variance: float

    @property
    def sampling_variance(self) -> float:
        return self.variance / self.n

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "value": to_jsonable(self.value), "variance": to_jsonable(self.variance)}


def share_group(k: int, n: int) -> Group:
    """``k`` of ``n`` (e.g. answers in the top two boxes): value ``k/n``, variance ``p(1 - p)``."""
    k, n = check_k_n(k, n)
    p = k / n
    return Group(n, p, p * (1.0 - p))


def mean_group(n: int, mean: float, variance: float) -> Group:
    """A mean of ``n`` answers with the sample variance (``ddof = 1``) of the answers."""
    n = check_count(n, "n")
    if n == 0:
        raise ValueError("n must be positive")
    if not (math.isfinite(mean) and math.isfinite(variance)) or variance < 0:
        raise ValueError("mean and variance must be finite, variance non-negative")
    return Group(n, float(mean), float(variance))


def mean_group_from_counts(counts: Mapping[float, int]) -> Group:
    """A mean from aggregated answers ``{value: count}``; the variance is the sample variance (``ddof = 1``),
    so at least two answers are needed."""
    values, weights = counts_to_arrays(counts)
    n = int(weights.sum())
    if n < 2:
        raise ValueError("a mean needs at least two answers for its variance")
    mean = float(np.dot(values, weights) / n)
    variance = float(np.dot(weights, (values - mean) ** 2) / (n - 1))
    return Group(n, mean, variance)


def nps_group(promoters: int, passives: int, detractors: int) -> Group:
    """NPS in points (−100…100) as the mean of scores +1/0/−1 times 100; variance ``10⁴(p_P + p_D − (p_P − p_D)²)``
    (the variance of the −1/0/+1 scores, in points²)."""
    p, m, d = (
        check_count(x, name)
        for x, name in ((promoters, "promoters"), (passives, "passives"), (detractors, "detractors"))
    )
    n = p + m + d
    if n == 0:
        raise ValueError("NPS needs at least one respondent")
    sp, sd = p / n, d / n
    return Group(n, 100.0 * (sp - sd), 1e4 * (sp + sd - (sp - sd) ** 2))


@dataclass(frozen=True)
class DidResult:
    """The difference-in-differences of a centre against pooled comparison centres.

    ``naive_change`` is the centre's own after − before, ``comparison_change`` the comparison's, and
    ``estimate`` their difference. ``se`` is the delta-method standard error of four independent samples;
    ``ci`` the normal interval at ``confidence``; ``p_value`` two-sided. ``degenerate`` is True when every
    sample has zero variance (then there is no interval to speak of: ``p_value`` is 1).
    """

    measure: str
    center_before: Group
    center_after: Group
    comparison_before: Group
    comparison_after: Group
    naive_change: float
    comparison_change: float
    estimate: float
    se: float
    ci: Interval
    statistic: float
    p_value: float
    confidence: float
    degenerate: bool

    @property
    def direction(self) -> str | None:
        """ "up"/"down" when the interval excludes 0 on that side, else None."""
        return _direction(self.ci, self.degenerate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "center_before": self.center_before.to_dict(),
            "center_after": self.center_after.to_dict(),
            "comparison_before": self.comparison_before.to_dict(),
            "comparison_after": self.comparison_after.to_dict(),
            "naive_change": self.naive_change,
            "comparison_change": self.comparison_change,
            "estimate": self.estimate,
            "se": self.se,
            "ci": self.ci.to_list(),
            "statistic": self.statistic,
            "p_value": self.p_value,
            "confidence": self.confidence,
            "degenerate": self.degenerate,
            "direction": self.direction,
        }


def _direction(ci: Interval, degenerate: bool) -> str | None:
    if degenerate:
        return None
    if ci.low > 0:
        return "up"
    if ci.high < 0:
        return "down"
    return None


def _two_sided_p(z: float) -> float:
    return float(special.erfc(abs(z) / math.sqrt(2.0)))  # 2(1 − Φ(|z|)) without cancellation


def difference_in_differences(
    center_before: Group,
    center_after: Group,
    comparison_before: Group,
    comparison_after: Group,
    *,
    measure: str = "share",
    confidence: float = 0.95,
) -> DidResult:
    """Difference-in-differences of four independent samples with a delta-method interval.

    Parameters
    ----------
    center_before, center_after, comparison_before, comparison_after : Group
        The centre's and the pooled comparison's samples before and after the action.
    measure : {"share", "mean", "nps"}
        Only a label carried into the result (the groups already hold values and variances).
    confidence : float
        Two-sided level of the interval.

    Returns
    -------
    DidResult

    Notes
    -----
    .. math:: \\hat\\delta = (\\bar y_{c,1} - \\bar y_{c,0}) - (\\bar y_{k,1} - \\bar y_{k,0}),\\qquad
              SE = \\sqrt{\\sum_{g} s_g^2 / n_g}

    over the four samples g (independent: different respondents), :math:`z = \\hat\\delta / SE`,
    :math:`p = 2(1 - \\Phi(|z|))`, interval :math:`\\hat\\delta \\pm z_{1-\\alpha/2} SE`. For shares
    :math:`s^2 = p(1-p)`; for NPS the variance of the −1/0/+1 scores (×100²); for means the sample variance.
    The interval excludes 0 exactly when the test rejects at the same level.

    Centre 71/150 → 104/150, comparison 605/1650 → 1120/1650: δ = −0.092121, SE = 0.057899,
    95 % interval [−0.205601, 0.021359], p = 0.111594 (/work/shared/REFERENCES.md, «Controlling decisions»).

    References
    ----------
    .. [1] Angrist, J. D., Pischke, J.-S. (2009). Mostly Harmless Econometrics, ch. 5. Princeton UP.
    .. [2] Wooldridge, J. M. (2010). Econometric Analysis of Cross Section and Panel Data, 2nd ed., 6.5.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    groups = (center_before, center_after, comparison_before, comparison_after)
    if not all(isinstance(g, Group) for g in groups):
        raise ValueError("difference_in_differences expects four Group values")
    z_crit = z_value(confidence)
    naive = center_after.value - center_before.value
    comparison = comparison_after.value - comparison_before.value
    estimate = naive - comparison
    se = math.sqrt(sum(g.sampling_variance for g in groups))
    if se == 0.0:
        return DidResult(
            measure,
            *groups,
            naive,
            comparison,
            estimate,
            0.0,
            Interval(estimate, estimate),
            0.0,
            1.0,
            float(confidence),
            True,
        )
    z = estimate / se
    return DidResult(
        measure,
        *groups,
        naive,
        comparison,
        estimate,
        se,
        Interval(estimate - z_crit * se, estimate + z_crit * se),
        z,
        _two_sided_p(z),
        float(confidence),
        False,
    )


def did_shares(
    center_before: tuple[int, int],
    center_after: tuple[int, int],
    comparison_before: tuple[int, int],
    comparison_after: tuple[int, int],
    confidence: float = 0.95,
) -> DidResult:
    """DiD of two shares given as ``(k, n)`` pairs (see :func:`difference_in_differences`)."""
    return difference_in_differences(
        share_group(*center_before),
        share_group(*center_after),
        share_group(*comparison_before),
        share_group(*comparison_after),
        measure="share",
        confidence=confidence,
    )


def did_means(
    center_before: Mapping[float, int] | Group,
    center_after: Mapping[float, int] | Group,
    comparison_before: Mapping[float, int] | Group,
    comparison_after: Mapping[float, int] | Group,
    confidence: float = 0.95,
) -> DidResult:
    """DiD of two means, each sample given as value counts ``{value: count}`` or a :func:`mean_group`."""
    groups = [
        g if isinstance(g, Group) else mean_group_from_counts(g)
        for g in (center_before, center_after, comparison_before, comparison_after)
    ]
    return difference_in_differences(*groups, measure="mean", confidence=confidence)


def did_nps(
    center_before: tuple[int, int, int],
    center_after: tuple[int, int, int],
    comparison_before: tuple[int, int, int],
    comparison_after: tuple[int, int, int],
    confidence: float = 0.95,
) -> DidResult:
    """DiD of NPS (points), each sample as ``(promoters, passives, detractors)``."""
    return difference_in_differences(
        nps_group(*center_before),
        nps_group(*center_after),
        nps_group(*comparison_before),
        nps_group(*comparison_after),
        measure="nps",
        confidence=confidence,
    )


@dataclass(frozen=True)
class RegressionToMean:
    """How much of the centre's change regression to the mean explains, and the estimate without it.

    ``expected_shift`` is the rise (fall) expected without any action because the centre's before value
    was below (above) the mean of the units; ``adjusted_estimate`` = DiD − ``expected_shift`` with its
    interval ``adjusted_ci``.
    """

    units: int
    prior_mean: float
    between_variance: float
    reliability: float
    expected_shift: float
    adjusted_estimate: float
    adjusted_se: float
    adjusted_ci: Interval
    degenerate: bool

    @property
    def direction(self) -> str | None:
        return _direction(self.adjusted_ci, self.degenerate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "prior_mean": self.prior_mean,
            "between_variance": self.between_variance,
            "reliability": self.reliability,
            "expected_shift": self.expected_shift,
            "adjusted_estimate": self.adjusted_estimate,
            "adjusted_se": self.adjusted_se,
            "adjusted_ci": self.adjusted_ci.to_list(),
            "direction": self.direction,
        }


def regression_to_mean(result: DidResult, units_before: Sequence[Group]) -> RegressionToMean | None:
    """The regression-to-the-mean adjustment of a DiD from the before values of comparable units.

    Parameters
    ----------
    result : DidResult
        The difference-in-differences whose centre may have been chosen for its before value.
    units_before : sequence of Group
        The comparison centres one by one in the before window (each its own sample); at least 3,
        else None (the spread between centres cannot be estimated).

    Notes
    -----
    Normal random-effects model across centres: a centre's true value θ ~ N(μ, τ²), its observed before
    value :math:`y_0 \\mid θ \\sim N(θ, σ^2/n)`. Then :math:`E[θ \\mid y_0] = μ + r(y_0 - μ)` with the
    reliability :math:`r = τ^2/(τ^2 + σ^2/n)`, whatever rule chose the centre from its observed value.
    μ is the unweighted mean of the units' before values, τ² by the method of moments (variance of the
    unit values minus their mean sampling variance, floored at 0). The expected shift without any action
    is :math:`(1 - r)(μ - y_0)`; the adjusted estimate subtracts it and its variance replaces the centre's
    before sampling variance :math:`σ^2/n` by the posterior variance :math:`r σ^2/n` (μ and τ² are treated
    as known). A plain DiD whose before window is the one the centre was chosen in keeps that bias; the
    adjusted interval does not.

    References
    ----------
    .. [1] Barnett, A. G., van der Pols, J. C., Dobson, A. J. (2005). Regression to the mean: what it is
       and how to deal with it. International Journal of Epidemiology 34(1), 215-220.
    .. [2] Efron, B., Morris, C. (1975). Data analysis using Stein's estimator and its generalizations.
       JASA 70(350), 311-319.
    """
    units = [u for u in units_before if isinstance(u, Group) and u.n > 0]
    if len(units) < 3:
        return None
    values = np.array([u.value for u in units])
    sampling = np.array([u.sampling_variance for u in units])
    prior_mean = float(values.mean())
    between = max(0.0, float(values.var(ddof=1) - sampling.mean()))
    own = result.center_before.sampling_variance
    reliability = between / (between + own) if between + own > 0 else 1.0
    shift = (1.0 - reliability) * (prior_mean - result.center_before.value)
    adjusted = result.estimate - shift
    variance = (
        reliability * own
        + result.center_after.sampling_variance
        + result.comparison_before.sampling_variance
        + result.comparison_after.sampling_variance
    )
    se = math.sqrt(variance)
    half = z_value(result.confidence) * se
    return RegressionToMean(
        len(units),
        prior_mean,
        between,
        reliability,
        shift,
        adjusted,
        se,
        Interval(adjusted - half, adjusted + half),
        se == 0.0,
    )


def verdict_direction(result: DidResult, rtm: RegressionToMean | None = None) -> str | None:
    """ "up"/"down" only when the DiD interval excludes 0 on that side and, when an adjustment for
    regression to the mean is available, its interval does too; otherwise None."""
    direction = result.direction
    if direction is None or rtm is None:
        return direction
    return direction if rtm.direction == direction else None
