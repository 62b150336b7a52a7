"""The staff page «Нагрузка»: a centre's expected visitors by weekday and hour, window utilisation, no-shows.

A blueprint of its own (``flow``, registered from ``BLUEPRINT_PACKAGES`` as ``booking.flow_views``) so that the
booking package's public pages and this manager page stay apart. Managers and operators see the centres of
their scope; another centre is a 404.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from app.appeals.periods import resolve_period
from app.auth.decorators import roles_required
from app.booking.flow import HISTORY_WEEKS, HISTORY_WEEKS_CHOICES, centre_load, centre_section, heatmap
from app.booking.hours import WEEKDAYS
from app.models import Organisation
from app.org.services import can_see_center, centers_under, find_center
from app.periods import period_picker, quarter_of

bp = Blueprint("flow", __name__, url_prefix="/flow")

FLOW_ROLES = ("manager", "operator")
PERIOD_ARGS = ("period", "date_from", "date_to", "weeks")


def _centre(code: str) -> Organisation:
    centre = find_center(code)
    if centre is None or centre.code != code.upper() or not can_see_center(current_user, centre.id):
        abort(404)
    return centre


@bp.route("/")
@roles_required(*FLOW_ROLES)
def index():
    """The centres of the user's scope, each linking to its page."""
    return render_template("flow/index.html", centres=centers_under(current_user.scope))


@bp.route("/<code>")
@roles_required(*FLOW_ROLES)
def centre(code: str):
    """One centre: the coming week's expected load (bookings + usual walk-ins) and the period's bookings."""
    target = _centre(code)
    today = date.today()
    year, quarter = quarter_of(today)
    current_quarter = f"{year}Q{quarter}"  # bookings are recent: the quarter so far, not the last complete one
    args = {k: v for k, v in request.args.items() if k in PERIOD_ARGS}
    period_args = dict(args)
    if not any(period_args.get(k) for k in ("period", "date_from", "date_to")):
        period_args["period"] = current_quarter
    try:
        period = resolve_period(period_args, today)
    except ValueError as exc:
        abort(Response(str(exc), status=400))
    weeks_text = request.args.get("weeks", str(HISTORY_WEEKS))
    weeks = int(weeks_text) if weeks_text.isdigit() and int(weeks_text) in HISTORY_WEEKS_CHOICES else HISTORY_WEEKS
    load = centre_load(target, weeks=weeks)
    return render_template(
        "flow/centre.html",
        center=target,
        load=load,
        grid=heatmap(load),
        weekdays=WEEKDAYS,
        section=centre_section(period["from"], period["to"], target),
        period=period,
        picker=period_picker(
            period.get("code") or None, args.get("date_from"), args.get("date_to"), today, current_quarter
        ),
        weeks=weeks,
        weeks_choices=HISTORY_WEEKS_CHOICES,
    )
