"""NPS, means and top-box shares pinned to published values."""

import json

import numpy as np
import pytest
from scipy import stats as sps

from app.analysis.stats.means import mean_from_counts, mean_t_interval, top_box
from app.analysis.stats.nps import nps_difference, nps_from_counts, nps_from_scores


def test_nps_adjusted_wald_matches_issue_and_rocks_2016():
    # Rocks (2016) / Sauro & Lewis adjusted Wald; 50/30/20 of 100 -> 30 with (14.05, 44.20) (REFERENCES.md);
    # tolerance 5e-3 (two decimals published).
    est = nps_from_counts(50, 30, 20)
    assert est.nps == 30.0
    assert est.n == 100
    assert (est.ci.low, est.ci.high) == pytest.approx((14.05, 44.20), abs=5e-3)
    # Independent: centre of the interval is the adjusted NPS 100 * 30 / 103 = 29.13; tolerance 1e-9.
    assert (est.ci.low + est.ci.high) / 2 == pytest.approx(100 * 30 / 103, abs=1e-9)


def test_nps_interval_is_clipped_to_the_scale():
    est = nps_from_counts(5, 0, 0)
    assert est.nps == 100.0
    assert -100.0 <= est.ci.low < est.ci.high <= 100.0


def test_nps_from_scores_counts_categories_and_skips_missing():
    scores = [10, 9, 9, 8, 7, 6, 0, 3, None, float("nan"), 10]
    est = nps_from_scores(scores)
    assert (est.promoters, est.passives, est.detractors, est.n) == (4, 2, 3, 9)
    assert est.nps == pytest.approx(100 * (4 - 3) / 9)
    assert est.ci == nps_from_counts(4, 2, 3).ci


def test_two_nps_difference_reference():
    # REFERENCES.md: 50/30/20 vs 40/30/30 (n = 100 each): delta 20, z = 1.7541, p = 0.0794; tolerance 1e-4.
    res = nps_difference(nps_from_counts(50, 30, 20), nps_from_counts(40, 30, 30))
    assert res.extra["difference"] == pytest.approx(20.0)
    assert res.statistic == pytest.approx(1.7541, abs=1e-4)
    assert res.p_value == pytest.approx(0.0794, abs=1e-4)
    # Independent: SE of a difference of means of scores coded +1/0/-1 (population variance); tolerance 1e-9.
    a = np.repeat([1, 0, -1], [50, 30, 20])
    b = np.repeat([1, 0, -1], [40, 30, 30])
    se = 100 * np.sqrt(a.var() / a.size + b.var() / b.size)
    low, high = res.extra["difference_ci"]
    assert (high - low) / 2 == pytest.approx(1.959964 * se, rel=1e-6)
    assert low < 0 < high  # consistent with p > 0.05


@pytest.mark.parametrize(
    "call",
    [
        lambda: nps_from_counts(0, 0, 0),
        lambda: nps_from_counts(-1, 2, 3),
        lambda: nps_from_scores([11]),
        lambda: nps_from_scores([7.5]),
        lambda: nps_from_scores("9"),
        lambda: nps_difference(nps_from_counts(1, 1, 1), (1, 1, 1)),
    ],
)
def test_nps_invalid_input(call):
    with pytest.raises(ValueError):
        call()


# R: t.test(sleep$extra[1:10] - sleep$extra[11:20]) -> mean -1.58, 95 % CI (-2.4598858, -0.7001142); tolerance 1e-7.
SLEEP_DIFF = [-1.2, -2.4, -1.3, -1.3, 0.0, -1.0, -1.8, -0.8, -4.6, -1.4]


def test_mean_t_interval_matches_r_t_test_on_sleep():
    est = mean_t_interval(SLEEP_DIFF)
    assert est.mean == pytest.approx(-1.58)
    assert (est.ci.low, est.ci.high) == pytest.approx((-2.4598858, -0.7001142), abs=1e-7)
    assert est.sd == pytest.approx(np.std(SLEEP_DIFF, ddof=1))


def test_mean_from_counts_equals_mean_on_expanded_data():
    counts = {1: 4, 2: 7, 3: 19, 4: 40, 5: 30, 6: 0}
    expanded = np.repeat(list(counts), list(counts.values()))
    a, b = mean_from_counts(counts), mean_t_interval(expanded)
    assert (a.n, a.mean, a.sd) == pytest.approx((b.n, b.mean, b.sd), rel=1e-12)
    assert a.ci.to_list() == pytest.approx(b.ci.to_list(), rel=1e-12)
    # Independent: scipy's t interval; tolerance 1e-10.
    low, high = sps.t.interval(0.95, expanded.size - 1, loc=expanded.mean(), scale=sps.sem(expanded))
    assert a.ci.to_list() == pytest.approx([low, high], rel=1e-10)


def test_top_box_counts_the_two_best_points_with_wilson():
    counts = {1: 5, 2: 10, 3: 20, 4: 35, 5: 30}
    est = top_box(counts, scale_max=5)
    assert (est.k, est.n) == (65, 100)
    # Independent: Wilson interval written as the root of |p - k/n| = z sqrt(p(1-p)/n); tolerance 1e-9.
    z = sps.norm.ppf(0.975)
    roots = np.roots([1 + z * z / 100, -(2 * 0.65 + z * z / 100), 0.65**2])
    assert sorted(roots.real) == pytest.approx([est.ci.low, est.ci.high], abs=1e-9)
    assert top_box(counts, scale_max=5, boxes=1).k == 30


@pytest.mark.parametrize(
    "call",
    [
        lambda: mean_t_interval([3.0]),
        lambda: mean_t_interval([1.0, float("nan")]),
        lambda: mean_t_interval(["a", "b"]),
        lambda: mean_from_counts({5: 1}),
        lambda: mean_from_counts({5: -1, 4: 3}),
        lambda: top_box({6: 1}, scale_max=5),
        lambda: top_box({5: 1}, scale_max=5, boxes=0),
        lambda: top_box({}, scale_max=5),
    ],
)
def test_means_invalid_input(call):
    with pytest.raises(ValueError):
        call()


def test_dicts_are_json_ready():
    for obj in (nps_from_counts(50, 30, 20), mean_from_counts({1: 2, 5: 3}), top_box({5: 2, 1: 1}, 5)):
        data = obj.to_dict()
        assert json.loads(json.dumps(data)) == data
