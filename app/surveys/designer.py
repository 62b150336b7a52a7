"""Staff pages for marketing: designer, assignment, responses and exports.

Every edit (structured form or JSON editor) is validated as a whole document with
``validate_definition``; on any error every problem is listed by path and nothing is saved.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response as FlaskResponse
from flask import abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import ngettext
from flask_login import current_user
from jinja2 import TemplateNotFound
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app import audit
from app.auth.decorators import roles_required
from app.database import write_transaction
from app.extensions import db
from app.models import Organisation
from app.org.directory import centres_by_branch
from app.org.services import branches, centers, centers_under, visible_center_ids
from app.parsing import query_int, query_page
from app.surveys import bp, distribution, exports, services  # distribution registers its views
from app.surveys.forms import (
    OP_LABELS,
    QUESTION_TYPE_LABELS,
    ActionForm,
    AssignForm,
    CreateForm,
    DuplicateForm,
    ImportForm,
    JsonForm,
    QuestionForm,
    blank_definition,
    fill_question_form,
    move_question,
    new_question,
    parse_json,
    question_from_form,
)
from app.surveys.models import CHANNEL_LABELS, CHANNELS, Response, Survey, SurveyAssignment, SurveyVersion
from app.surveys.schema import DefinitionError, definition_changes, library, template, validate_definition

STATUS_LABELS = {"draft": "черновик", "published": "опубликована", "closed": "закрыта"}
PAGE_SIZE = 50
RESPONDENT_CSS = ("css/respond.css", "css/surveys.css", "css/survey.css")  # the respondent pages' styles


def _survey(survey_id: int) -> Survey:
    return db.session.get(Survey, survey_id) or abort(404)


def _latest(survey: Survey) -> SurveyVersion:
    return survey.versions[-1]


def _published(survey: Survey) -> SurveyVersion | None:
    return next((v for v in reversed(survey.versions) if v.status == "published"), None)


def _last_frozen(survey: Survey) -> SurveyVersion | None:
    return next((v for v in reversed(survey.versions) if v.status != "draft"), None)


def _check(doc: Any, survey: Survey | None = None) -> tuple[list[str], list[str]]:
    """(errors, warnings) of a whole document against the schema and the last published version."""
    try:
        validate_definition(doc)
    except DefinitionError as exc:
        return list(exc.errors), []
    errors = []
    if survey is not None and doc.get("slug") != survey.slug:
        errors.append(f"slug: код анкеты нельзя изменить (был «{survey.slug}»)")
    frozen = _last_frozen(survey) if survey is not None else None
    return errors, definition_changes(frozen.definition, doc) if frozen else []


def _save(survey: Survey, doc: dict[str, Any]) -> list[str]:
    """Validate and save as the draft; returns the errors (nothing saved when there are any)."""
    errors, _ = _check(doc, survey)
    if errors:
        return errors
    try:
        draft = services.save_draft(survey, doc, user=current_user)
    except services.InvalidDefinition as exc:
        return exc.errors
    except services.SurveyError as exc:
        return [str(exc)]
    for warning in getattr(draft, "warnings", []):
        flash(warning, "error")
    return []


# --------------------------------------------------------------------------- list, create, import


@bp.route("/surveys/")
@roles_required("marketing")
def index():
    counts = dict(db.session.execute(select(Response.survey_id, func.count()).group_by(Response.survey_id)).all())
    surveys = list(db.session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())))
    return render_template(
        "surveys/index.html", surveys=surveys, counts=counts, status_labels=STATUS_LABELS, published=_published
    )


def _free_slug(title: str) -> str:
    """A slug made from the title, for a marketer who left the code empty (codes are under «Дополнительно»)."""
    from app.surveys.interchange import slug_from_title

    return slug_from_title(
        title, taken=lambda slug: db.session.scalar(select(Survey.id).where(Survey.slug == slug)) is not None
    )


@bp.route("/surveys/new", methods=["GET", "POST"])
@roles_required("marketing")
def create():
    form = CreateForm()
    templates = library()
    form.template.choices = [("", "Пустая анкета")] + [(t["slug"], t["title"]["ru"]) for t in templates]
    errors: list[str] = []
    if form.validate_on_submit():
        if form.template.data:
            try:
                doc = template(form.template.data)
            except KeyError:
                abort(400)
            if form.title.data:
                doc["title"] = {**doc["title"], "ru": form.title.data.strip()}
        else:
            doc = blank_definition("", (form.title.data or "").strip())
        doc["slug"] = (form.slug.data or "").strip() or _free_slug(doc["title"].get("ru") or "")
        try:
            survey = services.create_survey(doc, user=current_user)
        except services.InvalidDefinition as exc:
            errors = exc.errors
        else:
            flash("Анкета создана. Это черновик: проверьте вопросы и опубликуйте.", "success")
            return redirect(url_for("surveys.edit", survey_id=survey.id))
    return render_template("surveys/create.html", form=form, errors=errors, import_form=ImportForm())


@bp.route("/surveys/import", methods=["POST"])
@roles_required("marketing")
def import_definition():
    """A file from Otklik, SurveyJS Creator or XLSForm becomes a draft; what was left out is listed."""
    from app.surveys.definition_import import import_definition as run_import
    from app.surveys.interchange import InterchangeError

    form = ImportForm()
    errors: list[str] = []
    if not form.validate_on_submit():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
    else:
        upload = form.file.data
        try:
            result = run_import(upload.read(), upload.filename or "", form.source.data or None, user=current_user)
        except InterchangeError as exc:
            errors = [str(exc)]
        except services.InvalidDefinition as exc:
            errors = exc.errors
        else:
            flash(
                "Анкета импортирована в черновик."
                if not result.skipped
                else "Анкета импортирована в черновик. Не перенесено: " + "; ".join(result.skipped),
                "success" if not result.skipped else "warning",
            )
            return redirect(url_for("surveys.edit", survey_id=result.survey.id))
    form = CreateForm()
    form.template.choices = [("", "Пустая анкета")] + [(t["slug"], t["title"]["ru"]) for t in library()]
    return render_template("surveys/create.html", form=form, errors=errors, import_form=ImportForm()), 422


# --------------------------------------------------------------------------- editing


def _question_choices(doc: dict[str, Any], before: tuple[int, int] | None) -> list[tuple[str, str]]:
    """Questions a condition may refer to: those before the edited one."""
    choices = [("", "— всегда —")]
    for p, page in enumerate(doc.get("pages") or []):
        for i, q in enumerate(page.get("questions") or []):
            if before is not None and (p, i) >= before:
                return choices
            if q.get("type") != "contact":
                choices.append((q.get("code", ""), f"{q.get('code', '')}: {(q.get('text') or {}).get('ru', '')[:60]}"))
    return choices


def _edit_page(survey: Survey, doc: dict[str, Any], errors: list[str], json_text: str | None = None, status: int = 200):
    json_form = JsonForm()
    json_form.document.data = json_text if json_text is not None else json.dumps(doc, ensure_ascii=False, indent=2)
    _, warnings = _check(doc, survey) if not errors else ([], [])
    latest = _latest(survey)
    return render_template(
        "surveys/edit.html",
        survey=survey,
        doc=doc,
        errors=errors,
        warnings=warnings,
        json_form=json_form,
        action_form=ActionForm(),
        duplicate_form=DuplicateForm(),
        latest=latest,
        published=_published(survey),
        type_labels=QUESTION_TYPE_LABELS,
        status_labels=STATUS_LABELS,
    ), status


@bp.route("/surveys/<int:survey_id>", methods=["GET"])
@roles_required("marketing")
def edit(survey_id: int):
    survey = _survey(survey_id)
    return _edit_page(survey, copy.deepcopy(_latest(survey).definition), [])[0]


@bp.route("/surveys/<int:survey_id>/json", methods=["POST"])
@roles_required("marketing")
def save_json(survey_id: int):
    survey = _survey(survey_id)
    form = JsonForm()
    if not form.validate_on_submit():
        abort(400)
    doc, errors = parse_json(form.document.data)
    if not errors:
        errors = _save(survey, doc)
    if errors:
        return _edit_page(survey, copy.deepcopy(_latest(survey).definition), errors, form.document.data, 422)
    flash("Черновик сохранен.", "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>/questions/<int:page>/<int:index>", methods=["GET", "POST"])
@roles_required("marketing")
def question(survey_id: int, page: int, index: int):
    survey = _survey(survey_id)
    doc = copy.deepcopy(_latest(survey).definition)
    try:
        existing = doc["pages"][page]["questions"][index]
    except (IndexError, KeyError, TypeError):
        abort(404)
    form = QuestionForm()
    form.cond_question.choices = _question_choices(doc, (page, index))
    errors: list[str] = []
    if request.method == "GET":
        fill_question_form(form, existing)
    elif form.validate_on_submit():
        updated, errors = question_from_form(form, existing)
        if not errors:
            doc["pages"][page]["questions"][index] = updated
            errors = _save(survey, doc)
        if not errors:
            flash("Вопрос сохранен.", "success")
            return redirect(url_for("surveys.edit", survey_id=survey.id) + f"#q-{page}-{index}")
    else:
        errors = [f"{getattr(form, name).label.text}: {'; '.join(msgs)}" for name, msgs in form.errors.items()]
    return render_template(
        "surveys/question.html",
        survey=survey,
        form=form,
        page=page,
        index=index,
        errors=errors,
        op_labels=OP_LABELS,
        complex_condition=bool(existing.get("show_if")) and not form.cond_question.data,
    ), 422 if errors else 200


@bp.route("/surveys/<int:survey_id>/structure", methods=["POST"])
@roles_required("marketing")
def structure(survey_id: int):
    """Add, remove and move questions and pages: one small change to the document, then validate and save."""
    survey = _survey(survey_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    doc = copy.deepcopy(_latest(survey).definition)
    pages = doc.setdefault("pages", [])
    op = request.form.get("op", "")
    try:
        page = int(request.form.get("page", 0))
        index = int(request.form.get("index", 0))
    except ValueError:
        abort(400)
    anchor = ""
    try:
        if op == "add_question":
            qtype = request.form.get("type", "rating")
            if qtype not in QUESTION_TYPE_LABELS:
                abort(400)
            pages[page]["questions"].append(new_question(doc, qtype))
            anchor = f"#q-{page}-{len(pages[page]['questions']) - 1}"
        elif op == "remove_question":
            pages[page]["questions"].pop(index)
        elif op in ("up", "down"):
            move_question(doc, page, index, -1 if op == "up" else 1)
        elif op == "add_page":
            pages.append({"title": {"ru": f"Страница {len(pages) + 1}"}, "questions": [new_question(doc, "rating")]})
        elif op == "remove_page":
            pages.pop(page)
        else:
            abort(400)
    except (IndexError, OverflowError):  # OverflowError: an index beyond a C integer
        abort(404)
    errors = _save(survey, doc)
    if errors:
        return _edit_page(survey, doc, errors, status=422)
    flash("Черновик сохранен.", "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id) + anchor)


# --------------------------------------------------------------------------- preview


def _preview_context(doc: Any, page: int, device: str) -> dict[str, Any]:
    try:
        defn = validate_definition(doc)
        errors: list[str] = []
    except DefinitionError as exc:
        defn, errors = None, exc.errors
    page_count = len(defn.pages) if defn else 0
    page = min(max(page, 0), max(page_count - 1, 0))
    try:
        current_app.jinja_env.get_template("surveys/_questions.html")
        has_macro = True
    except TemplateNotFound:
        has_macro = False
    static = Path(current_app.static_folder or "")
    respondent_css = [name for name in RESPONDENT_CSS if (static / name).is_file()]
    return {
        "defn": defn,
        "errors": errors,
        "page": page,
        "page_count": page_count,
        "respondent_css": respondent_css,
        "device": device if device in ("kiosk", "phone") else "phone",
        "has_macro": has_macro,
    }


@bp.route("/surveys/<int:survey_id>/preview")
@roles_required("marketing")
def preview(survey_id: int):
    survey = _survey(survey_id)
    context = _preview_context(_latest(survey).definition, query_int("page", 0), request.args.get("device", "phone"))
    return render_template("surveys/preview.html", survey=survey, **context)


@bp.route("/surveys/<int:survey_id>/preview", methods=["POST"])
@roles_required("marketing")
def preview_live(survey_id: int):
    """Render an unsaved document (the JSON editor's text) as a preview fragment; saves nothing."""
    _survey(survey_id)
    doc, errors = parse_json(request.get_data(as_text=True))
    context = _preview_context(doc if not errors else None, query_int("page", 0), request.args.get("device", "phone"))
    if errors:
        context["errors"] = errors
    return render_template("surveys/_preview_body.html", **context), 422 if context["errors"] else 200


# --------------------------------------------------------------------------- lifecycle


def _action(survey_id: int) -> Survey:
    survey = _survey(survey_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return survey


@bp.route("/surveys/<int:survey_id>/publish", methods=["POST"])
@roles_required("marketing")
def publish(survey_id: int):
    survey = _action(survey_id)
    try:
        version = services.publish(survey, user=current_user)
    except services.InvalidDefinition as exc:
        return _edit_page(survey, copy.deepcopy(_latest(survey).definition), exc.errors, status=422)
    except services.SurveyError as exc:
        flash(str(exc), "error")
    else:
        flash(
            f"Версия {version.number} опубликована. Назначьте, где ее проводить: ниже уже выбраны все ЦОК, "
            "сайт и QR-код.",
            "success",
        )
        if not _assignments_of(survey):  # first publication: straight to the assignment form
            return redirect(url_for("surveys.assign", survey_id=survey.id, preset="web"))
    return redirect(url_for("surveys.edit", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>/close", methods=["POST"])
@roles_required("marketing")
def close(survey_id: int):
    survey = _action(survey_id)
    try:
        services.close(survey, user=current_user)
    except services.SurveyError as exc:
        flash(str(exc), "error")
    else:
        flash("Опрос закрыт: новые ответы не принимаются.", "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>/duplicate", methods=["POST"])
@roles_required("marketing")
def duplicate(survey_id: int):
    survey = _survey(survey_id)
    form = DuplicateForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(url_for("surveys.edit", survey_id=survey.id))
    try:
        copy_ = services.duplicate(survey, form.slug.data.strip(), user=current_user)
    except services.InvalidDefinition as exc:
        for message in exc.errors:
            flash(message, "error")
        return redirect(url_for("surveys.edit", survey_id=survey.id))
    flash("Копия создана.", "success")
    return redirect(url_for("surveys.edit", survey_id=copy_.id))


@bp.route("/surveys/<int:survey_id>/definition.json")
@roles_required("marketing")
def export_definition(survey_id: int):
    survey = _survey(survey_id)
    version = _latest(survey)
    body = json.dumps(version.definition, ensure_ascii=False, indent=2)
    return FlaskResponse(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{survey.slug}-v{version.number}.json"'},
    )


@bp.route("/surveys/<int:survey_id>/surveyjs.json")
@roles_required("marketing")
def export_surveyjs(survey_id: int):
    """The latest version as SurveyJS JSON, for SurveyJS Creator or a site built on SurveyJS."""
    from app.surveys.interchange import to_surveyjs

    survey = _survey(survey_id)
    version = _latest(survey)
    document, _skipped = to_surveyjs(version.definition)
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return FlaskResponse(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{survey.slug}-v{version.number}-surveyjs.json"'},
    )


# --------------------------------------------------------------------------- assignment


@bp.route("/surveys/<int:survey_id>/assign", methods=["GET", "POST"])
@roles_required("marketing")
def assign(survey_id: int):
    survey = _survey(survey_id)
    form = AssignForm()
    branch_list = branches()
    center_list = centers()
    form.branch.choices = [(b.id, b.name) for b in branch_list]
    form.centers.choices = [(c.id, f"{c.name} ({c.code})") for c in center_list]
    errors: list[str] = []
    if form.validate_on_submit():
        if form.target.data == "all":
            chosen = [c.id for c in center_list]
        elif form.target.data == "branch":
            branch = next((b for b in branch_list if b.id == form.branch.data), None)
            chosen = [c.id for c in centers_under(branch)] if branch else []
        else:
            chosen = [c for c in form.centers.data or [] if 0 < c < 2**63]
        if not chosen:
            errors.append("Выберите хотя бы один ЦОК")
        if not form.channels.data:
            errors.append("Выберите хотя бы один канал")
        if not errors:
            try:
                made = services.assign(survey, chosen, form.channels.data, user=current_user)
            except services.SurveyError as exc:
                errors.append(str(exc))
            else:
                flash(ngettext("Назначена %(num)s ссылка.", "Назначено %(num)s ссылок.", len(made)), "success")
                return redirect(url_for("surveys.assign", survey_id=survey.id))
    elif request.method == "POST":
        errors = [m for messages in form.errors.values() for m in messages]
    elif request.args.get("preset") == "web":
        form.target.data, form.channels.data = "all", ["online", "qr"]
    shown = _assignment_filter(request.args)
    assignments = [a for a in _assignments_of(survey) if shown(a)]
    return render_template(
        "surveys/assign.html",
        survey=survey,
        form=form,
        errors=errors,
        assignments=assignments,
        channel_labels=CHANNEL_LABELS,
        short_link=distribution.short_link,
        branch_list=branch_list,
        centres_by_branch=centres_by_branch(),
        filters=request.args,
        total=len(_assignments_of(survey)),
    ), 422 if errors else 200


def _assignments_of(survey: Survey) -> list[SurveyAssignment]:
    return list(
        db.session.scalars(
            select(SurveyAssignment)
            .join(Organisation, Organisation.id == SurveyAssignment.center_id)
            .options(joinedload(SurveyAssignment.center))
            .where(SurveyAssignment.survey_id == survey.id)
            .order_by(Organisation.name, SurveyAssignment.channel)
        )
    )


def _assignment_filter(args: Any) -> Callable[[SurveyAssignment], bool]:
    """The distribution table's filter by branch, centre and channel (GET parameters; blanks mean all)."""
    branch, centre, channel = (args.get(k, "") for k in ("branch", "center", "channel"))

    def keep(assignment: SurveyAssignment) -> bool:
        return (
            (not branch or str(assignment.center.parent_id) == branch)
            and (not centre or str(assignment.center_id) == centre)
            and (not channel or assignment.channel == channel)
        )

    return keep


# --------------------------------------------------------------------------- responses


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _response_filter() -> tuple[dict[str, Any], exports.ExportFilter, Survey | None]:
    """The responses page's filters, always narrowed to the user's visible centres."""
    visible = visible_center_ids(current_user)
    args = request.args
    survey_id = query_int("survey")
    survey = db.session.get(Survey, survey_id) if survey_id else None
    center_id = query_int("center")
    start, end = _parse_day(args.get("start")), _parse_day(args.get("end"))
    channel = args.get("channel") if args.get("channel") in CHANNELS else None
    center_ids = visible & {center_id} if center_id else visible
    zone = ZoneInfo(current_app.config["DEFAULT_CENTER_TIMEZONE"])

    def utc(day: date) -> datetime:  # local midnight → naive UTC
        return datetime.combine(day, time(), zone).astimezone(UTC).replace(tzinfo=None)

    flt = exports.ExportFilter(
        center_ids=center_ids,
        start=utc(start) if start else None,
        end=utc(end + timedelta(days=1)) if end else None,
        channel=channel,
    )
    values = {
        "survey": survey.id if survey else "",
        "center": center_id or "",
        "channel": channel or "",
        "start": start.isoformat() if start else "",
        "end": end.isoformat() if end else "",
    }
    return values, flt, survey


@bp.route("/surveys/responses")
@roles_required("marketing", "manager")
def responses():
    values, flt, survey = _response_filter()
    query = (
        select(Response)
        .options(joinedload(Response.center), joinedload(Response.version).defer(SurveyVersion.definition))
        .where(Response.center_id.in_(sorted(flt.center_ids or {-1})))
    )
    if survey is not None:
        query = query.where(Response.survey_id == survey.id)
    if flt.start:
        query = query.where(Response.submitted_at >= flt.start)
    if flt.end:
        query = query.where(Response.submitted_at < flt.end)
    if flt.channel:
        query = query.where(Response.channel == flt.channel)
    page = db.paginate(
        query.order_by(Response.submitted_at.desc(), Response.id.desc()),
        page=query_page(PAGE_SIZE),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    visible = visible_center_ids(current_user)
    center_list = [c for c in centers(active_only=False) if c.id in visible]
    surveys = list(db.session.scalars(select(Survey).order_by(Survey.title)))
    survey_titles = {s.id: s.title for s in surveys}
    return render_template(
        "surveys/responses.html",
        page=page,
        values=values,
        centers=center_list,
        surveys=surveys,
        survey_titles=survey_titles,
        channel_labels=CHANNEL_LABELS,
        filters={k: v for k, v in values.items() if v},
    )


@bp.route("/surveys/responses/<int:response_id>")
@roles_required("marketing", "manager")
def response_detail(response_id: int):
    response = db.session.get(Response, response_id)
    if response is None or response.center_id not in visible_center_ids(current_user):
        abort(404)
    definition = response.version.definition
    by_code: dict[str, list[Any]] = {}
    for answer in response.answers:
        by_code.setdefault(answer.question_code, []).append(answer)
    rows = []
    for column in exports.definition_columns([definition]):
        found = by_code.get(
            column.code.removesuffix(exports.OTHER_SUFFIX)
            if column.code.endswith(exports.OTHER_SUFFIX)
            else column.code,
            [],
        )
        if column.code.endswith(exports.OTHER_SUFFIX):
            shown = "; ".join(a.text for a in found if a.text)
        elif column.kind == "num":
            shown = "; ".join(str(exports._format_num(a.value_num)) for a in found if a.value_num is not None)
            if shown and column.value_labels and len(found) == 1:
                label = column.value_labels.get(float(found[0].value_num))
                shown = label if label and label != shown else shown
        elif column.kind in ("option", "multi"):
            shown = "; ".join(column.texts.get(a.option_code, a.option_code or "") for a in found)
        else:
            shown = "; ".join(a.text or "" for a in found)
        rows.append((column.code, column.label, shown))
    return render_template(
        "surveys/response.html",
        response=response,
        rows=rows,
        channel_labels=CHANNEL_LABELS,
        survey=db.session.get(Survey, response.survey_id),
    )


@bp.route("/surveys/responses/export")
@roles_required("marketing", "manager")
def export_responses():
    values, flt, survey = _response_filter()
    fmt = request.args.get("format", "csv")
    if survey is None or fmt not in exports.MIME_TYPES:
        flash("Выберите анкету и формат выгрузки.", "error")
        return redirect(url_for("surveys.responses", **{k: v for k, v in values.items() if v}))
    stamp = datetime.now().strftime("%Y%m%d")
    headers = {"Content-Disposition": f'attachment; filename="{survey.slug}-{stamp}.{fmt}"'}
    with write_transaction():
        audit.record("survey.export", survey, summary=f"{survey.slug} {fmt}")
    if fmt == "csv":
        survey_id = survey.id

        def pieces() -> Iterator[str]:
            # The stream runs after the view returned: the request's session has been removed by then, so the
            # survey is loaded again in the session the stream uses (the one above is detached).
            again = db.session.get(Survey, survey_id)
            assert again is not None  # checked above, in the request
            yield from exports.iter_csv(again, flt)

        return FlaskResponse(stream_with_context(pieces()), content_type=exports.MIME_TYPES[fmt], headers=headers)
    path = exports.export_to_tempfile(survey, fmt, flt)
    return FlaskResponse(exports.iter_file_and_remove(path), content_type=exports.MIME_TYPES[fmt], headers=headers)
