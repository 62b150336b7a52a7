"""Turn the satisfaction and appeals reports into what the report templates show, one module per report.

Pure functions of the reports (no database): every figure is formatted here, once, the Russian way, and
every chart is drawn here, so that templates only place things; the templates render with
``StrictUndefined``, so a renderer that drifts from the report's shape fails its tests.

- :mod:`.satisfaction`: the quarterly satisfaction PDF, the centre cards and the analysis page's labels;
- :mod:`.appeals`: the appeals monitoring PDF;
- :mod:`.common`: Russian names shared by both.
"""

from app.reports.context.appeals import appeals_context, regulator_table
from app.reports.context.common import TEST_NAMES, test_name
from app.reports.context.satisfaction import (
    center_cards,
    control_charts,
    page_labels,
    satisfaction_context,
    short_period,
)

__all__ = [
    "TEST_NAMES",
    "appeals_context",
    "center_cards",
    "control_charts",
    "page_labels",
    "regulator_table",
    "satisfaction_context",
    "short_period",
    "test_name",
]
