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
from flask_babel import lazy_gettext as _l
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
from app.periods import Period, PeriodError, parse_period, period_picker
from app.surveys import bp, distribution, exports, services  # distribution registers its views
from app.surveys.designer_errors import humanize_errors
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
    derived_code,
    fill_question_form,
    move_question,
    new_question,
    parse_json,
    question_from_form,
    rename_option,
    rename_question,
)
from app.surveys.models import CHANNEL_LABELS, CHANNELS, Response, Survey, SurveyAssignment, SurveyVersion
from app.surveys.schema import DefinitionError, definition_changes, library, template, validate_definition

STATUS_LABELS = {"draft": _l("черновик"), "published": _l("опубликована"), "closed": _l("закрыта")}
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
        return humanize_errors(exc.errors, doc), []
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
        return humanize_errors(exc.errors, doc)
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
        doc["slug"] = (form.slug.data or "").strip() or _free_slug(doc["title"].get("ru", ""))
        try:
            survey = services.create_survey(doc, user=current_user)
        except services.InvalidDefinition as exc:
            errors = exc.errors
        else:
            flash("Анкета создана. Это черновик: проверьте вопросы и опубликуйте.", "success")
            return redirect(url_for("surveys.edit", survey_id=survey.id))
    return render_template("surveys/create.html", form=form, errors=errors, import_form=ImportForm())


def _free_slug(title: str) -> str:
    """The survey's link code transliterated from its Russian title, with a number when it is taken."""
    from app.surveys.interchange import slug_from_title

    taken = set(db.session.scalars(select(Survey.slug)))
    return slug_from_title(title, taken.__contains__)


@bp.route("/surveys/import", methods=["POST"])
@roles_required("marketing")
def import_definition():
    """A file from Otklik, SurveyJS Creator or XLSForm becomes a draft; what was left out is listed."""
    from app.surveys.definition_import import import_definition as run_import
    from app.surveys.interchange import InterchangeError

    form = ImportForm()
    errors: list[str] = []
    if not form.validate_on_submit():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
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


YES_NO_VALUES = [("1", _l("Да")), ("0", _l("Нет"))]


