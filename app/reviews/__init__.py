"""The digital review book (книга отзывов и предложений): public form, status, public book, moderation."""

from flask import Blueprint

bp = Blueprint("reviews", __name__)

from app.reviews import routes  # noqa: E402,F401
