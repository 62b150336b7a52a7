"""Analysis pages: the satisfaction report (HTML, JSON, CSV) and corrective actions. Thin: parse, call, render."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.analysis import actions as action_services
from app.analysis import bp
from app.analysis.models import ACTION_STATUSES, CorrectiveAction
from app.analysis.report import ReportError, build_report, report_to_csv
from app.analysis.report_model import SatisfactionReport
from app.analysis.scopes import REPORT_ROLES, allowed_scopes, chosen_scope, request_period
from app.auth.decorators import roles_required
from app.extensions import db
from app.models import Organisation
from app.periods import default_period_code, period_picker
from app.reports.render import analysis_report_html
from app.surveys.models import Survey

VIEW_ROLES = REPORT_ROLES


def resolve_scope(code: str | None) -> Organisation | None:
    """The requested scope if the user may see it (404 otherwise); default: the user's own scope."""
    try:
        return chosen_scope(current_user, code)
    except LookupError:
        abort(404)


def _report_from_request() -> tuple[SatisfactionReport | None, str | None]:
    slug = request.args.get("survey", "").strip()
    if not slug:
        return None, None
    scope = resolve_scope(request.args.get("scope"))
    try:
        period = request_period(request.args)
        return build_report(slug, period.start, period.end, scope), None
    except ReportError as exc:
        return None, str(exc)


def _themes_from_request() -> dict | None:
    """«Что пишут клиенты» for the report's survey, period and scope (stored texts only; None on a bad request)."""
    from app.analysis.themes import ThemesError, survey_themes

    scope = resolve_scope(request.args.get("scope"))
    try:
        period = request_period(request.args)
        return survey_themes(
            request.args.get("survey", "").strip(), period.start, period.end, scope.code if scope else None
        )
    except (ReportError, ThemesError):
        return None


@bp.route("/")
@roles_required(*VIEW_ROLES)
def index():
    report, error = _report_from_request()
    if error:
        flash(error, "error")
    surveys = list(db.session.scalars(select(Survey).order_by(Survey.is_main.desc(), Survey.title)))
    args = request.args
    query_args = {k: v for k, v in args.items() if k in ("survey", "period", "from", "to", "scope") and v}
    # The report block renders strictly (a field the report lacks is an error, not a blank): app.reports.render.
    report_html = analysis_report_html(report, query_args) if report else ""
    return render_template(
        "analysis/index.html",
        report=report,
        report_html=report_html,
        themes=_themes_from_request() if report else None,
        surveys=surveys,
        scopes=allowed_scopes(current_user),
        picker=period_picker(
            args.get("period"), args.get("from"), args.get("to"), date.today(), default_period_code(date.today())
        ),
        args=args,
        query_args=query_args,
        statuses=ACTION_STATUSES,
    )


@bp.route("/report.json")
@roles_required(*VIEW_ROLES)
def report_json():
    report, error = _report_from_request()
    if report is None:
        abort(400, error or "Не выбрана анкета")
    body = json.dumps(report.model_dump(mode="json"), ensure_ascii=False, allow_nan=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report)}.json"'},
    )


@bp.route("/report.csv")
@roles_required(*VIEW_ROLES)
def report_csv():
    report, error = _report_from_request()
    if report is None:
        abort(400, error or "Не выбрана анкета")
    return Response(
        report_to_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report)}.csv"'},
    )


def _filename(report: SatisfactionReport) -> str:
    return f"{report.survey}-{report.scope}-{report.period.from_}-{report.period.to}"


def _owner_or_404(code: str) -> Organisation:
    owner = next((o for o in allowed_scopes(current_user) if o.code == (code or "").strip().upper()), None)
    if owner is None:
        abort(404)
    return owner


