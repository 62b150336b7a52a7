"""Manager pages: choose a report, preview it as HTML, build the PDF in the background, the archive."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth.decorators import roles_required
from app.extensions import db
from app.periods import default_period_code, period_picker
from app.reports import bp
from app.reports.models import ReportArchive
from app.reports.services import (
    REPORT_TYPES,
    ReportError,
    build_html,
    can_access,
    describe_params,
    looks_stale,
    rebuild,
    request_report,
    scopes_for,
    start_build,
    sweep_stale,
    visible_archive,
)

FIELDS = ("period", "from", "to", "scope", "survey")


def _params(source: Any) -> tuple[str, dict[str, Any]]:
    report_type = (source.get("type") or "satisfaction").strip()
    return report_type, {k: (source.get(k) or "").strip() for k in FIELDS}


def _surveys() -> list[tuple[str, str, bool]]:
    from app.surveys.models import Survey

    return [(s.slug, s.title, s.is_main) for s in db.session.scalars(select(Survey).order_by(Survey.title))]


def _row_or_404(archive_id: int) -> ReportArchive:
    row = db.session.get(ReportArchive, archive_id)
    if row is None or not can_access(current_user, row):
        abort(404)
    if looks_stale(row):  # its build process stopped: show it failed, with the offer to build it again
        sweep_stale([row.id])
        row = db.session.get(ReportArchive, archive_id, populate_existing=True)
        assert row is not None  # a sweep marks rows failed, it does not delete them
    return row


def _start(row: ReportArchive, report_type: str, params: dict[str, Any]):
    try:
        start_build(current_app._get_current_object(), row.id)  # type: ignore[attr-defined]  # a LocalProxy
    except ReportError as exc:
        flash(str(exc), "error")
        return redirect(url_for("reports.index", type=report_type, **params))
    return redirect(url_for("reports.show", archive_id=row.id))


@bp.get("/")
@roles_required("manager")
def index():
    report_type, params = _params(request.args)
    sweep_stale()
    return render_template(
        "reports/index.html",
        types=REPORT_TYPES,
        report_type=report_type,
        params=params,
        picker=period_picker(
            params["period"], params["from"], params["to"], date.today(), default_period_code(date.today())
        ),
        scopes=scopes_for(current_user),
        surveys=_surveys(),
        archive=visible_archive(current_user),
    )


@bp.get("/preview")
@roles_required("manager")
def preview():
    report_type, params = _params(request.args)
    try:
        html = build_html(report_type, params, current_user, pdf=False)
    except ReportError as exc:
        flash(str(exc), "error")
        return redirect(url_for("reports.index", type=report_type, **params))
    return Response(html, mimetype="text/html")


@bp.post("/")
@roles_required("manager")
def create():
    report_type, params = _params(request.form)
    try:
        row = request_report(report_type, params, current_user)
    except ReportError as exc:
        flash(str(exc), "error")
        return redirect(url_for("reports.index", type=report_type, **params))
    return _start(row, report_type, params)


@bp.post("/<int:archive_id>/rebuild")
@roles_required("manager")
def rebuild_report(archive_id: int):
    """«Построить заново»: a new request with the parameters of a failed (e.g. interrupted) row."""
    old = _row_or_404(archive_id)
    try:
        row = rebuild(old, current_user)
    except ReportError as exc:
        flash(str(exc), "error")
        return redirect(url_for("reports.show", archive_id=old.id))
    return _start(row, row.report_type, {})


@bp.get("/<int:archive_id>")
@roles_required("manager")
def show(archive_id: int):
    row = _row_or_404(archive_id)
    return render_template("reports/show.html", row=row, described=describe_params(row.params or {}))


@bp.get("/<int:archive_id>/status")
@roles_required("manager")
def status(archive_id: int):
    row = _row_or_404(archive_id)
    return {
        "id": row.id,
        "status": row.status,
        "progress": row.progress,
        "error": row.error or "",
        "download_url": url_for("reports.download", archive_id=row.id) if row.status == "done" else None,
    }


@bp.get("/<int:archive_id>/download")
@roles_required("manager")
def download(archive_id: int):
    row = _row_or_404(archive_id)
    if row.status != "done" or not row.pdf:
        abort(404)
    params = row.params or {}
    name = f"{row.report_type}-{params.get('scope') or 'company'}-{params.get('period') or params.get('from')}.pdf"
    return Response(
        row.pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
