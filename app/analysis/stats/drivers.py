"""Key-driver analysis: Johnson's relative weights with standardized betas, and the importance-performance matrix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "QUADRANT_LABELS",
    "DriverResult",
    "DriverWeight",
    "importance_performance",
    "relative_weights",
]

QUADRANT_LABELS = {
    "concentrate": "Сосредоточить усилия",
    "keep_up": "Сохранять достигнутое",
    "low_priority": "Низкий приоритет",
    "possible_overkill": "Возможный избыток усилий",
}

#: Smallest eigenvalue of the predictors' correlation matrix accepted (below: collinear predictors).
MIN_EIGENVALUE = 1e-10


@dataclass(frozen=True)
class DriverWeight:
    """One attribute: raw relative weight (share of variance of the target), its share of R², OLS beta."""

    name: str
    weight: float
    share_of_r2: float
    beta: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "weight": float(self.weight),
            "share_of_r2": float(self.share_of_r2),
            "beta": float(self.beta),
        }


@dataclass(frozen=True)
class DriverResult:
    """Relative importance of attributes for a target; ``attributes`` in the column order of X."""

    target: str
    r2: float
    n: int
    attributes: list[DriverWeight]

    def ranked(self) -> list[DriverWeight]:
        """Attributes from the most to the least important."""
        return sorted(self.attributes, key=lambda a: a.weight, reverse=True)

    def weights(self) -> dict[str, float]:
        return {a.name: a.weight for a in self.attributes}

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "r2": float(self.r2),
            "n": self.n,
            "attributes": [a.to_dict() for a in self.attributes],
        }


def relative_weights(X: pd.DataFrame, y: pd.Series) -> DriverResult:
    """Johnson's relative weights of predictors for a target, with standardized OLS betas.

    Parameters
    ----------
    X : pandas.DataFrame
        Attribute ratings, one numeric column per attribute (at least one), one row per respondent.
    y : pandas.Series
        Target rating (e.g. overall satisfaction), aligned with X by index.

    Returns
    -------
    DriverResult
        Weights sum to R²; ``share_of_r2`` sums to 1.

    Raises
    ------
    ValueError
        Fewer complete cases than predictors + 2, a column (or y) with zero variance, non-numeric
        data, or perfectly collinear predictors.

    Notes
    -----
    Only rows complete in X and y are used. With the predictors' correlation matrix
    :math:`R_{xx} = V\\Lambda V^\\top` and correlations with the target :math:`r_{xy}`:

    .. math:: \\Lambda^* = R_{xx}^{1/2} = V\\Lambda^{1/2}V^\\top,\\quad
              \\beta = (\\Lambda^*)^{-1} r_{xy},\\quad
              \\varepsilon_j = \\sum_k (\\Lambda^*_{jk})^2 \\beta_k^2

    :math:`\\beta` are the weights of the target on the orthogonal counterparts of the predictors,
    :math:`\\Lambda^*` the correlations between predictors and those counterparts;
    :math:`\\sum_j \\varepsilon_j = \\sum_k \\beta_k^2 = r_{xy}^\\top R_{xx}^{-1} r_{xy} = R^2`.
    Standardized OLS coefficients are :math:`R_{xx}^{-1} r_{xy}`.

    References
    ----------
    .. [1] Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
       variables in multiple regression. Multivariate Behavioral Research 35(1), 1-19.
    .. [2] Tonidandel, S., LeBreton, J. M. (2011). Relative importance analysis: a useful supplement
       to regression analysis. Journal of Business and Psychology 26, 1-9.
    """
    if not isinstance(X, pd.DataFrame) or X.shape[1] == 0:
        raise ValueError("X must be a DataFrame with at least one column")
    if not isinstance(y, pd.Series):
        raise ValueError("y must be a pandas Series")
    if X.columns.duplicated().any():
        raise ValueError("X has duplicate column names")
    target = str(y.name) if y.name is not None else "target"
    try:
        data = pd.concat([X.astype(float), y.astype(float).rename("__target__")], axis=1, join="inner")
    except (TypeError, ValueError) as exc:
        raise ValueError("X and y must be numeric") from exc
    data = data.replace([np.inf, -np.inf], np.nan).dropna()
    k = X.shape[1]
    n = len(data)
    if n < k + 2:
        raise ValueError(f"need at least {k + 2} complete cases for {k} predictors, got {n}")
    sd = data.std(ddof=1)
    flat = [str(c) for c in sd.index[sd.to_numpy() == 0.0]]
    if flat:
        shown = [target if c == "__target__" else c for c in flat]
        raise ValueError(f"zero variance in: {shown}")
    corr = np.corrcoef(data.to_numpy(), rowvar=False)
    rxx, rxy = corr[:k, :k], corr[:k, k]
    eigenvalues, vectors = np.linalg.eigh(rxx)
    if eigenvalues.min() < MIN_EIGENVALUE:
        raise ValueError("predictors are perfectly collinear")
    lam = vectors @ np.diag(np.sqrt(eigenvalues)) @ vectors.T
    beta_orth = np.linalg.solve(lam, rxy)
    raw = (lam**2) @ (beta_orth**2)
    betas = np.linalg.solve(rxx, rxy)
    r2 = float(rxy @ betas)
    shares = raw / r2 if r2 > 0 else np.zeros_like(raw)
    attributes = [
        DriverWeight(name=str(name), weight=float(w), share_of_r2=float(s), beta=float(b))
        for name, w, s, b in zip(X.columns, raw, shares, betas, strict=True)
    ]
    return DriverResult(target=target, r2=r2, n=n, attributes=attributes)


def importance_performance(weights: Mapping[str, float], performance: Mapping[str, float]) -> list[dict[str, Any]]:
    """Importance-performance matrix: the quadrant of each attribute.

    Parameters
    ----------
    weights : mapping name -> importance
        E.g. relative weights from :func:`relative_weights`.
    performance : mapping name -> performance
        E.g. top-2-box share or mean rating; same names as ``weights``.

    Returns
    -------
    list of dict
        In the order of ``weights``: ``name``, ``importance``, ``performance``, ``quadrant``
        ("concentrate", "keep_up", "low_priority", "possible_overkill"; Russian names in
        :data:`QUADRANT_LABELS`).

    Notes
    -----
    Axes are split at the means of importance and of performance over the attributes; a value equal
    to the mean counts as high. High importance and low performance = "concentrate"; high/high =
    "keep_up"; low/low = "low_priority"; low importance, high performance = "possible_overkill".

    References
    ----------
    .. [1] Martilla, J. A., James, J. C. (1977). Importance-performance analysis. Journal of
       Marketing 41(1), 77-79.
    """
    if not isinstance(weights, Mapping) or not isinstance(performance, Mapping):
        raise ValueError("weights and performance must be mappings name -> number")
    if not weights:
        raise ValueError("at least one attribute is needed")
    if set(weights) != set(performance):
        raise ValueError("weights and performance must name the same attributes")
    names = list(weights)
    try:
        imp = np.array([float(weights[name]) for name in names])
        perf = np.array([float(performance[name]) for name in names])
    except (TypeError, ValueError) as exc:
        raise ValueError("importance and performance must be numbers") from exc
    if not (np.all(np.isfinite(imp)) and np.all(np.isfinite(perf))):
        raise ValueError("importance and performance must be finite")
    imp_cut, perf_cut = float(imp.mean()), float(perf.mean())
    out = []
    for name, i, p in zip(names, imp, perf, strict=True):
        high_i, high_p = i >= imp_cut, p >= perf_cut
        if high_i:
            quadrant = "keep_up" if high_p else "concentrate"
        else:
            quadrant = "possible_overkill" if high_p else "low_priority"
        out.append({"name": name, "importance": float(i), "performance": float(p), "quadrant": quadrant})
    return out
