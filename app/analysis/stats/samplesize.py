"""How many respondents a survey needs (planning figures shown to marketing staff)."""

from __future__ import annotations

import math

from scipy import optimize
from scipy import stats as sps

from app.analysis.stats._base import z_value

__all__ = ["n_for_proportion", "n_per_group_two_proportions"]


def n_for_proportion(
    margin: float = 0.05, p: float = 0.5, confidence: float = 0.95, population: int | None = None
) -> int:
    """Respondents needed to estimate a share within ``± margin`` (rounded up).

    Parameters
    ----------
    margin : float
        Half-width of the interval on the 0-1 scale (0.05 = ±5 points).
    p : float
        Expected share; 0.5 is the worst case.
    population : int, optional
        Size of a finite population (e.g. a centre's visitors per quarter); applies the finite
        population correction.

    Notes
    -----
    .. math:: n_0 = \\frac{z^2 p(1-p)}{m^2},\\qquad n = \\frac{n_0}{1 + (n_0 - 1)/N}\\ \\text{(finite N)}

    0.5, ±0.05, 95 %: :math:`n_0 = 384.15 \\to 385`.

    References
    ----------
    .. [1] Cochran, W. G. (1977). Sampling Techniques, 3rd ed., section 4.4. Wiley.
    """
    if not 0.0 < margin < 1.0:
        raise ValueError("margin must lie strictly between 0 and 1")
    if not 0.0 < p < 1.0:
        raise ValueError("p must lie strictly between 0 and 1")
    z = z_value(confidence)
    n0 = z * z * p * (1.0 - p) / (margin * margin)
    if population is not None:
        if population < 1:
            raise ValueError("population must be positive")
        n0 = n0 / (1.0 + (n0 - 1.0) / population)
    # Guard against 385.0000000001 from floating point before rounding up.
    return int(math.ceil(round(n0, 9)))


def n_per_group_two_proportions(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Respondents per group to detect shares p1 vs p2 with a two-sided test (not rounded).

    Notes
    -----
    Arcsine effect size :math:`h = 2\\arcsin\\sqrt{p_1} - 2\\arcsin\\sqrt{p_2}`; n solves

    .. math:: 1 - \\beta = \\Phi\\big(|h|\\sqrt{n/2} - z_{1-\\alpha/2}\\big)
              + \\Phi\\big(-|h|\\sqrt{n/2} - z_{1-\\alpha/2}\\big)

    (both tails, as statsmodels' ``NormalIndPower``); the second term is negligible, so
    :math:`n \\approx 2\\big((z_{1-\\alpha/2} + z_{1-\\beta})/h\\big)^2`. 0.8 vs 0.7, α = 0.05, power 0.8:
    291.7 per group. Round up for planning.

    References
    ----------
    .. [1] Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed., ch. 6.
    """
    for name, value in (("p1", p1), ("p2", p2)):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} must lie strictly between 0 and 1")
    if p1 == p2:
        raise ValueError("p1 and p2 must differ")
    if not 0.0 < alpha < 1.0 or not 0.0 < power < 1.0:
        raise ValueError("alpha and power must lie strictly between 0 and 1")
    h = abs(2.0 * math.asin(math.sqrt(p1)) - 2.0 * math.asin(math.sqrt(p2)))
    z_a = float(sps.norm.ppf(1.0 - alpha / 2.0))

    def achieved(n: float) -> float:
        shift = h * math.sqrt(n / 2.0)
        return float(sps.norm.cdf(shift - z_a) + sps.norm.cdf(-shift - z_a)) - power

    approx = 2.0 * ((z_a + float(sps.norm.ppf(power))) / h) ** 2
    # The far tail only adds power, so the exact n lies just below the one-tail approximation.
    if achieved(approx) <= 0.0:
        return approx
    return float(optimize.brentq(achieved, approx * 0.5, approx, xtol=1e-10))
