"""Key drivers, importance-performance quadrants and Cronbach's alpha."""

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from app.analysis.stats.drivers import QUADRANT_LABELS, importance_performance, relative_weights
from app.analysis.stats.reliability import cronbach_alpha


@pytest.fixture(scope="module")
def longley():
    return sm.datasets.longley.load_pandas().data


def test_relative_weights_on_longley(longley):
    # REFERENCES.md: TOTEMP ~ GNP + UNEMP + ARMED + POP, R^2 = 0.987208, Johnson's weights
    # 0.414638, 0.101904, 0.083195, 0.387471; tolerance 1e-6.
    res = relative_weights(longley[["GNP", "UNEMP", "ARMED", "POP"]], longley["TOTEMP"])
    assert res.target == "TOTEMP"
    assert res.n == 16
    assert res.r2 == pytest.approx(0.987208, abs=1e-6)
    assert [a.weight for a in res.attributes] == pytest.approx([0.414638, 0.101904, 0.083195, 0.387471], abs=1e-6)
    assert sum(a.weight for a in res.attributes) == pytest.approx(res.r2, rel=1e-12)
    assert sum(a.share_of_r2 for a in res.attributes) == pytest.approx(1.0)
    assert [a.name for a in res.ranked()] == ["GNP", "POP", "UNEMP", "ARMED"]


def test_betas_and_r2_match_ols_on_standardized_data(longley):
    X = longley[["GNP", "UNEMP", "ARMED", "POP"]]
    y = longley["TOTEMP"]
    res = relative_weights(X, y)
    # Independent: statsmodels OLS on z-scores; tolerance 1e-8.
    zx = (X - X.mean()) / X.std()
    zy = (y - y.mean()) / y.std()
    fit = sm.OLS(zy, sm.add_constant(zx)).fit()
    assert [a.beta for a in res.attributes] == pytest.approx(list(fit.params[1:]), abs=1e-8)
    assert res.r2 == pytest.approx(fit.rsquared, abs=1e-10)


def test_relative_weights_use_complete_cases_and_recover_a_known_order():
    rng = np.random.default_rng(3)
    n = 400
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["wait", "polite", "comfort"])
    y = pd.Series(3 * X["wait"] + 1.5 * X["polite"] + 0.5 * X["comfort"] + rng.normal(size=n), name="overall")
    X.iloc[:20, 1] = np.nan
    y.iloc[20:30] = np.nan
    res = relative_weights(X, y)
    assert res.n == n - 30
    assert [a.name for a in res.ranked()] == ["wait", "polite", "comfort"]
    # Orthogonal predictors: each weight is close to its squared correlation with y; tolerance 0.02.
    ok = X.join(y).dropna()
    for a in res.attributes:
        assert a.weight == pytest.approx(ok[a.name].corr(ok["overall"]) ** 2, abs=0.02)
    assert json.loads(json.dumps(res.to_dict())) == res.to_dict()


@pytest.mark.parametrize("change", ["few_rows", "flat", "flat_target", "collinear", "text", "not_frame"])
def test_relative_weights_refuse_bad_input(change):
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(30, 2)), columns=["a", "b"])
    y = pd.Series(rng.normal(size=30), name="t")
    if change == "few_rows":
        X, y = X.iloc[:3], y.iloc[:3]
    elif change == "flat":
        X["b"] = 4.0
    elif change == "flat_target":
        y[:] = 1.0
    elif change == "collinear":
        X["c"] = X["a"] * 2 + X["b"]
    elif change == "text":
        X["a"] = "x"
    elif change == "not_frame":
        X = X.to_numpy()
    with pytest.raises(ValueError):
        relative_weights(X, y)


def test_importance_performance_quadrants_split_at_means():
    weights = {"wait": 0.30, "polite": 0.05, "competence": 0.20, "comfort": 0.05}  # mean 0.15
    perf = {"wait": 0.55, "polite": 0.90, "competence": 0.85, "comfort": 0.60}  # mean 0.725
    rows = importance_performance(weights, perf)
    assert [r["name"] for r in rows] == list(weights)
    assert {r["name"]: r["quadrant"] for r in rows} == {
        "wait": "concentrate",
        "polite": "possible_overkill",
        "competence": "keep_up",
        "comfort": "low_priority",
    }
    assert QUADRANT_LABELS["concentrate"] == "Сосредоточить усилия"
    assert set(QUADRANT_LABELS) == {"concentrate", "keep_up", "low_priority", "possible_overkill"}
    with pytest.raises(ValueError):
        importance_performance({"a": 1.0}, {"b": 1.0})
    with pytest.raises(ValueError):
        importance_performance({}, {})


def _hoyt_alpha(data: np.ndarray) -> float:
    """Hoyt (1941): two-way ANOVA without replication, alpha = 1 - MS_error / MS_subjects."""
    n, k = data.shape
    grand = data.mean()
    ss_subjects = k * ((data.mean(axis=1) - grand) ** 2).sum()
    ss_items = n * ((data.mean(axis=0) - grand) ** 2).sum()
    ss_error = ((data - grand) ** 2).sum() - ss_subjects - ss_items
    return 1 - (ss_error / ((n - 1) * (k - 1))) / (ss_subjects / (n - 1))


def test_cronbach_alpha_equals_hoyt_anova():
    rng = np.random.default_rng(9)
    trait = rng.normal(size=200)
    data = np.clip(np.round(3 + trait[:, None] + rng.normal(scale=0.8, size=(200, 4))), 1, 5)
    frame = pd.DataFrame(data, columns=list("abcd"))
    frame.iloc[0, 2] = np.nan  # dropped: complete cases only
    res = cronbach_alpha(frame)
    assert (res.n, res.k) == (199, 4)
    # Independent computation (Hoyt ANOVA) on the complete rows; tolerance 1e-12.
    assert res.alpha == pytest.approx(_hoyt_alpha(data[1:]), abs=1e-12)
    assert res.warning is False


def test_cronbach_alpha_hand_example():
    # By hand: items a = (1,2,3), b = (2,3,4), c = (3,3,3) -> variances 1, 1, 0; totals (6,8,10), variance 4;
    # alpha = 3/2 * (1 - 2/4) = 0.75.
    res = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [2, 3, 4], "c": [3, 3, 3]}))
    assert res.alpha == pytest.approx(0.75, abs=1e-12)
    assert res.warning is False
    pairs = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3]}))
    # By hand: var a = var b = 5/3, totals (3,3,7,7) var 16/3 -> alpha = 2 (1 - 10/16) = 0.75.
    assert pairs.alpha == pytest.approx(0.75)
    weak = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [4, 1, 3, 2]}))
    assert weak.warning is True
    assert json.loads(json.dumps(weak.to_dict())) == weak.to_dict()


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"a": [1, 2, 3]}),
        pd.DataFrame({"a": [1, np.nan], "b": [2, 3]}),
        pd.DataFrame({"a": [1, 2], "b": [2, 1]}),
        pd.DataFrame({"a": ["x", "y"], "b": [1, 2]}),
    ],
)
def test_cronbach_alpha_invalid(frame):
    with pytest.raises(ValueError):
        cronbach_alpha(frame)
