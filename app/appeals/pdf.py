"""PDF of the monitoring report through the reports module, when that module provides it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.appeals.report_model import MonitoringReport


class PdfUnavailable(RuntimeError):
    """The reports module has no appeals PDF yet."""


def report_pdf(report: MonitoringReport) -> bytes:
    """``app.reports.appeals_pdf(report) -> bytes`` if it exists; otherwise :class:`PdfUnavailable`."""
    try:
        from app import reports
    except ImportError:
        reports = None
    builder = getattr(reports, "appeals_pdf", None) if reports is not None else None
    if builder is None:
        raise PdfUnavailable("PDF-отчет по обращениям пока недоступен: модуль отчетов его еще не формирует. "
                             "Скачайте отчет в CSV или JSON.")
    return builder(report)
