"""Group comparisons, p-value adjustment and Mann-Kendall trend, pinned to R examples."""

import json
import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from app.analysis.stats.groups import (
    kruskal_from_counts,
    kruskal_wallis,
    mann_whitney,
    mann_whitney_from_counts,
    one_way_anova,
    welch_anova,
)
from app.analysis.stats.multiple import adjust_pvalues
from app.analysis.stats.trend import mann_kendall

# R: example(kruskal.test), Hollander & Wolfe (1973) p. 116.
HOLLANDER = {"x": [2.9, 3.0, 2.5, 2.6, 3.2], "y": [3.8, 2.7, 4.0, 2.4], "z": [2.8, 3.4, 3.7, 2.2, 2.0]}
# R datasets::PlantGrowth.
PLANT_GROWTH = {
    "ctrl": [4.17, 5.58, 5.18, 6.11, 4.50, 4.61, 5.17, 4.53, 5.33, 5.14],
    "trt1": [4.81, 4.17, 4.41, 3.59, 5.87, 3.83, 6.03, 4.89, 4.32, 4.69],
    "trt2": [6.31, 5.12, 5.54, 5.50, 5.37, 5.29, 4.92, 6.15, 5.80, 5.26],
}
# R: example(wilcox.test), Hollander & Wolfe (1973) p. 69, permeability constants.
PERM_X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
PERM_Y = [1.15, 0.88, 0.90, 0.74, 1.21]


def test_kruskal_matches_r_kruskal_test():
    # R: kruskal.test(list(x, y, z)) -> chi-squared = 0.77143, df = 2, p-value = 0.68; tolerance 1e-5 / 1e-4.
    res = kruskal_wallis(HOLLANDER)
    assert res.statistic == pytest.approx(0.77143, abs=1e-5)
    assert res.p_value == pytest.approx(0.6800, abs=1e-4)
    assert res.df == 2
    assert res.extra["n"] == {"x": 5, "y": 4, "z": 5}


def test_kruskal_from_counts_with_ties_equals_scipy_on_expanded_data():
    groups = {
        "KUR": {1: 3, 2: 5, 3: 10, 4: 30, 5: 40},
        "ORL": {1: 8, 2: 9, 3: 12, 4: 20, 5: 15},
        "BEL": {3: 4, 4: 6, 5: 9},
    }
    res = kruskal_from_counts(groups)
    expanded = [np.repeat(list(c), list(c.values())) for c in groups.values()]
    # Independent: scipy.stats.kruskal (tie-corrected) on the raw values; tolerance 1e-10.
    ref = sps.kruskal(*expanded)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    raw = kruskal_wallis(dict(zip(groups, expanded, strict=True)))
    assert raw.statistic == pytest.approx(res.statistic, rel=1e-12)


def test_kruskal_identical_values_is_degenerate():
    res = kruskal_from_counts({"a": {5: 3}, "b": {5: 4}})
    assert (res.statistic, res.p_value, res.extra["degenerate"]) == (0.0, 1.0, True)


def test_mann_whitney_matches_r_wilcox_test():
    # R: wilcox.test(x, y, alternative = "greater") -> W = 35, p-value = 0.1272 (exact), so two-sided 0.2544;
    # tolerance 1e-4.
    exact = mann_whitney(PERM_X, PERM_Y, method="exact")
    assert exact.statistic == 35
    assert exact.p_value == pytest.approx(2 * 0.1272, abs=1e-4)
    assert exact.extra["rank_biserial"] == pytest.approx((35 - 15) / 50)
    # Independent: normal approximation with continuity correction written out (no ties here):
    # mu = 25, sigma^2 = 10*5*16/12; tolerance 1e-12.
    z = (35 - 25 - 0.5) / math.sqrt(10 * 5 * 16 / 12)
    asym = mann_whitney(PERM_X, PERM_Y)
    assert asym.p_value == pytest.approx(2 * sps.norm.sf(z), rel=1e-12)
    assert asym.extra["z"] == pytest.approx(z)


def test_mann_whitney_from_counts_with_ties_equals_scipy():
    a = {1: 2, 2: 3, 3: 10, 4: 25, 5: 20}
    b = {1: 10, 2: 12, 3: 20, 4: 30, 5: 15}
    res = mann_whitney_from_counts(a, b)
    xa, xb = (np.repeat(list(c), list(c.values())) for c in (a, b))
    # Independent: scipy asymptotic with tie and continuity corrections; tolerance 1e-10.
    ref = sps.mannwhitneyu(xa, xb, alternative="two-sided", method="asymptotic")
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert mann_whitney(xa, xb).p_value == pytest.approx(res.p_value, rel=1e-12)
    # Rank-biserial from its definition: P(a > b) - P(a < b); tolerance 1e-12.
    diff = np.sign(xa[:, None] - xb[None, :])
    assert res.extra["rank_biserial"] == pytest.approx(diff.mean(), abs=1e-12)
    assert res.extra["rank_biserial"] > 0


