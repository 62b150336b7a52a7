"""Internal consistency of multi-item blocks (several attributes meant to measure one thing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ALPHA_WARNING_BELOW", "AlphaResult", "cronbach_alpha"]

#: Conventional minimum for an acceptable alpha (Nunnally 1978).
ALPHA_WARNING_BELOW = 0.7


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha over ``n`` complete respondents and ``k`` items; ``warning`` when alpha < 0.7."""

    alpha: float
    n: int
    k: int
    warning: bool

    def to_dict(self) -> dict[str, Any]:
        return {"alpha": float(self.alpha), "n": self.n, "k": self.k, "warning": self.warning}


def cronbach_alpha(items: pd.DataFrame) -> AlphaResult:
    """Cronbach's alpha of a block of items (columns) answered by respondents (rows).

    Parameters
    ----------
    items : pandas.DataFrame
        Numeric item scores; at least 2 columns. Only rows complete in every column are used; at
        least 2 such rows are needed.

    Returns
    -------
    AlphaResult
        ``warning`` is True when alpha < :data:`ALPHA_WARNING_BELOW`. Alpha can be negative when
        items correlate negatively (e.g. an item not reverse-coded).

    Notes
    -----
    With item variances :math:`s_i^2` and the variance of the total score :math:`s_T^2` (ddof = 1):

    .. math:: \\alpha = \\frac{k}{k-1}\\Big(1 - \\frac{\\sum_i s_i^2}{s_T^2}\\Big)

    equal to Hoyt's ANOVA form :math:`1 - MS_{error}/MS_{subjects}`.

    References
    ----------
    .. [1] Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
       Psychometrika 16, 297-334.
    .. [2] Hoyt, C. (1941). Test reliability estimated by analysis of variance. Psychometrika 6, 153-160.
    .. [3] Nunnally, J. C. (1978). Psychometric Theory, 2nd ed. McGraw-Hill.
    """
    if not isinstance(items, pd.DataFrame):
        raise ValueError("items must be a pandas DataFrame")
    k = items.shape[1]
    if k < 2:
        raise ValueError("Cronbach's alpha needs at least two items")
    try:
        data = items.astype(float).replace([np.inf, -np.inf], np.nan).dropna().to_numpy()
    except (TypeError, ValueError) as exc:
        raise ValueError("items must be numeric") from exc
    n = data.shape[0]
    if n < 2:
        raise ValueError("Cronbach's alpha needs at least two complete respondents")
    total_var = float(data.sum(axis=1).var(ddof=1))
    if total_var == 0.0:
        raise ValueError("the total score has zero variance; alpha is undefined")
    alpha = k / (k - 1.0) * (1.0 - float(data.var(axis=0, ddof=1).sum()) / total_var)
    return AlphaResult(alpha=alpha, n=n, k=k, warning=alpha < ALPHA_WARNING_BELOW)
