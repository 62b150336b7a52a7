"""Themes of customer texts against the scores: Fisher's exact test per theme, Benjamini–Hochberg across
themes, and candidate themes (NMF over TF-IDF) for texts no theme covers.

Pure: inputs are counts and lemma strings, no Flask and no database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from app.analysis.stats.multiple import adjust_pvalues

__all__ = ["Candidate", "ThemeContrast", "candidate_themes", "fisher_two_sided", "theme_contrasts"]


def fisher_two_sided(with_a: int, total_a: int, with_b: int, total_b: int) -> float:
    """Two-sided p of Fisher's exact test on the 2×2 table (with, without) × (group a, group b).

    Two-sided as in R's ``fisher.test``: the sum of the probabilities of all tables with the same margins
    no more likely than the observed one (``scipy.stats.fisher_exact``).

    References
    ----------
    .. [1] Fisher, R. A. (1935). The Design of Experiments, §2 (the lady tasting tea).
    .. [2] Agresti, A. (2002). Categorical Data Analysis, 2nd ed., §3.5.1, Table 3.8: the tea-tasting
       table [[3, 1], [1, 3]] has two-sided P = 0.486.
    """
    for value in (with_a, total_a, with_b, total_b):
        if value < 0:
            raise ValueError("counts must be non-negative")
    if with_a > total_a or with_b > total_b:
        raise ValueError("a group cannot have more texts with the theme than texts")
    if total_a == 0 or total_b == 0:
        raise ValueError("both groups need texts")
    table = [[with_a, total_a - with_a], [with_b, total_b - with_b]]
    return float(sps.fisher_exact(table, alternative="two-sided").pvalue)


@dataclass(frozen=True)
class ThemeContrast:
    """A theme among low-score texts against high-score texts."""

    share_among_low: float | None
    share_among_high: float | None
    lift: float | None  # share_among_low / share_among_high; None when the high share is 0 or unknown
    p_value: float | None
    q_value: float | None  # Benjamini–Hochberg across the themes tested together

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def theme_contrasts(with_theme: Mapping[str, tuple[int, int]], n_low: int, n_high: int) -> dict[str, ThemeContrast]:
    """Per theme, ``(texts with it among low, among high)`` against ``n_low`` and ``n_high`` texts in all.

    Every theme is one test of one family (a theme with no texts in either group included, p = 1), so the
    q-values control the false discovery rate over the themes shown. Without texts in both groups nothing
    is tested and every p and q is None.
    """
    for code, (low, high) in with_theme.items():
        if not (0 <= low <= n_low and 0 <= high <= n_high):
            raise ValueError(f"theme {code!r}: counts outside 0…group size")
    tested = n_low > 0 and n_high > 0
    p_values = (
        {code: fisher_two_sided(low, n_low, high, n_high) for code, (low, high) in with_theme.items()} if tested else {}
    )
    q_values = dict(zip(p_values, adjust_pvalues(list(p_values.values()), "fdr_bh"), strict=True))
    result = {}
    for code, (low, high) in with_theme.items():
        share_low, share_high = _share(low, n_low), _share(high, n_high)
        lift = share_low / share_high if share_low is not None and share_high else None
        result[code] = ThemeContrast(share_low, share_high, lift, p_values.get(code), q_values.get(code))
    return result


@dataclass(frozen=True)
class Candidate:
    """A candidate theme: its top words, the indexes of its most typical documents, and how many documents
    it is the strongest component of."""

    words: list[str]
    examples: list[int]
    n: int


def candidate_themes(
    documents: Sequence[str],
    *,
    max_themes: int = 5,
    top_words: int = 6,
    examples: int = 3,
    seed: int = 0,
    documents_per_theme: int = 10,
) -> list[Candidate]:
    """Candidate themes of lemma strings (space-separated lemmas) by NMF over TF-IDF, fixed seed.

    The number of components is ``len(documents) // documents_per_theme`` capped at ``max_themes``; too
    few documents or words give no candidates. A word shows when it loads at least a fifth of its
    component's strongest word. Candidates come largest first, ties by their first word.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    count = min(max_themes, len(documents) // max(documents_per_theme, 1))
    if count < 1:
        return []
    vectorizer = TfidfVectorizer(tokenizer=str.split, token_pattern=None, min_df=2, max_df=0.6, lowercase=False)
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # no word left after min_df/max_df
        return []
    vocabulary = np.asarray(vectorizer.get_feature_names_out())
    count = min(count, matrix.shape[1], len(set(documents)))  # more components than distinct texts is degenerate
    model = NMF(n_components=count, init="nndsvda", random_state=seed, max_iter=500)
    with np.errstate(invalid="ignore"):  # an exact fit makes sklearn's reported error sqrt(-tiny); unused here
        weights = model.fit_transform(matrix)
    dominant = weights.argmax(axis=1)
    strong = weights.max(axis=1) > 0
    found = []
    for component in range(count):
        loadings = model.components_[component]
        order = np.lexsort((vocabulary, -loadings))[:top_words]
        words = [str(vocabulary[i]) for i in order if loadings[i] > 0.2 * loadings.max()]
        members = np.flatnonzero((dominant == component) & strong)
        if not words or members.size == 0:
            continue
        typical = members[np.lexsort((members, -weights[members, component]))][:examples]
        found.append(Candidate(words, [int(i) for i in typical], int(members.size)))
    return sorted(found, key=lambda c: (-c.n, c.words[0]))


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity: such values become None."""
    return value if value is not None and math.isfinite(value) else None
