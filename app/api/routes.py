"""API v1: published definitions, idempotent response posting (kiosks' sync), staff listing, the report."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app, jsonify, request
from pydantic import ValidationError
from sqlalchemy import func, select

from app.api import bp
from app.api.bodies import (
    BookingReceipt,
    BookingSubmission,
    Error,
    Health,
    PublishedSurvey,
    ResponseItem,
    ResponsePage,
    Slot,
)
from app.api.openapi import openapi_document
from app.api.tokens import TokenRefused, authenticate
from app.auth.decorators import public
from app.errors import BadRequest, DomainError, Forbidden, NotFound
from app.extensions import db, limiter
from app.kiosk.services import hash_token, kiosk_ref_by_token
from app.models import Organisation, User
from app.parsing import MAX_ID, parse_int
from app.surveys import services
from app.surveys.models import STAFF_CHANNELS, Answer, Response, SurveyVersion
from app.surveys.schema import SurveyDefinition, put_stored_answer

PER_PAGE_DEFAULT = 100
PER_PAGE_MAX = 500
LIST_ROLES = ("admin", "marketing", "manager")


def _error(status: int, message: str, error: str | None = None, **extra: Any):
    body = Error(error=error or _ERROR_NAMES.get(status, "error"), message=message, **extra)
    return jsonify(body.as_json()), status


_ERROR_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    410: "gone",
    422: "invalid",
}


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):  # a Flask reply
    """Every refusal a service or view raises, in the documented error shape (once, not per view)."""
    db.session.rollback()
    response, status = _error(exc.status, str(exc))
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="otklik"'
    return response, status


@bp.get("/health")
@public
def health():
    """Liveness for load balancers and kiosks."""
    return jsonify(Health(status="ok").as_json())


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(openapi_document())


@bp.get("/surveys/<slug>")
@public
def survey_definition(slug: str):
    """The published definition; kiosks cache it by ETag (the version id)."""
    version, _defn = services.require_published(slug)  # SurveyNotFound 404, SurveyClosed 410
    response = jsonify(
        PublishedSurvey(
            slug=slug, version=version.number, version_id=version.id, definition=version.definition
        ).as_json()
    )
    response.set_etag(f"v{version.id}-{version.published_at:%Y%m%d%H%M%S%f}")
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


# --------------------------------------------------------------------------- posting responses


def _kiosk_header() -> str | None:
    return request.headers.get("X-Kiosk-Token")


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC_SUBMIT"]


def _kiosk_limit() -> str:
    return current_app.config["RATELIMIT_KIOSK_SUBMIT"]


def _kiosk_ip_limit() -> str:
    return current_app.config["RATELIMIT_KIOSK_IP_SUBMIT"]


def _kiosk_key() -> str:
    """Per kiosk device: kiosks of one hall often share an address. A made-up token gets a bucket of
    its own, so the per-address limit below is what stops a client that keeps inventing them."""
    return "kiosk-token:" + hash_token(_kiosk_header() or "")[:24]


def _kiosk_ip_key() -> str:
    return "kiosk-ip:" + (request.remote_addr or "")


class _Refused(Exception):
    """A post refused before anything is stored: 403 with a Russian message."""


def _bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _poster_rules(body: dict[str, Any], channel: Any) -> dict[str, Any]:
    """Who may post on ``channel``: the keyword arguments of ``submit_response`` that hold them.

    Anonymous channels count only for an active assignment; ``kiosk`` needs the X-Kiosk-Token of an active
    kiosk of that centre (and the kiosk assignment); ``phone`` needs a staff token with ``write:responses``
    whose scope covers the centre. Raises :class:`_Refused` otherwise.
    """
    token = _kiosk_header()
    if token is not None:
        kiosk = kiosk_ref_by_token(token)
        if kiosk is None:
            raise _Refused("Киоск не зарегистрирован или отключен.")
        if channel != "kiosk":
            raise _Refused("С токеном киоска принимаются только ответы канала kiosk.")
        if "center" in body:
            try:
                named = services.resolve_center(body["center"])
            except services.InvalidSubmission:
                named = None  # e.g. a code renamed while the answer waited in the kiosk's queue: the kiosk's own
            if named is not None and named != kiosk.center_id:
                raise _Refused("Киоск принимает ответы только для своего ЦОК.")
        return {
            "center": kiosk.center_id,
            "kiosk_id": kiosk.id,
            "require_assignment": True,
            "allowed_center_ids": {kiosk.center_id},
        }
    if channel == "kiosk":
        raise _Refused(
            "Ответы канала kiosk принимаются только от зарегистрированного киоска (заголовок X-Kiosk-Token)."
        )
    if channel in STAFF_CHANNELS:
        secret = _bearer_secret()
        if not secret:
            raise _Refused(
                "Ответы канала phone принимаются только с токеном сотрудника "
                "(Authorization: Bearer <токен>) с правом write:responses."
            )
        try:
            api_token = authenticate(secret)
        except TokenRefused as exc:
            raise _Refused(str(exc)) from None
        if "write:responses" not in api_token.permission_set:
            raise _Refused("У токена нет права write:responses.")
        from app.org.services import visible_center_ids

        return {"require_assignment": False, "allowed_center_ids": visible_center_ids(api_token.user)}
    return {"require_assignment": True}


_SUBMIT_STATUS: dict[type[Exception], int] = {
    services.SubmissionForbidden: 403,
    services.SubmissionConflict: 409,
    services.SurveyClosed: 410,
    services.SurveyNotFound: 404,
}
_SUBMIT_REFUSALS = tuple(_SUBMIT_STATUS)


def _refusal_status(exc: Exception) -> int:
    return next(status for kind, status in _SUBMIT_STATUS.items() if isinstance(exc, kind))


def _missing_fields(body: dict[str, Any], kiosk_post: bool) -> list[str]:
    """Required fields absent from a posted response (a kiosk's token names its centre and channel)."""
    missing = [name for name in ("client_submission_id", "answers") if name not in body]
    if not kiosk_post and "center" not in body:
        missing.append("center")
    if "channel" not in body and not kiosk_post:
        missing.append("channel")
    return missing


def _field_problems(answers: Any, sid: Any, channel: Any, center: Any, duration: Any) -> list[str]:
    """Fields of a posted response of the wrong JSON type (Russian, one line each)."""
    problems = []
    if not isinstance(answers, dict):
        problems.append("answers должен быть объектом")
    if not isinstance(sid, str):
        problems.append("client_submission_id должен быть строкой")
    if not isinstance(channel, str):
        problems.append("channel должен быть строкой")
    if isinstance(center, bool) or not isinstance(center, str | int):
        problems.append("center должен быть кодом или названием ЦОК")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)):
        problems.append("duration_seconds должен быть целым числом")
    return problems


