"""Respondent pages: /s/<short_code>, one page at a time, fully usable without JavaScript.

Answers of earlier pages travel in a signed hidden token; conditions are evaluated on the server
between pages (and live in the browser by static/js/survey.js). The final POST goes through the same
idempotent ``submit_response`` as the API, so retrying it shows the same thank-you page.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, get_template_attribute, render_template, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import MultiDict

from app.auth.decorators import public
from app.extensions import limiter
from app.sessions import has_login_session
from app.surveys import bp, services
from app.surveys.schema import CONTACT_FIELDS, OTHER_CODE, OTHER_SUFFIX, SurveyDefinition, evaluate_condition
from app.surveys.schema import validate_submission as check_answers

STATE_SALT = "survey-respond-state"


def _serializer() -> URLSafeSerializer:
    """The state signer, made once per app and secret key (it is stateless and thread-safe)."""
    secret = current_app.config["SECRET_KEY"]
    cached = current_app.extensions.get("otklik.surveys.state_serializer")
    if cached is None or cached[0] != secret:
        cached = current_app.extensions["otklik.surveys.state_serializer"] = (
            secret,
            URLSafeSerializer(secret, salt=STATE_SALT),
        )
    return cached[1]


def current_lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and str(locale).startswith("en") else "ru"


# --------------------------------------------------------------------------- form <-> answer JSON


def answers_from_form(defn: SurveyDefinition, form: MultiDict, page_codes: set[str] | None = None) -> dict[str, Any]:
    """Answer JSON from HTML form fields; questions absent from the form are left out.

    Field names: the question code (multi-choice repeated), matrix row codes, ``<code>__other``,
    ``contact_name``/``contact_phone``/``contact_email``/``contact_consent``.
    """
    # Look up only the fields that were sent: a MultiDict miss builds an exception each time.
    first = {key: form.get(key) for key in form}
    answers: dict[str, Any] = {}
    for q in defn.questions():
        q.form_answer(first, form.getlist, answers)
    return answers


def page_answer_keys(defn: SurveyDefinition, page_index: int) -> frozenset[str]:
    """The answer JSON keys a page's form fields set (computed once per definition)."""
    return defn.page_answer_keys[page_index]


def page_items(defn: SurveyDefinition, page_index: int, answers: dict[str, Any]) -> list[tuple[Any, str]]:
    """(question, mode) of a page: "show"; "live" when its condition refers to this page (JS decides,
    shown without JS); questions hidden by answers of earlier pages are left out."""
    if not 0 <= page_index < len(defn.pages):
        return []
    here = page_answer_keys(defn, page_index)
    known = {k: v for k, v in answers.items() if k not in here}
    items: list[tuple[Any, str]] = []
    for q in defn.pages[page_index].questions:
        if q.show_if is None:
            items.append((q, "show"))
        elif any(c.question in here for c in q.show_if.clauses):
            items.append((q, "live"))
        elif evaluate_condition(q.show_if, known):
            items.append((q, "show"))
    return items


def page_has_visible(defn: SurveyDefinition, page_index: int, clean: dict[str, Any]) -> bool:
    return any(evaluate_condition(q.show_if, clean) for q in defn.pages[page_index].questions)


def shuffled_options(q: Any, seed: str) -> list[Any]:
    options = list(q.all_options)
    if getattr(q, "shuffle", False):
        fixed = [o for o in options if o.code == "other"]
        movable = [o for o in options if o.code != "other"]
        random.Random(f"{seed}:{q.code}").shuffle(movable)
        options = movable + fixed
    return options


@bp.app_template_global("survey_page_items")
def _tpl_page_items(defn: SurveyDefinition, page_index: int, answers: dict[str, Any]) -> list[tuple[Any, str]]:
    return page_items(defn, page_index, answers or {})


@bp.app_template_global("survey_options")
def _tpl_options(q: Any, seed: str = "") -> list[Any]:
    return shuffled_options(q, seed)


