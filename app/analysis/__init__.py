"""Satisfaction analysis: SQL aggregation, statistics, recommendations, corrective actions, report pages."""

from flask import Blueprint

bp = Blueprint("analysis", __name__, url_prefix="/analysis")

from app.analysis import routes  # noqa: E402,F401
