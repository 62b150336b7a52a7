"""Business rules of service requests: validation, registration as an appeal, look-up, burst check, download.

One request is one write transaction: contact, appeal (with its history row), request and attachments are
committed together or not at all. The registration number and check code come from the review book's
per-centre series, so the one status page finds reviews, bookings and requests alike.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.appeals.models import REQUEST_SOURCE, STATUSES, Appeal
from app.appeals.services import create_appeal_in_session
from app.cache import app_cache
from app.database import write_transaction
from app.errors import DomainError
from app.extensions import db
from app.i18n import N_
from app.models import Contact, Organisation, OrgKind, Topic, User, utcnow
from app.requests.attachments import CheckedFile, check_file, format_megabytes
from app.requests.models import CHECK_STATES, REQUEST_TYPES, RequestAttachment, ServiceRequest
from app.reviews import check
from app.reviews.services import (
    EMAIL_MAX,
    EMAIL_RE,
    NAME_MAX,
    PHONE_RE,
    _local_year,
    check_code_for,
    find_by_check_code,
    format_number,
    hash_check_code,
    next_sequence,
    valid_submission_id,
)

CONSENT_VERSION = "заявки-2026-12"  # shown in the consent text: no Latin on customer pages
CONSENT_PURPOSE = "service_request"
ADDRESS_MAX = 500
COMMENT_MAX = 2000
METER_NUMBER_RE = re.compile(r"^[0-9A-Za-zА-Яа-яЁё\-/ ]{3,32}$")
MODEL_MAX = 100
POWER_MAX_KW = Decimal("100000")
EARLIEST_INSTALLATION = date(1960, 1, 1)
# Labels written into the appeal's text (data): plain Russian, marked N_, translated where a page shows them.
VOLTAGES = {
    "0.23": N_("0,23 кВ"),
    "0.4": N_("0,4 кВ"),
    "6-10": N_("6–10 кВ"),
    "35": N_("35 кВ"),
    "110": N_("110 кВ и выше"),
}
OBJECT_TYPES = {
    "house": N_("Жилой дом"),
    "garden": N_("Садовый дом, дача"),
    "garage": N_("Гараж"),
    "premises": N_("Нежилое помещение"),
    "production": N_("Производственный объект"),
    "other": N_("Другое"),
}
CHECK_REASONS = {
    "doubt": N_("Сомнения в показаниях"),
    "damage": N_("Повреждение или неисправность"),
    "seal": N_("Нарушена пломба"),
    "interval": N_("Истекает межповерочный интервал"),
    "planned": N_("Плановая проверка"),
}
# The structured fields of each type, in the order the form and the appeal text show them.
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "connection": ("power_kw", "voltage", "object_type"),
    "meter_acceptance": ("meter_number", "meter_model", "installation_date"),
    "meter_check": ("meter_number", "meter_model", "installation_date", "check_reason"),
}
FIELD_LABELS = {
    "power_kw": N_("Запрашиваемая мощность, кВт"),
    "voltage": N_("Уровень напряжения"),
    "object_type": N_("Тип объекта"),
    "meter_number": N_("Заводской номер прибора учета"),
    "meter_model": N_("Тип (модель) прибора учета"),
    "installation_date": N_("Дата установки"),
    "check_reason": N_("Причина проверки"),
}
CHOICES = {"voltage": VOLTAGES, "object_type": OBJECT_TYPES, "check_reason": CHECK_REASONS}
USUAL_RATE_DAYS = 28


class RequestError(DomainError):
    """A refused request with Russian messages by field (``errors``) for the form."""

    status, code = 422, "invalid"

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class RequestConflict(RequestError):
    """The same submission id arrived with another request."""

    status, code = 409, "conflict"


@dataclass(frozen=True)
class Upload:
    """One uploaded file as the browser sent it; its stated MIME type is never trusted, so not kept."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class RequestInput:
    request_type: str
    center_code: str
    name: str = ""
    phone: str = ""
    email: str = ""
    object_address: str = ""
    comment: str = ""
    consent: bool = False
    fields: dict[str, str] = field(default_factory=dict)
    uploads: tuple[Upload, ...] = ()
    client_submission_id: str = ""


@dataclass(frozen=True)
class RequestReceipt:
    registration_number: str
    check_code: str
    created: bool
    in_check: bool
    received_at: datetime


