"""Survey business rules: versions (draft → published → closed), assignments and idempotent submission.

Published definitions never change, so their parsed form is cached in-process by version. The public
hot path (survey page, response POST) reads what it needs from a short-lived per-app cache (see
``SURVEY_CACHE_SECONDS``), so a submission costs one write transaction: two INSERT statements (the
response, then all its answers in one executemany) and the commit. Idempotency is checked by the
unique ``client_submission_id``: a retry fails the insert and is answered from the stored row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import string
import threading
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload

from app import audit
from app.cache import TtlCache, app_cache, clear_cache, clear_on_commit
from app.database import DriverStatement, table_of, write_connection, write_transaction
from app.errors import DomainError
from app.extensions import db
from app.models import Contact, Organisation, OrgKind, Topic, User, utcnow
from app.surveys import integrity
from app.surveys.models import (
    ASSIGNABLE_CHANNELS,
    CHANNEL_LABELS,
    CHANNELS,
    Answer,
    Response,
    Survey,
    SurveyAssignment,
    SurveyVersion,
)
from app.surveys.schema import DefinitionError, SurveyDefinition, definition_changes, validate_definition
from app.surveys.schema import validate_submission as _validate_submission
from app.surveys.schema.model import OTHER_SUFFIX

log = logging.getLogger("otklik.surveys")

CONSENT_VERSION = "survey-callback-2026-01"
CONSENT_TEXT = (
    "Я даю согласие {company} (оператор персональных данных) на обработку моих персональных данных — "
    "фамилии, имени, отчества, номера телефона и адреса электронной почты, указанных в этой форме, — "
    "в соответствии с Федеральным законом от 27.07.2006 № 152-ФЗ «О персональных данных». "
    "Цель обработки: связаться со мной по поводу моего отзыва об обслуживании и ответить на него. "
    "Действия с данными: сбор, запись, хранение, использование, уточнение, удаление; без передачи третьим "
    "лицам. Данные хранятся отдельно от ответов на вопросы анкеты. "
    "Срок действия согласия: до достижения цели обработки, но не более одного года с даты его "
    "предоставления, после чего данные удаляются. "
    "Я могу отозвать согласие в любой момент, направив заявление в любой центр обслуживания клиентов или "
    "по электронной почте оператора; после отзыва мои данные будут удалены в течение 30 дней."
)

SHORT_CODE_ALPHABET = string.ascii_lowercase.replace("l", "") + "23456789"


class SurveyError(DomainError):
    """A domain error with a Russian message."""


class SurveyNotFound(SurveyError):
    status, code = 404, "not_found"

    def __init__(self, message: str = "Анкета не найдена"):
        super().__init__(message)


class SurveyClosed(SurveyError):
    status, code = 410, "gone"

    def __init__(self, message: str = "Опрос завершен и больше не принимает ответы"):
        super().__init__(message)


class InvalidDefinition(SurveyError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("Анкета содержит ошибки:\n" + "\n".join(errors))


class InvalidSubmission(SurveyError):
    status, code = 422, "invalid"

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("Ответы содержат ошибки: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))


class SubmissionConflict(SurveyError):
    status, code = 409, "conflict"

    def __init__(
        self,
        message: str = "Ответ с этим идентификатором уже сохранен с другим содержимым. "
        "Создайте новый идентификатор отправки.",
    ):
        super().__init__(message)


class SubmissionForbidden(SurveyError):
    """The poster may not post here: no active assignment, or a centre outside the kiosk's or token's."""

    status, code = 403, "forbidden"


@dataclass(frozen=True)
class SubmissionResult:
    response_id: int
    created: bool


def consent_text(company: str | None = None) -> str:
    """The full 152-ФЗ consent text of version :data:`CONSENT_VERSION`."""
    if company is None:
        try:
            from flask import current_app

            company = current_app.config.get("COMPANY_NAME")
        except RuntimeError:
            company = None
    return CONSENT_TEXT.format(company=company or "ПАО «МРСК Центра»")


# --------------------------------------------------------------------------- definitions cache

_cache_lock = threading.Lock()
_parsed: dict[tuple[str, int, str], SurveyDefinition] = {}


def _cache_key(version: SurveyVersion) -> tuple[str, int, str]:
    # The database URL and publication time keep test databases (ids reused) apart.
    return (str(db.engine.url), version.id, str(version.published_at))


def definition_of(version: SurveyVersion) -> SurveyDefinition:
    """The parsed definition of a version; published ones are cached (they never change)."""
    if version.status == "draft":
        return _parse(version.definition)
    key = _cache_key(version)
    found = _parsed.get(key)
    if found is None:
        found = _parse(version.definition)
        with _cache_lock:
            if len(_parsed) > 1000:
                _parsed.clear()
            _parsed[key] = found
    return found


def _parse(doc: dict[str, Any]) -> SurveyDefinition:
    try:
        return validate_definition(doc)
    except DefinitionError as exc:
        raise InvalidDefinition(exc.errors) from None


# --------------------------------------------------------------------------- hot-path cache

# The public pages' cache (short code → assignment, slug → published version, centre code → id), kept
# ``SURVEY_CACHE_SECONDS``. A publish, close, assignment or any ORM change to surveys, versions, assignments
# or organisations committed in the same process clears it at once; other processes (gunicorn workers) see
# the change when the period ends.
_CACHE = "surveys"


def _hot_cache() -> TtlCache:
    return app_cache(_CACHE, "SURVEY_CACHE_SECONDS")


def invalidate_caches() -> None:
    """Forget cached assignments, published versions and centres of the current app (this process)."""
    clear_cache(_CACHE)


@dataclass(frozen=True)
class AssignmentInfo:
    """What the respondent page needs of an assignment (a plain value, safe to share between requests)."""

    id: int
    survey_id: int
    slug: str
    center_id: int
    center_name: str
    channel: str
    short_code: str
    active: bool


@dataclass(frozen=True)
class PublishedInfo:
    """The published version of a survey and its parsed definition; ``fragments`` caches rendered HTML
    that depends only on this version (filled by the respondent page)."""

    survey_id: int
    slug: str
    version_id: int
    number: int
    definition: SurveyDefinition
    fragments: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


def assignment_info(code: str) -> AssignmentInfo | None:
    """The assignment of a short code (cached, see ``SURVEY_CACHE_SECONDS``)."""
    code = (code or "").strip().lower()
    return _hot_cache().get(("assignment", code), lambda: _load_assignment(code))


def _load_assignment(code: str) -> AssignmentInfo | None:
    row = db.session.execute(
        select(
            SurveyAssignment.id,
            SurveyAssignment.survey_id,
            Survey.slug,
            SurveyAssignment.center_id,
            Organisation.name,
            SurveyAssignment.channel,
            SurveyAssignment.short_code,
            SurveyAssignment.active,
        )
        .join(Survey, Survey.id == SurveyAssignment.survey_id)
        .join(Organisation, Organisation.id == SurveyAssignment.center_id)
        .where(SurveyAssignment.short_code == code)
    ).first()
    return AssignmentInfo(*row) if row is not None else None


def published_info(slug: str) -> PublishedInfo | None:
    """The published version of a survey with its definition (cached); None when there is none."""
    state = _published_state(slug)
    return state if isinstance(state, PublishedInfo) else None


def require_published_info(slug: str) -> PublishedInfo:
    """Like :func:`require_published`, from the cache: SurveyNotFound / SurveyClosed when not published."""
    state = _published_state(slug)
    if isinstance(state, PublishedInfo):
        return state
    if state == "closed":
        raise SurveyClosed()
    raise SurveyNotFound()


def _published_state(slug: str) -> PublishedInfo | str:
    return _hot_cache().get(("published", slug), lambda: _load_published(slug))


def _load_published(slug: str) -> PublishedInfo | str:
    version = db.session.scalar(
        select(SurveyVersion)
        .join(Survey, Survey.id == SurveyVersion.survey_id)
        .where(Survey.slug == slug, SurveyVersion.status == "published")
    )
    if version is None:
        return "closed" if get_survey(slug) is not None and _has_closed(slug) else "missing"
    return PublishedInfo(version.survey_id, slug, version.id, version.number, definition_of(version))


_WATCHED: tuple[type, ...] = (Survey, SurveyVersion, SurveyAssignment, Organisation)
clear_on_commit(_CACHE, lambda obj: isinstance(obj, _WATCHED), _WATCHED)


# --------------------------------------------------------------------------- versions


def get_survey(slug: str) -> Survey | None:
    return db.session.scalar(select(Survey).where(Survey.slug == slug))


def latest_version(survey: Survey) -> SurveyVersion:
    return survey.versions[-1]


def create_survey(definition: dict[str, Any], user: User | None = None) -> Survey:
    """A new survey with its draft version 1; the slug comes from the definition and must be unique."""
    defn = _parse(definition)
    with write_transaction():
        if get_survey(defn.slug) is not None:
            raise InvalidDefinition([f"slug: анкета с кодом «{defn.slug}» уже существует"])
        survey = Survey(slug=defn.slug, title=defn.title["ru"][:300], created_by_id=user.id if user else None)
        survey.versions.append(SurveyVersion(number=1, status="draft", definition=definition))
        db.session.add(survey)
        db.session.flush()
        audit.record("survey.create", survey, summary=defn.slug, **_user(user))
    return survey


def _user(user: User | None) -> dict[str, Any]:
    return {"user_id": user.id} if user is not None else {}


def draft_for_edit(survey: Survey, user: User | None = None) -> SurveyVersion:
    """The survey's draft, created from the latest version when there is none (published stays frozen)."""
    latest = latest_version(survey)
    if latest.status == "draft":
        return latest
    with write_transaction():
        draft = SurveyVersion(
            number=latest.number + 1, status="draft", definition=json.loads(json.dumps(latest.definition))
        )
        survey.versions.append(draft)
        db.session.flush()
        audit.record("survey.new_draft", survey, summary=f"{survey.slug} v{draft.number}", **_user(user))
    return draft


