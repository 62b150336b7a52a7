"""Adjustment of p-values for a family of tests (each centre against the rest, each attribute...)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["METHODS", "adjust_pvalues"]

METHODS = ("holm", "fdr_bh", "bonferroni")


def adjust_pvalues(pvalues: Sequence[float], method: str = "holm") -> list[float]:
    """Adjusted p-values, in the order given.

    Parameters
    ----------
    pvalues : sequence of float
        Raw p-values in [0, 1]; an empty sequence gives an empty list.
    method : {"holm", "fdr_bh", "bonferroni"}
        Holm's step-down (controls the family-wise error rate, default), Benjamini-Hochberg
        (controls the false discovery rate) or Bonferroni.

    Returns
    -------
    list of float
        Adjusted p-values, each at least its raw value and at most 1. Reject where adjusted < alpha.

    Notes
    -----
    With sorted :math:`p_{(1)} \\le \\dots \\le p_{(m)}`:

    - Bonferroni: :math:`\\min(1, m p_i)`.
    - Holm: :math:`\\tilde p_{(i)} = \\min\\big(1, \\max_{j \\le i} (m - j + 1) p_{(j)}\\big)`.
    - Benjamini-Hochberg: :math:`\\tilde p_{(i)} = \\min\\big(1, \\min_{j \\ge i} m p_{(j)} / j\\big)`.

    References
    ----------
    .. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
       Scandinavian Journal of Statistics 6, 65-70.
    .. [2] Benjamini, Y., Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57, 289-300.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if isinstance(pvalues, str | bytes):
        raise ValueError("pvalues must be a sequence of numbers")
    try:
        p = np.asarray(list(pvalues), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("pvalues must be numbers") from exc
    if p.ndim != 1:
        raise ValueError("pvalues must be one-dimensional")
    if p.size == 0:
        return []
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    m = p.size
    if method == "bonferroni":
        return [min(1.0, float(v)) for v in p * m]
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    ranks = np.arange(1, m + 1)
    if method == "holm":
        adjusted = np.maximum.accumulate((m - ranks + 1) * ranked)
    else:
        adjusted = np.minimum.accumulate((m * ranked / ranks)[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return [float(v) for v in out]
