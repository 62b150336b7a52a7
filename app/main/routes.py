"""Landing page with the centre chooser, the public centre pages, staff dashboard and the audit log."""

import uuid

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth.decorators import public, roles_required, staff_required
from app.extensions import db, limiter
from app.main import audit_view, bp
from app.models import AuditEvent
from app.parsing import query_page


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    from app.org.directory import centres_by_branch

    return render_template("main/landing.html", branches=centres_by_branch())


@bp.route("/centers")
@public
def centers():
    """Every open centre by branch; the chooser's form (``?center=CODE``) lands on the chosen centre's page."""
    from app.org.directory import centres_by_branch, public_centre

    chosen = request.args.get("center", "")
    if chosen:
        centre = public_centre(chosen)
        if centre is not None:
            return redirect(url_for("main.center", code=centre.code))
    from app.booking.services import centre_details

    branches = centres_by_branch()
    details = centre_details([c for branch in branches for c in branch.centres])
    return render_template("main/centers.html", branches=branches, details=details, not_found=bool(chosen))


@bp.route("/centers/<code>")
@public
def center(code: str):
    """A centre's ways in for a customer: its web survey, its review book, its public book, the status lookup."""
    from app.booking.services import centre_details
    from app.org.directory import public_centre
    from app.surveys.offers import online_offers

    centre = public_centre(code)
    if centre is None:
        abort(404)
    return render_template(
        "main/center.html",
        center=centre,
        offers=online_offers(centre.id),
        details=centre_details([centre])[centre.id],
    )


def _booking_limit() -> str:
    from flask import current_app

    return current_app.config["RATELIMIT_PUBLIC_SUBMIT"]


@bp.route("/centers/<code>/book", methods=["GET", "POST"])
@public
@limiter.limit(_booking_limit, methods=["POST"])
def book(code: str):
    """Book an appointment: a service and a day (GET), a free time with name, phone and consent (POST), then
    the receipt with the registration number and check code."""
    from datetime import date, datetime

    from app.booking.forms import BookingForm
    from app.booking.services import BookingError, BookingRequest, centre_services, free_slots
    from app.booking.services import book as book_slot
    from app.org.directory import public_centre

    centre = public_centre(code)
    if centre is None:
        abort(404)
    form = BookingForm()
    services = centre_services(centre.id)
    chosen = request.values.get("service") or (services[0].code if services else "")
    try:
        day = date.fromisoformat(request.values.get("date") or request.values.get("start", "")[:10])
    except ValueError:
        day = None
    error = ""
    if request.method == "POST" and form.validate_on_submit():
        try:
            if not form.consent.data:
                raise BookingError("Без согласия на обработку персональных данных записаться нельзя.")
            start = datetime.strptime(form.start.data or "", "%Y-%m-%dT%H:%M")
            receipt = book_slot(
                centre,
                BookingRequest(
                    service=chosen,
                    start=start,
                    name=(form.name.data or "").strip(),
                    phone=(form.phone.data or "").strip(),
                    client_request_id=form.client_request_id.data or str(uuid.uuid4()),
                ),
            )
        except (BookingError, ValueError) as exc:
            error = str(exc) if isinstance(exc, BookingError) else "Выберите время из списка."
        else:
            return render_template("main/booked.html", center=centre, receipt=receipt)
    slots = []
    if day is not None and chosen:
        try:
            slots = free_slots(centre, chosen, day)
        except BookingError as exc:
            error = str(exc)
    form.client_request_id.data = form.client_request_id.data or str(uuid.uuid4())
    return render_template(
        "main/book.html",
        center=centre,
        form=form,
        services=services,
        chosen=chosen,
        day=day,
        slots=slots,
        error=error,
    ), 422 if error else 200


@bp.route("/bench/hello")
def hello():
    """The load benchmark's ceiling: a bare view in the same server configuration (off unless enabled)."""
    from flask import abort, current_app

    if not current_app.config.get("BENCH_HELLO"):
        abort(404)
    return "hello"


@bp.route("/favicon.ico")
def favicon():
    from flask import current_app, send_from_directory

    assert current_app.static_folder is not None  # the app is created with its static folder
    return send_from_directory(current_app.static_folder, "img/favicon.svg", mimetype="image/svg+xml", max_age=86400)


@bp.route("/healthz")
def healthz():
    db.session.execute(select(1))
    return {"status": "ok"}


@bp.route("/dashboard")
@staff_required
def dashboard():
    return render_template("main/dashboard.html")


@bp.route("/admin/audit")
@roles_required("admin")
def audit():
    page = max(1, query_page(50))
    events = db.paginate(
        select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()), page=page, per_page=50, error_out=False
    )
    return render_template(
        "main/audit.html",
        events=events,
        action_label=audit_view.action_label,
        object_label=audit_view.object_label,
        readable_summary=audit_view.readable_summary,
    )