def save_draft(survey: Survey, definition: dict[str, Any], user: User | None = None) -> SurveyVersion:
    """Validate and store the draft's definition (a new draft if needed); the slug cannot change.

    Returns the draft version; ``version.warnings`` (list[str], not stored) holds the
    :func:`definition_changes` warnings against the last published version.
    """
    defn = _parse(definition)
    if defn.slug != survey.slug:
        raise InvalidDefinition([f"slug: код анкеты нельзя изменить (был «{survey.slug}»)"])
    draft = draft_for_edit(survey, user)
    published = [v for v in survey.versions if v.status != "draft"]
    warnings = definition_changes(published[-1].definition, definition) if published else []
    with write_transaction():
        draft.definition = definition
        survey.title = defn.title["ru"][:300]
        audit.record("survey.save", survey, summary=f"{survey.slug} v{draft.number}", **_user(user))
    draft.warnings = warnings  # type: ignore[attr-defined]
    return draft


def publish(survey: Survey, user: User | None = None) -> SurveyVersion:
    """Freeze the draft as the published version; the previously published one becomes closed."""
    draft = latest_version(survey)
    if draft.status != "draft":
        raise SurveyError("Нет черновика для публикации: сначала измените анкету")
    _parse(draft.definition)
    now = utcnow()
    with write_transaction():
        for version in survey.versions:
            if version.status == "published":
                version.status, version.closed_at = "closed", now
        draft.status, draft.published_at = "published", now
        audit.record("survey.publish", survey, summary=f"{survey.slug} v{draft.number}", **_user(user))
    invalidate_caches()
    return draft


