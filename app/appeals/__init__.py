"""Appeals monitoring: registry from every channel, deadlines, promises, root causes, import, report."""

from flask import Blueprint

bp = Blueprint("appeals", __name__, url_prefix="/appeals")

from app.appeals import admin, routes  # noqa: E402,F401
