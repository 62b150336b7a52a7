"""Kiosk device pages and JSON endpoints (no staff login). The device token travels only in the
``X-Kiosk-Token`` header, never in a URL: URLs end up in access logs.

A device is enrolled once through a one-time link (``/kiosk/enrol/<code>``); its script exchanges the code
for the token and keeps it in ``localStorage``. The pages (``/kiosk/``, ``/kiosk/survey``,
``/kiosk/review``) are shells alike for every kiosk; the shell fetches its kiosk's screen
(``/kiosk/screen/<name>``) with the header, which the service worker caches for offline use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import segno
from flask import current_app, render_template, request, url_for
from markupsafe import Markup

from app.auth.decorators import public
from app.extensions import csrf, limiter
from app.kiosk import bp
from app.kiosk.models import Kiosk
from app.kiosk.services import (
    DEVICE_HEADER,
    EnrolmentRefused,
    enrol,
    enrolment_kiosk,
    hash_token,
    heartbeat,
    kiosk_by_token,
    kiosk_ref_by_token,
    kiosk_survey,
)
from app.reviews.consent import CONSENT_VERSION, consent_text
from app.reviews.models import ENTRY_TYPES
from app.reviews.promise import answer_promise
from app.reviews.services import (
    CHECK_RECEIPT_TEXT,
    TEXT_MAX,
    ContactInput,
    EntryInput,
    KioskNotRegistered,
    ReviewError,
    active_topics,
    submit_entry,
    valid_submission_id,
)
from app.surveys import services as surveys
from app.urls import public_url

SW_FILE = Path(__file__).resolve().parent.parent / "static" / "js" / "kiosk-sw.js"
NOT_REGISTERED = "Киоск не зарегистрирован"
SCREENS = ("home", "survey", "review")


def kiosk_limit() -> str:
    return current_app.config["KIOSK_RATELIMIT"]


def kiosk_ip_limit() -> str:
    return current_app.config["KIOSK_IP_RATELIMIT"]


def device_token() -> str:
    return request.headers.get(DEVICE_HEADER, "")


def token_key() -> str:
    return "kiosk-token:" + hash_token(device_token())[:24]


def _json_not_registered():
    return {"error": NOT_REGISTERED}, 404


def _survey_for(kiosk: Kiosk):
    """(slug, definition) of the survey this kiosk shows (see ``kiosk_survey``), or (None, None)."""
    survey = kiosk_survey(kiosk)
    version = surveys.published_version_for(survey.id) if survey is not None else None
    if survey is None or version is None:
        return None, None
    return survey.slug, surveys.definition_of(version)


def status_qr_svg(url: str) -> Markup:
    """The status page's address as an inline SVG QR code for the receipt (cached with the screen offline)."""
    svg = segno.make_qr(url, error="m").svg_inline(scale=6, border=2, omitsize=True, title="QR-код страницы статуса")
    return Markup(svg)  # noqa: S704 - segno's own SVG of our own URL, no customer text


def _page_context(kiosk: Kiosk) -> dict[str, Any]:
    slug, defn = _survey_for(kiosk)
    screens = [name for name in SCREENS if name != "survey" or slug]
    precache = (
        [url_for(f"kiosk.{name}") for name in screens]
        + [url_for("kiosk.screen", name=name) for name in screens]
        + [
            url_for("static", filename=name)
            for name in ("css/otklik.css", "css/kiosk.css", "js/kiosk-boot.js", "js/kiosk.js")
        ]
    )
    status_url = public_url("reviews.status")
    return {
        "kiosk": kiosk,
        "center": kiosk.center,
        "home_url": url_for("kiosk.home"),
        "survey_slug": slug,
        # A survey opening with a 5-point faces rating: the home screen is that question (one tap).
        "tap_question": defn.one_tap_question if defn is not None else None,
        "survey_submit_url": f"/api/v1/surveys/{slug}/responses" if slug else None,
        "status_url": status_url,
        "status_qr": status_qr_svg(status_url),
        "precache": precache,
        "heartbeat_url": url_for("kiosk.post_heartbeat"),
        "sw_url": url_for("kiosk.service_worker"),
    }


