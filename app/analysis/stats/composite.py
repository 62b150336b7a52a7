"""Composite index for rating centres and branches (рейтингование) from components on a 0-100 scale."""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["composite_index", "scale_0_100"]


def scale_0_100(value: float, lo: float, hi: float, higher_is_better: bool = True) -> float:
    """Map ``value`` from ``[lo, hi]`` to 0-100 (clipped); reversed when lower is better.

    Notes
    -----
    .. math:: s = 100\\,\\frac{\\min(\\max(v, lo), hi) - lo}{hi - lo},\\qquad
              s' = 100 - s\\ \\text{when lower is better}

    E.g. NPS: ``scale_0_100(nps, -100, 100)``; complaint share with 10 % as the worst acceptable:
    ``scale_0_100(share, 0, 0.10, higher_is_better=False)``.

    References
    ----------
    .. [1] OECD/JRC (2008). Handbook on Constructing Composite Indicators, section 5
       (min-max normalisation).
    """
    try:
        v, low, high = float(value), float(lo), float(hi)
    except (TypeError, ValueError) as exc:
        raise ValueError("value, lo and hi must be numbers") from exc
    if not all(math.isfinite(x) for x in (v, low, high)):
        raise ValueError("value, lo and hi must be finite")
    if not low < high:
        raise ValueError("lo must be less than hi")
    score = 100.0 * (min(max(v, low), high) - low) / (high - low)
    return score if higher_is_better else 100.0 - score


def composite_index(
    components: Mapping[str, float | None], weights: Mapping[str, float], min_coverage: float = 0.0
) -> float | None:
    """Weighted mean of 0-100 components; missing components re-weight the rest.

    Parameters
    ----------
    components : mapping name -> score or None
        Each on 0-100 (see :func:`scale_0_100`); None or NaN means missing (e.g. no appeals to
        compute the on-time share, or a low-n component the caller chose to drop).
    weights : mapping name -> weight
        Non-negative; every component name must have a weight (a weight without a component counts
        as missing).
    min_coverage : float
        Smallest share of the total weight that must be present; below it the result is None.

    Returns
    -------
    float or None
        None when nothing (or too little weight) is present.

    Notes
    -----
    With the present components P:

    .. math:: I = \\frac{\\sum_{c \\in P} w_c x_c}{\\sum_{c \\in P} w_c}

    i.e. the weights of missing components are spread proportionally over the present ones, so
    the index stays on 0-100. Two units compared on different sets of components are less
    comparable; use ``min_coverage`` to refuse an index built from too little.

    References
    ----------
    .. [1] OECD/JRC (2008). Handbook on Constructing Composite Indicators, sections 3 and 6
       (missing data, weighting and aggregation).
    """
    if not isinstance(components, Mapping) or not isinstance(weights, Mapping):
        raise ValueError("components and weights must be mappings")
    unknown = set(components) - set(weights)
    if unknown:
        raise ValueError(f"components without a weight: {sorted(unknown)}")
    if not 0.0 <= min_coverage <= 1.0:
        raise ValueError("min_coverage must lie in [0, 1]")
    total_weight = 0.0
    present_weight = 0.0
    weighted_sum = 0.0
    for name, weight in weights.items():
        try:
            w = float(weight)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"weight of {name!r} must be a number") from exc
        if not math.isfinite(w) or w < 0.0:
            raise ValueError(f"weight of {name!r} must be a non-negative number")
        total_weight += w
        value = components.get(name)
        if value is None:
            continue
        try:
            x = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"component {name!r} must be a number or None") from exc
        if math.isnan(x):
            continue
        if not 0.0 <= x <= 100.0:
            raise ValueError(f"component {name!r} must lie in 0..100, got {value!r}")
        present_weight += w
        weighted_sum += w * x
    if total_weight <= 0.0:
        raise ValueError("weights must not all be zero")
    if present_weight <= 0.0 or present_weight / total_weight < min_coverage:
        return None
    return weighted_sum / present_weight