@bp.app_template_global("survey_text")
def _tpl_text(obj: Any, lang: str = "ru") -> str:
    return SurveyDefinition.text(obj, lang)


@bp.app_template_global("survey_consent_text")
def _tpl_consent() -> str:
    return services.consent_text()


@bp.app_template_global("survey_condition_json")
def _tpl_condition(q: Any) -> dict[str, Any] | None:
    return q.show_if.model_dump(exclude_none=True) if q.show_if is not None else None


# --------------------------------------------------------------------------- views


def _unavailable(code: int, message: str):
    return render_template("surveys/respond_unavailable.html", code=code, message=message), code


def _load(short_code: str):
    """(assignment, published version, definition, refusal) from the per-app cache (SURVEY_CACHE_SECONDS)."""
    assignment = services.assignment_info(short_code)
    if assignment is None:
        return None, None, None, _unavailable(404, "Такого опроса нет. Проверьте ссылку или QR-код.")
    if assignment.channel == "kiosk":  # kiosk answers come from a registered kiosk with its device token only
        return None, None, None, _unavailable(404, "Этот опрос проводится на киоске в центре обслуживания.")
    if not assignment.active:
        return (
            None,
            None,
            None,
            _unavailable(410, "Опрос по этой ссылке больше не проводится. Спасибо за желание помочь нам!"),
        )
    published = services.published_info(assignment.slug)
    if published is None:
        return None, None, None, _unavailable(410, "Этот опрос завершен. Спасибо за желание помочь нам!")
    return assignment, published, published.definition, None


def _navigation(defn: SurveyDefinition, page: int, answers: dict[str, Any]) -> tuple[int, int, bool]:
    """(step, total steps, is the last page) of a page given the answers so far."""
    clean = check_answers(defn, answers)[0]
    visible_pages = [i for i in range(len(defn.pages)) if page_has_visible(defn, i, clean)]
    step = visible_pages.index(page) + 1 if page in visible_pages else page + 1
    following = next((i for i in range(page + 1, len(defn.pages)) if page_has_visible(defn, i, clean)), None)
    return step, max(len(visible_pages), step), following is None


def _fresh_parts(published: services.PublishedInfo, page: int, lang: str) -> tuple[Any, tuple[int, int, bool]]:
    """The questions HTML (None when options are shuffled per respondent) and the navigation of a page
    without answers: they depend only on the published version and the language, so once per worker."""
    key = ("fresh", page, lang)
    cached = published.fragments.get(key)
    if cached is None:
        defn = published.definition
        shuffled = any(getattr(q, "shuffle", False) for q in defn.pages[page].questions)
        html = (
            None
            if shuffled
            else get_template_attribute("surveys/_questions.html", "render_page")(defn, page, {}, {}, lang, seed="")
        )
        cached = published.fragments[key] = (html, _navigation(defn, page, {}))
    return cached


# Whole anonymous pages are cached with these placeholders for their per-request values (CSRF token,
# submission id, state, response number). The values are URL-safe tokens, which escaping leaves as they
# are, so filling them in gives exactly what rendering them would.
_HOLE = "otklikhole{}8q3z"
_SAFE_VALUE = re.compile(r"[A-Za-z0-9._-]*\Z")


def _page_from_cache(
    published: services.PublishedInfo, key: tuple, render: Callable[..., str], values: dict[str, str]
) -> str | None:
    """The page for ``key`` with ``values`` filled in, rendered once per worker and cache period; None for a
    signed-in staff member or a waiting flash message (the page has per-user parts then)."""
    if has_login_session() or "_flashes" in session:
        return None
    if not all(_SAFE_VALUE.match(value) for value in values.values()):
        return None
    html = published.fragments.get(key)
    if html is None:
        html = published.fragments[key] = render(**{name: _HOLE.format(name) for name in values})
    for name, value in values.items():
        html = html.replace(_HOLE.format(name), value)
    return html