@bp.route("/actions/new", methods=["POST"])
@roles_required("manager")
def create_action():
    form = request.form
    owner = _owner_or_404(form.get("center", ""))
    try:
        evidence = json.loads(form.get("evidence") or "{}") if len(form.get("evidence", "")) < 20000 else {}
    except (ValueError, RecursionError):
        evidence = {}
    try:
        due = date.fromisoformat(form["due_date"]) if form.get("due_date") else date.today() + timedelta(days=90)
        priority = float(form.get("priority") or 0)
        if not math.isfinite(priority):
            raise ValueError(priority)
    except ValueError:
        flash("Неверная дата или приоритет.", "error")
        return redirect(url_for("analysis.actions"))
    try:
        action = action_services.create_action(
            title=form.get("action", ""),
            owner=owner,
            metric=form.get("question", ""),
            survey_slug=form.get("survey") or None,
            finding=form.get("finding", ""),
            evidence=evidence if isinstance(evidence, dict) else {},
            priority=priority,
            due_date=due,
            user=current_user,
        )
    except action_services.ActionError as exc:
        flash(str(exc), "error")
        return redirect(url_for("analysis.actions"))
    flash("Корректирующее мероприятие создано.", "success")
    return redirect(url_for("analysis.action_detail", action_id=action.id))


def _visible_action(action_id: int) -> CorrectiveAction:
    action = db.session.get(CorrectiveAction, action_id)
    if action is None or action.owner_id not in {o.id for o in allowed_scopes(current_user)}:
        abort(404)
    return action


@bp.route("/actions")
@roles_required(*VIEW_ROLES)
def actions():
    scopes = allowed_scopes(current_user)
    ids = {o.id for o in scopes}
    rows = [a for a in action_services.visible_actions(None) if a.owner_id in ids]
    status = request.args.get("status")
    if status in ACTION_STATUSES:
        rows = [a for a in rows if a.status == status]
    return render_template("analysis/actions.html", actions=rows, statuses=ACTION_STATUSES, status=status)


@bp.route("/actions/<int:action_id>")
@roles_required(*VIEW_ROLES)
def action_detail(action_id: int):
    action = _visible_action(action_id)
    return render_template(
        "analysis/action.html", action=action, data=action_services.action_dict(action), statuses=ACTION_STATUSES
    )


@bp.route("/actions/<int:action_id>/status", methods=["POST"])
@roles_required("manager")
def action_status(action_id: int):
    action = _visible_action(action_id)
    try:
        on = date.fromisoformat(request.form["on"]) if request.form.get("on") else None
        action_services.set_status(action, request.form.get("status", ""), on)
        flash("Статус изменен.", "success")
    except (ValueError, action_services.ActionError) as exc:
        flash(str(exc) if isinstance(exc, action_services.ActionError) else "Неверная дата.", "error")
    return redirect(url_for("analysis.action_detail", action_id=action.id))


@bp.route("/themes", methods=["GET", "POST"])
@roles_required("marketing", "manager")
def themes():
    """The theme dictionary: staff name themes and the words that put a text under them, and adopt the
    candidates the analysis page proposes (``?words=`` prefills a new theme)."""
    from app.analysis.models import TextTheme
    from app.analysis.texts import ThemeError, save_theme

    error = None
    if request.method == "POST":
        theme_id = request.form.get("theme_id", type=int)
        try:
            save_theme(
                theme_id,
                request.form.get("label", ""),
                request.form.get("terms", ""),
                active=request.form.get("active", "1" if theme_id is None else "") == "1",
            )
        except ThemeError as exc:
            error = str(exc)
        else:
            flash("Тема сохранена. Тексты будут разобраны по словарю при следующем запуске разбора.", "success")
            return redirect(url_for("analysis.themes"))
    entries = db.session.scalars(select(TextTheme).order_by(TextTheme.active.desc(), TextTheme.label)).all()
    failed_new = error is not None and not request.form.get("theme_id")
    new_terms = request.form.get("terms", "") if failed_new else request.args.get("words", "")[:400]
    new_label = request.form.get("label", "") if failed_new else ""
    failed_id = request.form.get("theme_id", "") if error else ""
    page = render_template(
        "analysis/themes.html",
        entries=entries,
        error=error,
        new_label=new_label,
        new_terms=", ".join(w.strip() for w in new_terms.split(",") if w.strip()) if not failed_new else new_terms,
        failed_id=failed_id,
    )
    return page, (422 if error else 200)
