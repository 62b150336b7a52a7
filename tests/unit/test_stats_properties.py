"""Property tests (hypothesis) for invariants of the statistics package."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis.stats import (
    adjust_pvalues,
    kruskal_from_counts,
    mean_from_counts,
    mean_t_interval,
    newcombe_difference,
    nps_from_counts,
    relative_weights,
    wilson,
)

# Derandomized and without an example database: reproducible, and nothing written into the tree.
FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None)


@st.composite
def k_and_n(draw):
    n = draw(st.integers(min_value=1, max_value=100_000))
    return draw(st.integers(min_value=0, max_value=n)), n


@FAST
@given(k_and_n(), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_interval_contains_share_and_lies_in_unit_interval(kn, confidence):
    k, n = kn
    est = wilson(k, n, confidence)
    assert 0.0 <= est.ci.low <= est.share <= est.ci.high <= 1.0


@FAST
@given(k_and_n(), k_and_n())
def test_newcombe_interval_contains_difference(a, b):
    ci = newcombe_difference(a[0], a[1], b[0], b[1])
    diff = a[0] / a[1] - b[0] / b[1]
    assert -1.0 <= ci.low <= diff + 1e-12 and diff - 1e-12 <= ci.high <= 1.0


@FAST
@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_nps_interval_in_range(p, m, d):
    if p + m + d == 0:
        return
    est = nps_from_counts(p, m, d)
    assert -100.0 <= est.ci.low <= est.ci.high <= 100.0
    assert -100.0 <= est.nps <= 100.0


@FAST
@given(
    st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=1, max_size=40),
    st.sampled_from(["holm", "fdr_bh", "bonferroni"]),
)
def test_adjusted_pvalues_are_monotone_bounded_and_not_below_raw(pvalues, method):
    adjusted = adjust_pvalues(pvalues, method)
    assert len(adjusted) == len(pvalues)
    order = np.argsort(pvalues, kind="stable")
    ranked = np.asarray(adjusted)[order]
    assert np.all(np.diff(ranked) >= -1e-12)  # same order as the raw p-values
    assert all(raw - 1e-12 <= adj <= 1.0 for raw, adj in zip(pvalues, adjusted, strict=True))


@FAST
@given(st.integers(0, 2**31 - 1), st.integers(2, 6), st.integers(8, 80))
def test_relative_weights_sum_to_r2(seed, k, n):
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=(n, 1))  # correlated, but not collinear, predictors
    X = pd.DataFrame(rng.normal(size=(n, k)) + 0.7 * shared, columns=[f"x{i}" for i in range(k)])
    y = pd.Series(X.to_numpy() @ rng.normal(size=k) + rng.normal(size=n), name="y")
    res = relative_weights(X, y)
    assert abs(sum(a.weight for a in res.attributes) - res.r2) < 1e-9
    assert all(a.weight >= -1e-12 for a in res.attributes)
    assert 0.0 <= res.r2 <= 1.0 + 1e-12


@FAST
@given(st.dictionaries(st.integers(1, 5), st.integers(0, 50), min_size=1))
def test_mean_from_counts_equals_expanded(counts):
    if sum(counts.values()) < 2:
        return
    a = mean_from_counts(counts)
    b = mean_t_interval(np.repeat(list(counts), list(counts.values())))
    assert abs(a.mean - b.mean) < 1e-9 and abs(a.ci.low - b.ci.low) < 1e-9


@FAST
@given(st.lists(st.dictionaries(st.integers(1, 5), st.integers(1, 30), min_size=1), min_size=2, max_size=5))
def test_kruskal_p_value_is_a_probability(groups):
    res = kruskal_from_counts({f"g{i}": g for i, g in enumerate(groups)})
    assert 0.0 <= res.p_value <= 1.0 and res.statistic >= 0.0