@dataclass(frozen=True)
class Cleaned:
    """Validated values, ready to store."""

    center: Organisation
    topic: Topic
    details: dict[str, str]
    files: list[CheckedFile]
    name: str
    phone: str
    email: str
    object_address: str
    comment: str


def type_name(request_type: str) -> str:
    return REQUEST_TYPES[request_type][0]


def max_attachment_bytes() -> int:
    return int(current_app.config["REQUEST_ATTACHMENT_MAX_BYTES"])


def max_attachment_count() -> int:
    return int(current_app.config["REQUEST_ATTACHMENT_MAX_COUNT"])


def _clean(text: str | None) -> str:
    value = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    return value.strip()


# --- validation ------------------------------------------------------------------------------------


def _power(raw: str, errors: dict[str, str]) -> str:
    text = raw.replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if not text:
        errors["power_kw"] = "Укажите запрашиваемую мощность в киловаттах"
    elif value is None or not value.is_finite():
        errors["power_kw"] = "Мощность — число, например 15 или 7,5"
    elif value <= 0:
        errors["power_kw"] = "Мощность должна быть больше нуля"
    elif value > POWER_MAX_KW:
        errors["power_kw"] = f"Мощность не больше {POWER_MAX_KW} кВт"
    elif value.as_tuple().exponent < -3:  # type: ignore[operator]  # a finite Decimal's exponent is an int
        errors["power_kw"] = "Мощность — не больше трех знаков после запятой"
    else:
        return format(value.normalize(), "f")
    return ""


def _installation_date(raw: str, errors: dict[str, str], today: date) -> str:
    value = None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            value = datetime.strptime(raw, pattern).date()
            break
        except ValueError:
            continue
    if not raw:
        errors["installation_date"] = "Укажите дату установки прибора учета"
    elif value is None:
        errors["installation_date"] = "Дата в формате ДД.ММ.ГГГГ, например 01.09.2025"
    elif value > today:
        errors["installation_date"] = "Дата установки не может быть в будущем"
    elif value < EARLIEST_INSTALLATION:
        errors["installation_date"] = "Проверьте год установки"
    else:
        return value.isoformat()
    return ""


def _type_fields(request_type: str, fields: dict[str, str], errors: dict[str, str], today: date) -> dict[str, str]:
    """The structured answers of one type, checked; errors go beside each field."""
    details: dict[str, str] = {}
    for name in TYPE_FIELDS[request_type]:
        raw = _clean(fields.get(name))
        if name == "power_kw":
            details[name] = _power(raw, errors)
        elif name == "installation_date":
            details[name] = _installation_date(raw, errors, today)
        elif name in CHOICES:
            if raw not in CHOICES[name]:
                errors[name] = f"Выберите: {FIELD_LABELS[name].lower()}"
            details[name] = raw
        elif name == "meter_number":
            if not raw:
                errors[name] = "Укажите заводской номер прибора учета"
            elif not METER_NUMBER_RE.fullmatch(raw):
                errors[name] = "Номер прибора учета — от 3 до 32 букв и цифр, как на его корпусе"
            details[name] = raw
        elif name == "meter_model":
            if not raw:
                errors[name] = "Укажите тип (модель) прибора учета, например «Меркурий 201.8»"
            elif len(raw) > MODEL_MAX:
                errors[name] = f"Тип (модель) не длиннее {MODEL_MAX} знаков"
            details[name] = raw
    return details


def _contact_errors(data: RequestInput, errors: dict[str, str]) -> None:
    name, phone, email = _clean(data.name), _clean(data.phone), _clean(data.email)
    if not name:
        errors["name"] = "Укажите фамилию, имя и отчество заявителя"
    elif len(name) > NAME_MAX:
        errors["name"] = f"Не длиннее {NAME_MAX} знаков"
    if not phone:
        errors["phone"] = "Укажите телефон для связи"
    elif not PHONE_RE.fullmatch(phone):
        errors["phone"] = "Проверьте номер телефона: цифры, пробелы, скобки, дефис, + в начале"
    if email and (len(email) > EMAIL_MAX or not EMAIL_RE.fullmatch(email)):
        errors["email"] = "Проверьте адрес электронной почты"
    address = _clean(data.object_address)
    if len(address) < 5:
        errors["object_address"] = "Укажите адрес объекта: населенный пункт, улицу, дом"
    elif len(address) > ADDRESS_MAX:
        errors["object_address"] = f"Адрес не длиннее {ADDRESS_MAX} знаков"
    if len(_clean(data.comment)) > COMMENT_MAX:
        errors["comment"] = f"Комментарий не длиннее {COMMENT_MAX} знаков"
    if not data.consent:
        errors["consent"] = "Без согласия на обработку персональных данных заявку принять нельзя"


