"""Organisation tree: МРСК → РСК → ЦОК, admin pages and import."""

from flask import Blueprint

bp = Blueprint("org", __name__, url_prefix="/admin/org")

from app.org import routes  # noqa: E402,F401
