"""PDF of the monitoring report through the reports module, when that module provides it."""

from __future__ import annotations

from typing import Any


class PdfUnavailable(RuntimeError):
    """The reports module has no appeals PDF yet."""


def report_pdf(report: dict[str, Any]) -> bytes:
    """``app.reports.appeals_pdf(report) -> bytes`` if it exists; otherwise :class:`PdfUnavailable`."""
    try:
        from app import reports
    except ImportError:
        builder = None
    else:
        builder = getattr(reports, "appeals_pdf", None)
    if builder is None:
        raise PdfUnavailable("PDF-отчет по обращениям пока недоступен: модуль отчетов его еще не формирует. "
                             "Скачайте отчет в CSV или JSON.")
    return builder(report)