def _files(uploads: tuple[Upload, ...], errors: dict[str, str]) -> list[CheckedFile]:
    limit, most = max_attachment_bytes(), max_attachment_count()
    if len(uploads) > most:
        errors["attachments"] = f"Приложите не больше {most} файлов (сейчас {len(uploads)})"
        return []
    files, reasons = [], []
    for upload in uploads:
        checked, reason = check_file(upload.filename, upload.data, limit)
        if checked is None:
            reasons.append(reason)
        else:
            files.append(checked)
    if reasons:
        errors["attachments"] = " ".join(reasons) + f" Каждый файл — не больше {format_megabytes(limit)}."
    return files


def validate(data: RequestInput, today: date | None = None) -> tuple[dict[str, str], Cleaned | None]:
    """(errors by field, cleaned values); the values are None whenever there is any error."""
    errors: dict[str, str] = {}
    if data.request_type not in REQUEST_TYPES:
        raise RequestError("Такой заявки нет", {"form": "Выберите вид заявки"})
    center = db.session.scalar(
        select(Organisation).where(
            Organisation.code == (data.center_code or "").strip().upper(), Organisation.kind == OrgKind.CENTER
        )
    )
    if center is None or not center.active:
        errors["center"] = "Выберите центр обслуживания, в который подаете заявку"
    topic = db.session.scalar(select(Topic).where(Topic.code == REQUEST_TYPES[data.request_type][1]))
    if topic is None:
        raise RequestError("Прием заявок этого вида не настроен: обратитесь в центр обслуживания")
    details = _type_fields(data.request_type, data.fields, errors, today or date.today())
    _contact_errors(data, errors)
    files = _files(data.uploads, errors)
    if data.client_submission_id and not valid_submission_id(data.client_submission_id):
        errors["form"] = "Обновите страницу и отправьте заявку еще раз"
    if errors or center is None:
        return errors, None
    return errors, Cleaned(
        center=center,
        topic=topic,
        details=details,
        files=files,
        name=_clean(data.name),
        phone=_clean(data.phone),
        email=_clean(data.email),
        object_address=_clean(data.object_address),
        comment=_clean(data.comment),
    )


def detail_lines(request_type: str, details: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value shown) of a request's structured answers, in form order."""
    lines = []
    for name in TYPE_FIELDS.get(request_type, ()):
        value = str(details.get(name) or "")
        if name in CHOICES:
            value = CHOICES[name].get(value, value)
        elif name == "installation_date" and value:
            value = date.fromisoformat(value).strftime("%d.%m.%Y")
        elif name == "power_kw":
            value = value.replace(".", ",")
        lines.append((FIELD_LABELS[name], value))
    return lines


def appeal_text(request_type: str, details: dict[str, Any], comment: str, files: int) -> str:
    """The appeal's text: what is asked for, without the applicant's name, phone, e-mail or address."""
    lines = [f"Заявка «{type_name(request_type)}»."]
    lines += [f"{label}: {value}." for label, value in detail_lines(request_type, details)]
    if files:
        lines.append(f"Приложено файлов: {files}.")
    if comment:
        lines.append(f"Комментарий заявителя: {comment}")
    return "\n".join(lines)


# --- burst check -----------------------------------------------------------------------------------


def _usual_per_window(center_id: int, now: datetime, window: int) -> float:
    """The centre's requests per check window over the previous weeks (cached: it moves slowly)."""

    def load() -> float:
        stored = db.session.scalar(
            select(func.count())
            .select_from(ServiceRequest)
            .where(
                ServiceRequest.center_id == center_id,
                ServiceRequest.created_at >= now - timedelta(days=USUAL_RATE_DAYS),
                ServiceRequest.created_at < now - timedelta(minutes=window),
                or_(ServiceRequest.check_state.is_(None), ServiceRequest.check_state == "accepted"),
            )
        )
        return int(stored or 0) * window / (USUAL_RATE_DAYS * 24 * 60)

    return float(app_cache("requests.usual_rate", "QUARANTINE_RATE_CACHE_SECONDS").get((center_id,), load))