@bp.post("/surveys/<slug>/responses")
@public
@limiter.limit(_public_limit, exempt_when=lambda: bool(_kiosk_header()))
@limiter.limit(_kiosk_limit, key_func=_kiosk_key, exempt_when=lambda: not _kiosk_header())
@limiter.limit(_kiosk_ip_limit, key_func=_kiosk_ip_key, exempt_when=lambda: not _kiosk_header())
def post_response(slug: str):
    """Store one response exactly once (201 created, 200 same id and body, 409 same id other body).

    403 (nothing stored) when the poster may not post on that channel for that centre: see
    :func:`_poster_rules`.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "Ожидается объект JSON (Content-Type: application/json).")
    kiosk_post = _kiosk_header() is not None
    channel = body.get("channel", "kiosk") if kiosk_post else body.get("channel")
    try:
        rules = _poster_rules(body, channel)
    except _Refused as exc:
        return _error(403, str(exc))
    missing = _missing_fields(body, kiosk_post)
    if missing:
        return _error(400, "Не хватает полей: " + ", ".join(missing), missing=missing)
    answers = body["answers"]
    center = rules.pop("center", body.get("center"))
    sid = body["client_submission_id"]
    duration = body.get("duration_seconds")
    problems = _field_problems(answers, sid, channel, center, duration)
    if problems:
        return _error(400, "; ".join(problems))
    assert isinstance(channel, str)  # _field_problems refused any other type
    try:
        result = services.submit_response(
            slug=slug,
            center=center,
            channel=channel,
            answers=answers,
            client_submission_id=sid,
            duration_seconds=duration,
            may_hold=channel not in STAFF_CHANNELS,
            client_address=request.remote_addr,
            # Only a kiosk may date its answers: an anonymous client could
            # otherwise back-date them into a closed period.
            answered_at=body.get("answered_at") if rules.get("kiosk_id") else None,
            **rules,
        )
    except services.InvalidSubmission as exc:
        return jsonify({"error": "invalid", "message": "Ответы не прошли проверку.", "errors": exc.errors}), 422
    except _SUBMIT_REFUSALS as exc:
        return _error(_refusal_status(exc), str(exc))
    if result.created:
        return jsonify({"id": result.response_id, "status": "created"}), 201
    return jsonify({"id": result.response_id, "status": "already_stored"}), 200


# --------------------------------------------------------------------------- staff listing


def _require_staff_user(roles: tuple[str, ...], permission: str, forbidden: str) -> User:
    """The bearer token's user if the token has ``permission`` and the user one of ``roles``.

    Raises :class:`TokenRefused` (401: no, unknown, revoked or expired token) or :class:`Forbidden` (403).
    """
    secret = _bearer_secret()
    if not secret:
        raise TokenRefused("Нужен токен API: заголовок Authorization: Bearer <токен>.")
    api_token = authenticate(secret)
    if permission not in api_token.permission_set:
        raise Forbidden(f"У токена нет права {permission}.")
    if not api_token.user.has_role(*roles):
        raise Forbidden(forbidden)
    return api_token.user


def _staff_user(roles: tuple[str, ...], permission: str, forbidden: str):  # (user, None) or (None, reply)
    """:func:`_require_staff_user` as (user, None), or (None, the 401/403 reply) for views that still reply
    themselves."""
    try:
        return _require_staff_user(roles, permission, forbidden), None
    except DomainError as exc:
        return None, domain_error(exc)


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    return date.fromisoformat(value)


def answers_json(defn: SurveyDefinition | None, rows: list[Answer]) -> dict[str, Any]:
    """Rebuild the answer JSON of one response from its tidy rows."""
    result: dict[str, Any] = {}
    for row in rows:
        q = defn.question(row.question_code) if defn else None
        if q is None:
            put_stored_answer(result, row.question_code, row.value_num, row.option_code, row.text)
        else:
            q.stored_answer(result, row.question_code, row.value_num, row.option_code, row.text)
    return result


@bp.get("/surveys/<slug>/responses")
@public  # authenticated by the bearer token below, not by the session
def list_responses(slug: str):
    """Responses of a survey in the token owner's centres, newest first, 100 per page."""
    user = _require_staff_user(LIST_ROLES, "read:responses", "Нет прав на просмотр ответов.")
    survey = services.get_survey(slug)
    if survey is None:
        raise services.SurveyNotFound()
    from app.org.services import find_center, visible_center_ids

    visible = visible_center_ids(user)
    try:
        start, end = _parse_day(request.args.get("from")), _parse_day(request.args.get("to"))
        page = parse_int(request.args.get("page", "1"))
        per_page = parse_int(request.args.get("per_page", str(PER_PAGE_DEFAULT)))
    except ValueError:
        raise BadRequest("Неверные параметры: from и to — даты ГГГГ-ММ-ДД, page и per_page — целые числа.") from None
    if page < 1 or not 1 <= per_page <= PER_PAGE_MAX:
        raise BadRequest(f"page начинается с 1, per_page от 1 до {PER_PAGE_MAX}.")
    if page > MAX_ID // per_page:  # the row offset would overflow a database integer
        raise BadRequest("Слишком большой номер страницы page.")
    query = select(Response).where(Response.survey_id == survey.id, Response.center_id.in_(visible))
    if request.args.get("center"):
        center = find_center(request.args["center"])
        if center is None or center.id not in visible:
            raise NotFound("ЦОК не найден")
        query = query.where(Response.center_id == center.id)
    if start:
        query = query.where(Response.submitted_at >= datetime.combine(start, time.min))
    if end:
        query = query.where(Response.submitted_at < datetime.combine(end + timedelta(days=1), time.min))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    responses = list(
        db.session.scalars(
            query.order_by(Response.submitted_at.desc(), Response.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    ids = [r.id for r in responses]
    by_response: dict[int, list[Answer]] = {}
    if ids:
        for row in db.session.scalars(select(Answer).where(Answer.response_id.in_(ids)).order_by(Answer.id)):
            by_response.setdefault(row.response_id, []).append(row)
    versions = (
        {
            v.id: v
            for v in db.session.scalars(
                select(SurveyVersion).where(SurveyVersion.id.in_({r.version_id for r in responses}))
            )
        }
        if ids
        else {}
    )
    codes = (
        {
            row.id: row.code
            for row in db.session.execute(
                select(Organisation.id, Organisation.code).where(Organisation.id.in_({r.center_id for r in responses}))
            )
        }
        if ids
        else {}
    )
    items = []
    for r in responses:
        version = versions.get(r.version_id)
        defn = services.definition_of(version) if version is not None else None
        items.append(
            ResponseItem(
                id=r.id,
                submitted_at=r.submitted_at.isoformat() + "Z",
                center=codes.get(r.center_id),
                channel=r.channel,
                version=version.number if version else None,
                duration_seconds=r.duration_seconds,
                answers=answers_json(defn, by_response.get(r.id, [])),
                received_at=r.received_at.isoformat() + "Z",
                time_replaced=r.time_replaced,
            )
        )
    return jsonify(ResponsePage(survey=slug, page=page, per_page=per_page, total=total, items=items).as_json())


# --------------------------------------------------------------------------- satisfaction report


@bp.get("/surveys/<slug>/report")
@public  # authenticated by the bearer token below, not by the session
def survey_report(slug: str):
    """The satisfaction report of ``flask analysis report`` for the token owner's scopes (JSON or CSV)."""
    from app.analysis.report import ReportError, build_report, report_to_csv
    from app.analysis.scopes import REPORT_ROLES, chosen_scope, request_period

    user, refusal = _staff_user(REPORT_ROLES, "read:reports", "Отчет доступен руководителям и маркетологам.")
    if refusal is not None:
        return refusal
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        return _error(400, "format: json или csv.")
    if services.get_survey(slug) is None:
        return _error(404, "Анкета не найдена")
    try:
        scope = chosen_scope(user, request.args.get("scope"))
    except LookupError:
        return _error(404, "Подразделение не найдено или вне вашей зоны ответственности")
    try:
        period = request_period(request.args)
        report = build_report(slug, period.start, period.end, scope)
    except ReportError as exc:
        return _error(400, str(exc))
    if fmt == "csv":
        return current_app.response_class(report_to_csv(report), mimetype="text/csv")  # charset added by Werkzeug
    return jsonify(report.model_dump(mode="json"))


# --------------------------------------------------------------------------- centre booking (anonymous)

_BOOKING_FIELD_MESSAGES = {
    "service": "Укажите код услуги.",
    "start": "Укажите время начала в формате ГГГГ-ММ-ДДTЧЧ:ММ (местное время центра).",
    "name": "Укажите имя (до 200 символов).",
    "phone": "Укажите номер телефона (цифры, пробелы, скобки, дефис, + в начале).",
    "consent": "Без согласия на обработку персональных данных записаться нельзя.",
    "client_request_id": "client_request_id должен быть UUID.",
}


def _booking_centre(code: str) -> Organisation:
    from app.org.directory import public_centre

    centre = public_centre(code)
    if centre is None:
        raise NotFound("Такого центра нет.")
    return centre


@bp.get("/centers/<code>/slots")
@public
@limiter.limit(_public_limit)
def booking_slots(code: str):
    """Free start times of a service on one day, in the centre's local time (no offset)."""
    from app.booking.services import free_slots

    centre = _booking_centre(code)
    service = request.args.get("service", "")
    try:
        day = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return _error(422, "Укажите дату в формате ГГГГ-ММ-ДД.")
    if not service:
        return _error(422, "Укажите код услуги (service).")
    return jsonify([Slot(**slot).as_json() for slot in free_slots(centre, service, day)])


@bp.post("/centers/<code>/bookings")
@public
@limiter.limit(_public_limit)
def post_booking(code: str):
    """Book a service (201), the same reply for a retry (200), 409 when the time is gone or the request id
    was used with another body, 422 for bad input; all messages Russian."""
    from app.booking.services import BookingRequest, book

    centre = _booking_centre(code)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(422, "Ожидается объект JSON (Content-Type: application/json).")
    try:
        data = BookingSubmission.model_validate(body)
        start = datetime.strptime(data.start, "%Y-%m-%dT%H:%M")
    except ValidationError as exc:
        fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
        return _error(422, " ".join(_BOOKING_FIELD_MESSAGES.get(name, name) for name in fields))
    except ValueError:
        return _error(422, _BOOKING_FIELD_MESSAGES["start"])
    receipt = book(
        centre,
        BookingRequest(
            service=data.service.strip(),
            start=start,
            name=data.name.strip(),
            phone=data.phone.strip(),
            client_request_id=data.client_request_id.lower(),
        ),
    )
    reply = BookingReceipt(**receipt.as_json()).as_json()
    return jsonify(reply), 201 if receipt.created else 200


# --------------------------------------------------------------------------- themes of customer texts


def _themes_reply(user, build):
    """Scope and period from the query (as the report), then the themes JSON validated by its body model."""
    from app.analysis.report import ReportError
    from app.analysis.scopes import chosen_scope, request_period
    from app.analysis.themes import ThemesError
    from app.api.bodies import ThemesReport

    try:
        scope = chosen_scope(user, request.args.get("scope"))
    except LookupError:
        return _error(404, "Подразделение не найдено или вне вашей зоны ответственности")
    try:
        period = request_period(request.args)
        result = build(period.start, period.end, scope.code if scope is not None else None)
    except (ReportError, ThemesError) as exc:
        return _error(400, str(exc))
    return jsonify(ThemesReport.model_validate(result).model_dump(mode="json"))


@bp.get("/surveys/<slug>/themes")
@public  # authenticated by the bearer token below, not by the session
def survey_themes(slug: str):
    """What customers write: ``flask analysis themes`` for the token owner's scopes."""
    from app.analysis.scopes import REPORT_ROLES
    from app.analysis.themes import survey_themes as build

    user, refusal = _staff_user(REPORT_ROLES, "read:reports", "Отчет доступен руководителям и маркетологам.")
    if refusal is not None:
        return refusal
    if services.get_survey(slug) is None:
        return _error(404, "Анкета не найдена")
    return _themes_reply(user, lambda start, end, scope: build(slug, start, end, scope))


@bp.get("/appeals/themes")
@public  # authenticated by the bearer token below, not by the session
def appeal_themes():
    """Themes of appeal texts against the previous period: ``flask appeals themes``."""
    from app.analysis.scopes import REPORT_ROLES
    from app.analysis.themes import appeal_themes as build

    user, refusal = _staff_user(REPORT_ROLES, "read:reports", "Отчет доступен руководителям и маркетологам.")
    if refusal is not None:
        return refusal
    kind = request.args.get("kind") or None
    if kind not in (None, "complaint", "application"):
        return _error(400, "kind: complaint или application.")
    return _themes_reply(user, lambda start, end, scope: build(start, end, scope, kind))


# --------------------------------------------------------------------------- Интернет-ЦОК statistics


@bp.get("/internet-cok/stats")
@public  # authenticated by the bearer token below, not by the session
def internet_cok_stats():
    """Bookings, utilisation per window, no-shows by hour of the period and each centre's expected load of the
    coming week, for the token owner's scopes (the monitoring report's «Интернет-ЦОК» section), with the
    knowledge base's use (company-wide) and the questions to a specialist of the scope."""
    from app.analysis.report import ReportError
    from app.analysis.scopes import REPORT_ROLES, chosen_scope, request_period
    from app.booking.flow import HISTORY_WEEKS_CHOICES, centres_in
    from app.booking.flow import internet_cok_stats as build

    user = _require_staff_user(REPORT_ROLES, "read:reports", "Отчет доступен руководителям и маркетологам.")
    try:
        scope = chosen_scope(user, request.args.get("scope"))
    except LookupError:
        raise NotFound("Подразделение не найдено или вне вашей зоны ответственности") from None
    try:
        period = request_period(request.args)
    except ReportError as exc:
        raise BadRequest(str(exc)) from None
    weeks = request.args.get("weeks", "8")
    if not weeks.isdigit() or int(weeks) not in HISTORY_WEEKS_CHOICES:
        raise BadRequest("weeks: " + ", ".join(str(w) for w in HISTORY_WEEKS_CHOICES) + ".")
    stats = build(
        period.start,
        period.end,
        centres_in(scope),
        "company" if scope is None else scope.code,
        weeks=int(weeks),
    )
    return jsonify(stats.model_dump(mode="json"))