def _condition_sources(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every question a condition may name, numbered as the designer shows them, with the values to pick."""
    sources = []
    number = 0
    for p, page in enumerate(doc.get("pages") or []):
        for i, q in enumerate(page.get("questions") or []):
            number += 1
            if not isinstance(q, dict) or q.get("type") in ("contact", "matrix"):
                continue
            qtype = q.get("type")
            values: list[tuple[str, str]] = []
            if qtype in ("single_choice", "multi_choice", "dropdown"):
                values = [(o.get("code", ""), (o.get("text") or {}).get("ru", "")) for o in q.get("options") or []]
            elif qtype == "yes_no":
                values = YES_NO_VALUES
            elif qtype in ("rating", "nps", "ces"):
                default = {"nps": (0, 10), "ces": (1, 7)}.get(qtype, (1, 5))
                scale = q.get("scale") or {}
                low, high = scale.get("min", default[0]), scale.get("max", default[1])
                if isinstance(low, int) and isinstance(high, int) and 0 <= high - low <= 20:
                    values = [(str(n), str(n)) for n in range(low, high + 1)]
            text = (q.get("text") or {}).get("ru", "") if isinstance(q.get("text"), dict) else str(q.get("text"))
            sources.append(
                {
                    "pos": (p, i),
                    "code": q.get("code", ""),
                    "label": f"{number}. {text[:60]}",
                    "values": values,
                    "numeric": qtype in ("rating", "nps", "ces", "number"),
                }
            )
    return sources


def _question_choices(doc: dict[str, Any], before: tuple[int, int] | None) -> list[tuple[str, str]]:
    """Questions a condition may refer to: those before the edited one."""
    choices = [("", "— всегда —")]
    for source in _condition_sources(doc):
        if before is not None and source["pos"] >= before:
            break
        choices.append((source["code"], source["label"]))
    return choices


def _frozen_codes(survey: Survey) -> frozenset[str]:
    """Codes a published version fixed: question codes and «question.option» pairs."""
    frozen = _last_frozen(survey)
    codes: set[str] = set()
    for page in (frozen.definition.get("pages") or []) if frozen else []:
        for q in page.get("questions") or []:
            codes.add(q.get("code", ""))
            codes.update(f"{q.get('code', '')}.{o.get('code', '')}" for o in q.get("options") or [])
    return frozenset(codes)


def _is_fetch() -> bool:
    """The designer's script asks for the re-rendered fragment instead of a redirect."""
    return request.headers.get("X-Requested-With") == "fetch"


def _designer_context(
    survey: Survey,
    doc: dict[str, Any],
    errors: list[str],
    json_text: str | None = None,
    editing: tuple[int, int] | None = None,
    pending: dict[str, Any] | None = None,
    focus: str = "",
) -> dict[str, Any]:
    """What the designer page and its fragment show: structure, editors, conditions, preview."""
    json_form = JsonForm()
    json_form.document.data = json_text if json_text is not None else json.dumps(doc, ensure_ascii=False, indent=2)
    _, warnings = _check(doc, survey) if not errors else ([], [])
    preview_doc = copy.deepcopy(_latest(survey).definition)
    return {
        "survey": survey,
        "doc": doc,
        "errors": errors,
        "warnings": warnings,
        "json_form": json_form,
        "action_form": ActionForm(),
        "duplicate_form": DuplicateForm(),
        "latest": _latest(survey),
        "published": _published(survey),
        "type_labels": QUESTION_TYPE_LABELS,
        "status_labels": STATUS_LABELS,
        "op_labels": OP_LABELS,
        "cond_sources": _condition_sources(doc),
        "editing": editing,
        "pending": pending,
        "focus": focus,
        "phone": _preview_context(preview_doc, 0, "phone"),
        "kiosk": _preview_context(preview_doc, 0, "kiosk"),
    }


def _edit_page(survey: Survey, doc: dict[str, Any], errors: list[str], json_text: str | None = None, status: int = 200):
    return render_template("surveys/edit.html", **_designer_context(survey, doc, errors, json_text)), status


def _after_change(
    survey: Survey,
    doc: dict[str, Any],
    errors: list[str],
    anchor: str = "",
    editing: tuple[int, int] | None = None,
    pending: dict[str, Any] | None = None,
):
    """The fragment for the script; for a plain form the redirect (saved) or the page with the errors."""
    if _is_fetch():
        shown = copy.deepcopy(_latest(survey).definition)  # what is saved; a refused change is not shown as done
        context = _designer_context(survey, shown, errors, editing=editing, pending=pending, focus=anchor.lstrip("#"))
        return render_template("surveys/_designer_body.html", fragment=True, **context), 422 if errors else 200
    if errors:
        return _edit_page(survey, doc, errors, status=422)
    flash("Черновик сохранен.", "success")
    return redirect(url_for("surveys.edit", survey_id=survey.id) + anchor)


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


def _option_rows() -> list[tuple[str, str, str]]:
    """The option rows as posted: text, code (under «Дополнительно»), the code the row had before."""
    texts = request.form.getlist("opt_text")
    codes = request.form.getlist("opt_code")
    originals = request.form.getlist("opt_orig")

    def at(values: list[str], k: int) -> str:
        return values[k] if k < len(values) else ""

    return [(text, at(codes, k), at(originals, k)) for k, text in enumerate(texts[:200])]


def _apply_question(
    survey: Survey, doc: dict[str, Any], form: QuestionForm, page: int, index: int
) -> tuple[dict[str, Any], list[str]]:
    """The edited question put into ``doc``, codes regenerated and the conditions naming them followed."""
    existing = doc["pages"][page]["questions"][index]
    form.option_rows = _option_rows()
    form.frozen_codes = _frozen_codes(survey)
    taken = {q.get("code", "") for p in doc.get("pages") or [] for q in p.get("questions") or [] if q is not existing}
    updated, errors = question_from_form(form, existing, taken)
    if errors:
        return updated, errors
    doc["pages"][page]["questions"][index] = updated
    rename_question(doc, existing.get("code", ""), updated["code"])
    for old, new in form.option_renames.items():
        rename_option(doc, updated["code"], old, new)
    return updated, []


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
    pending: dict[str, Any] | None = None
    if request.method == "GET":
        fill_question_form(form, existing)
    elif form.validate_on_submit():
        pending, errors = _apply_question(survey, doc, form, page, index)
        if not errors:
            errors = _save(survey, doc)
        if not errors:
            if _is_fetch():
                return _after_change(survey, doc, [], anchor=f"#q-{page}-{index}")
            flash("Вопрос сохранен.", "success")
            return redirect(url_for("surveys.edit", survey_id=survey.id) + f"#q-{page}-{index}")
    else:
        errors = [
            f"{getattr(form, name).label.text}: {'; '.join(map(str, msgs))}" for name, msgs in form.errors.items()
        ]
    if errors:
        errors = _name_question(errors, doc, page, index)
    if errors and _is_fetch():
        return _after_change(survey, doc, errors, editing=(page, index), pending=pending or existing)
    shown = pending or existing
    return render_template(
        "surveys/question.html",
        survey=survey,
        q=shown,
        p=page,
        i=index,
        errors=errors,
        type_labels=QUESTION_TYPE_LABELS,
        op_labels=OP_LABELS,
        cond_sources=_condition_sources(doc),
    ), 422 if errors else 200


def _name_question(errors: list[str], doc: dict[str, Any], page: int, index: int) -> list[str]:
    """Form errors («Минимум: ожидается число») prefixed with the question's number and text."""
    number = sum(len(p.get("questions") or []) for p in doc["pages"][:page]) + index + 1
    text = (doc["pages"][page]["questions"][index].get("text") or {}).get("ru", "")
    label = f"Вопрос {number}" + (f" «{text[:57]}»" if text else "")
    return [e if e.startswith("Вопрос ") else f"{label}, {e[:1].lower()}{e[1:]}" for e in errors]


def _duplicate_question(doc: dict[str, Any], page: int, index: int) -> None:
    """A copy right below the original, with fresh codes (matrix rows too: their codes are global)."""
    original = doc["pages"][page]["questions"][index]
    used = {q.get("code", "") for p in doc.get("pages") or [] for q in p.get("questions") or []}
    used |= {r.get("code", "") for p in doc["pages"] for q in p.get("questions") or [] for r in q.get("rows") or []}
    twin = copy.deepcopy(original)
    twin["code"] = derived_code(original.get("code", "q"), used)
    used.add(twin["code"])
    for row in twin.get("rows") or []:
        row["code"] = derived_code(row.get("code", "r"), used)
        used.add(row["code"])
    doc["pages"][page]["questions"].insert(index + 1, twin)


def _move_to(doc: dict[str, Any], page: int, index: int) -> None:
    """Drag and drop: the question at (page, index) goes to (to_page, to_index) of the form."""
    to_page = int(request.form.get("to_page", page))
    to_index = int(request.form.get("to_index", index))
    pages = doc["pages"]
    if not 0 <= to_page < len(pages) or to_index < 0:
        raise IndexError(to_page)
    moved = pages[page]["questions"].pop(index)
    pages[to_page]["questions"].insert(min(to_index, len(pages[to_page]["questions"])), moved)


@bp.route("/surveys/<int:survey_id>/structure", methods=["POST"])
@roles_required("marketing")
def structure(survey_id: int):
    """Add, copy, remove and move questions and pages: one small change to the document, then validate and save."""
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
    editing = None
    try:
        if op == "add_question":
            qtype = request.form.get("type", "rating")
            if qtype not in QUESTION_TYPE_LABELS:
                abort(400)
            pages[page]["questions"].append(new_question(doc, qtype))
            editing = (page, len(pages[page]["questions"]) - 1)
            anchor = f"#q-{page}-{editing[1]}"
        elif op == "duplicate_question":
            _duplicate_question(doc, page, index)
            anchor = f"#q-{page}-{index + 1}"
        elif op == "remove_question":
            pages[page]["questions"].pop(index)
        elif op in ("up", "down"):
            move_question(doc, page, index, -1 if op == "up" else 1)
            anchor = f"#q-{page}-{max(index + (-1 if op == 'up' else 1), 0)}"
        elif op == "move":
            _move_to(doc, page, index)
        elif op == "add_page":
            pages.append({"title": {"ru": f"Страница {len(pages) + 1}"}, "questions": [new_question(doc, "rating")]})
        elif op == "remove_page":
            pages.pop(page)
        elif op in ("page_up", "page_down"):
            target = page + (-1 if op == "page_up" else 1)
            if not 0 <= target < len(pages) or not 0 <= page < len(pages):
                raise IndexError(target)
            pages[page], pages[target] = pages[target], pages[page]
            anchor = f"#page-{target}"
        else:
            abort(400)
    except (IndexError, OverflowError, ValueError):  # OverflowError: an index beyond a C integer
        abort(404)
    errors = _save(survey, doc)
    return _after_change(survey, doc, errors, anchor=anchor, editing=None if errors else editing)


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
        for name, messages in form.errors.items():
            for message in messages:
                flash(f"{getattr(form, name).label.text}: {message}", "error")
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
        errors = [str(m) for messages in form.errors.values() for m in messages]
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


def _picked_period(text: str | None) -> Period | None:
    try:
        return parse_period(text) if text and text.strip() else None
    except PeriodError:
        return None


def _response_filter() -> tuple[dict[str, Any], exports.ExportFilter, Survey | None]:
    """The responses page's filters, always narrowed to the user's visible centres."""
    visible = visible_center_ids(current_user)
    args = request.args
    survey_id = query_int("survey")
    survey = db.session.get(Survey, survey_id) if survey_id else None
    center_id = query_int("center")
    typed_start, typed_end = _parse_day(args.get("start")), _parse_day(args.get("end"))
    period = _picked_period(args.get("period"))  # a period from the picker's list, else own dates
    start, end = (period.start, period.end) if period is not None else (typed_start, typed_end)
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
        "period": period.code if period is not None else "",
        "start": typed_start.isoformat() if typed_start else "",
        "end": typed_end.isoformat() if typed_end else "",
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
        picker=period_picker(values["period"], values["start"], values["end"], date.today()),
    )


@bp.route("/surveys/responses/<int:response_id>")
@roles_required("marketing", "manager")
def response_detail(response_id: int):
    response = db.session.get(Response, response_id)
    if response is None or response.center_id not in visible_center_ids(current_user):
        abort(404)
    rows = exports.response_rows(response)
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
