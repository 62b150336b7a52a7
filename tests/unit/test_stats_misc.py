"""Sample size, composite index, the package's public surface and its purity."""

import ast
import math
from pathlib import Path

import pytest
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize, samplesize_confint_proportion

import app.analysis.stats as stats
from app.analysis.stats.composite import composite_index, scale_0_100
from app.analysis.stats.samplesize import n_for_proportion, n_per_group_two_proportions

STATS_DIR = Path(stats.__file__).parent


def test_n_for_proportion_reference():
    # REFERENCES.md: samplesize_confint_proportion(0.5, 0.05) = 384.15 -> 385 respondents for +-5 points.
    assert n_for_proportion() == 385
    assert samplesize_confint_proportion(0.5, 0.05) == pytest.approx(384.15, abs=0.01)
    assert n_for_proportion(0.03) == math.ceil(1.959964**2 * 0.25 / 0.03**2)
    # Finite population correction (Cochran 1977, 4.4): n = n0 / (1 + (n0 - 1)/N), N = 1000.
    n0 = 1.959964**2 * 0.25 / 0.05**2
    assert n_for_proportion(population=1000) == math.ceil(n0 / (1 + (n0 - 1) / 1000))


def test_n_per_group_two_proportions_reference():
    # REFERENCES.md: NormalIndPower().solve_power(proportion_effectsize(.8, .7), alpha=.05, power=.8) = 291.7;
    # tolerance 0.05, and 1e-6 against statsmodels itself (independent implementation).
    n = n_per_group_two_proportions(0.8, 0.7)
    assert n == pytest.approx(291.7, abs=0.05)
    ref = NormalIndPower().solve_power(proportion_effectsize(0.8, 0.7), alpha=0.05, power=0.8)
    assert n == pytest.approx(ref, abs=1e-6)
    assert n_per_group_two_proportions(0.7, 0.8) == pytest.approx(n)


@pytest.mark.parametrize(
    "call",
    [
        lambda: n_for_proportion(0),
        lambda: n_for_proportion(p=1.0),
        lambda: n_for_proportion(confidence=95),
        lambda: n_per_group_two_proportions(0.5, 0.5),
        lambda: n_per_group_two_proportions(0.5, 1.2),
        lambda: n_per_group_two_proportions(0.5, 0.6, power=1),
    ],
)
def test_sample_size_invalid(call):
    with pytest.raises(ValueError):
        call()


def test_scale_0_100():
    assert scale_0_100(30, -100, 100) == pytest.approx(65.0)
    assert scale_0_100(0.02, 0, 0.10, higher_is_better=False) == pytest.approx(80.0)
    assert scale_0_100(0.5, 0, 0.10, higher_is_better=False) == 0.0
    assert scale_0_100(-5, 0, 1) == 0.0
    with pytest.raises(ValueError):
        scale_0_100(1, 2, 2)


def test_composite_index_reweights_missing_components():
    weights = {"csat": 0.4, "nps": 0.2, "complaints": 0.2, "on_time": 0.1, "promises": 0.1}
    full = {"csat": 80, "nps": 60, "complaints": 90, "on_time": 70, "promises": 50}
    # By hand: 0.4*80 + 0.2*60 + 0.2*90 + 0.1*70 + 0.1*50 = 74.
    assert composite_index(full, weights) == pytest.approx(74.0)
    # Without on_time and promises: (0.4*80 + 0.2*60 + 0.2*90) / 0.8 = 77.5.
    partial = {**full, "on_time": None, "promises": float("nan")}
    assert composite_index(partial, weights) == pytest.approx(77.5)
    assert composite_index({"csat": 80}, weights, min_coverage=0.5) is None
    assert composite_index({"csat": None}, weights) is None
    for bad in ({"unknown": 5}, {"csat": 120}, {"csat": "high"}):
        with pytest.raises(ValueError):
            composite_index(bad, weights)
    with pytest.raises(ValueError):
        composite_index(full, {**weights, "csat": -1})


def test_low_n_helper_and_public_names():
    assert stats.MIN_N_DEFAULT == 30
    assert stats.is_low_n(29) and not stats.is_low_n(30)
    assert stats.is_low_n(9, min_n=10) and not stats.is_low_n(10, min_n=10)
    with pytest.raises(ValueError):
        stats.is_low_n(5, min_n=0)
    for name in stats.__all__:
        assert hasattr(stats, name), name


def test_stats_package_imports_nothing_but_numeric_libraries():
    allowed = {
        "numpy",
        "scipy",
        "statsmodels",
        "sklearn",  # NMF for candidate themes (stats/themes.py)
        "pandas",
        "math",
        "functools",
        "dataclasses",
        "collections",
        "typing",
        "__future__",
        "app",
    }
    for path in STATS_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                if name.startswith("app"):
                    assert name.startswith("app.analysis.stats"), f"{path.name} imports {name}"
