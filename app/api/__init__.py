"""JSON API v1 with its OpenAPI document at /api/v1/openapi.json."""

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # JSON only; browsers cannot send it cross-site without CORS, which we never allow

from app.api import routes  # noqa: E402,F401
