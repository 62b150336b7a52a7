"""Staff pages of booking: the operators' day list with arrived / no-show marks, closing a day or a window."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth.decorators import roles_required
from app.booking import bp
from app.booking.forms import CloseForm, MarkForm
from app.booking.hours import local_now
from app.booking.models import BOOKING_STATES, Booking, CentreWindow
from app.booking.operations import OUTCOMES, ClosureResult, centre_today, close, day_list, mark, upcoming_closures
from app.errors import DomainError
from app.extensions import db
from app.models import Organisation, utcnow
from app.org.services import can_see_center, centers_under
from app.parsing import form_id


def _my_centres() -> list[Organisation]:
    return [c for c in centers_under(current_user.scope) if c.active]


def _chosen_centre(centres: list[Organisation], code: str | None) -> Organisation:
    if not centres:
        abort(404)
    return next((c for c in centres if c.code == code), centres[0])


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return default


@bp.route("/booking/day")
@roles_required("operator", "manager")
def day():
    """The operators' list of one centre's day: bookings per window, with names and phones for staff."""
    centres = _my_centres()
    centre = _chosen_centre(centres, request.args.get("center"))
    today = centre_today(centre)
    shown = _day(request.args.get("date"), today)
    return render_template(
        "booking/day.html",
        centres=centres,
        centre=centre,
        day=shown,
        today=today,
        now=local_now(centre.timezone, utcnow()),
        windows=day_list(centre, shown),
        states=BOOKING_STATES,
        outcomes=OUTCOMES,
        form=MarkForm(),
    )


@bp.route("/booking/<int:booking_id>/mark", methods=["POST"])
@roles_required("operator", "manager")
def mark_booking(booking_id: int):
    """«Пришел» / «Не пришел» for a booking of today, in the user's centres."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not can_see_center(current_user, booking.center_id):
        abort(404)
    if not MarkForm().validate_on_submit():
        abort(400)
    outcome = request.form.get("outcome", "")
    try:
        mark(booking, outcome, current_user)
    except DomainError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Запись {booking.registration_number}: {OUTCOMES[outcome].lower()}.", "success")
    return redirect(
        url_for("booking.day", center=booking.center.code, date=booking.start_at.date().isoformat())
        + f"#booking-{booking.id}"
    )


@bp.route("/booking/close", methods=["GET", "POST"])
@roles_required("manager")
def close_day():
    """Close a day or one window for booking: its bookings are cancelled and listed for calls."""
    centres = _my_centres()
    form = CloseForm()
    code = request.values.get("center")
    if request.method == "POST" and code not in {c.code for c in centres}:
        abort(404)  # never fall back to another centre when closing
    centre = _chosen_centre(centres, code)
    result: ClosureResult | None = None
    error = ""
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            error, status = "Проверьте заполнение формы и отправьте ее еще раз.", 400
        else:
            try:
                day_value = date.fromisoformat(form.day.data or "")
            except ValueError:
                day_value = None
            window_text = (form.window.data or "").strip()
            window_number = form_id(window_text) if window_text else None
            if day_value is None:
                error, status = "Выберите день.", 422
            elif window_text and window_number is None:
                error, status = "Выберите окно из списка.", 422
            else:
                try:
                    result = close(centre, day_value, window_number, form.reason.data or "", current_user)
                except DomainError as exc:
                    error, status = str(exc), exc.status
    windows = db.session.scalars(
        select(CentreWindow).where(CentreWindow.center_id == centre.id).order_by(CentreWindow.number)
    ).all()
    today = centre_today(centre)
    return render_template(
        "booking/close.html",
        centres=centres,
        centre=centre,
        windows=windows,
        form=form,
        today=today,
        result=result,
        error=error,
        closures=upcoming_closures({c.id for c in centres}, today),
    ), status
