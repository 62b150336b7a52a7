"""PDF reports for managers: quarterly satisfaction, appeals monitoring, centre cards (issue 7)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")


def appeals_pdf(report: dict[str, Any]) -> bytes:
    """PDF bytes of an appeals monitoring report dict (``app.appeals.report.monitoring_report``)."""
    from app.reports.services import appeals_pdf as build

    return build(report)


from app.reports import routes  # noqa: E402,F401
