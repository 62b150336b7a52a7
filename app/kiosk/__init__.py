"""Hall kiosks: device-token pages for the survey and the review book, offline queue, heartbeat, admin."""

from flask import Blueprint

bp = Blueprint("kiosk", __name__)

from app.kiosk import admin, routes  # noqa: E402,F401