@bp.route("/kiosk/sw.js")
@public
def service_worker():
    """The kiosk service worker, served under /kiosk/ so that its scope covers the kiosk pages."""
    response = current_app.response_class(SW_FILE.read_text(encoding="utf-8"), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/kiosk/"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _shell(name: str):
    return render_template(
        "kiosk/shell.html", screen_url=url_for("kiosk.screen", name=name), sw_url=url_for("kiosk.service_worker")
    )


@bp.route("/kiosk/")
@public
def home():
    """The token-free shell of the home screen (the same for every kiosk)."""
    return _shell("home")


@bp.route("/kiosk/survey")
@public
def survey():
    return _shell("survey")


@bp.route("/kiosk/review")
@public
def review():
    return _shell("review")


def survey_items(defn: Any) -> list[dict[str, Any]]:
    """What kiosk.js needs to turn the form into the answer JSON and to apply conditions."""
    items = []
    for index, page in enumerate(defn.pages):
        for q in page.questions:
            items.append(
                {
                    "code": q.code,
                    "type": q.type,
                    "page": index,
                    "required": bool(q.required),
                    "show_if": q.show_if.model_dump(exclude_none=True) if q.show_if is not None else None,
                    "rows": [r.code for r in getattr(q, "rows", None) or []],
                    "other": bool(getattr(q, "other", False)),
                    "fields": list(getattr(q, "fields", None) or []),
                }
            )
    return items


@bp.route("/kiosk/screen/<any(home, survey, review):name>")
@public
def screen(name: str):
    """The kiosk's own screen (an HTML fragment) for the shell, found by the ``X-Kiosk-Token`` header."""
    kiosk = kiosk_by_token(device_token())
    if kiosk is None:
        return NOT_REGISTERED, 404  # the shell shows its own Russian message
    context = _page_context(kiosk)
    if name == "home":
        html = render_template("kiosk/home.html", **context)
    elif name == "review":
        html = render_template(
            "kiosk/review.html",
            types=ENTRY_TYPES,
            topics=active_topics(),
            text_max=TEXT_MAX,
            consent_paragraphs=consent_text(),
            consent_version=CONSENT_VERSION,
            submit_url=url_for("kiosk.post_review"),
            **context,
        )
    else:
        slug, defn = _survey_for(kiosk)
        html = (
            render_template("kiosk/no_survey.html", **context)
            if slug is None
            else render_template(
                "kiosk/survey.html",
                defn=defn,
                lang="ru",
                items=survey_items(defn),
                **context,
            )
        )
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = DEVICE_HEADER
    return response


@bp.route("/kiosk/<token>")
@bp.route("/kiosk/<token>/<any(survey, review):page>")
@public
def old_address(token: str, page: str = ""):
    """Addresses with the device token in them are refused: the token was in every access log line.
    Nothing is looked up; the admin gives the kiosk a new enrolment link."""
    return render_template("kiosk/invalid.html"), 410


def _no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"  # the code must not leave as a Referer
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/kiosk/enrol/<code>")
@public
def enrol_page(code: str):
    """The page the admin's one-time link opens. Reads only: its script exchanges the code with a POST,
    so a link preview does not use the code up."""
    kiosk = enrolment_kiosk(code)
    if kiosk is None:
        return _no_referrer(current_app.make_response((render_template("kiosk/enrol.html", refused=True), 410)))
    return _no_referrer(
        current_app.make_response(
            render_template(
                "kiosk/enrol.html", refused=False, kiosk=kiosk, code=code, exchange_url=url_for("kiosk.post_enrol")
            )
        )
    )


@bp.route("/kiosk/enrol", methods=["POST"])
@public
@csrf.exempt
@limiter.limit(kiosk_ip_limit)
def post_enrol():
    """Exchange a one-time code (JSON ``{"code": …}``) for the device token, given only in this body."""
    body = request.get_json(silent=True)
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str):
        return _no_referrer(current_app.make_response(({"error": "Ожидается JSON-объект с кодом подключения"}, 400)))
    try:
        kiosk, token = enrol(code)
    except EnrolmentRefused as exc:
        return _no_referrer(current_app.make_response(({"error": str(exc)}, 410)))
    return _no_referrer(
        current_app.make_response(
            {"token": token, "home_url": url_for("kiosk.home"), "kiosk": kiosk.name, "center": kiosk.center.name}
        )
    )


