"""Appointment booking at a centre: services, windows, working hours and the booked time units."""

from flask import Blueprint

bp = Blueprint("booking", __name__)

from app.booking import routes  # noqa: E402,F401