def test_anova_and_welch_match_r_on_plant_growth():
    # R: anova(lm(weight ~ group, PlantGrowth)) -> F = 4.8461, p = 0.01591; tolerance 1e-4 / 1e-5.
    res = one_way_anova(PLANT_GROWTH)
    assert res.statistic == pytest.approx(4.8461, abs=1e-4)
    assert res.p_value == pytest.approx(0.01591, abs=1e-5)
    assert res.df == (2, 27)
    # R: oneway.test(weight ~ group, PlantGrowth) -> F = 5.181, num df = 2, denom df = 17.128, p = 0.01739;
    # tolerance 1e-3 / 1e-3 / 1e-5.
    welch = welch_anova(PLANT_GROWTH)
    assert welch.statistic == pytest.approx(5.181, abs=1e-3)
    assert welch.df[1] == pytest.approx(17.128, abs=1e-3)
    assert welch.p_value == pytest.approx(0.01739, abs=1e-5)
    assert json.loads(json.dumps(welch.to_dict()))["df"][0] == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda: kruskal_wallis({"a": [1, 2]}),
        lambda: kruskal_wallis({"a": [1, 2], "b": []}),
        lambda: kruskal_wallis([[1, 2], [3, 4]]),
        lambda: kruskal_from_counts({"a": {1: 2}, "b": {2: -1}}),
        lambda: mann_whitney([], [1, 2]),
        lambda: mann_whitney([1, 2, 2], [3, 4], method="exact"),
        lambda: mann_whitney([1, 2], [3, 4], method="magic"),
        lambda: welch_anova({"a": [1, 1, 1], "b": [2, 3, 4]}),
        lambda: one_way_anova({"a": [1.0], "b": [2.0]}),
    ],
)
def test_groups_invalid_input(call):
    with pytest.raises(ValueError):
        call()


# Holm, BH and Bonferroni: REFERENCES.md, statsmodels multipletests(p, method=...); tolerance 1e-12.
@pytest.mark.parametrize(
    "method,expected",
    [
        ("holm", [0.03, 0.06, 0.06, 0.02]),
        ("fdr_bh", [0.02, 0.04, 0.04, 0.02]),
        ("bonferroni", [0.04, 0.16, 0.12, 0.02]),
    ],
)
def test_adjust_pvalues_reference(method, expected):
    assert adjust_pvalues([0.01, 0.04, 0.03, 0.005], method) == pytest.approx(expected, abs=1e-12)


def test_adjust_pvalues_agrees_with_statsmodels_on_random_input():
    p = np.random.default_rng(7).uniform(0, 0.2, 25)
    p[3] = p[9]  # a tie
    for method in ("holm", "fdr_bh", "bonferroni"):
        # Independent implementation: statsmodels; tolerance 1e-12.
        assert adjust_pvalues(p, method) == pytest.approx(multipletests(p, method=method)[1], abs=1e-12)


def test_adjust_pvalues_edges():
    assert adjust_pvalues([]) == []
    assert adjust_pvalues([0.3]) == [0.3]
    for bad in ([0.1, 1.2], [float("nan")], "0.1"):
        with pytest.raises(ValueError):
            adjust_pvalues(bad)
    with pytest.raises(ValueError):
        adjust_pvalues([0.1], method="hochberg")


def test_mann_kendall_reference_series():
    # REFERENCES.md: S = 20, Var(S) = 65.333, Z = 2.3506, p = 0.01874, Sen 2.125; tolerance 1e-3 / 1e-4 / 1e-5.
    res = mann_kendall([62, 58, 65, 63, 70, 68, 74, 73])
    assert res.s == 20
    assert res.var_s == pytest.approx(65.333, abs=1e-3)
    assert res.z == pytest.approx(2.3506, abs=1e-4)
    assert res.p_value == pytest.approx(0.01874, abs=1e-5)
    assert res.sen_slope == pytest.approx(2.125)
    assert res.direction == "up"
    # Independent: Sen's slope is scipy's Theil-Sen estimate; S / (n(n-1)/2) is Kendall's tau-a; tolerance 1e-12.
    assert res.sen_slope == pytest.approx(sps.theilslopes([62, 58, 65, 63, 70, 68, 74, 73])[0], abs=1e-12)
    assert res.tau == pytest.approx(20 / 28)


def test_mann_kendall_ties_down_and_short_series():
    # Ties: var(S) = [n(n-1)(2n+5) - sum t(t-1)(2t+5)]/18 computed by hand: n = 6, one tie of 2 ->
    # (6*5*17 - 2*1*9)/18 = 27.333...; tolerance 1e-12.
    res = mann_kendall([9, 8, 8, 6, 5, 3])
    assert res.var_s == pytest.approx((6 * 5 * 17 - 18) / 18, abs=1e-12)
    assert res.s == -14
    assert res.direction == "down"
    assert mann_kendall([1, 2, 3, 4]).direction == "none"  # four points can never reach p < 0.05
    assert mann_kendall([5, 5, 5]).p_value == 1.0
    with pytest.raises(ValueError):
        mann_kendall([1, 2])
    with pytest.raises(ValueError):
        mann_kendall([1, float("nan"), 3])
    data = res.to_dict()
    assert json.loads(json.dumps(data)) == data