def _text(body: dict[str, Any], key: str, limit: int = 5000) -> str:
    value = body.get(key, "")
    return value[:limit] if isinstance(value, str) else ""


@bp.route("/kiosk/reviews", methods=["POST"])
@public
@csrf.exempt
@limiter.limit(kiosk_limit, key_func=token_key)
@limiter.limit(kiosk_ip_limit)
def post_review():
    """A review-book entry from a kiosk (JSON, from the offline queue); idempotent by client_submission_id."""
    kiosk = kiosk_ref_by_token(device_token())
    if kiosk is None:
        return _json_not_registered()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return {"errors": {"body": "Ожидается JSON-объект"}}, 422
    csid = body.get("client_submission_id")
    if not isinstance(csid, str) or not valid_submission_id(csid):
        return {"errors": {"client_submission_id": "Нужен идентификатор отправки (UUID)"}}, 422
    wants_answer = body.get("wants_answer") is True
    raw_contact = body.get("contact") if isinstance(body.get("contact"), dict) else None
    contact = None
    if wants_answer and raw_contact is not None:
        contact = ContactInput(
            name=_text(raw_contact, "name", 300),
            email=_text(raw_contact, "email", 300),
            phone=_text(raw_contact, "phone", 60),
            consent=raw_contact.get("consent") is True,
        )
    data = EntryInput(
        center_code=kiosk.center_code,
        entry_type=_text(body, "entry_type", 32),
        topic_code=_text(body, "topic", 32),
        text=_text(body, "text", TEXT_MAX + 1000),
        wants_answer=wants_answer,
        publish_consent=body.get("publish_consent") is True,
        contact=contact,
        client_submission_id=csid,
        kiosk_id=kiosk.id,
        kiosk_token_hash=kiosk.token_hash,
        client_address=request.remote_addr,
    )
    try:
        receipt = submit_entry(data)
    except KioskNotRegistered:
        return _json_not_registered()
    except ReviewError as exc:  # 409 (repeat, conflicting resend) answers a message; 422 the field errors
        if exc.status == 409:
            return {"error": str(exc)}, 409
        return {"errors": exc.errors or {"form": str(exc)}}, exc.status
    promise = answer_promise(receipt)
    reply = {
        "registration_number": receipt.registration_number,
        "check_code": receipt.check_code,
        "created": receipt.created,
        "answer_due": promise.due.isoformat(),
        "answer_promise": promise.text,
    }
    if receipt.in_check:
        reply.update(in_check=True, message=CHECK_RECEIPT_TEXT)
    return reply, 201 if receipt.created else 200


@bp.route("/kiosk/heartbeat", methods=["POST"])
@public
@csrf.exempt
@limiter.limit(kiosk_limit, key_func=token_key)
@limiter.limit(kiosk_ip_limit)  # a made-up token gets a bucket of its own; the address does not
def post_heartbeat():
    kiosk = kiosk_by_token(device_token())
    if kiosk is None:
        return _json_not_registered()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        body = {}
    heartbeat(kiosk, body.get("pending", 0), body.get("refused", 0))
    return {"ok": True, "inactivity_seconds": kiosk.inactivity_seconds}
