"""Staff pages of the registry: queue, export, registration, detail and actions, upload, report."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.appeals import bp, services
from app.appeals.forms import NO_CHOICE, AppealForm, ImportForm, PromiseForm
from app.appeals.importer import AppealImportError, import_file
from app.appeals.models import (
    CHANNELS,
    FORMS,
    KINDS,
    MANUAL_SOURCE,
    PROMISE_STATUSES,
    STATUSES,
    SURVEY_SOURCE,
    Appeal,
    Promise,
    RootCause,
)
from app.appeals.periods import resolve_period
from app.appeals.queries import EXPORT_HEADER, Filters, appeals_query, export_rows, promise_flags
from app.appeals.report import monitoring_report, report_rows
from app.appeals.report_model import MonitoringReport
from app.appeals.spreadsheet import to_csv, to_xlsx
from app.auth.decorators import roles_required
from app.extensions import db
from app.models import Contact, Organisation, OrgKind, Topic, utcnow
from app.nav import local_time
from app.org.services import centers_under, visible_center_ids
from app.parsing import form_id, query_page
from app.periods import default_period_code, period_picker
from app.surveys.exports import response_rows
from app.surveys.models import CHANNEL_LABELS as SURVEY_CHANNEL_LABELS
from app.surveys.models import Response as SurveyResponse
from app.surveys.models import Survey

PAGE_SIZE = 50


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_CENTER_TIMEZONE"])


def _local_to_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=_zone()).astimezone(UTC).replace(tzinfo=None)


def _scoped_appeal(appeal_id: int) -> Appeal:
    """The appeal if the user may see its centre; otherwise 404 (no id guessing)."""
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None or appeal.center_id not in visible_center_ids(current_user):
        abort(404)
    return appeal


def _center_choices() -> list[Organisation]:
    ids = visible_center_ids(current_user)
    return [c for c in centers_under(current_user.scope) if c.id in ids]


def _topics(active_only: bool = True) -> list[Topic]:
    query = select(Topic).order_by(Topic.sort_order, Topic.name_ru)
    if active_only:
        query = query.where(Topic.active.is_(True))
    return list(db.session.scalars(query))


# --- queue and export ----------------------------------------------------------------------------


@bp.route("/")
@roles_required("operator", "manager")
def queue():
    filters = Filters.from_args(request.args)
    ids = visible_center_ids(current_user)
    page = query_page(PAGE_SIZE)
    query = appeals_query(ids, filters).options(selectinload(Appeal.center))  # the rows show their centre
    pagination = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    now = utcnow()
    flags = promise_flags([a.id for a in pagination.items], now)
    topics = {t.id: t for t in _topics(active_only=False)}
    return render_template(
        "appeals/queue.html",
        pagination=pagination,
        filters=filters,
        flags=flags,
        now=now,
        topics=topics,
        centers=_center_choices(),
        statuses=STATUSES,
        kinds=KINDS,
        forms=FORMS,
        channels=CHANNELS,
        open_statuses=services.OPEN_STATUSES,
    )


@bp.route("/export.<fmt>")
@roles_required("operator", "manager")
def export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters = Filters.from_args(request.args)
    rows = export_rows(visible_center_ids(current_user), filters, local_time)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        body, mimetype = to_csv(EXPORT_HEADER, rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(EXPORT_HEADER, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, content_type=mimetype, headers={"Content-Disposition": f'attachment; filename="appeals-{stamp}.{fmt}"'}
    )


# --- registration --------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@roles_required("operator", "manager")
def new():
    form = AppealForm()
    form.topic.choices = [NO_CHOICE, *((t.code, t.name_ru) for t in _topics())]
    form.center.choices = [(c.id, c.name) for c in _center_choices()]
    if request.method == "GET":
        form.received_at.data = (
            utcnow().replace(tzinfo=UTC).astimezone(_zone()).replace(tzinfo=None, second=0, microsecond=0)
        )
    if form.validate_on_submit():
        if form.center.data not in visible_center_ids(current_user):
            abort(404)
        contact = services.ContactDetails(
            name=form.contact_name.data or "", phone=form.contact_phone.data or "", email=form.contact_email.data or ""
        )
        try:
            appeal = services.register_with_contact(
                contact=contact,
                consent=bool(form.consent.data),
                user=current_user,
                kind=form.kind.data,
                form=form.form.data,
                channel=form.channel.data,
                topic_code=form.topic.data,
                center_id=form.center.data,
                received_at=_local_to_utc(form.received_at.data),
                text=form.text.data.strip(),
                external_source=MANUAL_SOURCE if form.external_id.data else None,
                external_id=(form.external_id.data or "").strip() or None,
            )
        except services.ConsentRequired as exc:
            form.consent.errors.append(str(exc))
        except services.AppealError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Обращение № {appeal.id} зарегистрировано.", "success")
            return redirect(url_for("appeals.detail", appeal_id=appeal.id))
    return render_template("appeals/new.html", form=form)


# --- detail and actions --------------------------------------------------------------------------


@bp.route("/<int:appeal_id>")
@roles_required("operator", "manager")
def detail(appeal_id: int):
    return _render_detail(_scoped_appeal(appeal_id))


def _render_detail(appeal: Appeal, answer_draft: str = "", name_words: list[str] | None = None) -> str:
    """The appeal's page; after a refused answer, with the typed answer kept and the names it contains."""
    promise_form = PromiseForm()
    causes = list(db.session.scalars(select(RootCause).where(RootCause.active.is_(True)).order_by(RootCause.name_ru)))
    now = utcnow()
    contact = db.session.get(Contact, appeal.contact_id) if appeal.contact_id else None
    return render_template(
        "appeals/detail.html",
        appeal=appeal,
        survey_response_id=_survey_response_id(appeal),
        promise_form=promise_form,
        causes=causes,
        contact=contact,
        statuses=STATUSES,
        kinds=KINDS,
        forms=FORMS,
        channels=CHANNELS,
        promise_statuses=PROMISE_STATUSES,
        transitions=services.TRANSITIONS,
        overdue=services.is_overdue(appeal, now),
        promise_state=services.promise_state,
        now=now,
        answer_draft=answer_draft,
        name_words=name_words or [],
    )


