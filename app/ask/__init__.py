"""«Задать вопрос специалисту»: a public form whose question becomes an application of subtype «вопрос»."""

from flask import Blueprint

bp = Blueprint("ask", __name__)

from app.ask import routes  # noqa: E402,F401
