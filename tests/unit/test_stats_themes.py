"""Themes statistics (Fisher, Benjamini–Hochberg, NMF candidates) and the theme dictionary."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from app.analysis.stats.multiple import adjust_pvalues
from app.analysis.stats.themes import candidate_themes, fisher_two_sided, theme_contrasts
from app.analysis.texts import build_dictionary
from app.analysis.theme_dictionary import DEFAULT_THEMES
from app.text.russian import lemmatize


def test_fisher_matches_the_tea_tasting_example():
    # Agresti (2002), Categorical Data Analysis, Table 3.8: two-sided P = 0.486.
    assert fisher_two_sided(3, 4, 1, 4) == pytest.approx(0.4857, abs=1e-4)
    assert fisher_two_sided(1, 4, 3, 4) == pytest.approx(0.4857, abs=1e-4)


@pytest.mark.parametrize("counts", [(-1, 4, 1, 4), (5, 4, 1, 4), (0, 0, 1, 4)])
def test_fisher_refuses_impossible_tables(counts):
    with pytest.raises(ValueError):
        fisher_two_sided(*counts)


def test_contrasts_use_one_benjamini_hochberg_family():
    counts = {"queue": (30, 10), "billing": (12, 10), "site": (0, 0)}
    result = theme_contrasts(counts, 100, 100)
    raw = [fisher_two_sided(low, 100, high, 100) for low, high in counts.values()]
    assert [result[c].q_value for c in counts] == pytest.approx(adjust_pvalues(raw, "fdr_bh"))
    assert result["queue"].lift == pytest.approx(3.0) and result["queue"].share_among_low == 0.3
    assert result["site"].lift is None and result["site"].p_value == 1.0


def test_without_both_groups_nothing_is_tested():
    result = theme_contrasts({"queue": (3, 0)}, 10, 0)
    assert result["queue"].q_value is None and result["queue"].share_among_high is None


def test_null_themes_rarely_give_a_discovery():
    """Ten themes independent of the score, 200 simulated surveys: a discovery (any q < 0.05) in at most
    5 % + 3 Monte Carlo standard errors of them (BH controls the FDR, which under the null is the FWER)."""
    rng = np.random.default_rng(19)
    runs, hits = 200, 0
    for _ in range(runs):
        n_low, n_high = 150, 350
        rates = rng.uniform(0.02, 0.3, size=10)
        counts = {f"t{i}": (int(rng.binomial(n_low, r)), int(rng.binomial(n_high, r))) for i, r in enumerate(rates)}
        hits += any(c.q_value < 0.05 for c in theme_contrasts(counts, n_low, n_high).values())
    assert hits / runs <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / runs)


def test_candidates_separate_distinct_word_groups_deterministically():
    groups = ["парковка нет место", "душно зал кондиционер", "касса не работать терминал"]
    documents = [groups[i % 3] for i in range(60)]
    found = candidate_themes(documents, seed=0)
    assert sorted(sorted(c.words) for c in found) == sorted(sorted(g.split()) for g in groups)
    assert all(c.n == 20 and len(c.examples) == 3 for c in found)
    assert all(documents[i] == documents[c.examples[0]] for c in found for i in c.examples)
    assert candidate_themes(documents, seed=0) == found
    assert candidate_themes(documents[:5]) == []


def test_dictionary_terms_all_lemmatise_and_match_their_own_text():
    dictionary = build_dictionary(DEFAULT_THEMES)
    for code, phrases in dictionary.themes:
        assert phrases and all(phrases)
        for phrase in phrases:
            assert code in dictionary.assign(list(phrase))
    assert dictionary.assign(lemmatize("Прибор учёта поставили, но пени начислили")) == ["billing", "metering"]
    assert dictionary.assign(lemmatize("Учёт приборов ведётся")) == []  # a phrase needs its words in order


def test_dictionary_version_changes_with_any_edit():
    base = build_dictionary(DEFAULT_THEMES)
    edited = build_dictionary([*DEFAULT_THEMES[:-1], (DEFAULT_THEMES[-1][0], "Бумаги", DEFAULT_THEMES[-1][2])])
    assert build_dictionary(DEFAULT_THEMES).version == base.version != edited.version


def test_the_migration_seeds_the_default_dictionary():
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0010_text_themes.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert [(c, lab, tuple(t)) for c, lab, t in module.SEED_THEMES] == list(DEFAULT_THEMES)