def _survey_response_id(appeal: Appeal) -> int | None:
    """The survey response a close-the-loop appeal was opened for (None for any other appeal)."""
    if appeal.external_source != SURVEY_SOURCE:
        return None
    return db.session.scalar(select(SurveyResponse.id).where(SurveyResponse.appeal_id == appeal.id))


@bp.route("/<int:appeal_id>/survey-response")
@roles_required("operator", "manager")
def survey_response(appeal_id: int):
    """The whole survey response behind a close-the-loop appeal, for the staff who handle the appeal
    (operators do not browse survey responses otherwise)."""
    appeal = _scoped_appeal(appeal_id)
    response_id = _survey_response_id(appeal)
    response = db.session.get(SurveyResponse, response_id) if response_id is not None else None
    if response is None:
        abort(404)
    return render_template(
        "appeals/survey_response.html",
        appeal=appeal,
        response=response,
        rows=response_rows(response),
        survey=db.session.get(Survey, response.survey_id),
        channel_labels=SURVEY_CHANNEL_LABELS,
    )


def _act(appeal: Appeal, action, success: str):
    try:
        action()
    except services.AppealError as exc:
        flash(str(exc), "error")
    else:
        flash(success, "success")
    return redirect(url_for("appeals.detail", appeal_id=appeal.id))


@bp.route("/<int:appeal_id>/status", methods=["POST"])
@roles_required("operator", "manager")
def status(appeal_id: int):
    appeal = _scoped_appeal(appeal_id)
    to_status = request.form.get("to_status", "")
    note = request.form.get("note", "")[:2000]
    return _act(
        appeal,
        lambda: services.change_status(appeal, to_status, current_user, note),
        f"Статус изменен: {STATUSES.get(to_status, to_status)}.",
    )


@bp.route("/<int:appeal_id>/answer", methods=["POST"])
@roles_required("operator", "manager")
def answer(appeal_id: int):
    appeal = _scoped_appeal(appeal_id)
    summary = request.form.get("summary", "")[:20000]
    confirmed = request.form.get("confirm_name") == "1"
    try:
        services.answer(appeal, summary, current_user, name_confirmed=confirmed)
    except services.NameInAnswer as exc:
        return _render_detail(appeal, answer_draft=summary, name_words=exc.words)
    except services.AppealError as exc:
        flash(str(exc), "error")
    else:
        flash("Ответ записан.", "success")
    return redirect(url_for("appeals.detail", appeal_id=appeal.id))


@bp.route("/<int:appeal_id>/close", methods=["POST"])
@roles_required("operator", "manager")
def close(appeal_id: int):
    appeal = _scoped_appeal(appeal_id)
    cause_id = form_id(request.form.get("root_cause"))
    note = request.form.get("note", "")[:2000]
    return _act(appeal, lambda: services.close(appeal, cause_id, current_user, note), "Обращение закрыто.")


@bp.route("/<int:appeal_id>/promise", methods=["POST"])
@roles_required("operator", "manager")
def promise(appeal_id: int):
    appeal = _scoped_appeal(appeal_id)
    form = PromiseForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")  # a lazy message, as text in this request's language
        return redirect(url_for("appeals.detail", appeal_id=appeal.id))
    due = _local_to_utc(form.due_at.data)
    return _act(appeal, lambda: services.add_promise(appeal, form.text.data, due, current_user), "Обещание записано.")


@bp.route("/promise/<int:promise_id>/resolve", methods=["POST"])
@roles_required("operator", "manager")
def resolve_promise(promise_id: int):
    item = db.session.get(Promise, promise_id) or abort(404)
    appeal = _scoped_appeal(item.appeal_id)
    kept = request.form.get("kept") == "1"
    return _act(
        appeal,
        lambda: services.resolve_promise(item, kept, current_user),
        "Обещание отмечено как выполненное." if kept else "Обещание отмечено как невыполненное.",
    )


