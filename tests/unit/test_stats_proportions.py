"""Shares, intervals and tests on shares, pinned to published values (tolerance stated per test)."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from app.analysis.stats.proportions import (
    chi_square_independence,
    choice_shares,
    clopper_pearson,
    cochran_armitage_trend,
    newcombe_difference,
    two_proportion_ztest,
    wilson,
)

SMOKERS = [83, 90, 129, 70]  # R: example(prop.test)
PATIENTS = [86, 93, 136, 82]


# Newcombe (1998), Stat Med 17:857, Table II, method 3 (Wilson score); tolerance 1e-4 (4 decimals printed).
@pytest.mark.parametrize(
    "k,n,low,high",
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_matches_newcombe_1998(k, n, low, high):
    est = wilson(k, n)
    assert est.method == "wilson"
    assert est.share == pytest.approx(k / n)
    assert est.ci.low == pytest.approx(low, abs=1e-4)
    assert est.ci.high == pytest.approx(high, abs=1e-4)


def test_wilson_is_exact_at_the_edges_and_narrower_at_lower_confidence():
    assert wilson(0, 20).ci.low == 0.0
    assert wilson(29, 29).ci.high == 1.0
    assert wilson(40, 100, 0.90).ci.width < wilson(40, 100, 0.95).ci.width


def test_clopper_pearson_matches_newcombe_1998():
    # Newcombe (1998), Table II, method 5 (exact): 81/263 -> 0.2527, 0.3676; tolerance 1e-4.
    est = clopper_pearson(81, 263)
    assert (est.ci.low, est.ci.high) == pytest.approx((0.2527, 0.3676), abs=1e-4)
    edge = clopper_pearson(0, 20)
    # Independent: for k = 0 the upper limit solves (1 - p)^n = alpha/2; tolerance 1e-12.
    assert edge.ci.low == 0.0
    assert edge.ci.high == pytest.approx(1 - 0.025 ** (1 / 20), abs=1e-12)


# Newcombe (1998b), Stat Med 17:873, Table II, method 10; tolerance 1e-4.
@pytest.mark.parametrize(
    "x1,n1,x2,n2,low,high",
    [
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.0582, 0.8062),
    ],
)
def test_newcombe_difference_matches_published_table(x1, n1, x2, n2, low, high):
    ci = newcombe_difference(x1, n1, x2, n2)
    assert (ci.low, ci.high) == pytest.approx((low, high), abs=1e-4)


def test_two_proportion_ztest_reference_and_chi_square_identity():
    # statsmodels proportions_ztest([56, 48], [70, 80]) -> z = 2.6502, p = 0.00805; tolerance 1e-4 / 1e-5.
    res = two_proportion_ztest(56, 70, 48, 80)
    assert res.statistic == pytest.approx(2.6502, abs=1e-4)
    assert res.p_value == pytest.approx(0.00805, abs=1e-5)
    assert res.extra["difference"] == pytest.approx(0.2)
    assert res.extra["difference_ci"] == pytest.approx([0.0524, 0.3339], abs=1e-4)
    # Independent: z^2 equals scipy's Pearson chi-square without Yates; tolerance 1e-10.
    chi2 = sps.chi2_contingency([[56, 14], [48, 32]], correction=False)[0]
    assert res.statistic**2 == pytest.approx(chi2, rel=1e-10)
    assert two_proportion_ztest(48, 80, 56, 70).statistic == pytest.approx(-res.statistic)


def test_two_proportion_ztest_without_variance_is_degenerate_not_nan():
    res = two_proportion_ztest(10, 10, 20, 20)
    assert (res.statistic, res.p_value, res.extra["degenerate"]) == (0.0, 1.0, True)


def test_chi_square_on_r_smokers_example():
    # R: prop.test(smokers, patients) -> X-squared = 12.6, df = 3, p = 0.005585; tolerance 1e-4 / 1e-6.
    table = [SMOKERS, [p - s for s, p in zip(SMOKERS, PATIENTS, strict=True)]]
    res = chi_square_independence(table)
    assert res.statistic == pytest.approx(12.6004, abs=1e-4)
    assert res.df == 3
    assert res.p_value == pytest.approx(0.005585, abs=1e-6)
    assert res.extra["expected_min"] == pytest.approx(25 * 82 / 397)  # smallest row total x smallest column total / N
    assert res.extra["low_expected"] is False
    # Independent: Cramér's V written from its definition; tolerance 1e-12.
    assert res.extra["cramers_v"] == pytest.approx(math.sqrt(12.600411297 / 397), abs=1e-9)


def test_chi_square_flags_small_expected_counts_and_drops_empty_rows():
    res = chi_square_independence([[3, 1], [1, 3], [0, 0]])
    assert res.extra["low_expected"] is True
    assert res.df == 1
    # Independent: scipy without Yates on the non-empty part; tolerance 1e-12.
    assert res.statistic == pytest.approx(sps.chi2_contingency([[3, 1], [1, 3]], correction=False)[0], rel=1e-12)
    assert chi_square_independence([[5, 0], [7, 0]]).extra["degenerate"] is True


def test_cochran_armitage_matches_r_prop_trend_test():
    # R: prop.trend.test(smokers, patients) -> X-squared = 8.2249, df = 1, p-value = 0.004132; tolerance 1e-4 / 1e-6.
    res = cochran_armitage_trend(SMOKERS, PATIENTS)
    assert res.statistic == pytest.approx(8.2249, abs=1e-4)
    assert res.p_value == pytest.approx(0.004132, abs=1e-6)
    assert res.df == 1
    assert res.extra["slope_sign"] == -1
    assert res.extra["direction"] == "down"


def test_cochran_armitage_equals_weighted_regression_sum_of_squares():
    # Independent: R's definition, weighted LS of x/n on score with weights n/(p(1-p)); tolerance 1e-10.
    x, n, s = np.array([5, 9, 14, 20]), np.array([50, 55, 60, 58]), np.array([0.0, 1.0, 2.0, 4.0])
    p = x.sum() / n.sum()
    w = n / (p * (1 - p))
    f = x / n
    sw = (w * s).sum() / w.sum()
    fw = (w * f).sum() / w.sum()
    ss_reg = ((w * (s - sw) * (f - fw)).sum()) ** 2 / (w * (s - sw) ** 2).sum()
    res = cochran_armitage_trend(x, n, scores=s)
    assert res.statistic == pytest.approx(ss_reg, rel=1e-10)
    assert res.extra["direction"] == "up"
    flat = cochran_armitage_trend([10, 11, 10, 11], [50, 50, 50, 50])
    assert flat.extra["direction"] == "flat"


def test_choice_shares_single_and_multiple_choice():
    single = choice_shares({"phone": 81, "site": 182})
    # Newcombe (1998) 81/263 -> (0.2553, 0.3662); tolerance 1e-4.
    assert single["phone"].ci.to_list() == pytest.approx([0.2553, 0.3662], abs=1e-4)
    assert single["phone"].share + single["site"].share == pytest.approx(1.0)
    multiple = choice_shares({"phone": 81, "site": 200}, n=263)
    assert multiple["site"].n == 263 and multiple["site"].share == pytest.approx(200 / 263)
    with pytest.raises(ValueError):
        choice_shares({"phone": 300}, n=263)
    with pytest.raises(ValueError):
        choice_shares({})


@pytest.mark.parametrize(
    "call",
    [
        lambda: wilson(5, 0),
        lambda: wilson(6, 5),
        lambda: wilson(-1, 5),
        lambda: wilson(2.5, 5),
        lambda: wilson(2, 5, confidence=1.0),
        lambda: two_proportion_ztest(1, 0, 1, 2),
        lambda: chi_square_independence([1, 2, 3]),
        lambda: chi_square_independence([[1, -2], [3, 4]]),
        lambda: cochran_armitage_trend([1], [2]),
        lambda: cochran_armitage_trend([1, 2], [2, 3], scores=[1, 1]),
        lambda: cochran_armitage_trend([1, 5], [2, 3]),
    ],
)
def test_invalid_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_results_are_json_ready():
    import json

    res = two_proportion_ztest(56, 70, 48, 80).to_dict()
    assert json.loads(json.dumps(res)) == res
    assert wilson(81, 263).to_dict()["ci"] == pytest.approx([0.2553, 0.3662], abs=1e-4)
    assert all(type(v) is float for v in wilson(81, 263).to_dict()["ci"])
