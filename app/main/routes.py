"""Landing page with the centre chooser, the public centre pages, staff dashboard and the audit log."""

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth.decorators import public, roles_required, staff_required
from app.extensions import db
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
    branches = centres_by_branch()
    return render_template("main/centers.html", branches=branches, not_found=bool(chosen))


@bp.route("/centers/<code>")
@public
def center(code: str):
    """A centre's ways in for a customer: its web survey, its review book, its public book, the status lookup."""
    from app.org.directory import public_centre
    from app.surveys.offers import online_offers

    centre = public_centre(code)
    if centre is None:
        abort(404)
    return render_template("main/center.html", center=centre, offers=online_offers(centre.id))


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