def close(survey: Survey, user: User | None = None) -> None:
    """Stop accepting answers: the published version becomes closed."""
    now = utcnow()
    with write_transaction():
        changed = False
        for version in survey.versions:
            if version.status == "published":
                version.status, version.closed_at = "closed", now
                changed = True
        if not changed:
            raise SurveyError("Анкета не опубликована")
        audit.record("survey.close", survey, summary=survey.slug, **_user(user))
    invalidate_caches()


def duplicate(survey: Survey, new_slug: str, user: User | None = None) -> Survey:
    """A new survey (draft v1) with a copy of the latest definition under another slug."""
    definition = json.loads(json.dumps(latest_version(survey).definition))
    definition["slug"] = new_slug
    return create_survey(definition, user)


def published_version(slug: str) -> SurveyVersion | None:
    """The published version of a survey (definition column loaded lazily; parse with definition_of)."""
    return db.session.scalar(
        select(SurveyVersion)
        .join(Survey, Survey.id == SurveyVersion.survey_id)
        .where(Survey.slug == slug, SurveyVersion.status == "published")
        .options(defer(SurveyVersion.definition))
    )


def published_version_for(survey_id: int) -> SurveyVersion | None:
    return db.session.scalar(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == survey_id, SurveyVersion.status == "published")
        .options(defer(SurveyVersion.definition))
    )


def require_published(slug: str) -> tuple[SurveyVersion, SurveyDefinition]:
    """The published version and its parsed definition, or SurveyNotFound / SurveyClosed."""
    version = published_version(slug)
    if version is None:
        if get_survey(slug) is not None and _has_closed(slug):
            raise SurveyClosed()
        raise SurveyNotFound()
    return version, definition_of(version)


def _has_closed(slug: str) -> bool:
    return (
        db.session.scalar(
            select(SurveyVersion.id)
            .join(Survey, Survey.id == SurveyVersion.survey_id)
            .where(Survey.slug == slug, SurveyVersion.status == "closed")
            .limit(1)
        )
        is not None
    )


# --------------------------------------------------------------------------- assignments


def _new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(8))


