"""Service requests («Подать заявку»): connection, meter acceptance and meter check forms, each an appeal."""

from flask import Blueprint

bp = Blueprint("requests", __name__)

from app.requests import routes  # noqa: E402,F401
