"""«Задать вопрос специалисту»: the form, its «Проверить ответы» step and the suggestions endpoint."""

from __future__ import annotations

import logging
import uuid

from flask import current_app, render_template, request

from app.ask import bp
from app.ask.consent import CONSENT_VERSION, consent_text
from app.ask.forms import AskForm
from app.ask.services import QuestionInput, Suggestion, submit_question, suggestions
from app.auth.decorators import public
from app.extensions import limiter
from app.org.directory import centres_by_branch
from app.reviews.services import TEXT_MAX, ReviewError, active_topics, find_center

log = logging.getLogger("otklik.ask")
SUGGEST_LIMIT = "60 per minute"  # typing with a debounce asks a few times a minute


def submit_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC_SUBMIT"]


def _question(form: AskForm) -> QuestionInput:
    return QuestionInput(
        center_code=form.center.data or "",
        topic_code=form.topic.data or "",
        text=form.text.data or "",
        name=form.name.data or "",
        email=form.email.data or "",
        phone=form.phone.data or "",
        consent=bool(form.consent.data),
        client_submission_id=(form.client_submission_id.data or "").strip(),
        client_address=request.remote_addr,
    )


def _render(
    form: AskForm,
    errors: dict[str, str] | None = None,
    status: int = 200,
    hits: list[Suggestion] | None = None,
    checked: bool = False,
):
    return render_template(
        "ask/form.html",
        form=form,
        branches=centres_by_branch(),
        topics=active_topics(),
        errors=errors or {},
        hits=hits or [],
        checked=checked,
        text_max=TEXT_MAX,
        consent_paragraphs=consent_text(),
        consent_version=CONSENT_VERSION,
    ), status


@bp.route("/ask", methods=["GET", "POST"])
@public
@limiter.limit(submit_limit, methods=["POST"])
def form():
    """The question form; «Проверить ответы» shows the best matching articles first, «Отправить» sends it."""
    form = AskForm()
    if request.method == "GET":
        form.center.data = (request.args.get("center") or "").strip().upper()
        form.client_submission_id.data = str(uuid.uuid4())
        return _render(form)
    if not form.validate_on_submit():
        return _render(form, {"form": "Проверьте заполнение формы и отправьте ее еще раз."}, 400)
    if form.website.data:
        log.warning("ask honeypot filled")
        return _render(form, {"form": "Вопрос не принят. Обновите страницу и попробуйте еще раз."}, 400)
    hits = suggestions(form.text.data or "")
    if request.form.get("action") == "check":
        return _render(form, hits=hits, checked=True)
    try:
        receipt = submit_question(_question(form))
    except ReviewError as exc:  # 422 refused input, 409 a repeat of the same question
        return _render(form, exc.errors or {"form": str(exc)}, exc.status, hits)
    return render_template("ask/done.html", receipt=receipt, center=find_center(form.center.data or ""))


@bp.route("/ask/suggest")
@public
@limiter.limit(SUGGEST_LIMIT)
def suggest():
    """The three articles that best match ``q`` as the form's HTML fragment (the same template the
    «Проверить ответы» step renders), for the form's script; the text typed is not stored or logged."""
    hits = suggestions(request.args.get("q") or "")
    return render_template("ask/_suggestions.html", hits=hits, checked=False)
