"""Service-request views: the public list and forms, staff download of attachments and the burst check."""

from __future__ import annotations

import io
import logging
import uuid

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app.auth.decorators import public, roles_required
from app.extensions import limiter
from app.org.directory import centres_by_branch
from app.org.services import visible_center_ids
from app.parsing import allows_large_body, form_id
from app.requests import bp
from app.requests.attachments import format_megabytes
from app.requests.consent import consent_text
from app.requests.forms import DecisionForm, RequestForm
from app.requests.models import REQUEST_TYPES
from app.requests.services import (
    CHOICES,
    COMMENT_MAX,
    CONSENT_VERSION,
    FIELD_LABELS,
    TYPE_FIELDS,
    RequestError,
    RequestInput,
    Upload,
    attachment_for,
    decide_held,
    detail_lines,
    held_requests,
    max_attachment_bytes,
    max_attachment_count,
    request_of_appeal,
    submit_request,
)

log = logging.getLogger("otklik.requests")
FORM_ALLOWANCE = 1024 * 1024  # the text fields and multipart overhead above the attachments themselves


def submit_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC_SUBMIT"]


@bp.app_template_global()
def service_request_for(appeal_id: int):
    """The request behind an appeal (for the appeal page's attachments list), or None."""
    return request_of_appeal(appeal_id)


@bp.app_template_global()
def service_request_details(stored) -> list[tuple[str, str]]:
    return detail_lines(stored.request_type, stored.details)


@bp.route("/requests")
@public
def index():
    """The three kinds of request a customer can submit online."""
    return render_template("requests/index.html", types=REQUEST_TYPES, center=request.args.get("center", ""))


def _render(request_type: str, form: RequestForm, errors: dict[str, str] | None = None, status: int = 200):
    return render_template(
        "requests/form.html",
        request_type=request_type,
        type_name=REQUEST_TYPES[request_type][0],
        form=form,
        fields=TYPE_FIELDS[request_type],
        labels=FIELD_LABELS,
        choices=CHOICES,
        branches=centres_by_branch(),
        errors=errors or {},
        comment_max=COMMENT_MAX,
        max_count=max_attachment_count(),
        max_size=format_megabytes(max_attachment_bytes()),
        consent_paragraphs=consent_text(CONSENT_VERSION),
    ), status


def _uploads() -> tuple[Upload, ...]:
    """The files sent, read at most one byte past the limit (an oversized file is refused, not read whole)."""
    limit = max_attachment_bytes()
    return tuple(
        Upload(filename=f.filename or "", data=f.stream.read(limit + 1))
        for f in request.files.getlist("attachments")
        if f.filename
    )


@bp.route("/requests/<request_type>", methods=["GET", "POST"])
@allows_large_body(lambda: max_attachment_bytes() * max_attachment_count() + FORM_ALLOWANCE)
@public
@limiter.limit(submit_limit, methods=["POST"])
def new(request_type: str):
    """A request form of one type (GET), its submission (POST): the receipt, or the form with errors."""
    if request_type not in REQUEST_TYPES:
        abort(404)
    form = RequestForm()
    if request.method == "GET":
        form.client_submission_id.data = str(uuid.uuid4())
        form.center.data = (request.args.get("center") or "").strip().upper()
        return _render(request_type, form)
    if not form.validate_on_submit():
        return _render(request_type, form, {"form": "Проверьте заполнение формы и отправьте ее еще раз."}, 400)
    if form.website.data:
        log.warning("service request honeypot filled")
        return _render(request_type, form, {"form": "Заявка не принята. Обновите страницу и попробуйте еще раз."}, 400)
    data = RequestInput(
        request_type=request_type,
        center_code=form.center.data or "",
        name=form.name.data or "",
        phone=form.phone.data or "",
        email=form.email.data or "",
        object_address=form.object_address.data or "",
        comment=form.comment.data or "",
        consent=bool(form.consent.data),
        fields={name: request.form.get(name, "") for name in TYPE_FIELDS[request_type]},
        uploads=_uploads(),
        client_submission_id=(form.client_submission_id.data or "").strip(),
    )
    try:
        receipt = submit_request(data)
    except RequestError as exc:
        return _render(request_type, form, exc.errors or {"form": str(exc)}, exc.status)
    return render_template("requests/done.html", receipt=receipt, type_name=REQUEST_TYPES[request_type][0])


@bp.route("/requests/attachments/<int:attachment_id>")
@roles_required("operator", "manager")
def attachment(attachment_id: int):
    """Download an attachment of a request in the user's scope, always as a file of its checked type."""
    found = attachment_for(attachment_id, visible_center_ids(current_user), current_user)
    if found is None:
        abort(404)
    response = send_file(
        io.BytesIO(found.data),
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/requests/check")
@roles_required("operator", "manager")
def check_list():
    """Requests held «на проверке» in the user's centres (a burst of submissions), to accept or reject."""
    return render_template(
        "requests/check.html", held=held_requests(visible_center_ids(current_user)), form=DecisionForm()
    )


@bp.route("/requests/check/decide", methods=["POST"])
@roles_required("operator", "manager")
def check_decide():
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    decision = request.form.get("decision")
    ids = [i for i in (form_id(v.strip()) for v in request.form.getlist("ids")) if i is not None]
    if decision not in ("accept", "reject") or not ids:
        flash("Не выбраны заявки или решение", "error")
        return redirect(url_for("requests.check_list"))
    done = decide_held(ids, decision == "accept", current_user, visible_center_ids(current_user))
    flash(
        f"Зарегистрировано заявок: {done}" if decision == "accept" else f"Отклонено как спам: {done}",
        "success",
    )
    return redirect(url_for("requests.check_list"))
