"""p-chart, Laney p'-chart and funnel plot."""

import json
import math

import numpy as np
import pytest

from app.analysis.stats.control import funnel_limits, funnel_points, laney_threshold, p_chart

# Montgomery, Introduction to Statistical Quality Control, Example 7.1 (orange-juice cans): 30 samples of
# 50, 347 nonconforming; published p-bar = 0.2313, UCL = 0.4102, LCL = 0.0524, samples 15 and 23 above.
MONTGOMERY = [
    12,
    15,
    8,
    10,
    4,
    7,
    16,
    9,
    14,
    10,
    5,
    6,
    17,
    12,
    22,
    8,
    10,
    5,
    13,
    11,
    20,
    18,
    24,
    15,
    9,
    12,
    7,
    13,
    9,
    6,
]


def test_p_chart_reproduces_montgomery_example_7_1():
    assert sum(MONTGOMERY) == 347
    chart = p_chart(MONTGOMERY, [50] * 30, laney=False)
    # Tolerance 1e-4 (four decimals published).
    assert chart.center == pytest.approx(0.2313, abs=1e-4)
    assert chart.points[0].ucl == pytest.approx(0.4102, abs=1e-4)
    assert chart.points[0].lcl == pytest.approx(0.0524, abs=1e-4)
    assert [p.label for p in chart.signals] == ["15", "23"]
    assert all(p.beyond == "above" for p in chart.signals)
    assert chart.laney_used is False


def test_auto_rule_treats_montgomery_data_as_over_dispersed():
    # Documented rule: sigma_z > 1 + 3 * 0.9 / sqrt(m - 1) (= 1.501 for 30 points). Montgomery's first 30
    # samples contain a shift, so sigma_z = 1.66 and "auto" chooses Laney's p'.
    chart = p_chart(MONTGOMERY, [50] * 30)
    assert laney_threshold(30) == pytest.approx(1.5014, abs=1e-4)
    assert chart.sigma_z == pytest.approx(1.6609, abs=1e-4)
    assert chart.laney_used is True


def test_laney_limits_match_an_independent_computation():
    counts = [130, 152, 118, 171, 140, 163, 120, 185, 150, 142, 131, 158]
    totals = [2000, 2100, 1900, 2300, 2050, 2200, 1950, 2400, 2150, 2000, 1980, 2250]
    chart = p_chart(counts, totals, labels=[f"Q{i}" for i in range(12)], laney=True)
    # Independent (Laney 2002): z_i, moving ranges, sigma_z = mean MR / 1.128, limits p +- 3 sigma_i sigma_z.
    x, n = np.array(counts, float), np.array(totals, float)
    p = x.sum() / n.sum()
    sig = np.sqrt(p * (1 - p) / n)
    z = (x / n - p) / sig
    sigma_z = np.mean(np.abs(z[1:] - z[:-1])) / 1.128
    assert chart.sigma_z == pytest.approx(sigma_z, rel=1e-12)
    assert [pt.ucl for pt in chart.points] == pytest.approx(list(p + 3 * sig * sigma_z), rel=1e-12)
    assert [pt.lcl for pt in chart.points] == pytest.approx(list(p - 3 * sig * sigma_z), rel=1e-12)
    assert chart.points[0].label == "Q0"


def test_auto_keeps_plain_limits_for_binomial_data_and_switches_for_large_overdispersed_volumes():
    rng = np.random.default_rng(11)
    n = rng.integers(3000, 6000, 40)
    binomial = rng.binomial(n, 0.04)
    assert p_chart(binomial, n).laney_used is False
    # Shares that wander between quarters (beta-binomial-like): plain limits flag almost every point.
    wandering = rng.binomial(n, np.clip(rng.normal(0.04, 0.008, 40), 0.001, None))
    plain = p_chart(wandering, n, laney=False)
    auto = p_chart(wandering, n)
    assert auto.laney_used is True
    assert len(auto.signals) < len(plain.signals)
    assert p_chart(wandering[:4], n[:4]).laney_used is False  # too few points to judge


def test_p_chart_limits_are_clipped_and_edge_cases():
    chart = p_chart([0, 1, 0], [10, 10, 10], laney=False)
    assert all(pt.lcl == 0.0 for pt in chart.points)
    assert all(pt.beyond is None for pt in chart.points)
    single = p_chart([5], [50])
    assert single.sigma_z is None and single.laney_used is False
    zero = p_chart([0, 0], [10, 20], laney=True)
    assert zero.center == 0.0 and zero.laney_used is False and zero.signals == []
    data = chart.to_dict()
    assert json.loads(json.dumps(data)) == data


@pytest.mark.parametrize(
    "call",
    [
        lambda: p_chart([1, 2], [10]),
        lambda: p_chart([11], [10]),
        lambda: p_chart([], []),
        lambda: p_chart([1, 2], [10, 10], labels=["a"]),
        lambda: p_chart([1, 2], [10, 10], laney="yes"),
        lambda: p_chart([1, 2], [10, 10], sigma=0),
        lambda: funnel_limits([0], 0.1),
        lambda: funnel_limits([10], 1.5),
        lambda: funnel_limits([10], 0.1, levels=(1.0,)),
    ],
)
def test_control_invalid_input(call):
    with pytest.raises(ValueError):
        call()


def test_funnel_limits_follow_spiegelhalter():
    # Spiegelhalter (2005): p0 +- z sqrt(p0(1-p0)/n), z = 1.959964 (95 %) and 3.090232 (99.8 %); tolerance 1e-6.
    rows = funnel_limits([50, 400], 0.2313)
    se = math.sqrt(0.2313 * 0.7687 / 50)
    assert rows[0]["n"] == 50
    assert rows[0]["lower_95"] == pytest.approx(0.2313 - 1.959964 * se, abs=1e-6)
    assert rows[0]["upper_99_8"] == pytest.approx(0.2313 + 3.090232 * se, abs=1e-6)
    assert rows[1]["upper_95"] - rows[1]["lower_95"] < rows[0]["upper_95"] - rows[0]["lower_95"]
    assert funnel_limits([5], 0.02)[0]["lower_99_8"] == 0.0


def test_funnel_points_classify_alerts_and_alarms():
    points = funnel_points([10, 40, 100, 30], [200, 200, 1000, 150], ["KUR", "ORL", "BEL", "LGV"], p0=0.1)
    by = {p["label"]: p for p in points}
    # KUR 5 %: z = (0.05 - 0.1)/sqrt(0.09/200) = -2.357 -> below 95 %, inside 99.8 %.
    assert by["KUR"]["z"] == pytest.approx(-0.05 / math.sqrt(0.09 / 200))
    assert (by["KUR"]["beyond_95"], by["KUR"]["beyond_99_8"]) == ("below", None)
    # ORL 20 %: z = 4.71 -> beyond both.
    assert (by["ORL"]["beyond_95"], by["ORL"]["beyond_99_8"]) == ("above", "above")
    assert (by["BEL"]["beyond_95"], by["BEL"]["beyond_99_8"]) == (None, None)
    pooled = funnel_points([10, 40], [200, 200], ["a", "b"])
    assert pooled[0]["p0"] == pytest.approx(50 / 400)
    assert json.loads(json.dumps(points)) == points
