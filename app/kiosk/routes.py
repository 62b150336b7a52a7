"""Kiosk device pages and JSON endpoints, authenticated by the secret token in the URL (no staff login)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, render_template, request, url_for

from app.auth.decorators import public
from app.extensions import csrf, limiter
from app.kiosk import bp
from app.kiosk.models import Kiosk
from app.kiosk.services import hash_token, heartbeat, kiosk_by_token, kiosk_ref_by_token
from app.reviews.consent import CONSENT_VERSION, consent_text
from app.reviews.models import ENTRY_TYPES
from app.reviews.services import (
    CHECK_RECEIPT_TEXT,
    TEXT_MAX,
    ContactInput,
    DuplicateEntry,
    EntryInput,
    KioskNotRegistered,
    ReviewError,
    SubmissionConflict,
    active_topics,
    submit_entry,
    valid_submission_id,
)

SW_FILE = Path(__file__).resolve().parent.parent / "static" / "js" / "kiosk-sw.js"
NOT_REGISTERED = "Киоск не зарегистрирован"


def kiosk_limit() -> str:
    return current_app.config.get("KIOSK_RATELIMIT", "60 per minute")


def kiosk_ip_limit() -> str:
    return current_app.config.get("KIOSK_IP_RATELIMIT", "120 per minute")


def token_key() -> str:
    return "kiosk-token:" + hash_token((request.view_args or {}).get("token", ""))[:24]


def _not_registered():
    return render_template("kiosk/invalid.html"), 404


def _json_not_registered():
    return {"error": NOT_REGISTERED}, 404


def _survey_for(kiosk: Kiosk):
    """(slug, definition) of the survey assigned to the kiosk's centre on the kiosk channel, or (None, None)."""
    try:
        from app.surveys import services as surveys
    except ImportError:  # surveys package not available
        return None, None
    survey = surveys.survey_for_center(kiosk.center_id, "kiosk")
    if survey is None:
        return None, None
    version = surveys.published_version_for(survey.id)
    if version is None:
        return None, None
    return survey.slug, surveys.definition_of(version)


def _page_context(kiosk: Kiosk, token: str) -> dict[str, Any]:
    home = url_for("kiosk.home", token=token)
    precache = [home, url_for("kiosk.review", token=token),
                url_for("static", filename="css/otklik.css"), url_for("static", filename="css/kiosk.css"),
                url_for("static", filename="js/kiosk.js")]
    slug, _ = _survey_for(kiosk)
    if slug:
        precache.append(url_for("kiosk.survey", token=token))
    return {"kiosk": kiosk, "center": kiosk.center, "token": token, "home_url": home, "survey_slug": slug,
            "precache": precache, "heartbeat_url": url_for("kiosk.post_heartbeat", token=token),
            "sw_url": url_for("kiosk.service_worker")}


@bp.route("/kiosk/sw.js")
@public
def service_worker():
    """The kiosk service worker, served under /kiosk/ so that its scope covers the kiosk pages."""
    response = current_app.response_class(SW_FILE.read_text(encoding="utf-8"), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/kiosk/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/kiosk/<token>")
@public
def home(token: str):
    kiosk = kiosk_by_token(token)
    if kiosk is None:
        return _not_registered()
    return render_template("kiosk/home.html", **_page_context(kiosk, token))


def survey_items(defn: Any) -> list[dict[str, Any]]:
    """What kiosk.js needs to turn the form into the answer JSON and to apply conditions."""
    items = []
    for index, page in enumerate(defn.pages):
        for q in page.questions:
            items.append({
                "code": q.code, "type": q.type, "page": index, "required": bool(q.required),
                "show_if": q.show_if.model_dump(exclude_none=True) if q.show_if is not None else None,
                "rows": [r.code for r in getattr(q, "rows", None) or []],
                "other": bool(getattr(q, "other", False)),
                "fields": list(getattr(q, "fields", None) or []),
            })
    return items


@bp.route("/kiosk/<token>/survey")
@public
def survey(token: str):
    kiosk = kiosk_by_token(token)
    if kiosk is None:
        return _not_registered()
    context = _page_context(kiosk, token)
    slug, defn = _survey_for(kiosk)
    if slug is None:
        return render_template("kiosk/no_survey.html", **context)
    return render_template("kiosk/survey.html", defn=defn, lang="ru", items=survey_items(defn),
                           submit_url=f"/api/v1/surveys/{slug}/responses", **context)


@bp.route("/kiosk/<token>/review")
@public
def review(token: str):
    kiosk = kiosk_by_token(token)
    if kiosk is None:
        return _not_registered()
    return render_template("kiosk/review.html", types=ENTRY_TYPES, topics=active_topics(), text_max=TEXT_MAX,
                           consent_paragraphs=consent_text(), consent_version=CONSENT_VERSION,
                           submit_url=url_for("kiosk.post_review", token=token), **_page_context(kiosk, token))


def _text(body: dict[str, Any], key: str, limit: int = 5000) -> str:
    value = body.get(key, "")
    return value[:limit] if isinstance(value, str) else ""


@bp.route("/kiosk/<token>/reviews", methods=["POST"])
@public
@csrf.exempt
@limiter.limit(kiosk_limit, key_func=token_key)
@limiter.limit(kiosk_ip_limit)
def post_review(token: str):
    """A review-book entry from a kiosk (JSON, from the offline queue); idempotent by client_submission_id."""
    kiosk = kiosk_ref_by_token(token)
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
        contact = ContactInput(name=_text(raw_contact, "name", 300), email=_text(raw_contact, "email", 300),
                               phone=_text(raw_contact, "phone", 60), consent=raw_contact.get("consent") is True)
    data = EntryInput(center_code=kiosk.center_code, entry_type=_text(body, "entry_type", 32),
                      topic_code=_text(body, "topic", 32), text=_text(body, "text", TEXT_MAX + 1000),
                      wants_answer=wants_answer, publish_consent=body.get("publish_consent") is True,
                      contact=contact, client_submission_id=csid, kiosk_id=kiosk.id,
                      kiosk_token_hash=kiosk.token_hash, client_address=request.remote_addr)
    try:
        receipt = submit_entry(data)
    except KioskNotRegistered:
        return _json_not_registered()
    except (SubmissionConflict, DuplicateEntry) as exc:
        return {"error": str(exc)}, 409
    except ReviewError as exc:
        return {"errors": exc.errors or {"form": str(exc)}}, 422
    reply = {"registration_number": receipt.registration_number, "check_code": receipt.check_code,
             "created": receipt.created}
    if receipt.in_check:
        reply.update(in_check=True, message=CHECK_RECEIPT_TEXT)
    return reply, 201 if receipt.created else 200


@bp.route("/kiosk/<token>/heartbeat", methods=["POST"])
@public
@csrf.exempt
@limiter.limit(kiosk_limit, key_func=token_key)
@limiter.limit(kiosk_ip_limit)  # a made-up token gets a bucket of its own; the address does not
def post_heartbeat(token: str):
    kiosk = kiosk_by_token(token)
    if kiosk is None:
        return _json_not_registered()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        body = {}
    heartbeat(kiosk, body.get("pending", 0), body.get("refused", 0))
    return {"ok": True, "inactivity_seconds": kiosk.inactivity_seconds}
