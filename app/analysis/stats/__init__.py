"""Pure statistics for satisfaction analysis: estimates with intervals, tests, drivers, control charts.

No Flask, no database: inputs are numbers, sequences, ``{value: count}`` mappings (what SQL
aggregation returns) or pandas frames; results are frozen dataclasses whose ``to_dict()`` gives
JSON-ready, unrounded floats. Invalid input raises ``ValueError``.
"""

from __future__ import annotations

from app.analysis.stats._base import Interval, TestResult, to_jsonable
from app.analysis.stats.composite import composite_index, scale_0_100
from app.analysis.stats.control import PChartPoint, PChartResult, funnel_limits, funnel_points, p_chart
from app.analysis.stats.drivers import (
    QUADRANT_LABELS,
    DriverResult,
    DriverWeight,
    importance_performance,
    relative_weights,
)
from app.analysis.stats.groups import (
    kruskal_from_counts,
    kruskal_wallis,
    mann_whitney,
    mann_whitney_from_counts,
    one_way_anova,
    welch_anova,
)
from app.analysis.stats.means import MeanEstimate, mean_from_counts, mean_t_interval, top_box
from app.analysis.stats.multiple import adjust_pvalues
from app.analysis.stats.nps import NpsEstimate, nps_difference, nps_from_counts, nps_from_scores
from app.analysis.stats.proportions import (
    ProportionEstimate,
    chi_square_independence,
    choice_shares,
    clopper_pearson,
    cochran_armitage_trend,
    newcombe_difference,
    two_proportion_ztest,
    wilson,
)
from app.analysis.stats.reliability import AlphaResult, cronbach_alpha
from app.analysis.stats.samplesize import n_for_proportion, n_per_group_two_proportions
from app.analysis.stats.trend import MannKendallResult, mann_kendall

#: Groups with fewer answers than this are marked ``low_n``: shown greyed, left out of tests and
#: recommendations (rankings shrink them instead: :mod:`app.analysis.stats.shrinkage`).
MIN_N_DEFAULT = 30


def is_low_n(n: int, min_n: int = MIN_N_DEFAULT) -> bool:
    """True when a group is too small to rank or test (``n < min_n``)."""
    if min_n < 1:
        raise ValueError("min_n must be positive")
    if n < 0:
        raise ValueError("n must not be negative")
    return n < min_n


__all__ = [
    "MIN_N_DEFAULT",
    "QUADRANT_LABELS",
    "AlphaResult",
    "DriverResult",
    "DriverWeight",
    "Interval",
    "MannKendallResult",
    "MeanEstimate",
    "NpsEstimate",
    "PChartPoint",
    "PChartResult",
    "ProportionEstimate",
    "TestResult",
    "adjust_pvalues",
    "chi_square_independence",
    "choice_shares",
    "clopper_pearson",
    "cochran_armitage_trend",
    "composite_index",
    "cronbach_alpha",
    "funnel_limits",
    "funnel_points",
    "importance_performance",
    "is_low_n",
    "kruskal_from_counts",
    "kruskal_wallis",
    "mann_kendall",
    "mann_whitney",
    "mann_whitney_from_counts",
    "mean_from_counts",
    "mean_t_interval",
    "n_for_proportion",
    "n_per_group_two_proportions",
    "newcombe_difference",
    "nps_difference",
    "nps_from_counts",
    "nps_from_scores",
    "one_way_anova",
    "p_chart",
    "relative_weights",
    "scale_0_100",
    "to_jsonable",
    "top_box",
    "two_proportion_ztest",
    "welch_anova",
    "wilson",
]