def _render(
    assignment,
    published: services.PublishedInfo,
    *,
    page: int,
    answers: dict[str, Any],
    errors: dict[str, str],
    sid: str,
    started: int,
    status: int = 200,
):
    defn = published.definition
    lang = current_lang()
    state = _serializer().dumps({"a": answers, "t": started})
    if not answers and not errors:
        questions_html, (step, total, is_last) = _fresh_parts(published, page, lang)
        if questions_html is not None:

            def render(csrf: str, sid: str, state: str) -> str:
                return render_template(
                    "surveys/respond.html",
                    defn=defn,
                    assignment=assignment,
                    page_index=page,
                    answers={},
                    errors={},
                    lang=lang,
                    sid=sid,
                    state=state,
                    known={},
                    step=step,
                    total=total,
                    is_last=is_last,
                    questions_html=questions_html,
                    csrf_token=lambda: csrf,
                )

            html = _page_from_cache(
                published,
                ("page", assignment, page, lang),
                render,
                {"csrf": generate_csrf(), "sid": sid, "state": state},
            )
            if html is not None:
                return html, status
    else:
        questions_html = None
        step, total, is_last = _navigation(defn, page, answers)
    known = {k: v for k, v in answers.items() if k not in page_answer_keys(defn, page) and k != "contact"}
    return render_template(
        "surveys/respond.html",
        defn=defn,
        assignment=assignment,
        page_index=page,
        answers=answers,
        errors=errors,
        lang=lang,
        sid=sid,
        state=state,
        known=known,
        step=step,
        total=total,
        is_last=is_last,
        questions_html=questions_html,
    ), status


def _thanks(published: services.PublishedInfo, assignment):
    """The thank-you page: the same for every response of an assignment, so rendered once per worker."""
    lang = current_lang()

    def render() -> str:
        return render_template(
            "surveys/respond_thanks.html", defn=published.definition, lang=lang, assignment=assignment
        )

    html = _page_from_cache(published, ("thanks", assignment, lang), render, {})
    return (html if html is not None else render()), 200


def _next_page(
    defn: SurveyDefinition, page: int, answers: dict[str, Any], clean: dict[str, Any] | None = None
) -> int | None:
    clean = check_answers(defn, answers)[0] if clean is None else clean
    for index in range(page + 1, len(defn.pages)):
        if page_has_visible(defn, index, clean):
            return index
    return None


def _previous_page(defn: SurveyDefinition, page: int, answers: dict[str, Any]) -> int:
    clean = check_answers(defn, answers)[0]
    for index in range(page - 1, -1, -1):
        if page_has_visible(defn, index, clean):
            return index
    return 0


def other_text_missing(defn: SurveyDefinition, clean: dict[str, Any]) -> dict[str, str]:
    """Errors for a chosen «Другое» without its text: on the respondent pages an empty «Другое» tells the
    centre nothing, so the customer is asked for it. The API and imports keep accepting it (kiosk queues
    and old files must not be refused), which is why the rule lives here and not in the schema."""
    errors: dict[str, str] = {}
    for q in defn.questions():
        if not getattr(q, "other", False) or q.code not in clean:
            continue
        chosen = clean[q.code] if isinstance(clean[q.code], list) else [clean[q.code]]
        if OTHER_CODE in chosen and not clean.get(q.code + OTHER_SUFFIX):
            errors[q.code + OTHER_SUFFIX] = _("Вы выбрали «Другое»: напишите, что именно")
    return errors


def _page_errors(defn: SurveyDefinition, page: int, errors: dict[str, str]) -> dict[str, str]:
    keys = page_answer_keys(defn, page)
    return {k: v for k, v in errors.items() if k in keys or k.split(".")[0] in keys}


def _submit_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC_SUBMIT"]


@bp.get("/s/<short_code>")
@public
def respond(short_code: str):
    """The first page of the survey of one (survey, centre, channel) assignment (HEAD too).

    A view of its own, without the rate limiter: only posts are limited, and asking the limiter
    to find that out cost several per cent of the page's time.
    """
    assignment, published, _defn, refusal = _load(short_code)
    if refusal is not None:
        return refusal
    return _render(
        assignment, published, page=0, answers={}, errors={}, sid=services.new_submission_id(), started=int(time.time())
    )


