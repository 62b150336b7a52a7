"""Net Promoter Score with the adjusted-Wald interval, and the comparison of two NPS values."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from app.analysis.stats._base import Interval, TestResult, check_count, z_value

__all__ = ["NpsEstimate", "nps_difference", "nps_from_counts", "nps_from_scores"]

#: Pseudo-respondents of the adjusted-Wald method: 3/4 promoter and 3/4 detractor (and 3/2 passive),
#: so that n' = n + 3.
ADJUST_PROMOTERS = 0.75
ADJUST_DETRACTORS = 0.75
ADJUST_N = 3.0


@dataclass(frozen=True)
class NpsEstimate:
    """Net Promoter Score in points (-100...100) with its confidence interval (also in points)."""

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float
    ci: Interval

    @property
    def share_promoters(self) -> float:
        return self.promoters / self.n

    @property
    def share_detractors(self) -> float:
        return self.detractors / self.n

    @property
    def variance(self) -> float:
        """Per-respondent variance of the score coded +1/0/-1 (on the -1...1 scale): pP + pD - (pP - pD)^2."""
        p, d = self.share_promoters, self.share_detractors
        return p + d - (p - d) ** 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "nps": float(self.nps),
            "ci": self.ci.to_list(),
        }


def nps_from_counts(promoters: int, passives: int, detractors: int, confidence: float = 0.95) -> NpsEstimate:
    """NPS from category counts, with the adjusted-Wald interval.

    Parameters
    ----------
    promoters, passives, detractors : int
        Respondents answering 9-10, 7-8 and 0-6; at least one respondent in total.
    confidence : float
        Two-sided level.

    Returns
    -------
    NpsEstimate
        ``nps`` is the raw score :math:`100(P - D)/n`; the interval is centred on the adjusted score.

    Notes
    -----
    Adjusted Wald (Rocks 2016): add 0.75 to promoters and to detractors and 3 to n,

    .. math:: n' = n + 3,\\quad p_P' = \\frac{P + 0.75}{n'},\\quad p_D' = \\frac{D + 0.75}{n'},\\quad
              \\mathrm{NPS}' = p_P' - p_D'

    .. math:: 100\\Big(\\mathrm{NPS}' \\pm z\\sqrt{\\frac{p_P' + p_D' - (p_P' - p_D')^2}{n'}}\\Big)

    clipped to [-100, 100]. For 50/30/20 of 100 the centre is 29.13 and the 95 % interval
    (14.05, 44.20); the point estimate stays 30.

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "net promoter score". The American
       Statistician 70(4), 365-372.
    .. [2] Sauro, J., Lewis, J. R. (2016). Quantifying the User Experience, 2nd ed. Morgan Kaufmann.
    """
    p = check_count(promoters, "promoters")
    m = check_count(passives, "passives")
    d = check_count(detractors, "detractors")
    n = p + m + d
    if n == 0:
        raise ValueError("NPS needs at least one respondent")
    z = z_value(confidence)
    n_adj = n + ADJUST_N
    pp = (p + ADJUST_PROMOTERS) / n_adj
    pd = (d + ADJUST_DETRACTORS) / n_adj
    centre = pp - pd
    half = z * math.sqrt((pp + pd - centre * centre) / n_adj)
    ci = Interval(max(-100.0, 100.0 * (centre - half)), min(100.0, 100.0 * (centre + half)))
    return NpsEstimate(n=n, promoters=p, passives=m, detractors=d, nps=100.0 * (p - d) / n, ci=ci)


def nps_from_scores(scores: Iterable[float | None], confidence: float = 0.95) -> NpsEstimate:
    """NPS from raw 0-10 answers (9-10 promoters, 7-8 passives, 0-6 detractors).

    Missing answers (``None`` or NaN) are skipped; any other value must be a whole number 0...10.

    Notes
    -----
    :math:`P = \\#\\{x \\ge 9\\}`, :math:`D = \\#\\{x \\le 6\\}`, passives the rest; then
    :func:`nps_from_counts` (adjusted-Wald interval).

    References
    ----------
    .. [1] Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review 81(12), 46-54.
    .. [2] Rocks, B. (2016). Interval estimation for the "net promoter score". The American
       Statistician 70(4), 365-372.
    """
    if isinstance(scores, str | bytes):
        raise ValueError("scores must be a sequence of numbers 0..10")
    kept = []
    for value in scores:
        if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"NPS answers must be numbers 0..10, got {value!r}") from exc
        if not (0.0 <= number <= 10.0 and number == int(number)):
            raise ValueError(f"NPS answers must be whole numbers 0..10, got {value!r}")
        kept.append(number)
    values = np.asarray(kept)
    promoters = int((values >= 9).sum())
    detractors = int((values <= 6).sum())
    return nps_from_counts(promoters, values.size - promoters - detractors, detractors, confidence)


def nps_difference(a: NpsEstimate, b: NpsEstimate, confidence: float = 0.95) -> TestResult:
    """z-test of the difference ``a.nps - b.nps`` of two independent NPS values.

    Returns
    -------
    TestResult
        ``statistic`` is z; ``extra``: ``difference`` (points), ``difference_ci`` (points,
        ``[low, high]``), ``se`` (points). When both groups have zero variance (e.g. all promoters)
        z = 0, p = 1 and ``extra["degenerate"]`` is True.

    Notes
    -----
    Each NPS is the mean of a score coded +1/0/-1 with variance
    :math:`v = p_P + p_D - (p_P - p_D)^2` per respondent (raw shares). Then

    .. math:: \\Delta = \\mathrm{NPS}_a - \\mathrm{NPS}_b,\\quad
              SE = 100\\sqrt{v_a/n_a + v_b/n_b},\\quad z = \\Delta / SE,\\quad p = 2(1 - \\Phi(|z|))

    and the interval is :math:`\\Delta \\pm z_{1-\\alpha/2} SE`, so it excludes 0 exactly when the
    test rejects at the same level. 50/30/20 against 40/30/30 (n = 100 each): Δ = 20, z = 1.7541,
    p = 0.0794.

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "net promoter score". The American
       Statistician 70(4), 365-372.
    .. [2] Sauro, J., Lewis, J. R. (2016). Quantifying the User Experience, 2nd ed., ch. 5.
    """
    if not isinstance(a, NpsEstimate) or not isinstance(b, NpsEstimate):
        raise ValueError("nps_difference expects two NpsEstimate values")
    z_crit = z_value(confidence)
    diff = a.nps - b.nps
    se = 100.0 * math.sqrt(a.variance / a.n + b.variance / b.n)
    extra: dict[str, Any] = {"difference": diff, "se": se, "degenerate": se == 0.0}
    if se == 0.0:
        extra["difference_ci"] = [diff, diff]
        return TestResult("nps_difference_z", 0.0, 1.0, None, extra)
    extra["difference_ci"] = [diff - z_crit * se, diff + z_crit * se]
    z = diff / se
    return TestResult("nps_difference_z", float(z), float(2.0 * special.ndtr(-abs(z))), None, extra)
