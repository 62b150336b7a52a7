"""Business rules of the review book: entries, registration numbers, status look-up, moderation."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import audit
from app.appeals.deadlines import to_naive_utc
from app.appeals.models import REVIEW_BOOK_SOURCE, STATUSES, Appeal
from app.appeals.services import DeadlineResolver, insert_appeal, shared_resolver
from app.database import DriverStatement, table_of, write_connection, write_transaction
from app.errors import DomainError
from app.extensions import db
from app.i18n import N_
from app.models import Contact, Organisation, OrgKind, Topic, User, utcnow
from app.reviews import check
from app.reviews.consent import CONSENT_PURPOSE, CONSENT_VERSION
from app.reviews.lookups import CenterRef, TopicRef, center_ref, topic_ref
from app.reviews.models import CHECK_STATES, ENTRY_TYPES, RegistrationCounter, ReviewEntry

TEXT_MAX = 4000
Numbered = TypeVar("Numbered")  # a model with registration_number and check_code_hash
TEXT_MIN = 3
NAME_MAX = 200
EMAIL_MAX = 254
PHONE_MAX = 40
DEFAULT_KIND_MAP = {
    "complaint": "complaint",
    "suggestion": "application",
    "gratitude": "application",
    "question": "application",
}
ASK_ORIGIN = "ask"  # ReviewEntry.origin of a question sent with the form «Задать вопрос специалисту»
CHECK_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols, no 0/O, 1/I
CHECK_LENGTH = 6
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{5,40}$")
# Any centre code without spaces: numbers issued before codes were limited to Latin capitals and digits
# (a centre coded KUR-2 or with a Cyrillic code) must still find their entry.
NUMBER_RE = re.compile(r"^\S{1,28}-\d{4}-\d{6}$")
CHECK_RECEIPT_TEXT = (
    "Запись на проверке: в этот ЦОК сейчас поступает необычно много записей, поэтому сотрудник "
    "проверит ее, прежде чем зарегистрировать обращение. Срок ответа считается со дня получения "
    "записи."
)


class ReviewError(DomainError):
    """A refusal with a Russian message for the customer or operator."""

    status, code = 422, "invalid"

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class DuplicateEntry(ReviewError):
    """The same text for the same centre arrived again shortly after the first one."""

    status, code = 409, "conflict"


class SubmissionConflict(ReviewError):
    """The same client_submission_id arrived with a different body."""

    status, code = 409, "conflict"


class KioskNotRegistered(ReviewError):
    """The kiosk that sent the entry was revoked or got a new token meanwhile."""

    status, code = 404, "not_found"


@dataclass(frozen=True)
class ContactInput:
    name: str = ""
    email: str = ""
    phone: str = ""
    consent: bool = False
    # Which consent text the customer accepted: the review book's, or another form's (app/ask) own.
    purpose: str = CONSENT_PURPOSE
    consent_version: str = CONSENT_VERSION


@dataclass(frozen=True)
class EntryInput:
    center_code: str
    entry_type: str
    topic_code: str
    text: str
    wants_answer: bool = False
    publish_consent: bool = False
    contact: ContactInput | None = None
    client_submission_id: str = ""
    kiosk_id: int | None = None
    kiosk_token_hash: str | None = None  # given by the kiosk: checked again inside the write transaction
    client_address: str | None = None  # only its keyed hash is kept, and only for an entry held for check
    origin: str | None = None  # None: the review book; "ask": a question to a specialist (app/ask)

    @property
    def has_contact(self) -> bool:
        """Contact details are stored only with a wanted answer; such entries are never held for check."""
        return bool(self.wants_answer and self.contact is not None)


@dataclass(frozen=True)
class Receipt:
    """What the customer is shown: the registration number and the check code (only here in clear)."""

    entry_id: int
    registration_number: str
    check_code: str
    created: bool
    in_check: bool = False  # held «на проверке»: no appeal yet; the deadline still counts from receipt
    # The answer's deadline (naive UTC) and the centre's time zone, known when the entry is first stored;
    # None on a repeated submission's receipt (read back from the entry then).
    due_at: datetime | None = None
    timezone: str | None = None
    answer_by_contact: bool = False  # the customer left contacts for the answer

    @property
    def entry(self) -> ReviewEntry:
        """The stored entry, loaded on demand (the hot path writes it with Core and never needs it)."""
        entry = db.session.get(ReviewEntry, self.entry_id)
        assert entry is not None  # written by the submission this result describes
        return entry


# --- small pure helpers ---------------------------------------------------------------------------


def normalise_text(text: str | None) -> str:
    """NFC, Unix newlines, no surrounding blanks: what is stored and hashed."""
    value = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    return value.strip()


def text_hash(center_id: int, text: str) -> str:
    """Hash of the text for duplicate detection: case and whitespace do not make a new entry."""
    folded = " ".join(normalise_text(text).casefold().split())
    return hashlib.sha256(f"{center_id}\n{folded}".encode()).hexdigest()


def check_code_for(client_submission_id: str, secret: str | None = None) -> str:
    """Derive the check code from the submission id so that a retry gets the same code back."""
    key = (secret or current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"review-check:{client_submission_id}".encode(), hashlib.sha256).digest()
    return "".join(CHECK_ALPHABET[b % len(CHECK_ALPHABET)] for b in digest[:CHECK_LENGTH])


def hash_check_code(registration_number: str, code: str) -> str:
    return hashlib.sha256(f"{registration_number}:{code.strip().upper()}".encode()).hexdigest()


def format_number(center_code: str, year: int, sequence: int) -> str:
    return f"{center_code}-{year}-{sequence:06d}"


def valid_submission_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return len(value) <= 64


def appeal_shape(origin: str | None, kiosk_id: int | None) -> tuple[str, str | None]:
    """(channel, subtype) of the appeal an entry becomes: a question sent from the site is a web
    application of subtype «вопрос»; the book's own entries keep their channel and have no subtype."""
    if origin == ASK_ORIGIN:
        return "web", "question"
    return ("kiosk" if kiosk_id else "review_book"), None


def kind_for(entry_type: str) -> str:
    mapping = current_app.config.get("REVIEW_KIND_MAP") or DEFAULT_KIND_MAP
    return mapping.get(entry_type, DEFAULT_KIND_MAP.get(entry_type, "application"))


def active_topics() -> list[Topic]:
    return list(
        db.session.scalars(select(Topic).where(Topic.active.is_(True)).order_by(Topic.sort_order, Topic.name_ru))
    )


def find_center(code: str) -> Organisation | None:
    return db.session.scalar(
        select(Organisation).where(
            Organisation.code == (code or "").strip().upper(), Organisation.kind == OrgKind.CENTER
        )
    )


# --- validation ------------------------------------------------------------------------------------


def validate(data: EntryInput) -> tuple[dict[str, str], str]:
    """Return (errors by field, normalised text); an empty dict means the entry may be saved."""
    errors: dict[str, str] = {}
    if data.entry_type not in ENTRY_TYPES:
        errors["entry_type"] = "Выберите вид записи"
    topic = topic_ref(data.topic_code) if data.topic_code else None
    if topic is None or not topic.active:
        errors["topic"] = "Выберите тему"
    text = normalise_text(data.text)
    if len(text) < TEXT_MIN:
        errors["text"] = "Напишите текст записи"
    elif len(text) > TEXT_MAX:
        errors["text"] = f"Текст не длиннее {TEXT_MAX} знаков (сейчас {len(text)})"
    if data.wants_answer:
        contact = data.contact or ContactInput()
        if not contact.consent:
            errors["consent"] = "Чтобы получить ответ, подтвердите согласие на обработку персональных данных"
        email, phone = contact.email.strip(), contact.phone.strip()
        if not email and not phone:
            errors["email"] = "Укажите электронную почту или телефон для ответа"
        if email and (len(email) > EMAIL_MAX or not EMAIL_RE.match(email)):
            errors["email"] = "Проверьте адрес электронной почты"
        if phone and not PHONE_RE.match(phone):
            errors["phone"] = "Проверьте номер телефона"
        if len(contact.name.strip()) > NAME_MAX:
            errors["name"] = f"Имя не длиннее {NAME_MAX} знаков"
    if data.client_submission_id and not valid_submission_id(data.client_submission_id):
        errors["client_submission_id"] = "Неверный идентификатор отправки"
    return errors, text


# --- submission ------------------------------------------------------------------------------------


def _local_year(timezone: str | None, now: datetime) -> int:
    zone = ZoneInfo(timezone or current_app.config["DEFAULT_CENTER_TIMEZONE"])
    return now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).year


_COUNTER_STEP = DriverStatement(
    update(RegistrationCounter)
    .where(
        RegistrationCounter.center_id == bindparam("counter_center_id"),
        RegistrationCounter.year == bindparam("counter_year"),
    )
    .values(last_value=RegistrationCounter.last_value + 1)
    .returning(RegistrationCounter.last_value)
)
_COUNTER_INSERT = DriverStatement(insert(table_of(RegistrationCounter)))


def next_sequence(center_id: int, year: int, connection: Connection | None = None) -> int:
    """Increment the centre's counter inside the caller's write transaction (the session's by default).

    ``UPDATE … RETURNING`` locks the row (PostgreSQL) or runs under the BEGIN IMMEDIATE lock (SQLite),
    so two transactions never get the same value. The first entry of a year inserts the row; a
    concurrent first insert fails on the unique constraint and the caller retries.
    """
    connection = connection if connection is not None else db.session.connection()
    row = _COUNTER_STEP.first(connection, {"counter_center_id": center_id, "counter_year": year})
    if row is None:
        _COUNTER_INSERT.insert(connection, {"center_id": center_id, "year": year, "last_value": 1})
        return 1
    return int(row[0])


@cache
def _precheck(with_burst_count: bool = False) -> DriverStatement:
    """One statement instead of three: is the kiosk still registered with this token, is this submission
    id stored already, and was the same text stored for the centre within the duplicate window? With
    ``with_burst_count`` (an anonymous entry, burst check on), also the centre's entries in the check
    window, so the burst rule costs no statement of its own."""
    from app.kiosk.models import Kiosk  # the kiosk package imports this module

    burst = (
        [
            select(func.count())
            .select_from(ReviewEntry)
            .where(ReviewEntry.center_id == bindparam("center_id"), ReviewEntry.created_at >= bindparam("window_since"))
            .scalar_subquery()
            .label("recent")
        ]
        if with_burst_count
        else []
    )
    return DriverStatement(
        select(
            select(Kiosk.id)
            .where(
                Kiosk.token_hash == bindparam("kiosk_token_hash"), Kiosk.active.is_(True), Kiosk.revoked_at.is_(None)
            )
            .scalar_subquery()
            .label("kiosk_id"),
            select(ReviewEntry.id)
            .where(ReviewEntry.client_submission_id == bindparam("csid"))
            .scalar_subquery()
            .label("existing_id"),
            select(ReviewEntry.id)
            .where(
                ReviewEntry.center_id == bindparam("center_id"),
                ReviewEntry.body_hash == bindparam("digest"),
                ReviewEntry.created_at >= bindparam("since"),
            )
            .limit(1)
            .scalar_subquery()
            .label("duplicate_id"),
            *burst,
        )
    )


_STORED_BODY = select(
    ReviewEntry.registration_number,
    ReviewEntry.center_id,
    ReviewEntry.entry_type,
    ReviewEntry.topic_id,
    ReviewEntry.body_hash,
    ReviewEntry.text,
    ReviewEntry.wants_answer,
    ReviewEntry.publish_consent,
    ReviewEntry.check_state,
).where(ReviewEntry.id == bindparam("entry_id"))
_CONTACT_INSERT = DriverStatement(insert(table_of(Contact)))
_ENTRY_INSERT = DriverStatement(insert(table_of(ReviewEntry)))


def _existing_receipt(
    connection: Connection, entry_id: int, data: EntryInput, center: CenterRef, topic: TopicRef, text: str
) -> Receipt:
    """The first receipt of a repeated submission, or :class:`SubmissionConflict` when the body differs."""
    stored = connection.execute(_STORED_BODY, {"entry_id": entry_id}).one()
    same_body = (
        stored.center_id == center.id
        and stored.entry_type == data.entry_type
        and stored.topic_id == topic.id
        and stored.body_hash == text_hash(center.id, text)
        and stored.text == text
        and stored.wants_answer == bool(data.wants_answer)
        and stored.publish_consent == bool(data.publish_consent)
    )
    if not same_body:
        raise SubmissionConflict(
            "Эта отправка уже принята с другим содержанием. Обновите страницу и отправьте запись заново."
        )
    return Receipt(
        entry_id,
        stored.registration_number,
        check_code_for(data.client_submission_id),
        False,
        stored.check_state == "checking",
    )


def submit_entry(data: EntryInput) -> Receipt:
    """Save the entry, its contact (only with consent) and its appeal in one transaction.

    Idempotent by ``client_submission_id``: the same body again returns the first receipt; another
    body raises :class:`SubmissionConflict`. The same text for the same centre within the duplicate
    window raises :class:`DuplicateEntry`. The centre, the topic and the deadline rules come from
    short-lived per-process caches; the write itself is Core statements on one write connection.
    """
    center = center_ref(data.center_code)
    if center is None or not center.active:
        raise ReviewError("ЦОК не найден")
    errors, text = validate(data)
    if errors:
        raise ReviewError("Проверьте заполнение формы", errors)
    topic = topic_ref(data.topic_code)
    assert topic is not None  # validate() refuses an unknown or inactive topic
    resolver = shared_resolver()  # read (when stale) before the write lock is taken
    # An anonymous entry may be held for a burst check; the centre's usual rate is cached, read here.
    usual = check.usual_per_window(center.id, utcnow()) if check.enabled() and not data.has_contact else None
    if not data.client_submission_id:
        data = replace(data, client_submission_id=str(uuid.uuid4()))
    for attempt in range(3):
        try:
            return _submit_once(data, center, topic, text, resolver, usual)
        except IntegrityError:
            # A concurrent first counter row or the same submission id committed first; try again.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _check_reasons(
    connection: Connection,
    data: EntryInput,
    center: CenterRef,
    digest: str,
    since: datetime,
    arriving: int,
    usual: float,
) -> tuple[dict, str | None]:
    """Why a held entry was held (rate, identical texts, one address) and its address's keyed hash."""
    address = check.address_hash(data.client_address)
    recent = (
        select(func.count())
        .select_from(ReviewEntry)
        .where(ReviewEntry.center_id == center.id, ReviewEntry.created_at >= since)
    )
    identical = 1 + int(connection.execute(recent.where(ReviewEntry.body_hash == digest)).scalar() or 0)
    same_address = None
    if address is not None:
        same_address = 1 + int(
            connection.execute(recent.where(ReviewEntry.check_address_hash == address)).scalar() or 0
        )
    return check.reasons(arriving=arriving, usual=usual, identical=identical, same_address=same_address), address


def _submit_once(
    data: EntryInput,
    center: CenterRef,
    topic: TopicRef,
    text: str,
    resolver: DeadlineResolver,
    usual: float | None = None,
) -> Receipt:
    digest = text_hash(center.id, text)
    window = int(current_app.config["REVIEW_DUPLICATE_WINDOW_SECONDS"])
    with write_connection() as connection:
        now = utcnow()  # under the write lock, so that times follow the registration numbers
        params = {
            "kiosk_token_hash": data.kiosk_token_hash,
            "csid": data.client_submission_id,
            "center_id": center.id,
            "digest": digest,
            "since": now - timedelta(seconds=window),
        }
        burst_since = now - timedelta(minutes=check.settings()[0])
        if usual is not None:
            params["window_since"] = burst_since
        found = _precheck(usual is not None).first(connection, params)
        assert found is not None  # a SELECT of scalar subqueries returns one row
        kiosk_id, existing_id, duplicate_id, *recent = found
        if data.kiosk_token_hash is not None and kiosk_id != data.kiosk_id:
            raise KioskNotRegistered("Киоск не зарегистрирован")
        if existing_id is not None:
            return _existing_receipt(connection, existing_id, data, center, topic, text)
        if duplicate_id is not None:
            raise DuplicateEntry("Такая запись уже принята несколько минут назад. Повторно отправлять ее не нужно.")
        contact_id = None
        if data.wants_answer and data.contact is not None:
            contact_id = _CONTACT_INSERT.insert(
                connection,
                {
                    "name": data.contact.name.strip(),
                    "email": data.contact.email.strip(),
                    "phone": data.contact.phone.strip(),
                    "purpose": data.contact.purpose,
                    "consent_version": data.contact.consent_version,
                    "consented_at": now,
                },
            )
        year = _local_year(center.timezone, now)
        channel, subtype = appeal_shape(data.origin, data.kiosk_id)
        due_at = resolver.due(kind_for(data.entry_type), topic.id, to_naive_utc(now), channel)
        number = format_number(center.code, year, next_sequence(center.id, year, connection))
        code = check_code_for(data.client_submission_id)
        held: dict = {}
        arriving = 1 + int(recent[0] or 0) if recent else 0
        if usual is not None and contact_id is None and check.is_burst(arriving, usual):
            reasons, address = _check_reasons(connection, data, center, digest, burst_since, arriving, usual)
            held = {"check_state": "checking", "check_reasons": reasons, "check_address_hash": address}
            appeal_id = None  # no appeal, so no queue item, until an operator accepts the entry
        else:
            appeal_id = insert_appeal(
                connection,
                kind=kind_for(data.entry_type),
                form="interactive",
                channel=channel,
                topic_id=topic.id,
                center_id=center.id,
                received_at=now,
                text=text,
                contact_id=contact_id,
                external_source=REVIEW_BOOK_SOURCE,
                external_id=number,
                resolver=resolver,
                subtype=subtype,
            )
        entry_id = _ENTRY_INSERT.insert(
            connection,
            {
                "registration_number": number,
                "check_code_hash": hash_check_code(number, code),
                "client_submission_id": data.client_submission_id,
                "body_hash": digest,
                "center_id": center.id,
                "entry_type": data.entry_type,
                "topic_id": topic.id,
                "text": text,
                "wants_answer": bool(data.wants_answer),
                "publish_consent": bool(data.publish_consent),
                "contact_id": contact_id,
                "moderation": "pending",
                "published_at": None,
                "appeal_id": appeal_id,
                "kiosk_id": data.kiosk_id,
                "answer_sent_at": None,
                "created_at": now,
                "origin": data.origin,
                **held,
            },
        )
    if held:
        current_app.logger.warning(
            "review entry held for check: center=%s arrived=%s in %s min",
            center.code,
            held["check_reasons"]["arrived"],
            held["check_reasons"]["window_minutes"],
        )
    return Receipt(entry_id, number, code, True, bool(held), due_at, center.timezone, contact_id is not None)


# --- status look-up and consent withdrawal ---------------------------------------------------------


def find_by_check_code(model: type[Numbered], registration_number: str, check_code: str) -> Numbered | None:
    """The row of ``model`` (anything numbered in the review book's series: entries, bookings, requests)
    for a number + check code pair, or None for any wrong pair (no hint which part). The hash is compared
    in constant time, against a dummy when the number is unknown, so timing tells nothing either."""
    number = (registration_number or "").strip().upper()
    code = (check_code or "").strip().upper()
    if not NUMBER_RE.fullmatch(number) or len(code) != CHECK_LENGTH:
        return None
    column = model.registration_number  # type: ignore[attr-defined]  # every numbered model has it
    stored = db.session.scalar(select(model).where(column == number))
    expected = getattr(stored, "check_code_hash", "0" * 64)
    if not hmac.compare_digest(expected, hash_check_code(number, code)) or stored is None:
        return None
    return stored


def lookup(registration_number: str, check_code: str) -> ReviewEntry | None:
    """The entry for a number + check code pair, or None for any wrong pair (no hint which part)."""
    return find_by_check_code(ReviewEntry, registration_number, check_code)


@dataclass(frozen=True)
class EntryStatus:
    label: str
    answer: str
    answered_at: datetime | None
    moderation: str
    has_contact: bool
    check_state: str | None = None


def entry_status(entry: ReviewEntry) -> EntryStatus:
    appeal = db.session.get(Appeal, entry.appeal_id) if entry.appeal_id else None
    answered = appeal is not None and appeal.answered_at is not None and bool((appeal.answer_summary or "").strip())
    if entry.check_state in ("checking", "rejected"):
        label = CHECK_STATES[entry.check_state]
    elif appeal is None:
        label = N_("Зарегистрировано")
    elif appeal.status == "closed" and answered:
        label = N_("Дан ответ, обращение закрыто")
    else:
        label = STATUSES.get(appeal.status, appeal.status)
    return EntryStatus(
        label=label,
        answer=appeal.answer_summary if answered and appeal is not None else "",
        answered_at=appeal.answered_at if answered and appeal is not None else None,
        moderation=entry.moderation,
        has_contact=entry.contact_id is not None,
        check_state=entry.check_state,
    )


def withdraw_consent(entry: ReviewEntry) -> bool:
    """Erase the entry's contact data (consent withdrawn). Returns False when there was none."""
    if entry.contact_id is None:
        return False
    with write_transaction():
        contact = db.session.get(Contact, entry.contact_id)
        entry.contact_id = None
        if entry.appeal_id:
            appeal = db.session.get(Appeal, entry.appeal_id)
            if appeal is not None and appeal.contact_id == (contact.id if contact else None):
                appeal.contact_id = None
        if contact is not None:
            db.session.delete(contact)
        audit.record("review.consent_withdrawn", entry, summary=entry.registration_number)
    return True


# --- moderation and the public book ----------------------------------------------------------------


def moderation_query(center_ids: set[int], state: str = "pending"):
    query = select(ReviewEntry).where(
        ReviewEntry.center_id.in_(center_ids or {-1}),
        ReviewEntry.origin.is_(None),  # questions to a specialist are not reviews: never in the book
        ~ReviewEntry.check_state.in_(("checking", "rejected")) | ReviewEntry.check_state.is_(None),
    )  # those wait on the check page
    if state in ("pending", "published", "hidden"):
        query = query.where(ReviewEntry.moderation == state)
    # The page shows each entry's centre and topic: loaded with the page, not one query per row.
    return query.options(selectinload(ReviewEntry.center), selectinload(ReviewEntry.topic)).order_by(
        ReviewEntry.created_at.desc(), ReviewEntry.id.desc()
    )


def moderate(entry: ReviewEntry, action: str, user: User | None) -> ReviewEntry:
    """Publish or hide an entry; only entries whose author allowed publication can be published."""
    if action not in ("publish", "hide"):
        raise ReviewError("Неизвестное действие")
    if action == "publish" and not entry.publish_consent:
        raise ReviewError("Автор не разрешил публиковать эту запись")
    if action == "publish" and entry.check_state in ("checking", "rejected"):
        raise ReviewError("Запись на проверке или отклонена как спам: опубликовать ее нельзя")
    with write_transaction():
        entry.moderation = "published" if action == "publish" else "hidden"
        entry.published_at = utcnow() if action == "publish" else None
        audit.record(
            f"review.{action}",
            entry,
            summary=entry.registration_number,
            **({"user_id": user.id} if user is not None else {}),
        )
    return entry


def published_query(center_id: int):
    return (
        select(ReviewEntry)
        .where(
            ReviewEntry.center_id == center_id,
            ReviewEntry.moderation == "published",
            ReviewEntry.publish_consent.is_(True),
        )
        .order_by(ReviewEntry.created_at.desc(), ReviewEntry.id.desc())
    )


def appeals_by_id(entries: list[ReviewEntry]) -> dict[int, Appeal]:
    ids = {e.appeal_id for e in entries if e.appeal_id}
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(select(Appeal).where(Appeal.id.in_(ids)))}


def published_counts(center_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(ReviewEntry.entry_type, func.count())
        .where(
            ReviewEntry.center_id == center_id,
            ReviewEntry.moderation == "published",
            ReviewEntry.publish_consent.is_(True),
        )
        .group_by(ReviewEntry.entry_type)
    )
    counts = dict.fromkeys(ENTRY_TYPES, 0)
    counts.update({kind: int(n) for kind, n in rows})
    return counts


__all__ = [
    "ContactInput",
    "DuplicateEntry",
    "EntryInput",
    "KioskNotRegistered",
    "Receipt",
    "ReviewError",
    "SubmissionConflict",
    "active_topics",
    "appeals_by_id",
    "check_code_for",
    "entry_status",
    "find_center",
    "hash_check_code",
    "lookup",
    "moderate",
    "moderation_query",
    "next_sequence",
    "published_counts",
    "published_query",
    "submit_entry",
    "withdraw_consent",
]