def _burst_reasons(center_id: int, now: datetime) -> dict[str, Any] | None:
    """Why a request arriving now is held (the review book's rule and settings), or None when it is not."""
    if not check.enabled():
        return None
    window = check.settings()[0]
    usual = _usual_per_window(center_id, now, window)
    recent = db.session.scalar(
        select(func.count())
        .select_from(ServiceRequest)
        .where(ServiceRequest.center_id == center_id, ServiceRequest.created_at >= now - timedelta(minutes=window))
    )
    arriving = 1 + int(recent or 0)
    if not check.is_burst(arriving, usual):
        return None
    return check.reasons(arriving=arriving, usual=usual, identical=0, same_address=None)


# --- submission ------------------------------------------------------------------------------------


def _existing(data: RequestInput) -> RequestReceipt | None:
    stored = db.session.scalar(
        select(ServiceRequest).where(ServiceRequest.client_submission_id == data.client_submission_id)
    )
    if stored is None:
        return None
    if stored.request_type != data.request_type or stored.center.code != (data.center_code or "").strip().upper():
        raise RequestConflict("Эта отправка уже принята с другой заявкой. Обновите страницу и отправьте заявку заново.")
    return _receipt(stored, created=False)


def _receipt(stored: ServiceRequest, created: bool) -> RequestReceipt:
    return RequestReceipt(
        registration_number=stored.registration_number,
        check_code=check_code_for(f"request:{stored.client_submission_id}"),
        created=created,
        in_check=stored.check_state == "checking",
        received_at=stored.created_at,
    )


def submit_request(data: RequestInput, today: date | None = None) -> RequestReceipt:
    """Register a request: contact (with consent), appeal, request and attachments in one transaction.

    A retry with the same ``client_submission_id`` returns the first receipt. In a burst at the centre
    (the review book's rule) the request is held «на проверке» without an appeal until staff accept it.
    """
    errors, cleaned = validate(data, today)
    if errors or cleaned is None:
        raise RequestError("Проверьте заполнение формы", errors)
    if not data.client_submission_id:
        data = RequestInput(**{**data.__dict__, "client_submission_id": str(uuid.uuid4())})
    try:
        return _submit(data, cleaned)
    except IntegrityError:
        # The same submission id committed meanwhile by a concurrent retry: answer with its receipt.
        earlier = _existing(data)
        if earlier is None:
            raise
        return earlier


def _submit(data: RequestInput, cleaned: Cleaned) -> RequestReceipt:
    center = cleaned.center
    with write_transaction():
        earlier = _existing(data)
        if earlier is not None:
            return earlier
        now = utcnow()
        contact = Contact(
            name=cleaned.name,
            phone=cleaned.phone,
            email=cleaned.email,
            purpose=CONSENT_PURPOSE,
            consent_version=CONSENT_VERSION,
            consented_at=now,
        )
        db.session.add(contact)
        db.session.flush()
        year = _local_year(center.timezone, now)
        number = format_number(center.code, year, next_sequence(center.id, year))
        held = _burst_reasons(center.id, now)
        stored = ServiceRequest(
            registration_number=number,
            check_code_hash=hash_check_code(number, check_code_for(f"request:{data.client_submission_id}")),
            client_submission_id=data.client_submission_id,
            request_type=data.request_type,
            center_id=center.id,
            contact_id=contact.id,
            object_address=cleaned.object_address,
            details={**cleaned.details, **({"comment": cleaned.comment} if cleaned.comment else {})},
            check_state="checking" if held else None,
            check_reasons=held,
            created_at=now,
            attachments=[
                RequestAttachment(
                    filename=f.filename, content_type=f.content_type, size=f.size, sha256=f.sha256, data=f.data
                )
                for f in cleaned.files
            ],
        )
        if held is None:  # a held request gets its appeal (and so a queue item) only when staff accept it
            stored.appeal_id = _register_appeal(stored, cleaned.topic.code, len(cleaned.files)).id
        db.session.add(stored)
        db.session.flush()
        receipt = _receipt(stored, created=True)
    if held:
        current_app.logger.warning("service request held for check: center=%s arrived=%s", center.code, held["arrived"])
    return receipt


