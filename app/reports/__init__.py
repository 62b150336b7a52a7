"""PDF reports for managers: quarterly satisfaction, appeals monitoring, centre cards (issue 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint

if TYPE_CHECKING:
    from app.appeals.report_model import MonitoringReport

bp = Blueprint("reports", __name__, url_prefix="/reports")


def appeals_pdf(report: MonitoringReport) -> bytes:
    """PDF bytes of an appeals monitoring report (``app.appeals.report.monitoring_report``)."""
    from app.reports.services import appeals_pdf as build

    return build(report)


from app.reports import routes  # noqa: E402,F401
