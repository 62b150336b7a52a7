"""Review-book views: thin wrappers around :mod:`app.reviews.services`."""

from __future__ import annotations

import io
import logging
import uuid
from datetime import date, datetime

import segno
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import public, roles_required
from app.booking.models import BOOKING_STATES, Booking
from app.extensions import db, limiter
from app.models import Organisation
from app.org.services import can_see_center, visible_center_ids
from app.parsing import form_id, query_page
from app.reviews import bp, check
from app.reviews.consent import CONSENT_VERSION, consent_text
from app.reviews.forms import ContactForm, ModerationForm, StatusForm
from app.reviews.mail import send_pending_answers
from app.reviews.models import CHECK_STATES, ENTRY_TYPES, MODERATION, ReviewEntry
from app.reviews.services import (
    TEXT_MAX,
    ContactInput,
    EntryInput,
    ReviewError,
    active_topics,
    appeals_by_id,
    entry_status,
    find_center,
    lookup,
    moderate,
    moderation_query,
    published_counts,
    published_query,
    submit_entry,
    validate,
    withdraw_consent,
)
from app.urls import public_url

log = logging.getLogger("otklik.reviews")
BOOK_PAGE_SIZE = 20


def submit_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC_SUBMIT"]


def status_limit() -> str:
    return current_app.config["REVIEW_STATUS_RATELIMIT"]


def _center_or_404(code: str) -> Organisation:
    center = find_center(code)
    if center is None or not center.active:
        abort(404)
    return center


def _entry_input(form: ContactForm, center: Organisation, wants_answer: bool, with_contact: bool) -> EntryInput:
    contact = None
    if with_contact:
        contact = ContactInput(
            name=form.name.data or "",
            email=form.email.data or "",
            phone=form.phone.data or "",
            consent=bool(form.consent.data),
        )
    return EntryInput(
        center_code=center.code,
        entry_type=form.entry_type.data or "",
        topic_code=form.topic.data or "",
        text=form.text.data or "",
        wants_answer=wants_answer,
        publish_consent=bool(form.publish_consent.data),
        contact=contact,
        client_submission_id=(form.client_submission_id.data or "").strip(),
        client_address=request.remote_addr,
    )


def _render_form(
    template: str, form: ContactForm, center: Organisation, errors: dict[str, str] | None = None, status: int = 200
):
    return render_template(
        template,
        form=form,
        center=center,
        errors=errors or {},
        text_max=TEXT_MAX,
        consent_paragraphs=consent_text(),
        consent_version=CONSENT_VERSION,
    ), status


@bp.route("/reviews/<center_code>/new", methods=["GET", "POST"])
@public
@limiter.limit(submit_limit, methods=["POST"])
def new(center_code: str):
    """Step 1 (the entry) and step 2 (consent and contact, only when an answer is wanted)."""
    center = _center_or_404(center_code)
    form = ContactForm()
    form.topic.choices = [(t.code, t.name_ru) for t in active_topics()]
    if request.method == "GET":
        form.client_submission_id.data = str(uuid.uuid4())
        form.wants_answer.data = "no"
        return _render_form("reviews/new.html", form, center)
    if not form.validate_on_submit():
        return _render_form(
            "reviews/new.html", form, center, {"form": "Проверьте заполнение формы и отправьте ее еще раз."}, 400
        )
    if form.website.data:
        log.warning("review honeypot filled at %s", center.code)
        return _render_form(
            "reviews/new.html",
            form,
            center,
            {"form": "Запись не принята. Обновите страницу и попробуйте еще раз."},
            400,
        )
    on_consent_step = form.step.data == "consent"
    wants_answer = form.wants_answer.data == "yes" and form.action.data != "no_answer"
    if wants_answer and not on_consent_step:
        errors, _ = validate(_entry_input(form, center, False, False))
        if errors:
            return _render_form("reviews/new.html", form, center, errors, 422)
        return _render_form("reviews/consent.html", form, center)
    data = _entry_input(form, center, wants_answer, wants_answer)
    try:
        receipt = submit_entry(data)
    except ReviewError as exc:  # 409 for a repeat or a conflicting resend, 422 for refused input
        errors = exc.errors or {"form": str(exc)}
        contact_fields = {"consent", "email", "phone", "name"}
        on_consent_page = exc.status == 422 and wants_answer and set(errors) <= contact_fields
        return _render_form(
            "reviews/consent.html" if on_consent_page else "reviews/new.html", form, center, errors, exc.status
        )
    return render_template("reviews/done.html", center=center, receipt=receipt)