@bp.post("/s/<short_code>")
@public
@limiter.limit(_submit_limit)
def respond_post(short_code: str):
    """A page of answers: the next page, the same page with its errors, or the thank-you page."""
    assignment, published, defn, refusal = _load(short_code)
    if refusal is not None:
        return refusal
    form = request.form
    try:
        state = _serializer().loads(form.get("_state", ""))
    except BadSignature:
        state = {}
    answers: dict[str, Any] = state.get("a") if isinstance(state.get("a"), dict) else {}
    started = state.get("t") if isinstance(state.get("t"), int) else int(time.time())
    sid = form.get("client_submission_id", "") or services.new_submission_id()
    try:
        page = max(0, min(int(form.get("_page", "0")), len(defn.pages) - 1))
    except ValueError:
        page = 0
    # Merge: this page's answers are replaced by the form (unchecked boxes clear them); answers to
    # other questions present in the form (a one-shot post) are taken as well.
    for key in page_answer_keys(defn, page):
        answers.pop(key, None)
    answers.update(answers_from_form(defn, form))
    action = form.get("_action", "next")
    if action == "consent_yes":
        answers["contact"] = {**dict.fromkeys(CONTACT_FIELDS, ""), "consent": True}
        return _render(assignment, published, page=page, answers=answers, errors={}, sid=sid, started=started)
    if action == "consent_no":
        answers["contact"] = {**dict.fromkeys(CONTACT_FIELDS, ""), "consent": False}
        return _render(assignment, published, page=page, answers=answers, errors={}, sid=sid, started=started)
    if action == "back":
        return _render(
            assignment,
            published,
            page=_previous_page(defn, page, answers),
            answers=answers,
            errors={},
            sid=sid,
            started=started,
        )
    clean, errors = check_answers(defn, answers)
    missing_other = other_text_missing(defn, clean)
    page_errors = _page_errors(defn, page, {**missing_other, **errors})
    if page_errors:
        return _render(
            assignment, published, page=page, answers=answers, errors=page_errors, sid=sid, started=started, status=422
        )
    following = _next_page(defn, page, answers, clean) if action != "submit" else None
    if following is not None:
        return _render(assignment, published, page=following, answers=answers, errors={}, sid=sid, started=started)
    if missing_other:  # a one-shot post: «Другое» without its text on another page
        first = min(defn.page_of(key.removesuffix(OTHER_SUFFIX)) or 0 for key in missing_other)
        return _render(
            assignment,
            published,
            page=first,
            answers=answers,
            errors=_page_errors(defn, first, missing_other),
            sid=sid,
            started=started,
            status=422,
        )
    try:
        services.submit_response(
            slug=assignment.slug,
            center=assignment.center_id,
            channel=assignment.channel,
            answers=answers,
            client_submission_id=sid,
            duration_seconds=int(time.time()) - started,
            may_hold=True,
            client_address=request.remote_addr,
            checked=None if errors else (defn, clean),
        )
    except services.InvalidSubmission as exc:
        first = min((defn.page_of(k.split(".")[0]) or 0 for k in exc.errors), default=0)
        return _render(
            assignment,
            published,
            page=first,
            answers=answers,
            errors=_page_errors(defn, first, exc.errors) or exc.errors,
            sid=sid,
            started=started,
            status=422,
        )
    except services.SubmissionConflict:
        return _unavailable(409, "Эти ответы уже были отправлены. Откройте опрос заново, чтобы ответить еще раз.")
    except services.SurveyClosed:
        return _unavailable(410, "Этот опрос завершен. Спасибо за желание помочь нам!")
    except services.SurveyNotFound:
        return _unavailable(404, "Такого опроса нет. Проверьте ссылку или QR-код.")
    return _thanks(published, assignment)