def assign(
    survey: Survey, center_ids: Iterable[int], channels: Iterable[str], user: User | None = None
) -> list[SurveyAssignment]:
    """Offer the survey at these centres on these channels; existing assignments are reactivated."""
    channels = list(dict.fromkeys(channels))
    if bad := [c for c in channels if c not in ASSIGNABLE_CHANNELS]:
        raise SurveyError(f"Неизвестный канал: {', '.join(bad)} (допустимы: {', '.join(ASSIGNABLE_CHANNELS)})")
    center_ids = list(dict.fromkeys(int(c) for c in center_ids))
    result: list[SurveyAssignment] = []
    with write_transaction():
        valid = set(
            db.session.scalars(
                select(Organisation.id).where(Organisation.id.in_(center_ids), Organisation.kind == OrgKind.CENTER)
            )
        )
        if missing := [c for c in center_ids if c not in valid]:
            raise SurveyError(f"Неизвестные ЦОК: {', '.join(map(str, missing))}")
        existing = {
            (a.center_id, a.channel): a
            for a in db.session.scalars(select(SurveyAssignment).where(SurveyAssignment.survey_id == survey.id))
        }
        used = set(db.session.scalars(select(SurveyAssignment.short_code)))
        for center_id in center_ids:
            for channel in channels:
                found = existing.get((center_id, channel))
                if found is None:
                    code = _new_short_code()
                    while code in used:
                        code = _new_short_code()
                    used.add(code)
                    found = SurveyAssignment(survey_id=survey.id, center_id=center_id, channel=channel, short_code=code)
                    db.session.add(found)
                found.active, found.deactivated_at = True, None
                result.append(found)
        db.session.flush()
        audit.record(
            "survey.assign", survey, summary=survey.slug, centers=len(center_ids), channels=channels, **_user(user)
        )
    invalidate_caches()
    return result


def unassign(
    survey: Survey, center_ids: Iterable[int], channels: Iterable[str], user: User | None = None
) -> list[SurveyAssignment]:
    """Stop offering the survey at these centres on these channels (rows stay, inactive: their short links
    answer «not offered» and anonymous posts there are refused); returns the assignments switched off."""
    channels = list(dict.fromkeys(channels))
    if bad := [c for c in channels if c not in ASSIGNABLE_CHANNELS]:
        raise SurveyError(f"Неизвестный канал: {', '.join(bad)} (допустимы: {', '.join(ASSIGNABLE_CHANNELS)})")
    center_ids = list(dict.fromkeys(int(c) for c in center_ids))
    with write_transaction():
        found = list(
            db.session.scalars(
                select(SurveyAssignment).where(
                    SurveyAssignment.survey_id == survey.id,
                    SurveyAssignment.center_id.in_(center_ids),
                    SurveyAssignment.channel.in_(channels),
                    SurveyAssignment.active.is_(True),
                )
            )
        )
        now = utcnow()
        for assignment in found:
            assignment.active, assignment.deactivated_at = False, now
        db.session.flush()
        audit.record(
            "survey.unassign",
            survey,
            summary=survey.slug,
            centers=len(center_ids),
            channels=channels,
            switched_off=len(found),
            **_user(user),
        )
    invalidate_caches()
    return found


def assignment_active(survey_id: int, center_id: int, channel: str) -> bool:
    """Whether the survey is offered at the centre on the channel now (cached, see SURVEY_CACHE_SECONDS)."""
    return _hot_cache().get(
        ("assigned", survey_id, center_id, channel), lambda: _load_assignment_active(survey_id, center_id, channel)
    )


def _load_assignment_active(survey_id: int, center_id: int, channel: str) -> bool:
    return (
        db.session.scalar(
            select(SurveyAssignment.id)
            .where(
                SurveyAssignment.survey_id == survey_id,
                SurveyAssignment.center_id == center_id,
                SurveyAssignment.channel == channel,
                SurveyAssignment.active.is_(True),
            )
            .limit(1)
        )
        is not None
    )


def assignment_active_at(survey_id: int, center_id: int, channel: str, moment: datetime) -> bool:
    """Whether the survey was offered there at ``moment``: on now and created by then, or switched off only
    after it (an offline kiosk's answer given while it was offered). Read only when it is not on now."""
    return (
        db.session.scalar(
            select(SurveyAssignment.id)
            .where(
                SurveyAssignment.survey_id == survey_id,
                SurveyAssignment.center_id == center_id,
                SurveyAssignment.channel == channel,
                SurveyAssignment.created_at <= moment,
                SurveyAssignment.active.is_(True) | (SurveyAssignment.deactivated_at > moment),
            )
            .limit(1)
        )
        is not None
    )


def assignment_by_code(code: str) -> SurveyAssignment | None:
    return db.session.scalar(
        select(SurveyAssignment)
        .where(SurveyAssignment.short_code == (code or "").strip().lower())
        .options(joinedload(SurveyAssignment.survey), joinedload(SurveyAssignment.center))
    )


def survey_for_center(center_id: int, channel: str) -> Survey | None:
    """The survey offered at a centre on a channel: the main one first, then the newest assignment."""
    return db.session.scalar(
        select(Survey)
        .join(SurveyAssignment, SurveyAssignment.survey_id == Survey.id)
        .join(SurveyVersion, SurveyVersion.survey_id == Survey.id)
        .where(
            SurveyAssignment.center_id == center_id,
            SurveyAssignment.channel == channel,
            SurveyAssignment.active.is_(True),
            SurveyVersion.status == "published",
        )
        .order_by(Survey.is_main.desc(), SurveyAssignment.id.desc())
        .limit(1)
    )