@bp.route("/reviews/<center_code>/qr.svg")
@public
def qr(center_code: str):
    """QR code of the centre's review form for posters and stands."""
    center = _center_or_404(center_code)
    target = public_url("reviews.new", center_code=center.code)
    buffer = io.BytesIO()
    segno.make(target, error="m").save(
        buffer, kind="svg", scale=8, border=2, title=f"Книга отзывов и предложений — {center.name}"
    )
    response = current_app.response_class(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _status_page(
    form: StatusForm,
    entry: ReviewEntry | None,
    looked_up: bool,
    message: str = "",
    status: int = 200,
    booking: Booking | None = None,
    error: str = "",
    move_day: date | None = None,
    move_slots: list[dict] | None = None,
    **found,
):
    state = entry_status(entry) if entry is not None else None
    return render_template(
        "reviews/status.html",
        form=form,
        entry=entry,
        booking=booking,
        error=error,
        move_day=move_day,
        move_slots=move_slots,
        service_request=found.get("service_request"),
        request_state=found.get("request_state"),
        booking_states=BOOKING_STATES,
        state=state,
        looked_up=looked_up,
        message=message,
        types=ENTRY_TYPES,
        moderation_labels=MODERATION,
    ), status


@bp.route("/reviews/status", methods=["GET", "POST"])
@public
@limiter.limit(status_limit)
def status():
    """Status and official answer for a number + check code, looked up by a POST only: a URL holding the check
    code ends in access logs, proxies and browser history. A GET only fills in the number (a QR code on a
    receipt may carry it); a code in the query string is ignored. A wrong pair shows only a neutral message."""
    form = StatusForm()
    number = code = None
    if request.method == "POST":
        if not form.validate_on_submit():
            return _status_page(form, None, False, status=400)
        number, code = form.number.data, form.code.data
    else:
        form.number.data = (request.args.get("number") or "").strip()
    entry = lookup(number or "", code or "") if number else None
    # Bookings take their numbers from the same per-centre series, so one look-up form finds both.
    from app.booking.services import lookup_booking  # here: app.booking.services imports app.reviews

    booking = lookup_booking(number or "", code or "") if number and entry is None else None
    # Service requests too (app.requests.services imports this package, so imported here).
    from app.requests.services import lookup_request, request_status

    service_request = lookup_request(number or "", code or "") if number and not (entry or booking) else None
    return _status_page(
        form,
        entry,
        number is not None,
        booking=booking,
        service_request=service_request,
        request_state=request_status(service_request) if service_request is not None else None,
    )


@bp.route("/reviews/status/cancel-booking", methods=["POST"])
@public
@limiter.limit(status_limit)
def cancel_booking():
    """Cancel an appointment by its number + check code; its time becomes free for others at once."""
    from app.booking.services import cancel, lookup_booking

    form = StatusForm()
    if not form.validate_on_submit():
        return _status_page(form, None, False, status=400)
    booking = lookup_booking(form.number.data or "", form.code.data or "")
    if booking is None:
        return _status_page(form, None, True)
    message = "Запись на прием отменена." if cancel(booking) else "Эта запись на прием уже не действует."
    return _status_page(form, None, True, message, booking=booking)


@bp.route("/reviews/status/move-booking", methods=["POST"])
@public
@limiter.limit(status_limit)
def move_booking():
    """Move an appointment by its number + check code: a day gives its free times (the booking's own time
    counts as free), a chosen time moves it in one transaction or leaves it as it was."""
    from app.booking.services import BookingError, free_slots, lookup_booking, move

    form = StatusForm()
    if not form.validate_on_submit():
        return _status_page(form, None, False, status=400)
    booking = lookup_booking(form.number.data or "", form.code.data or "")
    if booking is None:
        return _status_page(form, None, True)
    try:
        day = date.fromisoformat(request.form.get("date") or request.form.get("start", "")[:10])
    except ValueError:
        return _status_page(form, None, True, booking=booking, error="Выберите день.", status=422)
    chosen = "" if request.form.get("show") else request.form.get("start", "")
    if chosen:
        try:
            start = datetime.strptime(chosen, "%Y-%m-%dT%H:%M")
            move(booking, start)
        except ValueError as exc:  # BookingError is one; a malformed time is the other
            message = str(exc) if isinstance(exc, BookingError) else "Выберите время из списка."
            status = exc.status if isinstance(exc, BookingError) else 422
            db.session.refresh(booking)
            slots = free_slots(booking.center, booking.service.code, day, ignore_booking_id=booking.id)
            return _status_page(
                form, None, True, booking=booking, error=message, move_day=day, move_slots=slots, status=status
            )
        return _status_page(form, None, True, f"Запись перенесена на {start:%d.%m.%Y %H:%M}.", booking=booking)
    try:
        slots = free_slots(booking.center, booking.service.code, day, ignore_booking_id=booking.id)
    except BookingError as exc:
        return _status_page(form, None, True, booking=booking, error=str(exc), status=exc.status)
    return _status_page(form, None, True, booking=booking, move_day=day, move_slots=slots)


@bp.route("/reviews/status/withdraw", methods=["POST"])
@public
@limiter.limit(status_limit)
def withdraw():
    """Withdraw the personal-data consent: the contact row is erased."""
    form = StatusForm()
    if not form.validate_on_submit():
        return _status_page(form, None, False, status=400)
    entry = lookup(form.number.data or "", form.code.data or "")
    if entry is None:
        return _status_page(form, None, True)
    erased = withdraw_consent(entry)
    message = (
        "Согласие отозвано. Ваши контактные данные удалены."
        if erased
        else "Контактных данных по этой записи не хранится."
    )
    return _status_page(form, entry, True, message)


@bp.route("/book/<center_code>")
@public
def book(center_code: str):
    """The centre's public book: published entries with official answers, newest first."""
    center = _center_or_404(center_code)
    page = query_page(BOOK_PAGE_SIZE)
    pagination = db.paginate(published_query(center.id), page=page, per_page=BOOK_PAGE_SIZE, error_out=False)
    return render_template(
        "reviews/book.html",
        center=center,
        pagination=pagination,
        appeals=appeals_by_id(pagination.items),
        counts=published_counts(center.id),
        types=ENTRY_TYPES,
    )


@bp.route("/reviews/moderation")
@roles_required("operator")
def moderation():
    state = request.args.get("state", "pending")
    if state not in MODERATION and state != "all":
        state = "pending"
    page = query_page(30)
    pagination = db.paginate(
        moderation_query(visible_center_ids(current_user), state), page=page, per_page=30, error_out=False
    )
    return render_template(
        "reviews/moderation.html",
        pagination=pagination,
        state=state,
        form=ModerationForm(),
        appeals=appeals_by_id(pagination.items),
        types=ENTRY_TYPES,
        labels=MODERATION,
    )


@bp.route("/reviews/moderation/<int:entry_id>", methods=["POST"])
@roles_required("operator")
def moderate_entry(entry_id: int):
    entry = db.session.get(ReviewEntry, entry_id)
    if entry is None or not can_see_center(current_user, entry.center_id):
        abort(404)
    form = ModerationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        moderate(entry, request.form.get("action", ""), current_user)
    except ReviewError as exc:
        flash(str(exc), "error")
    else:
        flash(
            f"Запись {entry.registration_number}: "
            + ("опубликована." if entry.moderation == "published" else "не публикуется."),
            "success",
        )
    return redirect(url_for("reviews.moderation", state=request.args.get("state", "pending")))


@bp.route("/reviews/check")
@roles_required("operator", "manager")
def check_list():
    """Entries held «на проверке» in the user's centres, grouped by centre, with why they were held."""
    visible = visible_center_ids(current_user)
    groups: dict[int, dict] = {}
    for entry in check.pending(visible):
        group = groups.setdefault(entry.center_id, {"center": entry.center, "items": [], "reasons": {}})
        group["items"].append(entry)
        if (entry.check_reasons or {}).get("arrived", 0) >= group["reasons"].get("arrived", 0):
            group["reasons"] = entry.check_reasons or {}
    for group in groups.values():
        bodies = [e.body_hash for e in group["items"]]
        group["identical"] = max((bodies.count(b) for b in set(bodies)), default=0)
        addresses = [e.check_address_hash for e in group["items"] if e.check_address_hash]
        group["one_address"] = max((addresses.count(a) for a in set(addresses)), default=0)
    return render_template(
        "reviews/check.html",
        groups=list(groups.values()),
        types=ENTRY_TYPES,
        decided=check.recently_decided(visible),
        labels=CHECK_STATES,
    )


@bp.route("/reviews/check/decide", methods=["POST"])
@roles_required("operator", "manager")
def check_decide():
    """Accept (register the appeals, received when the entries were) or reject as spam the chosen entries."""
    form = ModerationForm()
    if not form.validate_on_submit():
        abort(400)
    decision = request.form.get("decision")
    visible = visible_center_ids(current_user)
    ids = [i for i in (form_id(v.strip()) for v in request.form.getlist("ids")) if i is not None]
    allowed = [i for i in ids if (e := db.session.get(ReviewEntry, i)) is not None and e.center_id in visible]
    if decision not in ("accept", "reject") or not allowed:
        flash("Не выбраны записи или решение", "error")
        return redirect(url_for("reviews.check_list"))
    if decision == "accept":
        flash(f"Зарегистрировано обращений: {check.accept(allowed, current_user)}", "success")
    else:
        flash(f"Отклонено как спам: {check.reject(allowed, current_user)}", "success")
    return redirect(url_for("reviews.check_list"))


@bp.after_app_request
def send_answers_after_appeal_change(response):
    """After an operator's successful POST in the appeals registry, send waiting answers (if SMTP is set)."""
    endpoint = request.endpoint or ""
    if (
        request.method == "POST"
        and endpoint.startswith("appeals.")
        and response.status_code < 400
        and current_app.config.get("MAIL_HOST")
    ):
        try:
            send_pending_answers(limit=20)
        except Exception:  # never break the operator's page because of mail
            log.exception("sending answers after %s failed", endpoint)
    return response