@bp.route("/<int:appeal_id>/action", methods=["POST"])
@roles_required("operator", "manager")
def link_action(appeal_id: int):
    appeal = _scoped_appeal(appeal_id)
    raw = request.form.get("action_id", "").strip()
    action_id = form_id(raw)
    if raw and action_id is None:
        flash("Номер мероприятия — целое положительное число.", "error")
        return redirect(url_for("appeals.detail", appeal_id=appeal.id))
    return _act(
        appeal,
        lambda: services.link_corrective_action(appeal, action_id, current_user),
        "Связь с корректирующим мероприятием сохранена.",
    )


@bp.route("/<int:appeal_id>/contract", methods=["POST"])
@roles_required("operator", "manager")
def contract(appeal_id: int):
    appeal = _scoped_appeal(appeal_id)
    value = request.form.get("led_to_contract")
    if value not in ("0", "1"):
        flash("Не указано, заключен ли договор: обновите страницу и нажмите кнопку еще раз.", "error")
        return redirect(url_for("appeals.detail", appeal_id=appeal.id))
    signed = value == "1"
    return _act(
        appeal,
        lambda: services.set_led_to_contract(appeal, signed, current_user),
        "Отмечено: по обращению заключен договор." if signed else "Отметка о договоре снята.",
    )


# --- upload --------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@roles_required("manager")
def upload():
    form = ImportForm()
    result = None
    errors: list[str] = []
    if form.validate_on_submit():
        storage = form.file.data
        suffix = Path(storage.filename or "").suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            errors = ["Нужен файл CSV или XLSX"]
        else:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"upload{suffix}"
                storage.save(path)
                from app.analysis.text_jobs import process_after_import  # the new texts go to the text job
                from app.analysis.texts import source_watermarks

                before = source_watermarks()
                try:
                    result = import_file(
                        path,
                        dry_run=form.dry_run.data,
                        user=current_user,
                        display_name=Path(storage.filename).name,
                        allowed_center_ids=visible_center_ids(current_user),
                    )
                    if not form.dry_run.data:
                        process_after_import(before)  # queued with Redis; never lemmatised in the request
                except AppealImportError as exc:
                    errors = exc.errors
                    if exc.total > len(exc.errors):
                        errors = [*errors, f"… и еще ошибок: {exc.total - len(exc.errors)}"]
    return render_template("appeals/import.html", form=form, result=result, errors=errors)


# --- monitoring report ---------------------------------------------------------------------------


def _report_scope() -> Organisation | None:
    """The requested scope if within the user's scope (a 404 otherwise); default: the user's scope."""
    code = request.args.get("scope", "").strip().upper()
    own = current_user.scope
    if not code:
        return own
    org = db.session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        abort(404)
    if org.kind != OrgKind.COMPANY:
        allowed = visible_center_ids(current_user)
        wanted = {c.id for c in centers_under(org)}
        if not wanted or not wanted <= allowed:
            abort(404)
    elif own is not None and own.kind != OrgKind.COMPANY:
        abort(404)
    return org


def _scope_options() -> list[Organisation]:
    own = current_user.scope
    if own is None or own.kind == OrgKind.COMPANY:
        query = select(Organisation).where(Organisation.kind.in_([OrgKind.COMPANY, OrgKind.BRANCH]))
        options = list(db.session.scalars(query.order_by(Organisation.kind.desc(), Organisation.name)))
        return options + list(centers_under(None))
    if own.kind == OrgKind.BRANCH:
        return [own, *centers_under(own)]
    return [own]


def _build_report() -> tuple[MonitoringReport, dict]:
    try:
        period = resolve_period(request.args, date.today())
    except ValueError as exc:
        abort(Response(str(exc), status=400))
    scope = _report_scope()
    return monitoring_report(period["from"], period["to"], scope), period


PERIOD_ARGS = ("period", "year", "part", "date_from", "date_to", "scope")


@bp.route("/report")
@roles_required("manager")
def report():
    report_data, period = _build_report()
    from app.appeals.charts import kind_form_topic_svg

    chart = kind_form_topic_svg(report_data)
    args = {k: v for k, v in request.args.items() if k in PERIOD_ARGS}
    return render_template(
        "appeals/report.html",
        report=report_data,
        period=period,
        chart=chart,
        picker=period_picker(
            period.get("code") or None,
            args.get("date_from"),
            args.get("date_to"),
            date.today(),
            default_period_code(date.today()),
        ),
        scopes=_scope_options(),
        args=args,
        selected_scope=request.args.get("scope", "").upper(),
    )


@bp.route("/report.<fmt>")
@roles_required("manager")
def report_download(fmt: str):
    if fmt not in ("json", "csv", "pdf"):
        abort(404)
    report_data, _period = _build_report()
    name = f"appeals-report-{report_data.period.from_}-{report_data.period.to}"
    if fmt == "json":
        body = json.dumps(report_data.model_dump(mode="json"), ensure_ascii=False, indent=2)
        return Response(
            body, mimetype="application/json", headers={"Content-Disposition": f'attachment; filename="{name}.json"'}
        )
    if fmt == "csv":
        header, rows = report_rows(report_data)
        return Response(
            to_csv(header, rows),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    from app.reports.services import appeals_pdf  # reports build on appeals, not the other way round

    return Response(
        appeals_pdf(report_data),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )
