"""Business rules of the appeals registry: registration, deadlines, workflow, promises.

Deadline precedence (first match wins):

1. a :class:`DeadlineRule` for the appeal's kind *and* topic;
2. a written appeal (channel ``letter``): the written-appeal term, Setting ``appeals_written_deadline``
   (default 30 calendar days, as 59-ФЗ requires; an admin may change it);
3. a :class:`DeadlineRule` for the kind with no topic;
4. built-in defaults: complaint 10 working days, application 15 working days.

Working days follow the Russian production calendar, see :mod:`app.appeals.deadlines`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import has_app_context
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.appeals.deadlines import due_date, end_of_day_utc, local_date, to_naive_utc
from app.appeals.models import (
    CHANNELS,
    FORMS,
    KINDS,
    STATUSES,
    SUBTYPE_KINDS,
    SUBTYPES,
    Appeal,
    AppealStatusChange,
    DeadlineRule,
    Promise,
    RootCause,
)
from app.cache import app_cache, clear_cache, clear_on_commit
from app.config import setting
from app.database import DriverStatement, table_of, write_transaction
from app.errors import DomainError
from app.extensions import db
from app.models import Contact, Organisation, OrgKind, Setting, Topic, User, utcnow

WRITTEN_DEADLINE_KEY = "appeals_written_deadline"
DEFAULT_WRITTEN_TERM = (30, False)  # days, working days?
DEFAULT_TERMS: dict[str, tuple[int, bool]] = {"complaint": (10, True), "application": (15, True)}

# Allowed workflow moves; anything else raises IllegalTransition.
TRANSITIONS: dict[str, frozenset[str]] = {
    "registered": frozenset({"in_progress", "rejected", "duplicate"}),
    "in_progress": frozenset({"answered", "rejected", "duplicate"}),
    "answered": frozenset({"closed", "in_progress"}),  # back to work if the answer did not help
    "closed": frozenset(),
    "rejected": frozenset(),
    "duplicate": frozenset(),
}
OPEN_STATUSES = ("registered", "in_progress")
CONSENT_VERSION = "appeal-answer-v1"  # the consent to be answered that operators ask for at registration


class AppealError(DomainError):
    """A refused action on an appeal, with a Russian message for the user."""


class IllegalTransition(AppealError):
    """A status change that the workflow does not allow."""


class ConsentRequired(AppealError):
    """Contact details without the customer's consent: 152-ФЗ forbids storing them."""

    def __init__(self, message: str = "Без согласия клиента контактные данные сохранить нельзя") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class ContactDetails:
    """How the customer wants to be answered, as an operator typed it (any part may be empty)."""

    name: str = ""
    phone: str = ""
    email: str = ""

    @property
    def given(self) -> bool:
        return any((self.name, self.phone, self.email))


def center_timezone() -> str:
    return setting("DEFAULT_CENTER_TIMEZONE")


# --- deadlines -----------------------------------------------------------------------------------


class DeadlineResolver:
    """Deadline rules read once; due dates cached per (kind, topic, written?, local date).

    The importer uses one resolver for a whole file, so a million rows need a few hundred
    calendar computations rather than a million.
    """

    def __init__(self, tz: str | None = None) -> None:
        self.tz = tz or center_timezone()
        self.rules: dict[tuple[str, int | None], tuple[int, bool]] = {
            (r.kind, r.topic_id): (r.days, r.working_days) for r in db.session.scalars(select(DeadlineRule))
        }
        self.written = written_term()
        self._cache: dict[tuple[str, int | None, bool, date], datetime] = {}

    def term(self, kind: str, topic_id: int | None, channel: str | None = None) -> tuple[int, bool]:
        """(days, working days?) for an appeal, by the precedence in the module docstring."""
        if (kind, topic_id) in self.rules and topic_id is not None:
            return self.rules[(kind, topic_id)]
        if channel == "letter":
            return self.written
        if (kind, None) in self.rules:
            return self.rules[(kind, None)]
        return DEFAULT_TERMS.get(kind, DEFAULT_TERMS["application"])

    def due(self, kind: str, topic_id: int | None, received_at: datetime, channel: str | None = None) -> datetime:
        return self.due_for_date(kind, topic_id, local_date(received_at, self.tz), channel)

    def due_for_date(self, kind: str, topic_id: int | None, day: date, channel: str | None = None) -> datetime:
        key = (kind, topic_id, channel == "letter", day)
        found = self._cache.get(key)
        if found is None:
            days, working = self.term(kind, topic_id, channel)
            found = self._cache[key] = end_of_day_utc(due_date(day, days, working), self.tz)
        return found


def written_term() -> tuple[int, bool]:
    """The written-appeal term (days, working?) from settings, default 30 calendar days."""
    setting = db.session.get(Setting, WRITTEN_DEADLINE_KEY)
    value = setting.value if setting is not None and isinstance(setting.value, dict) else {}
    try:
        return int(value.get("days", DEFAULT_WRITTEN_TERM[0])), bool(value.get("working_days", False))
    except (TypeError, ValueError):
        return DEFAULT_WRITTEN_TERM


def compute_due(kind: str, topic_id: int | None, received_at: datetime, channel: str | None = None) -> datetime:
    """When an appeal received at ``received_at`` (naive UTC) must be answered (naive UTC)."""
    return shared_resolver().due(kind, topic_id, to_naive_utc(received_at), channel)


# --- the per-process deadline cache ----------------------------------------------------------------

# A process reuses the rules and the written term it read for ``DEADLINE_CACHE_SECONDS``: every appeal used
# to read all rules and the setting again, and admins edit them rarely. A committed ORM change to a rule or to
# the written-term setting in this process clears the cache at once (see :func:`invalidate_deadline_cache`);
# other processes see it when the period ends.
_DEADLINES = "appeals.deadlines"


def shared_resolver() -> DeadlineResolver:
    """A resolver whose rules were read at most ``DEADLINE_CACHE_SECONDS`` ago (a new one outside an app)."""
    if not has_app_context():
        return DeadlineResolver()
    return app_cache(_DEADLINES, "DEADLINE_CACHE_SECONDS").get(("resolver",), DeadlineResolver)


def invalidate_deadline_cache() -> None:
    """Forget the current app's deadline rules and written term (called after a committed change)."""
    clear_cache(_DEADLINES)


def _affects_deadlines(obj: Any) -> bool:
    return isinstance(obj, DeadlineRule) or (isinstance(obj, Setting) and obj.key == WRITTEN_DEADLINE_KEY)


clear_on_commit(_DEADLINES, _affects_deadlines, (DeadlineRule, Setting), bulk_inserts=True)


# --- registration --------------------------------------------------------------------------------


def _check_choice(value: str, allowed: dict[str, str], what: str) -> str:
    if value not in allowed:
        raise AppealError(f"Неизвестное значение поля «{what}»: {value!r}")
    return value


def _check_subtype(kind: str, subtype: str | None) -> None:
    """A subtype refines one kind only: a question is an application."""
    if subtype is None:
        return
    _check_choice(subtype, SUBTYPES, "подвид")
    if SUBTYPE_KINDS[subtype] != kind:
        raise AppealError(f"Подвид «{SUBTYPES[subtype]}» бывает только у вида «{KINDS[SUBTYPE_KINDS[subtype]]}»")


def create_appeal_in_session(
    *,
    kind: str,
    form: str,
    channel: str,
    topic_code: str,
    center_id: int,
    received_at: datetime,
    text: str = "",
    contact_id: int | None = None,
    external_source: str | None = None,
    external_id: str | None = None,
    user: User | None = None,
    subtype: str | None = None,
) -> Appeal:
    """Add an appeal inside the caller's open transaction (flushes, never commits).

    Used by the review book and the survey close-the-loop, which create appeals in their own
    ``write_transaction()``; they write their own audit record.
    """
    _check_choice(kind, KINDS, "вид")
    _check_choice(form, FORMS, "форма")
    _check_choice(channel, CHANNELS, "канал")
    _check_subtype(kind, subtype)
    topic = db.session.scalar(select(Topic).where(Topic.code == topic_code))
    if topic is None:
        raise AppealError(f"Неизвестная тема обращения: {topic_code!r}")
    center = db.session.get(Organisation, center_id)
    if center is None or center.kind != OrgKind.CENTER:
        raise AppealError("Обращение должно относиться к ЦОК")
    if external_id:
        clash = db.session.scalar(
            select(Appeal.id).where(Appeal.external_source == external_source, Appeal.external_id == external_id)
        )
        if clash is not None:
            raise AppealError(f"Обращение с внешним номером «{external_id}» уже зарегистрировано")
    received = to_naive_utc(received_at)
    appeal = Appeal(
        kind=kind,
        subtype=subtype,
        form=form,
        channel=channel,
        topic_id=topic.id,
        center_id=center.id,
        received_at=received,
        due_at=compute_due(kind, topic.id, received, channel),
        status="registered",
        text=text or "",
        contact_id=contact_id,
        external_source=external_source,
        external_id=external_id or None,
        created_by_id=user.id if user else None,
    )
    db.session.add(appeal)
    db.session.flush()
    db.session.add(
        AppealStatusChange(
            appeal_id=appeal.id,
            from_status=None,
            to_status="registered",
            user_id=user.id if user else None,
            note="Зарегистрировано",
        )
    )
    db.session.flush()
    return appeal


_APPEAL_INSERT = DriverStatement(insert(table_of(Appeal)))
_HISTORY_INSERT = DriverStatement(insert(table_of(AppealStatusChange)))
_EXTERNAL_ID_CONSTRAINT = ("uq_appeal_external", "appeal.external_source")  # PostgreSQL / SQLite wording


def _is_external_id_clash(exc: IntegrityError) -> bool:
    return any(name in str(exc.orig) for name in _EXTERNAL_ID_CONSTRAINT)


def insert_appeal(
    connection: Connection,
    *,
    kind: str,
    form: str,
    channel: str,
    topic_id: int,
    center_id: int,
    received_at: datetime,
    text: str = "",
    contact_id: int | None = None,
    external_source: str | None = None,
    external_id: str | None = None,
    resolver: DeadlineResolver | None = None,
    subtype: str | None = None,
) -> int:
    """Insert an appeal and its first history row with Core statements in the caller's write transaction.

    For the review book's hot path, whose caller has already checked that the topic exists and the
    centre is a centre: flushing two new ORM objects costs several times their SQL. The rows are those
    of :func:`create_appeal_in_session` without a user. Returns the new appeal's id.

    A taken external id is refused by the unique constraint rather than by a SELECT first (one statement
    less); the caller's transaction must then be rolled back, which raising does.
    """
    _check_choice(kind, KINDS, "вид")
    _check_choice(form, FORMS, "форма")
    _check_choice(channel, CHANNELS, "канал")
    _check_subtype(kind, subtype)
    received = to_naive_utc(received_at)
    due_at = (resolver or shared_resolver()).due(kind, topic_id, received, channel)
    try:
        appeal_id = _APPEAL_INSERT.insert(
            connection,
            {
                "kind": kind,
                "subtype": subtype,
                "form": form,
                "channel": channel,
                "topic_id": topic_id,
                "center_id": center_id,
                "received_at": received,
                "due_at": due_at,
                "status": "registered",
                "text": text or "",
                "contact_id": contact_id,
                "external_source": external_source,
                "external_id": external_id or None,
                "created_by_id": None,
            },
        )
    except IntegrityError as exc:
        if external_id and _is_external_id_clash(exc):
            raise AppealError(f"Обращение с внешним номером «{external_id}» уже зарегистрировано") from None
        raise
    _HISTORY_INSERT.insert(
        connection,
        {
            "appeal_id": appeal_id,
            "from_status": None,
            "to_status": "registered",
            "user_id": None,
            "note": "Зарегистрировано",
        },
    )
    return appeal_id


def register_appeal(**fields) -> Appeal:
    """Register an appeal in its own transaction with an audit record (same arguments as above)."""
    with write_transaction():
        appeal = create_appeal_in_session(**fields)
        user = fields.get("user")
        audit.record("appeal.register", appeal, summary=f"{appeal.kind}/{appeal.channel}", **_who(user))
    return appeal


def register_with_contact(*, contact: ContactDetails, consent: bool, user: User | None, **fields) -> Appeal:
    """Register an appeal typed in by an operator: its contact (only with consent), the appeal and the
    audit record in one transaction, so a refused appeal leaves no orphan contact behind.

    Raises :class:`ConsentRequired` before anything is written when contact details come without consent,
    and :class:`AppealError` for an appeal without text or otherwise refused (see
    :func:`create_appeal_in_session`): an operator's appeal says what the customer asked for.
    """
    if not (fields.get("text") or "").strip():
        raise AppealError("Опишите, с чем обратился клиент")
    if contact.given and not consent:
        raise ConsentRequired()
    with write_transaction():
        contact_id = None
        if contact.given:
            row = Contact(
                name=contact.name,
                phone=contact.phone,
                email=contact.email,
                purpose="appeal",
                consent_version=CONSENT_VERSION,
            )
            db.session.add(row)
            db.session.flush()
            contact_id = row.id
        appeal = create_appeal_in_session(contact_id=contact_id, user=user, **fields)
        audit.record("appeal.register", appeal, summary=f"{appeal.kind}/{appeal.channel}", **_who(user))
    return appeal


def _who(user: User | None) -> dict:
    return {"user_id": user.id} if user is not None else {}


# --- workflow ------------------------------------------------------------------------------------


def _move(appeal: Appeal, to_status: str, user: User | None, note: str = "") -> None:
    """Change the status inside an open transaction: check, history row, audit."""
    if to_status not in STATUSES:
        raise AppealError(f"Неизвестный статус: {to_status!r}")
    if to_status not in TRANSITIONS.get(appeal.status, frozenset()):
        raise IllegalTransition(
            f"Нельзя перевести обращение из статуса «{STATUSES.get(appeal.status, appeal.status)}» "
            f"в статус «{STATUSES[to_status]}»"
        )
    if to_status == "answered" and not (appeal.answer_summary or "").strip():
        raise AppealError("Чтобы отметить ответ, заполните краткое содержание ответа")
    if to_status == "closed":
        if not (appeal.answer_summary or "").strip():
            raise AppealError("Нельзя закрыть обращение без краткого содержания ответа")
        if appeal.root_cause_id is None:
            raise AppealError("Нельзя закрыть обращение без коренной причины")
    now = utcnow()
    db.session.add(
        AppealStatusChange(
            appeal_id=appeal.id,
            from_status=appeal.status,
            to_status=to_status,
            at=now,
            user_id=user.id if user else None,
            note=note or "",
        )
    )
    previous, appeal.status = appeal.status, to_status
    if to_status == "answered":
        appeal.answered_at = now
    elif to_status == "closed":
        appeal.closed_at = now
    elif to_status == "in_progress" and previous == "answered":
        appeal.answered_at = None
    audit.record("appeal.status", appeal, summary=f"{previous} → {to_status}", **_who(user))


def change_status(appeal: Appeal, to_status: str, user: User | None, note: str = "") -> Appeal:
    """Move an appeal along the workflow; illegal moves raise :class:`IllegalTransition`."""
    with write_transaction():
        _move(appeal, to_status, user, note)
    return appeal


class NameInAnswer(AppealError):
    """An answer that names the customer, not yet confirmed: it may be published in the review book or
    sent on, so the operator confirms that the name belongs there. ``words`` are the words that name them."""

    def __init__(self, words: list[str]) -> None:
        super().__init__("В ответе упомянуто имя клиента: " + ", ".join(f"«{word}»" for word in words))
        self.words = words


def customer_name_in(appeal: Appeal, text: str) -> list[str]:
    """The words of ``text`` that name the appeal's customer (from its contact), in any grammatical case."""
    contact = db.session.get(Contact, appeal.contact_id) if appeal.contact_id else None
    if contact is None or not (contact.name or "").strip():
        return []
    from app.text.names import find_name  # the dictionary loads on first use, not at import

    return list(dict.fromkeys(mention.word for mention in find_name(text, contact.name)))


def answer(appeal: Appeal, summary: str, user: User | None, *, name_confirmed: bool = False) -> Appeal:
    """Record the answer summary and mark the appeal answered (taking it into work first if needed).

    An answer naming the customer is refused with :class:`NameInAnswer` (nothing written) unless
    ``name_confirmed``.
    """
    summary = (summary or "").strip()
    if not summary:
        raise AppealError("Заполните краткое содержание ответа")
    if not name_confirmed and (words := customer_name_in(appeal, summary)):
        raise NameInAnswer(words)
    with write_transaction():
        if appeal.status == "registered":
            _move(appeal, "in_progress", user, "Взято в работу при ответе")
        if "answered" not in TRANSITIONS.get(appeal.status, frozenset()):
            raise IllegalTransition(
                f"Нельзя ответить на обращение в статусе «{STATUSES.get(appeal.status, appeal.status)}»"
            )
        appeal.answer_summary = summary
        _move(appeal, "answered", user)
        audit.record("appeal.answer", appeal, summary=f"appeal {appeal.id}", **_who(user))
    return appeal


def close(appeal: Appeal, root_cause_id: int | None, user: User | None, note: str = "") -> Appeal:
    """Close an answered appeal with its root cause (required)."""
    with write_transaction():
        if root_cause_id is not None:
            cause = db.session.get(RootCause, root_cause_id)
            if cause is None:
                raise AppealError("Неизвестная коренная причина")
            appeal.root_cause_id = cause.id
        _move(appeal, "closed", user, note)
    return appeal


def add_promise(appeal: Appeal, text: str, due_at: datetime, user: User | None) -> Promise:
    """Record what was promised to the customer and by when."""
    text = (text or "").strip()
    if not text:
        raise AppealError("Опишите, что обещано клиенту")
    if appeal.status in ("closed", "rejected", "duplicate"):
        raise AppealError("Нельзя добавить обещание к закрытому обращению")
    with write_transaction():
        promise = Promise(
            appeal_id=appeal.id,
            text=text,
            due_at=to_naive_utc(due_at),
            status="open",
            created_by_id=user.id if user else None,
        )
        db.session.add(promise)
        db.session.flush()
        audit.record("appeal.promise", appeal, summary=f"promise {promise.id}", **_who(user))
    return promise


def resolve_promise(promise: Promise, kept: bool, user: User | None) -> Promise:
    """Mark an open promise kept or broken (once)."""
    if promise.status != "open":
        raise AppealError("Обещание уже отмечено")
    with write_transaction():
        promise.status = "kept" if kept else "broken"
        promise.resolved_at = utcnow()
        audit.record(
            "appeal.promise_resolve", promise.appeal, summary=f"promise {promise.id}: {promise.status}", **_who(user)
        )
    return promise


def link_corrective_action(appeal: Appeal, action_id: int | None, user: User | None) -> Appeal:
    """Link (or, with None, unlink) a corrective action to an appeal: only an action of the appeal's centre or
    of an organisation above it (a branch's or the company's), which the appeal's operator may see. A missing
    and a foreign action get the same message, so the form tells nobody which action numbers exist elsewhere."""
    from app.analysis.models import CorrectiveAction
    from app.org.services import centers_under

    with write_transaction():
        action = db.session.get(CorrectiveAction, action_id) if action_id is not None else None
        if action_id is not None and (
            action is None or appeal.center_id not in {c.id for c in centers_under(action.owner)}
        ):
            raise AppealError(
                f"Корректирующее мероприятие № {action_id} не найдено среди мероприятий ЦОК этого обращения"
            )
        appeal.corrective_action_id = action_id
        audit.record("appeal.corrective_action", appeal, summary=f"action {action_id}", **_who(user))
    return appeal


def set_led_to_contract(appeal: Appeal, led_to_contract: bool, user: User | None) -> Appeal:
    """Mark whether the appeal ended in a connection or transmission contract: a column of the
    regulator's п. 4.1 form, known only when the contract is signed, so it can be set at any stage."""
    with write_transaction():
        appeal.led_to_contract = bool(led_to_contract)
        audit.record("appeal.contract", appeal, summary="contract" if led_to_contract else "no contract", **_who(user))
    return appeal


def set_root_cause(appeal: Appeal, root_cause_id: int | None, user: User | None) -> Appeal:
    with write_transaction():
        if root_cause_id is not None and db.session.get(RootCause, root_cause_id) is None:
            raise AppealError("Неизвестная коренная причина")
        appeal.root_cause_id = root_cause_id
        audit.record("appeal.root_cause", appeal, summary=f"root cause {root_cause_id}", **_who(user))
    return appeal


def promise_state(promise: Promise, now: datetime | None = None) -> str:
    """open | overdue | kept | broken — an open promise past its date is overdue."""
    if promise.status == "open" and promise.due_at < (now or utcnow()):
        return "overdue"
    return promise.status


def is_overdue(appeal: Appeal, now: datetime | None = None) -> bool:
    return appeal.status in OPEN_STATUSES and appeal.due_at < (now or utcnow())


__all__ = [
    "AppealError",
    "DeadlineResolver",
    "IllegalTransition",
    "NameInAnswer",
    "TRANSITIONS",
    "add_promise",
    "answer",
    "change_status",
    "close",
    "compute_due",
    "customer_name_in",
    "create_appeal_in_session",
    "insert_appeal",
    "invalidate_deadline_cache",
    "is_overdue",
    "link_corrective_action",
    "promise_state",
    "register_appeal",
    "register_with_contact",
    "resolve_promise",
    "set_led_to_contract",
    "set_root_cause",
    "shared_resolver",
]
