"""Strict rendering of report templates: a field the report lacks is an error, not a blank.

Report templates (the PDFs and the analysis page's report block) render in an overlay of the app's Jinja
environment with ``StrictUndefined``: filters, globals and loaders stay the app's, but reading a missing
attribute raises. A renderer that drifts from the report's shape then fails the tests instead of
silently printing nothing (a never-drawn p-chart once went unnoticed for that reason).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

if TYPE_CHECKING:
    from app.analysis.report_model import SatisfactionReport

_KEY = "otklik_strict_jinja"


def strict_env() -> Environment:
    """The app's Jinja environment with ``StrictUndefined`` (one overlay per app, cached)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    env = app.extensions.get(_KEY)
    if env is None or env.linked_to is not app.jinja_env:
        env = app.jinja_env.overlay(undefined=StrictUndefined)
        app.extensions[_KEY] = env
    return env


def render_strict(template: str, **context: Any) -> str:
    """Render a template like ``flask.render_template`` (context processors included), strictly."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    app.update_template_context(context)
    return strict_env().get_template(template).render(context)


def analysis_report_html(report: SatisfactionReport, query_args: dict[str, str]) -> Markup:
    """The analysis page's report block (``analysis/_report.html``), rendered strictly, with Russian labels
    for every code the report holds (questions, centres, rules, tests, reliability blocks)."""
    from app.reports.context import page_labels

    html = render_strict("analysis/_report.html", report=report, query_args=query_args, labels=page_labels(report))
    return Markup(html)  # noqa: S704 - the output of an autoescaping template, not raw input