def _register_appeal(stored: ServiceRequest, topic_code: str, files: int) -> Appeal:
    """The request's appeal: an application («заявление») received on the web, with the type's topic."""
    details = {k: v for k, v in stored.details.items() if k != "comment"}
    return create_appeal_in_session(
        kind="application",
        form="interactive",
        channel="web",
        topic_code=topic_code,
        center_id=stored.center_id,
        received_at=stored.created_at,
        text=appeal_text(stored.request_type, details, str(stored.details.get("comment") or ""), files),
        contact_id=stored.contact_id,
        external_source=REQUEST_SOURCE,
        external_id=stored.registration_number,
    )


# --- status look-up --------------------------------------------------------------------------------


def lookup_request(registration_number: str, check_code: str) -> ServiceRequest | None:
    """The request for a number + check code pair, or None for any wrong pair (no hint which part)."""
    return find_by_check_code(ServiceRequest, registration_number, check_code)


@dataclass(frozen=True)
class RequestStatus:
    """What the status page shows: progress, and the official answer once there is one."""

    label: str
    answer: str
    answered_at: datetime | None


def request_status(stored: ServiceRequest) -> RequestStatus:
    appeal = db.session.get(Appeal, stored.appeal_id) if stored.appeal_id else None
    if stored.check_state in ("checking", "rejected"):
        return RequestStatus(CHECK_STATES[stored.check_state], "", None)
    if appeal is None:
        return RequestStatus(N_("Зарегистрирована"), "", None)
    answered = appeal.answered_at is not None and bool((appeal.answer_summary or "").strip())
    label = N_("Дан ответ, заявка закрыта") if appeal.status == "closed" and answered else STATUSES[appeal.status]
    return RequestStatus(label, appeal.answer_summary if answered else "", appeal.answered_at if answered else None)


# --- staff: the appeal's request, attachments, burst check -----------------------------------------


def request_of_appeal(appeal_id: int) -> ServiceRequest | None:
    return db.session.scalar(select(ServiceRequest).where(ServiceRequest.appeal_id == appeal_id))


def attachment_for(attachment_id: int, visible_center_ids: set[int], user: User) -> RequestAttachment | None:
    """The attachment if the user's scope holds its request's centre (None otherwise: a 404, no guessing);
    the download is audited (identifiers only)."""
    attachment = db.session.get(RequestAttachment, attachment_id)
    if attachment is None or attachment.request.center_id not in visible_center_ids:
        return None
    with write_transaction():
        audit.record(
            "service_request.attachment",
            attachment.request,
            summary=f"{attachment.request.registration_number}: файл {attachment.id}",
            user_id=user.id,
        )
    return attachment


def held_requests(center_ids: set[int]) -> list[ServiceRequest]:
    return list(
        db.session.scalars(
            select(ServiceRequest)
            .where(ServiceRequest.check_state == "checking", ServiceRequest.center_id.in_(center_ids or {-1}))
            .order_by(ServiceRequest.center_id, ServiceRequest.created_at, ServiceRequest.id)
        )
    )


def decide_held(request_ids: list[int], accept: bool, user: User, center_ids: set[int]) -> int:
    """Accept (register the appeal, received when the request was) or reject as spam held requests."""
    done = 0
    for request_id in request_ids:
        with write_transaction():
            stored = db.session.get(ServiceRequest, request_id, with_for_update=True)
            if stored is None or stored.check_state != "checking" or stored.center_id not in center_ids:
                continue
            if accept:
                topic_code = REQUEST_TYPES[stored.request_type][1]
                stored.appeal_id = _register_appeal(stored, topic_code, len(stored.attachments)).id
            stored.check_state = "accepted" if accept else "rejected"
            stored.checked_at, stored.checked_by_id = utcnow(), user.id
            audit.record(
                "service_request.check.accept" if accept else "service_request.check.reject",
                stored,
                summary=stored.registration_number,
                user_id=user.id,
            )
        done += 1
    return done
