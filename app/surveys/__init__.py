"""Questionnaires: definitions, versions, designer, respondent pages, distribution, responses."""

from flask import Blueprint

bp = Blueprint("surveys", __name__)

from app.surveys import designer, held, respond  # noqa: E402,F401