# --------------------------------------------------------------------------- submission


def body_hash(slug: str, center: Any, channel: str, answers: Any) -> str:
    """sha256 of the canonical JSON of the request body fields (without the submission id)."""
    canonical = json.dumps(
        {"slug": slug, "center": str(center), "channel": channel, "answers": answers},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_SUBMISSION_ID_CHARS = re.compile(r"[A-Za-z0-9_-]+")


def _check_submission_id(value: Any) -> str:
    if not isinstance(value, str) or not 8 <= len(value.strip()) <= 64:
        raise InvalidSubmission({"client_submission_id": "Нужен идентификатор отправки (UUID)"})
    value = value.strip()
    if not _SUBMISSION_ID_CHARS.fullmatch(value):
        raise InvalidSubmission({"client_submission_id": "Идентификатор отправки содержит недопустимые символы"})
    return value


def new_submission_id() -> str:
    return str(uuid.uuid4())


def _existing(client_submission_id: str) -> tuple[int, str] | None:
    row = db.session.execute(
        select(Response.id, Response.body_hash).where(Response.client_submission_id == client_submission_id)
    ).first()
    return (row[0], row[1]) if row else None


def resolve_center(center: str | int) -> int:
    """The centre id of a code, exact name or id; InvalidSubmission when there is no such centre."""
    return _resolve_center(center)


def _resolve_center(center: str | int) -> int:
    """The centre id of a code, exact name or id (cached; centres change rarely, see SURVEY_CACHE_SECONDS)."""
    if isinstance(center, int) and not isinstance(center, bool):
        key: tuple = ("center-id", center)
    elif isinstance(center, str):
        key = ("center", center)
    else:
        key = ()
    found = _hot_cache().get(key, lambda: _load_center(center)) if key else None
    if found is None:
        raise InvalidSubmission({"center": "Неизвестный центр обслуживания"})
    return found


def _load_center(center: str | int) -> int | None:
    if isinstance(center, int) and not 0 < center < 2**63:  # beyond any id: the driver would overflow
        return None
    if isinstance(center, int):
        return db.session.scalar(
            select(Organisation.id).where(Organisation.id == center, Organisation.kind == OrgKind.CENTER)
        )
    from app.org.services import find_center

    org = find_center(center)
    return org.id if org is not None else None


# A kiosk's answering time is accepted up to this long before its arrival (older: the arrival time is stored
# and the response flagged) and up to ANSWERED_AT_SKEW after it (a kiosk clock running a little fast).
ANSWERED_AT_MAX_AGE = timedelta(days=7)
ANSWERED_AT_SKEW = timedelta(minutes=2)


def answering_time(sent: Any, arrival: datetime) -> tuple[datetime, bool]:
    """The time to store as answered (naive UTC) and whether the sent time was replaced by ``arrival``.

    ``sent`` is the kiosk's ``answered_at``: ISO 8601 with an offset. Missing → the arrival time, not
    flagged; unreadable, without an offset, in the future (beyond :data:`ANSWERED_AT_SKEW`) or older than
    :data:`ANSWERED_AT_MAX_AGE` → the arrival time, flagged.
    """
    if sent is None:
        return arrival, False
    if not isinstance(sent, str) or len(sent) > 64:
        return arrival, True
    try:
        parsed = datetime.fromisoformat(sent.strip())
    except ValueError:
        return arrival, True
    if parsed.tzinfo is None:  # a local time of unknown zone: cannot be placed in a period
        return arrival, True
    when = parsed.astimezone(UTC).replace(tzinfo=None)
    if when > arrival + ANSWERED_AT_SKEW or when < arrival - ANSWERED_AT_MAX_AGE:
        return arrival, True
    return min(when, arrival), False


def submit_response(
    *,
    slug: str,
    center: str | int,
    channel: str,
    answers: dict[str, Any],
    client_submission_id: str,
    duration_seconds: int | None = None,
    kiosk_id: int | None = None,
    require_assignment: bool = False,
    allowed_center_ids: Collection[int] | None = None,
    may_hold: bool = False,
    client_address: str | None = None,
    answered_at: Any = None,
    checked: tuple[SurveyDefinition, dict[str, Any]] | None = None,
) -> SubmissionResult:
    """Validate and store one submission exactly once.

    ``require_assignment``: refuse (:class:`SubmissionForbidden`) unless the survey is offered at the centre
    on the channel now (anonymous and kiosk posts); ``allowed_center_ids``: refuse other centres (a kiosk's
    own centre, a staff token's scope); an answer dated while the assignment was on (an offline kiosk's
    queue) still counts after it was switched off. ``answered_at`` (kiosk posts only: the caller passes it only for a
    valid kiosk token) is when the customer answered, checked by :func:`answering_time`; the response is
    stored at it, with the arrival as ``received_at``. ``may_hold`` (anonymous paths): a submission arriving
    in a burst is acknowledged as usual but kept in ``held_submission`` until a marketer decides
    (:mod:`app.surveys.integrity`). ``checked``: (definition, clean answers) of a validation without errors
    the caller made of these ``answers`` (the HTML form): used when that definition is still the published
    one, so that a submission is validated once.

    Same ``client_submission_id`` and body → the original id (created=False), even if the survey was
    closed or changed since; same id with another body → :class:`SubmissionConflict`. The stored row is
    looked up only when the insert or a check fails, so a new submission costs one write transaction.
    """
    submission_id = _check_submission_id(client_submission_id)
    digest = body_hash(slug, center, channel, answers)
    arrival = utcnow()
    when, replaced = answering_time(answered_at, arrival)
    try:
        info = require_published_info(slug)
        if channel not in CHANNELS:
            raise InvalidSubmission({"channel": "Неизвестный канал"})
        center_id = _resolve_center(center)
        if allowed_center_ids is not None and center_id not in allowed_center_ids:
            raise SubmissionForbidden("Этот ЦОК вне зоны отправителя: ответ не принят.")
        if (
            require_assignment
            and not assignment_active(info.survey_id, center_id, channel)
            and not (when < arrival and assignment_active_at(info.survey_id, center_id, channel, when))
        ):
            raise SubmissionForbidden("Анкета не предлагается в этом ЦОК по этому каналу: ответ не принят.")
        errors: dict[str, str]
        if checked is not None and checked[0] is info.definition:
            clean, errors = checked[1], {}
        else:
            clean, errors = _validate_submission(info.definition, answers, kiosk_visit=kiosk_id is not None)
        if errors:
            raise InvalidSubmission(errors)
    except SurveyError:
        prior = _existing(submission_id)  # a retry of what was accepted before is answered as then
        if prior is not None:
            return _replay(prior, digest)
        raise
    if duration_seconds is not None:
        try:
            duration_seconds = max(0, min(int(duration_seconds), 86400))
        except (TypeError, ValueError, OverflowError):
            duration_seconds = None
    rows = answer_rows(info.definition, clean)  # before the lock
    fields = {
        "client_submission_id": submission_id,
        "body_hash": digest,
        "survey_id": info.survey_id,
        "version_id": info.version_id,
        "center_id": center_id,
        "channel": channel,
        "kiosk_id": kiosk_id,
        "duration_seconds": duration_seconds,
        "received_at": arrival,
        "time_replaced": replaced,
    }
    if may_hold and integrity.enabled():
        contact = clean["contact"] if _wants_contact(info.definition, clean) else None
        held = _hold_if_burst(fields, answers, client_address, contact, answered_at=when)
        if held is not None:
            return _replay(held, digest) if held[1] != "" else SubmissionResult(held[0], True)
    try:
        if _wants_contact(info.definition, clean):
            with write_transaction():
                response_id = _store_with_contact(info.definition, clean, rows, fields, now=when)
        else:
            with write_connection() as connection:
                response_id = _insert_response(connection, rows, fields, when)
    except IntegrityError:
        # The id is stored already (a retry, or a concurrent post that won the race): answer as a retry.
        prior = _existing(submission_id)
        if prior is None:
            raise
        return _replay(prior, digest)
    return SubmissionResult(response_id, True)


def _hold_if_burst(
    fields: dict[str, Any],
    answers: dict[str, Any],
    client_address: str | None,
    contact: dict[str, Any] | None = None,
    answered_at: datetime | None = None,
) -> tuple[int, str] | None:
    """``(held id, "")`` when this submission is held now, ``(id, body hash)`` of an earlier hold of the same
    submission id (a retry), None to store it normally."""
    prior = integrity.held_prior(fields["client_submission_id"])
    if prior is not None:
        return prior
    address = integrity.address_hash(client_address)
    reasons = integrity.burst_reasons(
        survey_id=fields["survey_id"],
        center_id=fields["center_id"],
        channel=fields["channel"],
        kiosk_id=fields["kiosk_id"],
        body_hash=fields["body_hash"],
        address=address,
    )
    if reasons is None or _existing(fields["client_submission_id"]) is not None:
        return None
    try:
        # Personal data lives only in Contact: the held answers keep a link, not the contact itself.
        kept = {k: v for k, v in answers.items() if k != "contact"} if isinstance(answers, dict) else answers
        return integrity.hold(fields, kept, reasons, address, _contact_record(contact), answered_at), ""
    except IntegrityError:  # a concurrent retry of the same submission was held first
        return integrity.held_prior(fields["client_submission_id"])


def _contact_record(contact: dict[str, Any] | None) -> Contact | None:
    """A new Contact of a consented callback request (not flushed: the caller's transaction adds it)."""
    if not contact:
        return None
    return Contact(
        name=contact["name"],
        phone=contact["phone"],
        email=contact["email"],
        purpose="survey_callback",
        consent_version=CONSENT_VERSION,
        consented_at=utcnow(),
    )


def store_released(held: Any) -> int:
    """A released held submission as a normal response, in the caller's transaction: answered when it was
    answered (its checked ``answered_at``; before that column existed, its arrival), received when it arrived."""
    version = db.session.get(SurveyVersion, held.version_id)
    assert version is not None  # a held submission's version_id is a foreign key
    defn = definition_of(version)
    answers = dict(held.answers)
    record = db.session.get(Contact, held.contact_id) if held.contact_id else None
    if record is not None:
        answers["contact"] = {"name": record.name, "phone": record.phone, "email": record.email, "consent": True}
    clean, errors = _validate_submission(defn, answers, kiosk_visit=held.kiosk_id is not None)
    if errors:
        raise integrity.HoldError("Ответ больше не проходит проверку анкеты и не может быть принят")
    rows = answer_rows(defn, clean)
    fields = {
        "client_submission_id": held.client_submission_id,
        "body_hash": held.body_hash,
        "survey_id": held.survey_id,
        "version_id": held.version_id,
        "center_id": held.center_id,
        "channel": held.channel,
        "kiosk_id": held.kiosk_id,
        "duration_seconds": held.duration_seconds,
        "received_at": held.received_at,
        "time_replaced": bool(held.time_replaced),
    }
    when = held.answered_at or held.received_at
    if _wants_contact(defn, clean):
        return _store_with_contact(defn, clean, rows, fields, now=when, record=record)
    return _insert_response(db.session.connection(), rows, fields, when)


def _replay(prior: tuple[int, str], digest: str) -> SubmissionResult:
    if prior[1] != digest:
        raise SubmissionConflict()
    return SubmissionResult(prior[0], False)


def answer_rows(defn: SurveyDefinition, clean: dict[str, Any]) -> list[dict[str, Any]]:
    """Tidy answer rows (question_code, value_num, option_code, text; every key present) of clean answers.

    Each question's class builds its own rows; contact data is never an answer row.
    """
    return [row for q in defn.questions() for row in q.answer_rows(clean)]


_RESPONSE_INSERT = DriverStatement(insert(table_of(Response)))
_ANSWER_INSERT = DriverStatement(insert(table_of(Answer)))


@dataclass
class _Stored:
    """The few response fields close-the-loop reads (the row itself is written with Core)."""

    id: int
    channel: str
    center_id: int
    contact_id: int | None
    appeal_id: int | None = None


def _wants_contact(defn: SurveyDefinition, clean: dict[str, Any]) -> bool:
    contact = clean.get("contact") if defn.contact_question() is not None else None
    if not contact:
        return False
    return contact.get("consent") is True


def _insert_response(
    connection: Connection,
    rows: list[dict[str, Any]],
    fields: dict[str, Any],
    now: datetime,
    contact_id: int | None = None,
) -> int:
    """Insert the response and all its answers (one executemany) inside the caller's write transaction.

    On SQLite through the driver (:class:`~app.database.DriverStatement`): SQLAlchemy's statement
    execution cost more than SQLite's own work here. Raises IntegrityError when this submission id is
    stored already.
    """
    response_id = _RESPONSE_INSERT.insert(
        connection, {**fields, "submitted_at": now, "contact_id": contact_id, "appeal_id": None}
    )
    common = {
        "response_id": response_id,
        "survey_id": fields["survey_id"],
        "center_id": fields["center_id"],
        "submitted_at": now,
    }
    _ANSWER_INSERT.insert_many(connection, rows, common)
    return response_id


def _store_with_contact(
    defn: SurveyDefinition,
    clean: dict[str, Any],
    rows: list[dict[str, Any]],
    fields: dict[str, Any],
    now: datetime | None = None,
    record: Contact | None = None,
) -> int:
    """The response of a customer who left contacts: the contact (``record`` when it exists already), the
    response, and close-the-loop's appeal in the session's write transaction."""
    now = now or utcnow()
    if record is None:
        contact = clean["contact"]
        record = Contact(
            name=contact["name"],
            phone=contact["phone"],
            email=contact["email"],
            purpose="survey_callback",
            consent_version=CONSENT_VERSION,
            consented_at=now,
        )
        db.session.add(record)
        db.session.flush()
    connection = db.session.connection()
    response_id = _insert_response(connection, rows, fields, now, contact_id=record.id)
    stored = _Stored(response_id, fields["channel"], fields["center_id"], record.id)
    _close_the_loop(stored, defn, clean, now)
    if stored.appeal_id is not None:
        responses = table_of(Response)
        connection.execute(update(responses).where(responses.c.id == response_id).values(appeal_id=stored.appeal_id))
    return response_id


def loop_rule_matched(defn: SurveyDefinition, clean: dict[str, Any]) -> Any | None:
    """The first close-the-loop rule whose question was answered at or below its threshold."""
    for rule in defn.loop_rules():
        value = clean.get(rule.question)
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= rule.at_or_below:
            return rule
    return None


LOOP_APPEAL_CHANNELS = {"kiosk": "kiosk", "phone": "phone"}
"""The appeal channel of a close-the-loop appeal by the response's channel; every other one came by the web."""


def _score_text(defn: SurveyDefinition, code: str, value: Any) -> tuple[str, str]:
    """(the question's text, the score as a person says it) of the answer that closed the loop."""
    question = defn.question(code)
    label, scale = (defn.text(question.text), getattr(question, "scale", None)) if question is not None else ("", None)
    if question is None:  # a matrix row: the matrix's text and the row's
        for matrix in defn.questions():
            row = next((r for r in getattr(matrix, "rows", []) if r.code == code), None)
            if row is not None:
                label, scale = f"{defn.text(matrix.text)}: {defn.text(row.text)}", matrix.scale
    if isinstance(value, bool):
        return label, "да" if value else "нет"
    number = str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")
    return label, f"{number} из {scale.max}" if scale is not None else number


def loop_appeal_text(defn: SurveyDefinition, clean: dict[str, Any], code: str, channel: str) -> str:
    """The text of a close-the-loop appeal in plain Russian: the survey, the channel, the low score by its
    question's text, and what the customer wrote (text answers and «Другое»), each as «question: answer».

    An operator reads it and may forward it to the customer, so it names no codes («overall = 2» was
    unreadable); the whole response is one link away on the appeal's page.
    """
    label, score = _score_text(defn, code, clean[code])
    lines = [
        f"Низкая оценка в опросе «{defn.title['ru']}».",
        f"Канал опроса: {CHANNEL_LABELS.get(channel, channel)}.",
        f"Оценка «{label}»: {score}.",
    ]
    said = []
    for question in defn.questions():
        if question.type == "text" and isinstance(clean.get(question.code), str) and clean[question.code]:
            said.append(f"{defn.text(question.text)}: {clean[question.code]}")
        elif clean.get(question.code + OTHER_SUFFIX):
            said.append(f"{defn.text(question.text)}: другое — {clean[question.code + OTHER_SUFFIX]}")
    if said:
        lines += ["", "Ответы клиента:", *said]
    return "\n".join(lines)


def _close_the_loop(response: _Stored, defn: SurveyDefinition, clean: dict[str, Any], now: datetime) -> None:
    """Open an appeal for a low score from a customer who agreed to be contacted."""
    rule = loop_rule_matched(defn, clean)
    if rule is None:
        return
    from app.appeals.models import SURVEY_SOURCE  # appeals import surveys: imported here, not at the top
    from app.appeals.services import create_appeal_in_session

    topic_code = "other"
    if rule.topic_question and isinstance(clean.get(rule.topic_question), str):
        wanted = clean[rule.topic_question]
        if db.session.scalar(select(Topic.id).where(Topic.code == wanted, Topic.active.is_(True))) is not None:
            topic_code = wanted
    text = loop_appeal_text(defn, clean, rule.question, response.channel)
    try:
        with db.session.begin_nested():
            appeal = create_appeal_in_session(
                kind="application",
                form="interactive",
                channel=LOOP_APPEAL_CHANNELS.get(response.channel, "web"),
                topic_code=topic_code,
                center_id=response.center_id,
                received_at=now,
                text=text,
                contact_id=response.contact_id,
                external_source=SURVEY_SOURCE,
                external_id=str(response.id),
                user=None,
            )
            response.appeal_id = appeal.id
            audit.record("survey.close_the_loop", appeal, summary=f"response {response.id}")
    except Exception:  # the customer's answers must be stored even if the appeal is not
        log.exception("close the loop failed for response %s", response.id)


__all__ = [
    "CONSENT_VERSION",
    "AssignmentInfo",
    "PublishedInfo",
    "InvalidDefinition",
    "InvalidSubmission",
    "SubmissionConflict",
    "SubmissionForbidden",
    "SubmissionResult",
    "SurveyClosed",
    "SurveyError",
    "SurveyNotFound",
    "assign",
    "assignment_active",
    "assignment_by_code",
    "assignment_info",
    "close",
    "consent_text",
    "create_survey",
    "definition_of",
    "draft_for_edit",
    "duplicate",
    "invalidate_caches",
    "publish",
    "published_info",
    "published_version",
    "require_published",
    "require_published_info",
    "resolve_center",
    "save_draft",
    "submit_response",
    "survey_for_center",
    "unassign",
]
