"""NPS trend by the respondent-level regression of -1/0/+1 scores on time, and Cochran-Armitage with the
real time scores of the periods kept."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from app.analysis.stats.proportions import cochran_armitage_trend
from app.analysis.stats.trend import nps_score_regression

P = [40, 35, 50, 0, 52, 60]
Q = [30, 40, 25, 0, 30, 20]
D = [30, 28, 20, 0, 15, 12]
MONTHS = [1, 2, 3, 4, 5, 6]  # month 4 has no answers


def _expanded(promoters, passives, detractors, times):
    y, x = [], []
    for p, q, d, t in zip(promoters, passives, detractors, times, strict=True):
        y += [1.0] * p + [0.0] * q + [-1.0] * d
        x += [float(t)] * (p + q + d)
    return np.array(y), np.array(x)


def test_matches_statsmodels_ols_on_the_expanded_respondents():
    """Independent computation: statsmodels OLS of every respondent's score on the month (Draper & Smith,
    Applied Regression Analysis, ch. 1); slope, its 95 % interval, t and p agree to 1e-10."""
    result = nps_score_regression(P, Q, D, MONTHS, confidence=0.95)
    y, x = _expanded(P, Q, D, MONTHS)
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    low, high = fit.conf_int(alpha=0.05)[1]
    assert result.n == len(y) and result.df == int(fit.df_resid)
    assert result.slope == pytest.approx(100 * fit.params[1], rel=1e-10)
    assert result.intercept == pytest.approx(100 * fit.params[0], rel=1e-10)
    assert result.se == pytest.approx(100 * fit.bse[1], rel=1e-10)
    assert result.ci == pytest.approx((100 * low, 100 * high), rel=1e-10)
    assert result.t == pytest.approx(fit.tvalues[1], rel=1e-10)
    assert result.p_value == pytest.approx(fit.pvalues[1], rel=1e-8)
    assert result.direction == "up"


def test_uneven_times_and_confidence_also_match():
    """Months 2, 3, 7, 11 (gaps kept as real time) at 90 %: again equal to statsmodels OLS."""
    times = [2, 3, 7, 11]
    p, q, d = [10, 12, 9, 14], [5, 3, 6, 2], [8, 9, 10, 4]
    result = nps_score_regression(p, q, d, times, confidence=0.90)
    y, x = _expanded(p, q, d, times)
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    assert result.ci == pytest.approx(tuple(100 * v for v in fit.conf_int(alpha=0.10)[1]), rel=1e-10)
    assert result.p_value == pytest.approx(fit.pvalues[1], rel=1e-8)


def test_degenerate_inputs():
    with pytest.raises(ValueError):
        nps_score_regression([5], [5], [5], [1])  # one time only
    with pytest.raises(ValueError):
        nps_score_regression([1, 2], [0, 0], [0, 0], [1, 2, 3])
    flat = nps_score_regression([10, 10], [0, 0], [0, 0], [1, 2])  # everybody a promoter
    assert flat.slope == 0 and flat.p_value == 1.0 and flat.direction == "none"


def test_null_months_rarely_give_a_trend():
    """Null simulation: 12 months of 80 respondents from one distribution (NPS 20); the share of series with
    p < 0.05 stays within 5 % + 3 Monte-Carlo standard errors (400 seeded series)."""
    rng = np.random.default_rng(20261202)
    runs, hits = 400, 0
    for _ in range(runs):
        counts = rng.multinomial(80, [0.45, 0.30, 0.25], size=12)
        result = nps_score_regression(counts[:, 0], counts[:, 1], counts[:, 2], range(1, 13))
        hits += result.p_value < 0.05
    assert hits / runs <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / runs)


def test_planted_trend_is_found():
    """NPS rising from 0 to about 30 over 12 months (150 respondents a month) is found, upward, nearly always."""
    rng = np.random.default_rng(7)
    found = 0
    for _ in range(100):
        rows = [rng.multinomial(150, [0.35 + 0.0136 * m, 0.30, 0.35 - 0.0136 * m]) for m in range(12)]
        counts = np.array(rows)
        result = nps_score_regression(counts[:, 0], counts[:, 1], counts[:, 2], range(1, 13))
        found += result.direction == "up"
    assert found >= 95


def test_cochran_armitage_keeps_real_time_scores():
    """R prop.trend.test(x, n, score = s) with a gap: dropping a period and renumbering changes the test.
    Computed independently here as the weighted regression sum of squares (Armitage 1955)."""
    k, n, scores = [20, 25, 40], [100, 100, 100], [1, 2, 4]
    result = cochran_armitage_trend(k, n, scores=scores)
    renumbered = cochran_armitage_trend(k, n)
    x, m, s = np.array(k, float), np.array(n, float), np.array(scores, float)
    p = x.sum() / m.sum()
    t = (s * (x - m * p)).sum()
    var = p * (1 - p) * ((m * s * s).sum() - (m * s).sum() ** 2 / m.sum())
    assert result.statistic == pytest.approx(t * t / var, rel=1e-12)
    assert result.statistic != pytest.approx(renumbered.statistic, rel=1e-3)


def test_cochran_armitage_on_months_with_a_gap_null_and_planted():
    """Monthly top-2-box with month 6 dropped (scores 1–5, 7–12): 400 flat seeded series give p < 0.05 in at
    most 5 % + 3 Monte-Carlo SE; a rise of 2 points a month (n = 150) is found upward in at least 95 of 100."""
    rng = np.random.default_rng(14)
    months = [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12]
    runs, hits = 400, 0
    for _ in range(runs):
        k = rng.binomial(120, 0.6, size=len(months))
        hits += cochran_armitage_trend(k, [120] * len(months), scores=months).p_value < 0.05
    assert hits / runs <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / runs)
    found = 0
    for _ in range(100):
        k = [rng.binomial(150, 0.45 + 0.02 * m) for m in months]
        found += cochran_armitage_trend(k, [150] * len(months), scores=months).extra["direction"] == "up"
    assert found >= 95
